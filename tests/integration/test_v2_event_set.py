"""The AG-UI events current frontends render or act on (reasoning, activity, raw, custom, the legacy thinking
events, an interrupt outcome), from a real AG-UI agent over HTTP to the real v2 clients (`@ag-ui/client`
0.0.59, `@copilotkit/core` 1.75.0): relayed in order with their fields, stored, replayed by connect and the
thread routes; and left out over GraphQL without breaking it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.agent_server import AgentServer
from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, v2_client
from tests.integration.databases import postgres_database
from tests.integration.mock_llm import MockLLM, Reply

RELAYED = [
    "RUN_STARTED",
    "REASONING_START",
    "REASONING_MESSAGE_START",
    "REASONING_MESSAGE_CONTENT",
    "REASONING_MESSAGE_CONTENT",
    "REASONING_MESSAGE_END",
    "REASONING_ENCRYPTED_VALUE",
    "REASONING_END",
    "THINKING_START",
    "THINKING_END",
    "ACTIVITY_SNAPSHOT",
    "ACTIVITY_DELTA",
    "RAW",
    "CUSTOM",
    "TEXT_MESSAGE_START",
    "TEXT_MESSAGE_CONTENT",
    "TEXT_MESSAGE_END",
    "RUN_FINISHED",
]
OUTCOME = {"type": "interrupt", "interrupts": [{"id": "ask-1", "reason": "input_required"}]}


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def _by_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]


def _roles(messages: list[dict[str, Any]]) -> list[str]:
    return [message["role"] for message in messages]


@pytest.mark.parametrize("store", ["memory", "sqlite", "postgresql"])
async def test_every_event_is_relayed_stored_and_replayed_to_the_real_clients(
    serve: ServeFactory, agent_server: AgentServer, store: str, tmp_path: Path
) -> None:
    agent = f'[[agents]]\nname = "all"\nkind = "agui-http"\nurl = "{agent_server.url}/everything"\n'
    if store == "postgresql":
        async with postgres_database() as url:
            everything(serve, f'state_store_url = "{url}"\n' + agent, store)
    elif store == "sqlite":
        everything(serve, f'state_store_url = "sqlite:///{tmp_path}/events.db"\n' + agent, store)
    else:
        everything(serve, agent, store)


def everything(serve: ServeFactory, config: str, store: str) -> None:
    server = serve(config)
    thread = f"v2-everything-{store}"

    live = v2_client(server.url, "agui-run", {"agentId": "all", "threadId": thread, "userMessage": "plan it"})

    assert live["schemaErrors"] == [], live["schemaErrors"]
    assert live.get("error") is None, live.get("error")
    assert _types(live["events"]) == RELAYED
    events = live["events"]
    assert _by_type(events, "REASONING_ENCRYPTED_VALUE")[0]["encryptedValue"] == "sig=="
    assert [e.get("subagentRunId") for e in _by_type(events, "ACTIVITY_DELTA")] == ["sub-7"]
    assert _by_type(events, "ACTIVITY_DELTA")[0]["patch"] == [{"op": "replace", "path": "/step", "value": 2}]
    assert _by_type(events, "RAW")[0]["event"] == {"vendor": "x", "n": [1, 2]}
    assert _by_type(events, "CUSTOM")[0] == {
        "type": "CUSTOM",
        "name": "progress",
        "value": {"pct": 50},
        "subagentRunId": "sub-7",
    }
    assert _by_type(events, "RUN_FINISHED")[0]["outcome"] == OUTCOME
    # The 0.0.59 client folds them into messages: reasoning, then the activity card, then the answer.
    messages = live["messages"]
    assert _roles(messages) == ["user", "reasoning", "activity", "assistant"]
    assert messages[1]["content"] == "The user wants a plan."
    assert messages[2]["content"] == {"step": 2, "of": 3}

    # A reloaded client: core's connect replays the stored run, compacted, with the pending interrupt.
    replay = v2_client(server.url, "core-connect", {"agentId": "all", "threadId": thread})
    assert replay["schemaErrors"] == [], replay["schemaErrors"]
    replayed = replay["events"]
    assert "REASONING_MESSAGE_CONTENT" in _types(replayed)
    assert _by_type(replayed, "ACTIVITY_SNAPSHOT")[0]["content"] == {"step": 2, "of": 3}
    assert _by_type(replayed, "RUN_FINISHED")[-1]["outcome"] == OUTCOME
    assert _roles(replay["messages"]) == ["user", "reasoning", "activity", "assistant"]

    # The thread's routes keep the reasoning (with its encrypted value) and the activity as messages.
    stored = httpx.get(f"{server.url}/threads/{thread}/messages").json()["messages"]
    assert _roles(stored) == ["user", "reasoning", "activity", "assistant"]
    assert stored[1]["encryptedValue"] == "sig=="
    assert stored[2]["activityType"] == "progress"

    # v1 has no such types: a GraphQL client loading the thread sees the conversation only.
    loaded = node_client(server.url, "loadAgentState", json.dumps({"threadId": thread, "agentName": "all"}))
    assert "errors" not in loaded, loaded
    state = loaded["data"]["loadAgentState"]  # type: ignore[index]
    legacy = json.loads(state["messages"])
    assert [m.get("role") for m in legacy] == ["user", "assistant"]


def test_a_v1_client_gets_the_same_run_without_the_events_it_has_no_types_for(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(f'[[agents]]\nname = "all"\nkind = "agui-http"\nurl = "{agent_server.url}/everything"\n')
    data = chat_data("v1-everything", [text("u1", "plan it")], agentSession={"agentName": "all"}, agentStates=[])

    outcome = node_client(server.url, "generate", json.dumps({"data": data}))

    response = outcome["data"]["generateCopilotResponse"]  # type: ignore[index]
    assert response["status"]["code"] == "Success", response["status"]
    texts = [m for m in response["messages"] if m["__typename"] == "TextMessageOutput"]
    assert ["".join(m["content"]) for m in texts] == ["Which city?"]
    assert {m["__typename"] for m in response["messages"]} <= {"TextMessageOutput", "AgentStateMessageOutput"}


def test_the_clients_resume_entries_reach_the_agent_beside_its_reasoning_as_sent(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(f'[[agents]]\nname = "all"\nkind = "agui-http"\nurl = "{agent_server.url}/everything"\n')
    first = v2_client(server.url, "agui-run", {"agentId": "all", "threadId": "v2-resume", "userMessage": "plan it"})
    answer = [{"interruptId": "ask-1", "status": "resolved", "payload": {"city": "Lyon"}}]
    history = [*first["messages"], {"id": "u2", "role": "user", "content": "Lyon"}]  # what the client holds

    resumed = v2_client(
        server.url, "agui-run", {"agentId": "all", "threadId": "v2-resume", "messages": history, "resume": answer}
    )

    assert resumed["schemaErrors"] == [], resumed["schemaErrors"]
    sent = agent_server.requests[-1]
    assert sent["resume"] == answer
    # The history the agent gets back keeps the reasoning with its encrypted value (the activity stays home).
    reasoning = [m for m in sent["messages"] if m["role"] == "reasoning"]
    assert [(m["content"], m.get("encryptedValue")) for m in reasoning] == [("The user wants a plan.", "sig==")]
    assert "activity" not in [m["role"] for m in sent["messages"]]


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_an_openai_compatible_models_reasoning_reaches_core_before_the_answer_and_never_goes_back(
    serve: ServeFactory, mock_llm: MockLLM, field: str
) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(
        Reply(reasoning=["Weighing ", "options."], tokens=["Go ", "left."], reasoning_field=field),
        Reply(tokens=["Still left."]),
    )

    first = v2_client(server.url, "core-run", {"threadId": f"v2-think-{field}", "userMessage": "which way?"})

    assert first["schemaErrors"] == [], first["schemaErrors"]
    assert first.get("error") is None, first.get("error")
    kinds = _types(first["events"])
    assert kinds[: kinds.index("TEXT_MESSAGE_START")] == [
        "RUN_STARTED",
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END",
        "REASONING_END",
    ]
    assert [(m["role"], m["content"]) for m in first["messages"][1:]] == [
        ("reasoning", "Weighing options."),
        ("assistant", "Go left."),
    ]
    stored = httpx.get(f"{server.url}/threads/v2-think-{field}/messages").json()["messages"]
    assert _roles(stored) == ["user", "reasoning", "assistant"]

    # The client sends the reasoning back with the history; the model is not shown it.
    history = [*first["messages"], {"id": "u2", "role": "user", "content": "sure?"}]
    second = v2_client(server.url, "agui-run", {"threadId": f"v2-think-{field}", "messages": history})
    assert second["schemaErrors"] == [], second["schemaErrors"]
    sent = mock_llm.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert "Weighing" not in json.dumps(sent)


def test_a_v1_chat_with_a_reasoning_model_streams_its_answer_only(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(reasoning=["Weighing ", "options."], tokens=["Go ", "left."]))

    outcome = node_client(
        server.url, "generate", json.dumps({"data": chat_data("v1-think", [text("u1", "which way?")])})
    )

    response = outcome["data"]["generateCopilotResponse"]  # type: ignore[index]
    assert response["status"]["code"] == "Success", response["status"]
    assert [("".join(m["content"]), m["__typename"]) for m in response["messages"]] == [
        ("Go left.", "TextMessageOutput")
    ]
