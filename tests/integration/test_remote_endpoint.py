"""Legacy CopilotKit remote endpoints through the real 1.10.6 client: discovery (cached, retried), an
agent session replaying a recorded LangGraph stream (state sync, text, tool call, interrupt), and
`loadAgentState` answered by the endpoint."""

from __future__ import annotations

import json

from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, v2_client
from tests.integration.mock_llm import MockLLM, Reply, ToolCall
from tests.integration.remote_endpoint import STORED_MESSAGES, RemoteEndpointServer
from tests.integration.test_agents import agent_data, generate, states_of
from tests.integration.test_chat_streaming import SET_COLOR, response_of


def remote_config(endpoint: RemoteEndpointServer) -> str:
    return f'[[agents]]\nname = "langgraph-server"\nkind = "copilotkit-remote"\nurl = "{endpoint.url}"\n'


def test_discovery_lists_the_endpoints_agents_retries_and_caches(
    serve: ServeFactory, remote_endpoint: RemoteEndpointServer
) -> None:
    remote_endpoint.info_failures = 2  # the endpoint is still starting: two 503s, then an answer
    server = serve(remote_config(remote_endpoint))

    first = node_client(server.url, "availableAgents")
    second = node_client(server.url, "availableAgents")

    expected = {"agents": [{"id": "travel", "name": "travel", "description": "Plans trips", "__typename": "Agent"}]}
    assert first["data"]["availableAgents"] == {**expected, "__typename": "AgentsResponse"}  # type: ignore[index]
    assert second["data"] == first["data"]
    assert len(remote_endpoint.calls("info")) == 3  # two retried failures, then one answer kept for the TTL


def test_a_remote_langgraph_agent_session_streams_text_a_call_an_interrupt_and_state(
    serve: ServeFactory, remote_endpoint: RemoteEndpointServer
) -> None:
    server = serve(remote_config(remote_endpoint))
    data = agent_data("travel", "t-lg1", [text("u1", "Plan Oslo")], state={"city": "Oslo"}, actions=[SET_COLOR])

    response = response_of(generate(server.url, data, properties={"authorization": "tok"}))

    kinds = [m["__typename"] for m in response["messages"]]
    assert "TextMessageOutput" in kinds
    assert "ActionExecutionMessageOutput" in kinds
    reply = next(m for m in response["messages"] if m["__typename"] == "TextMessageOutput")
    assert "".join(reply["content"]) == "Hello"
    call = next(m for m in response["messages"] if m["__typename"] == "ActionExecutionMessageOutput")
    assert (call["name"], json.loads("".join(call["arguments"]))) == ("setColor", {"color": "blue"})
    assert call["parentMessageId"] == "run-msg-1"
    [interrupt] = response["metaEvents"]
    assert json.loads(interrupt["value"]) == {"question": "Book the flight?"}
    final = states_of(response)[-1]
    assert json.loads(final["state"]) == {"city": "Oslo", "color": "blue"}
    assert (final["nodeName"], final["active"], final["running"]) == ("planner", False, True)
    assert response["status"]["code"] == "Success"
    [sent] = remote_endpoint.calls("execute")
    assert (sent["name"], sent["threadId"], sent["state"]) == ("travel", "t-lg1", {"city": "Oslo"})
    assert sent["properties"] == {"authorization": "tok"}
    assert [m["type"] for m in sent["messages"]] == ["TextMessage", "TextMessage"]
    assert "setColor" in [a["name"] for a in sent["actions"]]

    answer = {"name": "LangGraphInterruptEvent", "value": interrupt["value"], "response": "yes"}
    generate(server.url, agent_data("travel", "t-lg1", [text("u1", "Plan Oslo")], metaEvents=[answer]))
    assert remote_endpoint.calls("execute")[1]["metaEvents"][0]["response"] == "yes"


def test_load_agent_state_asks_the_endpoint(serve: ServeFactory, remote_endpoint: RemoteEndpointServer) -> None:
    server = serve(remote_config(remote_endpoint))

    loaded = node_client(server.url, "loadAgentState", json.dumps({"threadId": "t-stored", "agentName": "travel"}))

    view = loaded["data"]["loadAgentState"]  # type: ignore[index]
    assert (view["threadExists"], json.loads(view["state"]), json.loads(view["messages"])) == (
        True,
        {"city": "Rome"},
        STORED_MESSAGES,
    )
    assert remote_endpoint.calls("state") == [{"properties": {}, "threadId": "t-stored", "name": "travel"}]


def test_the_endpoints_actions_join_the_backend_actions(
    serve: ServeFactory, remote_endpoint: RemoteEndpointServer, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + remote_config(remote_endpoint))
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_ok", "bookFlight", ['{"city": "Oslo"}'])]),
        Reply(tool_calls=[ToolCall("call_bad", "bookFlight", ['{"city": "Atlantis"}'])]),
    )

    booked = response_of(generate(server.url, chat_data("t-ra1", [text("u1", "Book Oslo")]), properties={"k": "v"}))
    failed = response_of(generate(server.url, chat_data("t-ra2", [text("u1", "Book Atlantis")])))

    offered = {tool["function"]["name"]: tool["function"] for tool in mock_llm.requests[0]["tools"]}
    assert offered["bookFlight"]["parameters"] == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "Where to"},
            "seats": {"type": "number", "description": "How many"},
        },
        "required": ["city"],
    }
    assert json.loads(booked["messages"][1]["result"]) == {"booked": "Oslo", "seats": 1}
    assert remote_endpoint.calls("action")[0] == {
        "name": "bookFlight",
        "arguments": {"city": "Oslo"},
        "properties": {"k": "v"},
    }
    envelope = json.loads(failed["messages"][1]["result"])
    assert envelope["error"]["code"] == "HANDLER_ERROR"
    assert "HTTP 500" in envelope["error"]["message"]
    assert failed["status"]["code"] == "Success"


def test_the_second_turn_of_a_remote_agent_session_answers(
    serve: ServeFactory, remote_endpoint: RemoteEndpointServer
) -> None:
    server = serve(remote_config(remote_endpoint))
    first = response_of(generate(server.url, agent_data("travel", "t-two", [text("u1", "Hi")], state={})))
    final = states_of(first)[-1]
    assert (final["nodeName"], final["active"], final["running"]) == ("__end__", False, True)  # the SDK's last sync
    reply = next(m for m in first["messages"] if m["__typename"] == "TextMessageOutput")

    # The client keeps the session as react-core does: the last state message's nodeName goes back.
    history = [text("u1", "Hi"), text(reply["id"], "".join(reply["content"]), "assistant"), text("u2", "More")]
    data = agent_data("travel", "t-two", history, state=json.loads(final["state"]))
    data["agentSession"] = {"agentName": "travel", "threadId": "t-two", "nodeName": final["nodeName"]}
    second = response_of(generate(server.url, data))

    answer = next(m for m in second["messages"] if m["__typename"] == "TextMessageOutput")
    assert "".join(answer["content"]) == "Answer 2"  # with nodeName "chat" the SDK ran straight to the end
    assert remote_endpoint.calls("execute")[1]["nodeName"] == "__end__"
    assert second["status"]["code"] == "Success"


def test_a_v2_clients_answer_to_an_interrupt_reaches_the_endpoint_as_its_meta_event(
    serve: ServeFactory, remote_endpoint: RemoteEndpointServer
) -> None:
    server = serve(remote_config(remote_endpoint))
    asked = v2_client(server.url, "agui-run", {"agentId": "travel", "threadId": "t-lg-v2", "userMessage": "Plan Oslo"})
    assert asked["schemaErrors"] == [], asked["schemaErrors"]
    interrupts = [e for e in asked["events"] if e["type"] == "CUSTOM" and e["name"] == "on_interrupt"]
    assert interrupts, [e["type"] for e in asked["events"]]

    # the standard resume entry (core 1.75), then the legacy forwardedProps.command.resume
    standard = [{"interruptId": "ask-1", "status": "resolved", "payload": "yes"}]
    resumed = v2_client(
        server.url,
        "agui-run",
        {"agentId": "travel", "threadId": "t-lg-v2", "messages": asked["messages"], "resume": standard},
    )
    legacy = v2_client(
        server.url,
        "agui-run",
        {
            "agentId": "travel",
            "threadId": "t-lg-v2",
            "messages": asked["messages"],
            "forwardedProps": {"command": {"resume": "no"}},
        },
    )

    sent = remote_endpoint.calls("execute")
    assert [call["metaEvents"][0]["response"] for call in sent[1:]] == ["yes", "no"]
    assert {e["name"] for call in sent[1:] for e in call["metaEvents"]} == {"LangGraphInterruptEvent"}
    for run, answer in ((resumed, "yes"), (legacy, "no")):
        assert run.get("error") is None, run
        assert run["messages"][-1]["content"] == f"Booked: {answer}"
