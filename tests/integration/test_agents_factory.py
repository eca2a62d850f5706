"""Agents per request: `create_app(agents=factory)`, as the TS runtime's `agents({request})`, for
multi-tenant setups. Through the real v2 and v1 clients, on the app served by uvicorn."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
from ag_ui.core import BaseEvent, RunAgentInput, RunFinishedEvent, RunStartedEvent

from agui_runtime import RequestContext, create_app
from tests.integration.chat import chat_data, text
from tests.integration.conftest import make_settings, node_client, v2_client
from tests.integration.loopback import Loopback
from tests.integration.sample_agents import text_events


class TenantAgent:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.description = f"The assistant of {tenant}"

    async def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]:
        yield RunStartedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)
        for event in text_events(f"Hello from {self.tenant}"):
            yield event
        yield RunFinishedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)


async def agents_for(request: RequestContext) -> Mapping[str, Any]:
    tenant = request.headers.get("x-tenant")
    if tenant == "broken":
        raise RuntimeError("database password sk-secret-123 rejected")
    if tenant is None:
        return {}
    return {"assistant": TenantAgent(tenant)}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    loopback = Loopback(create_app(make_settings(), agents=agents_for), "runtime with an agents factory")
    yield loopback.start() + "/api/copilotkit"
    loopback.stop()


def test_each_request_gets_its_tenants_agent(url: str) -> None:
    for tenant in ("acme", "beta"):
        run = v2_client(
            url,
            "core-run",
            {"agentId": "assistant", "threadId": f"f-{tenant}", "userMessage": "hi", "headers": {"x-tenant": tenant}},
        )
        assert run["ok"], run
        assert run["info"]["agentIds"] == ["assistant"]
        assert run["messages"][-1]["content"] == f"Hello from {tenant}"

    data = chat_data("f-v1", [text("u1", "hi")], agentSession={"agentName": "assistant"}, agentStates=[])
    v1 = node_client(url, "generate", json.dumps({"data": data, "headers": {"x-tenant": "gamma"}}))
    response = v1["data"]["generateCopilotResponse"]  # type: ignore[index]
    said = ["".join(m["content"]) for m in response["messages"] if m["__typename"] == "TextMessageOutput"]
    assert said == ["Hello from gamma"]
    agents = node_client(url, "availableAgents", json.dumps({"headers": {"x-tenant": "gamma"}}))
    listed = agents["data"]["availableAgents"]["agents"]  # type: ignore[index]
    assert [(a["name"], a["description"]) for a in listed] == [("assistant", "The assistant of gamma")]


def test_a_request_without_the_tenant_has_no_such_agent(url: str) -> None:
    info = httpx.get(f"{url}/info").json()
    assert info["agents"] == {}
    refused = httpx.post(f"{url}/agent/assistant/run", json={"threadId": "f-none", "runId": "r1", "messages": []})
    assert refused.status_code == 404
    assert refused.json()["code"] == "AGENT_NOT_FOUND"


def test_a_failing_factory_is_a_clear_error_without_its_message(url: str) -> None:
    info = httpx.get(f"{url}/info", headers={"x-tenant": "broken"})
    body = info.json()
    assert info.status_code >= 500
    assert body["code"] == "CONFIGURATION_ERROR"
    assert body["message"] == "The agents factory failed (RuntimeError)."
    assert "sk-secret" not in info.text
