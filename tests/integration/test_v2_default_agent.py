"""The v2 `default` agent on par with the reference's built-in agent, seen from the real v2 clients
(`@copilotkit/core` 1.75.0, `@ag-ui/client` 0.0.59) and from the model's side (the mock's requests): its
state tools make `useAgent` state work (stored and replayed on memory, SQLite and PostgreSQL), one system
message carries the prompt, the context and the state, the client's system messages reach the model only
when configured, and sampling comes from the settings, with `forwardedProps` over it only where allowed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, v2_client
from tests.integration.databases import postgres_database
from tests.integration.mock_llm import MockLLM, Reply, ToolCall

ADD_EGGS = '{"delta":[{"op":"add","path":"/items/-","value":"eggs"}]}'


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


@pytest.mark.parametrize("store", ["memory", "sqlite", "postgresql"])
async def test_the_model_edits_the_apps_state_through_the_state_tools(
    serve: ServeFactory, mock_llm: MockLLM, store: str, tmp_path: Path
) -> None:
    if store == "postgresql":
        async with postgres_database() as url:
            state_through_tools(serve, mock_llm, f'state_store_url = "{url}"\n', store)
    elif store == "sqlite":
        state_through_tools(serve, mock_llm, f'state_store_url = "sqlite:///{tmp_path}/state.db"\n', store)
    else:
        state_through_tools(serve, mock_llm, "", store)


def state_through_tools(serve: ServeFactory, mock_llm: MockLLM, config: str, store: str) -> None:
    server = serve(config + llm_config(mock_llm))
    thread = f"v2-state-{store}"
    # split arguments, as models stream them
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_d", "AGUISendStateDelta", [ADD_EGGS[:20], ADD_EGGS[20:]])]),
        Reply(tokens=["Added ", "eggs."]),
    )
    context = [{"description": "The page the user is on", "value": "the shopping list"}]

    run = v2_client(
        server.url,
        "core-run",
        {"threadId": thread, "userMessage": "add eggs", "state": {"items": ["milk"]}, "context": context},
    )

    assert run["schemaErrors"] == [], run["schemaErrors"]
    assert run["ok"], run
    # core applied the new state: useAgent's `state` in a page
    assert run["state"] == {"items": ["milk", "eggs"]}
    kinds = [kind for kind in _types(run["events"]) if kind not in ("TOOL_CALL_ARGS", "TEXT_MESSAGE_CONTENT")]
    assert kinds == [
        "RUN_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_END",
        "STATE_SNAPSHOT",
        "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_END",
        "RUN_FINISHED",
    ]
    assert run["messages"][-1]["content"] == "Added eggs."
    # the model was shown the context and the state in one system message, and offered the tools first
    first = mock_llm.requests[0]
    system = first["messages"][0]
    assert system["role"] == "system"
    assert "## Context from the application\nThe page the user is on:\nthe shopping list" in system["content"]
    assert "## Application state" in system["content"]
    assert json.loads(system["content"].split("```json\n")[1].split("\n```")[0]) == {"items": ["milk"]}
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert [tool["function"]["name"] for tool in first["tools"]][:2] == ["AGUISendStateSnapshot", "AGUISendStateDelta"]
    # it went on with the tool's result
    result = mock_llm.requests[1]["messages"][-1]
    assert result["role"] == "tool"
    assert result["tool_call_id"] == "call_d"
    assert json.loads(result["content"]) == {"success": True, **json.loads(ADD_EGGS)}

    # stored: the thread's state route and a reloaded client have it
    assert httpx.get(f"{server.url}/threads/{thread}/state").json() == {"state": {"items": ["milk", "eggs"]}}
    replay = v2_client(server.url, "core-connect", {"threadId": thread})
    assert replay["schemaErrors"] == [], replay["schemaErrors"]
    assert replay["state"] == {"items": ["milk", "eggs"]}
    assert replay["messages"][-1]["content"] == "Added eggs."


def test_a_state_update_that_does_not_apply_changes_nothing_and_the_model_is_told(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm))
    bad = '{"delta":[{"op":"remove","path":"/nope"}]}'
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_bad", "AGUISendStateDelta", [bad])]),
        Reply(tool_calls=[ToolCall("call_new", "AGUISendStateSnapshot", ['{"snapshot":{"items":[],"done":true}}'])]),
        Reply(tokens=["Cleared."]),
    )

    # over the single-route transport, as `useSingleEndpoint` pages do
    start: dict[str, object] = {"threadId": "v2-bad-state", "userMessage": "clear", "state": {"items": ["milk"]}}
    run = v2_client(server.url, "core-single", start)

    assert run["schemaErrors"] == [], run["schemaErrors"]
    assert run["ok"], run
    assert run["info"]["resolvedTransport"] == "single"
    refused = json.loads(mock_llm.requests[1]["messages"][-1]["content"])
    assert refused["error"]["code"] == "INVALID_STATE_UPDATE"
    assert "/nope" in refused["error"]["message"] or "does not apply" in refused["error"]["message"]
    snapshots = [event["snapshot"] for event in run["events"] if event["type"] == "STATE_SNAPSHOT"]
    assert snapshots == [{"items": [], "done": True}]  # the failed delta sent nothing
    assert run["state"] == {"items": [], "done": True}
    assert httpx.get(f"{server.url}/threads/v2-bad-state/state").json() == {"state": {"items": [], "done": True}}


def test_the_prompt_setting_and_the_clients_system_messages(serve: ServeFactory, mock_llm: MockLLM) -> None:
    history = [
        {"id": "s1", "role": "system", "content": "From the page: be terse."},
        {"id": "d1", "role": "developer", "content": "From the developer: say hi."},
        {"id": "u1", "role": "user", "content": "hello"},
    ]
    prompted = serve(llm_config(mock_llm) + 'default_agent_prompt = "You are Pat, a shopping assistant."\n')
    plain = serve(llm_config(mock_llm))
    forwarding = serve(
        llm_config(mock_llm)
        + "default_agent_forward_system_messages = true\ndefault_agent_forward_developer_messages = true\n"
    )
    mock_llm.script(Reply(tokens=["hi"]), Reply(tokens=["hi"]), Reply(tokens=["hi"]))

    for index, server in enumerate((prompted, plain, forwarding)):
        run = v2_client(server.url, "agui-run", {"threadId": f"v2-prompt-{index}", "messages": history})
        assert run.get("error") is None, run

    prompted_call, plain_call, forwarding_call = (request["messages"] for request in mock_llm.requests)
    # as in the reference: the prompt as the one system message, the client's system and developer
    # messages left out unless configured
    assert prompted_call == [
        {"role": "system", "content": "You are Pat, a shopping assistant."},
        {"role": "user", "content": "hello"},
    ]
    assert plain_call == [{"role": "user", "content": "hello"}]  # nothing to say: no system message
    assert forwarding_call == [
        {"role": "system", "content": "From the page: be terse."},
        {"role": "developer", "content": "From the developer: say hi."},
        {"role": "user", "content": "hello"},
    ]
    # left out for the model, still the thread's history
    stored = httpx.get(f"{plain.url}/threads/v2-prompt-1/messages").json()["messages"]
    assert [m["role"] for m in stored] == ["system", "developer", "user", "assistant"]


def test_sampling_comes_from_the_settings_and_forwarded_props_only_where_allowed(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    sampling = (
        "llm_temperature = 0.7\nllm_top_p = 0.9\nllm_seed = 7\nllm_max_output_tokens = 300\n"
        'llm_stop_sequences = ["END"]\nllm_presence_penalty = 0.5\nllm_frequency_penalty = -0.5\n'
    )
    closed = serve(llm_config(mock_llm) + sampling)
    allowing = serve(
        llm_config(mock_llm)
        + sampling
        + 'default_agent_overridable_properties = ["temperature", "model", "toolChoice", "stopSequences", "topK", '
        '"maxOutputTokens"]\n'
    )
    forwarded = {
        "temperature": 0.1,
        "model": "other-model",
        "seed": 1,
        "topK": 40,
        "maxOutputTokens": 50,
        "stopSequences": ["STOP"],
        "toolChoice": {"type": "tool", "toolName": "showCard"},
        "topP": "not a number",
    }
    card = {"name": "showCard", "description": "Show a card", "parameters": {"type": "object", "properties": {}}}
    mock_llm.script(Reply(tokens=["a"]), Reply(tool_calls=[ToolCall("call_c", "showCard", ["{}"])]))

    for server in (closed, allowing):
        run = v2_client(
            server.url,
            "agui-run",
            {"threadId": "v2-sampling", "userMessage": "hi", "forwardedProps": forwarded, "tools": [card]},
        )
        assert run.get("error") is None, run

    as_configured, overridden = mock_llm.requests
    expected = {
        "model": "mock-model",
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 7,
        "max_completion_tokens": 300,
        "stop": ["END"],
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
    }
    assert {key: as_configured.get(key) for key in expected} == expected
    assert "tool_choice" not in as_configured
    assert "top_k" not in as_configured
    assert {key: overridden.get(key) for key in (*expected, "top_k", "tool_choice")} == expected | {
        "model": "other-model",
        "temperature": 0.1,
        "max_completion_tokens": 50,
        "stop": ["STOP"],
        "top_k": 40,
        "tool_choice": {"type": "function", "function": {"name": "showCard"}},
    }


def test_a_v1_chat_uses_the_configured_sampling_under_its_forwarded_parameters(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + "llm_temperature = 0.7\nllm_seed = 7\n")
    mock_llm.script(Reply(tokens=["a"]), Reply(tokens=["b"]))

    plain = chat_data("v1-sampling", [text("u1", "hi")])
    forwarded = chat_data("v1-sampling-2", [text("u2", "hi")], forwardedParameters={"temperature": 0.2})
    for data in (plain, forwarded):
        outcome = node_client(server.url, "generate", json.dumps({"data": data}))
        assert "errors" not in outcome, outcome

    assert [(r["temperature"], r["seed"]) for r in mock_llm.requests] == [(0.7, 7), (0.2, 7)]
    # v1 keeps the client's system message: it carries the app's instructions there
    assert mock_llm.requests[0]["messages"][0] == {"role": "system", "content": "You are a helpful assistant."}
