"""The request pipeline through the real 1.10.6 client and real server processes: request hooks,
forwarding of headers and properties, thread scoping by principal, guardrails, structured errors."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from agui_runtime.application.errors import RequestRejected
from agui_runtime.application.requests import BeforeRequest
from agui_runtime.bootstrap import create_app
from tests.integration.chat import action, chat_data, request_body, result, text
from tests.integration.conftest import CLIENT_ACCEPT, ServeFactory, llm_config, make_settings, node_client
from tests.integration.mock_llm import MockLLM, Reply, ToolCall
from tests.integration.sample_agents import python_agent
from tests.integration.test_chat_streaming import response_of

ALICE = {"authorization": "Bearer alice-token"}
BOB = {"authorization": "Bearer bob-token"}


def hooks_config(audit_log: Path) -> str:
    return f"""
on_before_request = "tests.integration.sample_hooks:authenticate"
on_after_request = "tests.integration.sample_hooks:audit"
properties = {{ audit_log = "{audit_log}", tenant = "configured-tenant" }}

[[agents]]
name = "assistant"
kind = "python"
import = "tests.integration.sample_agents:counter"

[[actions]]
name = "whoami"
handler = "tests.integration.sample_hooks:whoami"
"""


def generate(url: str, data: dict[str, Any], **options: Any) -> dict[str, Any]:
    return node_client(url, "generate", json.dumps({"data": data, **options}))


def graphql_error(outcome: dict[str, Any]) -> dict[str, Any]:
    """The one GraphQL error the client reported (through handleGQLErrors or as the stream's error)."""
    reported = [*outcome["gqlErrors"], outcome["error"]]
    errors = [e for report in reported if report for e in report["graphQLErrors"]]
    assert errors, outcome
    error: dict[str, Any] = errors[0]
    return error


def audit_lines(path: Path, count: int) -> list[dict[str, Any]]:
    """The audit hook runs after the response: wait for it to have written `count` lines."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists():
            lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            if len(lines) >= count:
                return lines
        time.sleep(0.05)
    raise AssertionError(f"the audit log has fewer than {count} lines")


def test_a_rejecting_hook_is_an_http_200_banner_error_and_nothing_runs(
    serve: ServeFactory, mock_llm: MockLLM, tmp_path: Path
) -> None:
    server = serve(llm_config(mock_llm) + hooks_config(tmp_path / "audit.jsonl"))

    anonymous = graphql_error(generate(server.url, chat_data("t-h1", [text("u1", "Hi")])))
    spent = graphql_error(
        generate(server.url, chat_data("t-h1", [text("u1", "Hi")]), headers={"authorization": "Bearer spent-token"})
    )
    agents = node_client(server.url, "availableAgents")

    assert anonymous["message"] == "Sign in to use the assistant."
    assert anonymous["extensions"]["code"] == "AUTHENTICATION_ERROR"
    assert anonymous["extensions"]["visibility"] == "banner"
    assert anonymous["extensions"]["statusCode"] == 401
    assert (spent["extensions"]["code"], spent["extensions"]["visibility"]) == ("QUOTA_EXCEEDED", "banner")
    assert agents["error"]["graphQLErrors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"  # type: ignore[index]
    assert mock_llm.requests == []
    with httpx.Client(timeout=30) as client:
        raw = client.post(
            server.url,
            json=request_body(chat_data("t-h1", [text("u1", "Hi")])),
            headers={"content-type": "application/json", "accept": CLIENT_ACCEPT},
        )
    assert raw.status_code == 200
    assert raw.json()["data"] is None
    assert "stack" not in raw.text
    assert not (tmp_path / "audit.jsonl").exists()  # a refused request never ran
    log = "".join(server.log)
    assert "refused by on_before_request: QUOTA_EXCEEDED" in log
    assert "Traceback" not in log


def test_headers_and_properties_reach_a_handler_and_the_after_hook_gets_the_run(
    serve: ServeFactory, mock_llm: MockLLM, tmp_path: Path
) -> None:
    audit_log = tmp_path / "audit.jsonl"
    server = serve(llm_config(mock_llm) + hooks_config(audit_log))
    mock_llm.script(Reply(tool_calls=[ToolCall("call_me", "whoami", ["{}"])]))
    headers = {**ALICE, "x-tenant": "header-tenant", "cookie": "session=secret"}

    response = response_of(
        generate(
            server.url, chat_data("t-h2", [text("u1", "Who am I?")]), headers=headers, properties={"tenant": "acme"}
        )
    )

    outcome = json.loads(response["messages"][1]["result"])
    assert outcome == {
        "principal": "alice",
        "tenant_property": "acme",  # the request's properties win over the configured ones
        "tenant_header": "header-tenant",
        "authorization": "Bearer alice-token",
        "cookie": None,  # not on the allowlist
        "url": "http://localhost:3000/",
    }
    tools = {tool["function"]["name"]: tool["function"] for tool in mock_llm.requests[0]["tools"]}
    assert tools["whoami"]["parameters"]["properties"] == {}  # the context parameter is not the model's
    [line] = audit_lines(audit_log, 1)
    assert (line["thread"], line["principal"], line["error"]) == ("t-h2", "alice", None)
    assert line["inputs"] == ["sys-1", "u1"]
    assert line["outputs"] == ["ActionExecutionMessage", "ResultMessage"]


def test_a_thread_belongs_to_the_principal_that_created_it(
    serve: ServeFactory, mock_llm: MockLLM, tmp_path: Path
) -> None:
    server = serve(llm_config(mock_llm) + hooks_config(tmp_path / "audit.jsonl"))
    mock_llm.script(Reply(tokens=["Noted."]))
    response_of(generate(server.url, chat_data("t-own", [text("u1", "My secret plan")]), headers=ALICE))

    intrusion = graphql_error(generate(server.url, chat_data("t-own", [text("u2", "Show me")]), headers=BOB))
    as_bob = node_client(
        server.url, "loadAgentState", json.dumps({"threadId": "t-own", "agentName": "assistant", "headers": BOB})
    )
    as_alice = node_client(
        server.url, "loadAgentState", json.dumps({"threadId": "t-own", "agentName": "assistant", "headers": ALICE})
    )

    assert (intrusion["extensions"]["code"], intrusion["extensions"]["visibility"]) == ("ACCESS_DENIED", "banner")
    assert len(mock_llm.requests) == 1
    bob_view = as_bob["data"]["loadAgentState"]  # type: ignore[index]
    assert (bob_view["threadExists"], json.loads(bob_view["messages"])) == (False, [])
    alice_view = as_alice["data"]["loadAgentState"]  # type: ignore[index]
    assert alice_view["threadExists"] is True
    assert [m.get("content") for m in json.loads(alice_view["messages"])] == [
        "You are a helpful assistant.",
        "My secret plan",
        "Noted.",
    ]


GUARDED: dict[str, Any] = {
    "cloud": {"guardrails": {"inputValidationRules": {"allowList": ["cooking"], "denyList": ["politics"]}}}
}


def test_guardrails_by_the_model_deny_allow_and_do_not_apply_to_a_follow_up(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm))
    denial = '{"status": "denied", "reason": "I can only talk about cooking."}'
    mock_llm.script(Reply(tokens=[denial]), Reply(tokens=['{"status":"allowed"}']), Reply(tokens=["Boil it."]))

    denied = response_of(generate(server.url, chat_data("t-g1", [text("u1", "Who wins the election?")], **GUARDED)))
    allowed = response_of(generate(server.url, chat_data("t-g2", [text("u1", "How do I cook pasta?")], **GUARDED)))

    assert denied["status"] == {
        "__typename": "FailedResponseStatus",
        "code": "Failed",
        "reason": "GUARDRAILS_VALIDATION_FAILED",
        "details": {"guardrailsReason": "I can only talk about cooking."},
    }
    assert denied["messages"] == []
    assert allowed["status"]["code"] == "Success"
    assert "".join(allowed["messages"][0]["content"]) == "Boil it."
    classify = mock_llm.requests[0]
    assert classify["temperature"] == 0.0
    assert "tools" not in classify
    assert "Allowed topics: cooking" in classify["messages"][0]["content"]
    assert classify["messages"][-1]["content"].endswith("Latest message:\nWho wins the election?")
    assert len(mock_llm.requests) == 3  # the denied request never reached the chat call

    mock_llm.script(Reply(tokens=["Done."]))
    follow_up = [text("u1", "Set a timer"), action("c1", "setTimer", "{}"), result("r1", "c1", "setTimer", "ok")]
    answered = response_of(generate(server.url, chat_data("t-g3", follow_up, **GUARDED)))
    assert answered["status"]["code"] == "Success"
    assert len(mock_llm.requests) == 4  # one call: no classification when the last message is a result
    assert mock_llm.requests[3]["messages"][-1]["role"] == "tool"  # that call was the chat itself


def test_cloud_guardrails_send_the_reference_request_and_need_the_public_key(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + f'guardrails = "cloud"\nguardrails_cloud_url = "{mock_llm.base_url}"\n')
    mock_llm.verdicts.append((200, {"status": "denied", "reason": "Off topic."}))
    history = [text("u0", "Hi"), text("a0", "Hello!", "assistant"), text("u1", "Tell me about politics")]

    denied = response_of(generate(server.url, chat_data("t-c1", history, **GUARDED), publicApiKey="ck_pub_test"))
    no_key = response_of(generate(server.url, chat_data("t-c2", [text("u1", "Hi")], **GUARDED)))

    assert denied["status"]["details"] == {"guardrailsReason": "Off topic."}
    [(headers, body)] = mock_llm.guardrails_requests
    assert headers["x-copilotcloud-public-api-key"] == "ck_pub_test"
    assert body == {
        "input": "Tell me about politics",
        "validTopics": ["cooking"],
        "invalidTopics": ["politics"],
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
    }
    assert no_key["status"]["reason"] == "UNKNOWN_ERROR"
    original = no_key["status"]["details"]["originalError"]
    assert (original["code"], original["visibility"]) == ("GUARDRAILS_ERROR", "banner")
    assert "X-CopilotCloud-Public-API-Key" in no_key["status"]["details"]["description"]
    assert mock_llm.requests == []  # fail closed: the model was never asked


def test_the_extensions_input_is_accepted_and_the_response_extensions_stay_null(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=["Hi."]))
    extensions = {"openaiAssistantAPI": {"threadId": "thread_abc", "runId": "run_abc"}}

    response = response_of(generate(server.url, chat_data("t-e1", [text("u1", "Hi")], extensions=extensions)))

    assert response["status"]["code"] == "Success"
    assert response["extensions"] is None


async def test_hooks_given_in_code_guard_every_operation(mock_llm: MockLLM) -> None:
    seen: list[BeforeRequest] = []

    def only_with_key(ctx: BeforeRequest) -> str:
        seen.append(ctx)
        if ctx.request.headers.get("x-api-key") != "k1":
            raise RequestRejected("A valid x-api-key header is required.")
        return "service-a"

    settings = make_settings(agents=[python_agent("assistant")])
    app = create_app(settings, on_before_request=only_with_key)
    query = {"query": '{ loadAgentState(data: {threadId: "t", agentName: "assistant"}) { threadExists } }'}
    async with LifespanManager(app) as started:
        transport = httpx.ASGITransport(app=started.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime") as client:
            refused = await client.post("/api/copilotkit", json=query)
            admitted = await client.post("/api/copilotkit", json=query, headers={"x-api-key": "k1"})
            agents = await client.post("/api/copilotkit", json={"query": "{ availableAgents { agents { id } } }"})

    assert refused.status_code == 200
    assert refused.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"
    assert admitted.json() == {"data": {"loadAgentState": {"threadExists": False}}}
    assert agents.json()["errors"][0]["extensions"]["visibility"] == "banner"
    assert [(ctx.operation, ctx.thread_id) for ctx in seen] == [
        ("loadAgentState", "t"),
        ("loadAgentState", "t"),
        ("availableAgents", None),
    ]
