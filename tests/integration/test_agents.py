"""Agent sessions through the real 1.10.6 client and real server processes: an in-process agent and an
AG-UI agent over HTTP, state kept per thread and reloadable, routing faults, agent faults, abort."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.integration.agent_server import AgentServer
from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client
from tests.integration.mock_llm import MockLLM, Reply, ToolCall
from tests.integration.sample_agents import COUNTER
from tests.integration.test_chat_streaming import SET_COLOR, response_of


def agents_config(server: AgentServer | None = None) -> str:
    config = f'[[agents]]\nname = "counter"\ndescription = "Counts"\nkind = "python"\nimport = "{COUNTER}"\n'
    if server is not None:
        for name, path in [("remote", "counter"), ("broken", "out-of-order"), ("babbler", "not-agui")]:
            config += f'[[agents]]\nname = "{name}"\nkind = "agui-http"\nurl = "{server.url}/{path}"\n'
        config += f'[[agents]]\nname = "failing"\nkind = "agui-http"\nurl = "{server.url}/status/500"\n'
        config += f'[[agents]]\nname = "endless"\nkind = "agui-http"\nurl = "{server.url}/endless"\n'
        config += '[[agents]]\nname = "absent"\nkind = "agui-http"\nurl = "http://127.0.0.1:9/agent"\n'
    config += '[[actions]]\nname = "getWeather"\nhandler = "tests.integration.sample_actions:get_weather"\n'
    return config


def agent_data(
    agent: str, thread: str, messages: list[dict[str, Any]], state: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    states = [{"agentName": agent, "state": json.dumps(state)}] if state is not None else []
    return chat_data(thread, messages, agentSession={"agentName": agent}, agentStates=states, **extra)


def generate(url: str, data: dict[str, Any], **options: Any) -> dict[str, Any]:
    return node_client(url, "generate", json.dumps({"data": data, **options}))


def states_of(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in response["messages"] if m["__typename"] == "AgentStateMessageOutput"]


def test_an_agent_session_keeps_state_per_thread_and_reloads_it(serve: ServeFactory) -> None:
    server = serve(agents_config())
    first = response_of(generate(server.url, agent_data("counter", "t-a1", [text("u1", "hello")])))

    assert first["status"]["code"] == "Success"
    texts = [m for m in first["messages"] if m["__typename"] == "TextMessageOutput"]
    assert "".join(texts[0]["content"]) == "Count is 1."
    states = states_of(first)
    # Steps name their node; the run's last message names the graph's end, so a LangGraph agent given it
    # back starts the next turn instead of "continuing" from `count` straight to the end.
    assert [(s["nodeName"], s["active"]) for s in states if s["active"]][-1] == ("count", True)
    assert [(s["nodeName"], s["active"], s["running"]) for s in states][-1] == ("__end__", False, True)
    last = json.loads(states[-1]["state"])
    assert (last["count"], last["last"]) == (1, "hello")
    assert states[-1]["threadId"] == "t-a1"
    assert states[-1]["agentName"] == "counter"

    # The client sends back the state it last saw; the agent continues from it.
    history = [text("u1", "hello"), text(texts[0]["id"], "Count is 1.", "assistant"), text("u2", "bye")]
    second = response_of(generate(server.url, agent_data("counter", "t-a1", history, state=last)))
    final = states_of(second)[-1]
    assert json.loads(final["state"])["count"] == 2
    assert final["running"] is False  # the agent sent Exit: the client ends the session

    loaded = node_client(server.url, "loadAgentState", json.dumps({"threadId": "t-a1", "agentName": "counter"}))
    view = loaded["data"]["loadAgentState"]  # type: ignore[index]
    assert view["threadExists"] is True
    assert json.loads(view["state"])["count"] == 2
    assert [m.get("content") for m in json.loads(view["messages"])] == [
        "You are a helpful assistant.",
        "hello",
        "Count is 1.",
        "bye",
        "Count is 2.",
    ]


def test_a_remote_agui_agent_gets_tools_props_and_runs_past_a_frontend_call(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(agents_config(agent_server))
    data = agent_data("remote", "t-a2", [text("u1", "color red")], actions=[SET_COLOR])

    response = response_of(generate(server.url, data, properties={"tenant": "acme"}))

    kinds = [m["__typename"] for m in response["messages"]]
    assert kinds.index("ActionExecutionMessageOutput") < len(kinds) - 1  # the run went on after the call
    call = next(m for m in response["messages"] if m["__typename"] == "ActionExecutionMessageOutput")
    assert (call["name"], json.loads("".join(call["arguments"]))) == ("setColor", {"color": "red"})
    assert response["status"]["code"] == "Success"
    [sent] = agent_server.requests
    assert sent["threadId"] == "t-a2"
    assert sent["forwardedProps"] == {"config": {}, "threadMetadata": {}, "tenant": "acme"}
    tools = [tool["name"] for tool in sent["tools"]]
    assert tools[0] == "getWeather"  # backend actions first, then the other agents, then the frontend's
    assert {"counter", "broken", "setColor"} <= set(tools)
    assert "remote" not in tools
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


def test_a_backend_action_the_agent_calls_is_run_by_the_runtime(serve: ServeFactory) -> None:
    server = serve(agents_config())
    response = response_of(generate(server.url, agent_data("counter", "t-a3", [text("u1", "weather")])))
    result = next(m for m in response["messages"] if m["__typename"] == "ResultMessageOutput")
    assert (result["actionName"], json.loads(result["result"])["city"]) == ("getWeather", "Oslo")


def test_an_unknown_agent_fails_only_its_own_request(serve: ServeFactory) -> None:
    server = serve(agents_config())
    outcome = generate(server.url, agent_data("ghost", "t-a4", [text("u1", "hi")]))
    reported = [*outcome["gqlErrors"], outcome["error"]]
    [error] = [e for report in reported if report for e in report["graphQLErrors"]][:1]
    assert error["extensions"]["code"] == "AGENT_NOT_FOUND"
    assert "Available agents: counter" in error["message"]

    after = response_of(generate(server.url, agent_data("counter", "t-a4", [text("u1", "hi")])))
    assert after["status"]["code"] == "Success"


def test_agent_faults_are_clear_failed_statuses_and_keep_the_history(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    server = serve(agents_config(agent_server))
    expected = {
        "counter": "The counter broke: no more numbers.",  # RUN_ERROR: its message verbatim
        "failing": "Agent 'failing' answered HTTP 500.",
        "broken": "Agent 'broken' sent an invalid AG-UI event stream: content for text message 'never-started'",
        "babbler": "Agent 'babbler' sent an invalid AG-UI event stream: an event that is not AG-UI",
        "absent": "Agent 'absent' could not be reached (ConnectError).",
    }
    for agent, description in expected.items():
        said = "fail" if agent == "counter" else "hi"
        response = response_of(generate(server.url, agent_data(agent, f"t-f-{agent}", [text("u1", said)])))
        status = response["status"]
        assert (status["code"], status["reason"]) == ("Failed", "UNKNOWN_ERROR"), agent
        assert status["details"]["description"].startswith(description), (agent, status)
        assert "127.0.0.1" not in json.dumps(status)  # agent URLs stay in the server log
        loaded = node_client(server.url, "loadAgentState", json.dumps({"threadId": f"t-f-{agent}", "agentName": agent}))
        messages = json.loads(loaded["data"]["loadAgentState"]["messages"])  # type: ignore[index]
        assert [m.get("content") for m in messages][-1] == said
    assert not any("Traceback" in line for line in server.log)


def test_a_client_abort_closes_the_agent_request(serve: ServeFactory, agent_server: AgentServer) -> None:
    server = serve(agents_config(agent_server))
    outcome = generate(server.url, agent_data("endless", "t-a5", [text("u1", "go")]), abortAfterFirstContent=True)
    assert outcome["abortedAt"] is not None
    deadline = time.monotonic() + 5
    while not agent_server.disconnects and time.monotonic() < deadline:
        time.sleep(0.05)
    assert agent_server.disconnects, "the agent's stream was not closed after the client left"


def test_an_interrupt_reaches_the_client_and_its_answer_resumes_the_agent(serve: ServeFactory) -> None:
    server = serve(agents_config())
    asked = response_of(generate(server.url, agent_data("counter", "t-i1", [text("u1", "approve?")])))

    [interrupt] = asked["metaEvents"]
    assert (interrupt["__typename"], interrupt["name"]) == ("LangGraphInterruptEvent", "LangGraphInterruptEvent")
    assert json.loads(interrupt["value"]) == {"question": "Proceed with the plan?"}
    assert asked["status"]["code"] == "Success"

    answer = {"name": "LangGraphInterruptEvent", "value": interrupt["value"], "response": "yes, go"}
    resumed = response_of(
        generate(server.url, agent_data("counter", "t-i1", [text("u1", "approve?")], metaEvents=[answer]))
    )
    texts = [m for m in resumed["messages"] if m["__typename"] == "TextMessageOutput"]
    assert "".join(texts[0]["content"]) == "You answered: yes, go"


def test_router_mode_the_model_calls_an_agent_that_runs_into_the_response(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + agents_config())
    mock_llm.script(Reply(tool_calls=[ToolCall("call_c", "counter", ["{}"])]))

    response = response_of(generate(server.url, chat_data("t-r1", [text("u1", "hello")], actions=[SET_COLOR])))

    offered = {tool["function"]["name"]: tool["function"] for tool in mock_llm.requests[0]["tools"]}
    assert offered["counter"]["description"] == "Counts"
    assert offered["counter"]["parameters"] == {"type": "object", "properties": {}, "required": []}
    kinds = [m["__typename"] for m in response["messages"]]
    assert kinds[:2] == ["ActionExecutionMessageOutput", "ResultMessageOutput"]
    assert response["messages"][1]["result"] == "counter agent started"
    texts = [m for m in response["messages"] if m["__typename"] == "TextMessageOutput"]
    assert "".join(texts[0]["content"]) == "Count is 1."
    state = json.loads(states_of(response)[-1]["state"])
    assert state["given"]["tools"] == ["setColor"]  # the agent gets the frontend's tools only
    assert response["status"]["code"] == "Success"
    assert len(mock_llm.requests) == 1


def test_a_pydantic_ai_agent_runs_in_process_with_shared_state(serve: ServeFactory) -> None:
    server = serve(
        '[[agents]]\nname = "tally"\nkind = "python"\nimport = "tests.integration.sample_pydantic_ai:tally"\n'
    )

    response = response_of(
        generate(server.url, agent_data("tally", "t-p1", [text("u1", "bump it")], state={"counter": 5}))
    )

    assert response["status"]["code"] == "Success"
    result = next(m for m in response["messages"] if m["__typename"] == "ResultMessageOutput")
    assert (result["actionName"], result["result"]) == ("bump", "counter is 7")
    texts = ["".join(m["content"]) for m in response["messages"] if m["__typename"] == "TextMessageOutput"]
    assert texts[-1] == "Counter bumped."
    assert json.loads(states_of(response)[-1]["state"]) == {"counter": 7}
    loaded = node_client(server.url, "loadAgentState", json.dumps({"threadId": "t-p1", "agentName": "tally"}))
    assert json.loads(loaded["data"]["loadAgentState"]["state"]) == {"counter": 7}  # type: ignore[index]


def test_an_agent_that_stops_sending_times_out_with_a_clear_status(
    serve: ServeFactory, agent_server: AgentServer
) -> None:
    agent = f'[[agents]]\nname = "stalled"\nkind = "agui-http"\nurl = "{agent_server.url}/stall"\n'
    server = serve("agent_timeout_seconds = 1\n" + agent)
    started = time.monotonic()

    response = response_of(generate(server.url, agent_data("stalled", "t-s1", [text("u1", "hi")])))

    assert time.monotonic() - started < 15
    assert response["status"]["reason"] == "UNKNOWN_ERROR"
    assert response["status"]["details"]["description"].startswith("Agent 'stalled'")
    assert "did not answer in time (AGUI_AGENT_TIMEOUT_SECONDS)" in response["status"]["details"]["description"]
