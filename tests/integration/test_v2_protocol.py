"""The v2 protocol (AG-UI over REST / SSE, and the single-route envelope) against a real server process,
driven by the real clients current CopilotKit frontends use: `@ag-ui/client` 0.0.59 `HttpAgent` and
`@copilotkit/core` 1.75.0 (`driver_v2.cjs`). Every SSE frame they received is also checked against
@ag-ui/core's event schemas (`schemaErrors`)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.integration.agent_server import AgentServer
from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, v2_client
from tests.integration.mock_llm import MockLLM, Reply, ToolCall
from tests.integration.sample_agents import COUNTER

ACTIONS = """
[[actions]]
name = "getWeather"
handler = "tests.integration.sample_actions:get_weather"
"""
COUNTER_AGENT = f'[[agents]]\nname = "counter"\ndescription = "Counts"\nkind = "python"\nimport = "{COUNTER}"\n'
SHOW_CARD = {
    "name": "showCard",
    "description": "Shows a card",
    "parameters": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    "result": {"shown": True},
}


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def clean(result: dict[str, Any]) -> None:
    """The client saw no error and every frame passed its schema."""
    assert result["schemaErrors"] == [], result["schemaErrors"]
    assert result.get("error") is None, result.get("error")
    assert result.get("errors", []) == [], result.get("errors")


def test_info_lists_the_default_agent_and_the_configured_ones(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + COUNTER_AGENT)

    result = v2_client(server.url, "core-info")

    assert result["ok"], result
    info = result["info"]
    assert (info["status"], info["resolvedTransport"], info["runtimeMode"]) == ("connected", "rest", "sse")
    assert info["agentIds"] == ["default", "counter"]
    assert info["threadEndpoints"] == {"list": True, "inspect": True, "mutations": False, "realtimeMetadata": False}
    raw = httpx.get(f"{server.url}/info").json()
    assert (raw["suggestions"], raw["audioFileTranscriptionEnabled"]) == (True, False)
    assert not {"a2uiEnabled", "openGenerativeUIEnabled", "inspectorMetadata"} & set(raw)
    # nothing to run: no agent, no suggestions
    bare = httpx.get(f"{serve('').url}/info").json()
    assert (bare["agents"], bare["suggestions"]) == ({}, False)
    # v1 clients never see the built-in agent
    agents = node_client(server.url, "availableAgents")["data"]["availableAgents"]["agents"]  # type: ignore[index]
    assert [agent["name"] for agent in agents] == ["counter"]


def test_a_chat_streams_text_with_lf_framing(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=["Hello", " there", "!"]))

    result = v2_client(server.url, "agui-run", {"threadId": "v2-text", "userMessage": "hi", "includeRawSse": True})

    clean(result)
    assert types(result["events"]) == [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "RUN_FINISHED",
    ]
    assert result["messages"][-1]["content"] == "Hello there!"
    raw = result["requests"][0]["responseText"]
    assert raw.startswith("data: {")
    assert "\r" not in raw
    assert mock_llm.requests[0]["messages"][-1] == {"role": "user", "content": "hi"}


def test_a_frontend_tool_ends_the_run_and_the_client_continues_with_its_result(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_card", "showCard", ['{"title":', '"Oslo"}'])]),
        Reply(tokens=["Card shown."]),
    )

    result = v2_client(server.url, "core-run", {"threadId": "v2-tool", "userMessage": "show", "tools": [SHOW_CARD]})

    clean(result)
    assert result["toolCalls"] == [{"name": "showCard", "args": {"title": "Oslo"}, "toolCallId": "call_card"}]
    runs = [r for r in result["requests"] if r["url"].endswith("/agent/default/run")]
    assert len(runs) == 2  # the first run ended at the tool call; the client ran it and started the second
    first = runs[0]["sseFrames"]
    assert [t for t in types(first) if t != "TOOL_CALL_ARGS"][-3:] == [
        "TOOL_CALL_START",
        "TOOL_CALL_END",
        "RUN_FINISHED",
    ]
    start = next(frame for frame in first if frame["type"] == "TOOL_CALL_START")
    assert start["parentMessageId"]  # the assistant message that holds the call
    assert [m["role"] for m in result["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert result["messages"][-1]["content"] == "Card shown."
    second_request = mock_llm.requests[1]["messages"]
    assert second_request[-1] == {"role": "tool", "tool_call_id": "call_card", "content": '{"shown":true}'}
    # the default agent's state tools come first, then the client's
    offered = [tool["function"]["name"] for tool in mock_llm.requests[0]["tools"]]
    assert offered == ["AGUISendStateSnapshot", "AGUISendStateDelta", "showCard"]


def test_the_default_agent_loops_through_backend_actions_within_one_run(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + ACTIONS)
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_w", "getWeather", ['{"city":"Oslo"}'])]),
        Reply(tokens=["It is 21 C in Oslo."]),
    )

    result = v2_client(server.url, "agui-run", {"threadId": "v2-loop", "userMessage": "weather?"})

    clean(result)
    assert types(result["events"]) == [
        "RUN_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "RUN_FINISHED",
    ]
    assert len(mock_llm.requests) == 2
    assert mock_llm.requests[1]["messages"][-1]["content"] == '{"city":"Oslo","temp":21,"unit":"C"}'
    assert result["messages"][-1]["content"] == "It is 21 C in Oslo."


def test_the_step_limit_ends_a_run_that_keeps_calling_backend_actions(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + "default_agent_max_steps = 2\n" + ACTIONS)
    call = [ToolCall("call_1", "getWeather", ['{"city":"Oslo"}'])]
    mock_llm.script(Reply(tool_calls=call), Reply(tool_calls=[ToolCall("call_2", "getWeather", ['{"city":"Rome"}'])]))
    mock_llm.script(Reply(tokens=["never asked"]))

    result = v2_client(server.url, "agui-run", {"threadId": "v2-cap", "userMessage": "weather?"})

    clean(result)
    assert len(mock_llm.requests) == 2
    assert types(result["events"]).count("TOOL_CALL_RESULT") == 2
    assert types(result["events"])[-1] == "RUN_FINISHED"


def test_an_agent_run_streams_its_state_and_steps(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + COUNTER_AGENT)

    first = v2_client(server.url, "agui-run", {"agentId": "counter", "threadId": "v2-agent", "userMessage": "one"})
    second = v2_client(
        server.url,
        "agui-run",
        {"agentId": "counter", "threadId": "v2-agent", "messages": first["messages"], "userMessage": "two"},
    )

    clean(first)
    clean(second)
    assert types(first["events"]) == [
        "RUN_STARTED",
        "STATE_SNAPSHOT",
        "STEP_STARTED",
        "STATE_SNAPSHOT",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "RUN_FINISHED",
    ]
    assert first["state"]["count"] == 1
    assert first["state"]["last"] == "one"
    assert second["state"]["count"] == 2  # the stored state went back to the agent
    assert second["messages"][-1]["content"] == "Count is 2."


def test_connect_after_a_run_restores_the_thread_and_its_state(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + COUNTER_AGENT)
    mock_llm.script(Reply(tokens=["First", " answer"]), Reply(tokens=["Second answer"]))
    first = v2_client(server.url, "core-run", {"threadId": "v2-history", "userMessage": "question one"})
    v2_client(
        server.url,
        "core-run",
        {"threadId": "v2-history", "messages": first["messages"], "userMessage": "question two"},
    )
    v2_client(server.url, "agui-run", {"agentId": "counter", "threadId": "v2-counted", "userMessage": "hey"})

    history = v2_client(server.url, "core-connect", {"threadId": "v2-history"})
    counted = v2_client(server.url, "core-connect", {"agentId": "counter", "threadId": "v2-counted"})
    unknown = v2_client(server.url, "core-connect", {"threadId": "v2-never-seen"})

    clean(history)
    assert [(m["role"], m["content"]) for m in history["messages"]] == [
        ("user", "question one"),
        ("assistant", "First answer"),
        ("user", "question two"),
        ("assistant", "Second answer"),
    ]
    # compacted: one content event per message
    assert types(history["events"]).count("TEXT_MESSAGE_CONTENT") == 2
    assert types(history["events"]).count("RUN_STARTED") == 2
    clean(counted)
    assert counted["state"]["count"] == 1
    assert types(counted["events"]).count("STATE_SNAPSHOT") == 1  # folded into the last snapshot
    assert unknown["events"] == []
    assert unknown["messages"] == []


def test_stop_ends_a_streaming_run_and_cancels_the_model_call(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=[f"w{i} " for i in range(200)], delay=0.05))

    result = v2_client(server.url, "core-stop", {"threadId": "v2-stop", "userMessage": "talk", "stopAfterMs": 800})

    clean(result)
    assert result["timing"]["runResolvedAtMs"] < 4000  # 200 tokens at 50 ms would take 10 s
    assert types(result["events"])[-2:] == ["TEXT_MESSAGE_END", "RUN_FINISHED"]
    stop = next(r for r in result["requests"] if "/stop/" in r["url"])
    assert stop["url"].endswith("/agent/default/stop/v2-stop")
    assert stop["status"] == 200
    deadline = time.time() + 5
    while not mock_llm.disconnects and time.time() < deadline:
        time.sleep(0.05)
    assert mock_llm.disconnects, "the upstream model call was not cancelled"
    # nothing is left running: a second stop finds no run
    answer = httpx.post(f"{server.url}/agent/default/stop/v2-stop", json={})
    assert answer.json() == {"stopped": False, "message": "No run is in progress on this thread."}
    # the cut-off text was kept, and the run is replayable
    replay = v2_client(server.url, "core-connect", {"threadId": "v2-stop"})
    clean(replay)
    assert replay["messages"][-1]["content"].startswith("w0 w1")


def test_suggestions_stream_from_the_model_and_store_nothing(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tool_calls=[ToolCall("call_s", "copilotkitSuggest", ['{"suggestions":[{"title":"Hi"}]}'])]))
    suggest_tool = {"name": "copilotkitSuggest", "description": "Suggest", "parameters": {"type": "object"}}
    force = {"toolChoice": {"type": "function", "function": {"name": "copilotkitSuggest"}}}

    # as @copilotkit/core's suggestion engine does it: a plain HttpAgent on the suggest route
    result = v2_client(
        server.url,
        "agui-run",
        {
            "route": "suggest",
            "threadId": "v2-suggest",
            "userMessage": "Suggest what the user could say next.",
            "tools": [suggest_tool],
            "forwardedProps": force,
        },
    )

    clean(result)
    assert result["requests"][0]["url"].endswith("/agent/default/suggest")
    assert types(result["events"]) == [
        "RUN_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "RUN_FINISHED",
    ]
    [call] = result["messages"][-1]["toolCalls"]
    assert json.loads(call["function"]["arguments"]) == {"suggestions": [{"title": "Hi"}]}
    assert mock_llm.requests[0]["tool_choice"] == {"type": "function", "function": {"name": "copilotkitSuggest"}}
    assert httpx.get(f"{server.url}/threads").json()["threads"] == []
    # nothing stored: the thread reads as one never used (the reference answers 200, empty)
    assert httpx.get(f"{server.url}/threads/v2-suggest/messages").json() == {"messages": []}
    assert httpx.get(f"{server.url}/threads/v2-suggest/events").json() == {"events": []}


def test_the_single_route_transport_runs_connects_and_reads_threads(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=["Via the envelope."]))

    run = v2_client(server.url, "core-single", {"threadId": "v2-single", "userMessage": "hello"})
    connect = v2_client(server.url, "core-connect", {"threadId": "v2-single", "mode": "single"})

    clean(run)
    assert run["info"]["resolvedTransport"] == "single"
    envelope = next(r for r in run["requests"] if r["body"] and r["body"].get("method") == "agent/run")
    assert envelope["url"] == server.url
    assert envelope["body"]["params"] == {"agentId": "default"}
    assert run["messages"][-1]["content"] == "Via the envelope."
    clean(connect)
    assert [m["content"] for m in connect["messages"]] == ["hello", "Via the envelope."]
    listed = httpx.post(
        server.url, json={"method": "resource/request", "params": {"path": "/threads", "httpMethod": "GET"}}
    ).json()
    assert [thread["id"] for thread in listed["threads"]] == ["v2-single"]
    info = httpx.post(server.url, json={"method": "info"}).json()
    assert info["threadEndpoints"]["list"] is False
    assert info["singleRoute"]["resourceOperations"] is True
    refused = httpx.post(server.url, json={"method": "agent/run", "params": {}})
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"


def test_bad_requests_get_the_reference_status_codes_and_json_errors(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    url = server.url

    malformed = v2_client(
        url, "agui-run", {"agentId": "nobody", "threadId": "t", "userMessage": "x", "captureResponses": False}
    )
    assert malformed["error"]["status"] == 404
    assert malformed["error"]["payload"]["error"] == "Agent not found"

    invalid = httpx.post(f"{url}/agent/default/run", json={"threadId": "t", "messages": "not a list"})
    assert invalid.status_code == 400
    assert invalid.json()["error"] == "Invalid request body"
    assert {tuple(d["path"]) for d in invalid.json()["details"]} >= {("runId",), ("messages",)}
    assert "not a list" not in invalid.text  # what was sent is not echoed
    not_json = httpx.post(f"{url}/agent/default/run", content=b"{oops", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    wrong_type = httpx.post(f"{url}/agent/default/run", content=b"<x/>", headers={"content-type": "text/xml"})
    assert wrong_type.status_code == 415
    wrong_method = httpx.get(f"{url}/agent/default/run")
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST")
    assert wrong_method.json() == {"error": "Method not allowed"}
    assert httpx.get(f"{url}/nothing/here").json() == {"error": "Not found"}
    stop_extra = httpx.post(f"{url}/agent/default/stop/t", json={"runId": "r", "force": True})
    assert stop_extra.status_code == 400
    transcribe = httpx.post(f"{url}/transcribe", json={"audio": ""})
    assert transcribe.status_code == 503
    assert transcribe.json()["error"] == "service_not_configured"
    clear = httpx.post(f"{url}/threads/clear")
    assert clear.status_code == 403
    assert clear.json()["code"] == "THREADS_CLEAR_DISABLED"
    body = connect_body("t-bad")
    empty_ids = httpx.post(f"{url}/agent/default/run", json={**body, "threadId": "", "runId": ""})
    assert empty_ids.status_code == 400
    assert [d["path"] for d in empty_ids.json()["details"]] == [["threadId"], ["runId"]]
    secret_role = {**body, "messages": [{"id": "m", "role": "sk-SECRET-123", "content": "x"}]}
    leaked = httpx.post(f"{url}/agent/default/run", json=secret_role)
    assert leaked.status_code == 400
    assert "sk-SECRET-123" not in leaked.text
    nameless_tool = {**body, "tools": [{"name": "", "description": "", "parameters": {}}]}
    refused_tool = httpx.post(f"{url}/agent/default/run", json=nameless_tool)
    assert refused_tool.status_code == 400
    assert refused_tool.json()["code"] == "INVALID_INPUT"
    bad_cursor = httpx.get(f"{url}/threads", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400


def test_a_second_run_on_a_busy_thread_is_refused_and_the_first_completes(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=[f"w{i} " for i in range(20)], delay=0.05))
    body = {
        "threadId": "v2-busy",
        "runId": "run-1",
        "state": {},
        "messages": [{"id": "u1", "role": "user", "content": "go"}],
        "tools": [],
        "context": [],
        "forwardedProps": {},
    }
    with httpx.stream("POST", f"{server.url}/agent/default/run", json=body, timeout=20) as first:
        time.sleep(0.3)
        second = httpx.post(f"{server.url}/agent/default/run", json={**body, "runId": "run-2"})
        frames = [json.loads(line[6:]) for line in first.iter_lines() if line.startswith("data: ")]

    assert second.status_code == 409
    assert second.json()["code"] == "THREAD_BUSY"
    assert types(frames)[-1] == "RUN_FINISHED"
    assert "".join(f["delta"] for f in frames if f["type"] == "TEXT_MESSAGE_CONTENT") == "".join(
        f"w{i} " for i in range(20)
    )


def test_a_thread_started_over_graphql_is_listed_and_replayed_over_v2(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=["From GraphQL."]))
    node_client(server.url, "generate", json.dumps({"data": chat_data("gql-thread", [text("g1", "Hi from v1")])}))

    listed = httpx.get(f"{server.url}/threads").json()
    messages = httpx.get(f"{server.url}/threads/gql-thread/messages").json()["messages"]
    replay = v2_client(server.url, "core-connect", {"threadId": "gql-thread"})

    assert [(t["id"], t["agentId"], t["archived"], t["name"]) for t in listed["threads"]] == [
        ("gql-thread", "default", False, None)
    ]
    assert listed["nextCursor"] is None
    conversation = [("user", "Hi from v1"), ("assistant", "From GraphQL.")]
    assert [(m["role"], m["content"]) for m in messages][-2:] == conversation
    clean(replay)
    assert [(m["role"], m["content"]) for m in replay["messages"]] == [(m["role"], m["content"]) for m in messages]
    events = httpx.get(f"{server.url}/threads/gql-thread/events").json()["events"]
    assert types(events)[0] == "RUN_STARTED"
    assert types(events)[-1] == "RUN_FINISHED"
    assert httpx.get(f"{server.url}/threads/gql-thread/state").json() == {"state": None}


def test_an_agent_stream_that_ends_early_is_closed_for_the_client_and_fails(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(f'[[agents]]\nname = "cut"\nkind = "agui-http"\nurl = "{agent_server.url}/ends-early"\n')

    result = v2_client(server.url, "agui-run", {"agentId": "cut", "threadId": "v2-cut", "userMessage": "go"})

    assert result["schemaErrors"] == []
    assert types(result["events"])[-3:] == ["TEXT_MESSAGE_END", "TOOL_CALL_END", "RUN_ERROR"]
    assert "without RUN_FINISHED" in result["events"][-1]["message"]
    assert result["hookErrors"][0]["hook"] == "onRunErrorEvent"


HOOKS = 'on_before_request = "tests.integration.sample_hooks:authenticate"\n'


def test_hooks_refuse_with_401_or_403_and_scope_threads_to_their_principal(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + HOOKS)
    alice = {"authorization": "Bearer alice-token"}
    bob = {"authorization": "Bearer bob-token"}
    mock_llm.script(Reply(tokens=["For Alice."]))

    anonymous = v2_client(server.url, "agui-run", {"threadId": "v2-alice", "userMessage": "hi"})
    spent = v2_client(
        server.url,
        "agui-run",
        {"threadId": "v2-alice", "userMessage": "hi", "headers": {"authorization": "Bearer spent-token"}},
    )
    owned = v2_client(server.url, "agui-run", {"threadId": "v2-alice", "userMessage": "hi", "headers": alice})

    assert anonymous["error"]["status"] == 401
    assert anonymous["error"]["payload"]["code"] == "AUTHENTICATION_ERROR"
    assert spent["error"]["status"] == 403
    assert spent["error"]["payload"]["code"] == "QUOTA_EXCEEDED"
    clean(owned)
    assert [t["id"] for t in httpx.get(f"{server.url}/threads", headers=alice).json()["threads"]] == ["v2-alice"]
    assert httpx.get(f"{server.url}/threads", headers=bob).json()["threads"] == []
    # Bob reads Alice's thread as an unknown one (test_v2_http_details compares the two byte for byte)
    assert httpx.get(f"{server.url}/threads/v2-alice/messages", headers=bob).json() == {"messages": []}
    assert len(httpx.get(f"{server.url}/threads/v2-alice/messages", headers=alice).json()["messages"]) == 2
    refused = httpx.post(f"{server.url}/agent/default/connect", headers=bob, json=connect_body("v2-alice"))
    assert (refused.status_code, refused.json()["code"]) == (403, "ACCESS_DENIED")
    stolen = v2_client(server.url, "agui-run", {"threadId": "v2-alice", "userMessage": "mine?", "headers": bob})
    assert stolen["error"]["status"] == 403
    assert stolen["error"]["payload"]["code"] == "ACCESS_DENIED"
    assert len(mock_llm.requests) == 1  # nothing was generated for Bob
    reused = v2_client(
        server.url,
        "agui-run",
        {"threadId": "v2-other", "userMessage": "hi", "headers": alice, "captureResponses": False},
    )
    assert reused["error"] is None
    again = httpx.post(
        f"{server.url}/agent/default/run",
        headers=alice,
        json={**connect_body("v2-third"), "runId": reused["events"][0]["runId"]},
    )
    assert (again.status_code, again.json()["code"]) == (409, "RUN_EXISTS")


def connect_body(thread_id: str) -> dict[str, Any]:
    return {
        "threadId": thread_id,
        "runId": "connect-1",
        "state": {},
        "messages": [],
        "tools": [],
        "context": [],
        "forwardedProps": {},
    }


def test_clearing_threads_deletes_only_the_signed_in_principals_and_never_anonymous_ones(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + "threads_clear_enabled = true\n")
    mock_llm.script(Reply(tokens=["a"]), Reply(tokens=["b"]))
    v2_client(server.url, "agui-run", {"threadId": "anon-thread", "userMessage": "hi"})

    anonymous = httpx.post(f"{server.url}/threads/clear")

    assert (anonymous.status_code, anonymous.json()["code"]) == (403, "THREADS_CLEAR_NEEDS_PRINCIPAL")
    assert [t["id"] for t in httpx.get(f"{server.url}/threads").json()["threads"]] == ["anon-thread"]


def test_clearing_threads_with_a_principal(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + HOOKS + "threads_clear_enabled = true\n")
    alice = {"authorization": "Bearer alice-token"}
    bob = {"authorization": "Bearer bob-token"}
    v2_client(server.url, "agui-run", {"threadId": "a-1", "userMessage": "hi", "headers": alice})
    v2_client(server.url, "agui-run", {"threadId": "b-1", "userMessage": "hi", "headers": bob})

    cleared = httpx.post(f"{server.url}/threads/clear", headers=alice)

    assert cleared.status_code == 204
    assert httpx.get(f"{server.url}/threads", headers=alice).json()["threads"] == []
    assert [t["id"] for t in httpx.get(f"{server.url}/threads", headers=bob).json()["threads"]] == ["b-1"]
