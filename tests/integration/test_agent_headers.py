"""What reaches an agent over HTTP as headers: the request's allowlisted ones, less the infrastructure
headers a proxy or platform sets about the hop (the TS runtime's default denylist), under the headers
configured on the agent itself (its own key wins over a forwarded one). Through both real clients."""

from __future__ import annotations

import json

from tests.integration.agent_server import AgentServer
from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, node_client, v2_client

SENT = {
    "authorization": "Bearer the-users-token",
    "x-tenant": "acme",
    "x-forwarded-for": "10.1.2.3",
    "x-real-ip": "10.1.2.3",
    "x-amzn-trace-id": "Root=1-abc",
    "x-vercel-id": "fra1::x",
}


def test_an_agent_gets_allowlisted_headers_less_infrastructure_ones_under_its_own(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(
        f'[[agents]]\nname = "counter"\nkind = "agui-http"\nurl = "{agent_server.url}/counter"\n'
        '[agents.headers]\nAuthorization = "Bearer the-agents-key"\nx-api-version = "2"\n'
    )

    v2 = v2_client(
        server.url, "agui-run", {"agentId": "counter", "threadId": "h-v2", "userMessage": "hi", "headers": SENT}
    )
    data = chat_data("h-v1", [text("u1", "hi")], agentSession={"agentName": "counter"}, agentStates=[])
    v1 = node_client(server.url, "generate", json.dumps({"data": data, "headers": SENT}))

    assert v2.get("error") is None, v2
    assert "errors" not in v1, v1
    assert len(agent_server.headers) == 2
    for received in agent_server.headers:
        assert received["authorization"] == "Bearer the-agents-key"
        assert (received["x-tenant"], received["x-api-version"]) == ("acme", "2")
        assert not {"x-forwarded-for", "x-real-ip", "x-amzn-trace-id", "x-vercel-id"} & set(received)


def test_an_operator_may_forward_an_infrastructure_header_by_naming_it(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(
        'forward_headers = ["authorization", "x-*", "x-forwarded-for"]\n'
        f'[[agents]]\nname = "counter"\nkind = "agui-http"\nurl = "{agent_server.url}/counter"\n'
    )

    v2 = v2_client(
        server.url, "agui-run", {"agentId": "counter", "threadId": "h-named", "userMessage": "hi", "headers": SENT}
    )

    assert v2.get("error") is None, v2
    [received] = agent_server.headers
    assert (received["authorization"], received["x-forwarded-for"]) == ("Bearer the-users-token", "10.1.2.3")
    assert "x-real-ip" not in received
