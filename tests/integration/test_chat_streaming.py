"""Chat turns through the real @copilotkit/runtime-client-gql 1.10.6 against a real server process and a
mock OpenAI-compatible LLM on loopback: merged results, statuses, failures, abort, incremental delivery."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.integration.chat import action, chat_data, frontend_action, request_body, result, text
from tests.integration.conftest import CLIENT_ACCEPT, ServeFactory, llm_config, node_client
from tests.integration.mock_llm import MockLLM, Reply, ToolCall

SET_COLOR = frontend_action(
    "setColor", '{"type":"object","properties":{"color":{"type":"string"}},"required":["color"]}'
)


def generate(url: str, data: dict[str, Any], **options: Any) -> dict[str, Any]:
    return node_client(url, "generate", json.dumps({"data": data, **options}))


def response_of(outcome: dict[str, Any]) -> dict[str, Any]:
    assert outcome["error"] is None, outcome["error"]
    data = outcome["data"]
    assert isinstance(data, dict)
    response: dict[str, Any] = data["generateCopilotResponse"]
    return response


def test_a_text_chat_over_several_turns_of_one_thread(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=["Hello", " Ada", ", how", " can I help?"]), Reply(tokens=["Paris", "."]))

    first = generate(server.url, chat_data("thread-1", [text("u1", "Hi, I am Ada")]))
    response = response_of(first)
    [answer] = response["messages"]
    assert response["threadId"] == "thread-1"
    assert response["status"] == {"code": "Success", "__typename": "SuccessResponseStatus"}
    assert answer["__typename"] == "TextMessageOutput"
    assert "".join(answer["content"]) == "Hello Ada, how can I help?"
    assert answer["role"] == "assistant"
    assert answer["status"]["code"] == "Success"
    assert first["messages"] == [
        {
            "kind": "TextMessage",
            "id": answer["id"],
            "role": "assistant",
            "content": "Hello Ada, how can I help?",
            "parentMessageId": None,
            "status": {"code": "Success", "__typename": "SuccessMessageStatus"},
            "type": "TextMessage",
        }
    ]

    history = [text("u1", "Hi, I am Ada"), text(answer["id"], "Hello Ada, how can I help?", "assistant")]
    second = generate(server.url, chat_data("thread-1", [*history, text("u2", "Capital of France?")]))
    assert "".join(response_of(second)["messages"][0]["content"]) == "Paris."
    # The model sees exactly the request's messages, in request order.
    assert [(m["role"], m["content"]) for m in mock_llm.requests[1]["messages"]] == [
        ("system", "You are a helpful assistant."),
        ("user", "Hi, I am Ada"),
        ("assistant", "Hello Ada, how can I help?"),
        ("user", "Capital of France?"),
    ]
    assert mock_llm.requests[1]["model"] == "mock-model"
    assert mock_llm.requests[1]["stream"] is True


def test_a_frontend_action_call_and_the_follow_up_carrying_its_result(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_1", "setColor", ['{"color":', '"red"}'])]), Reply(tokens=["Done: red."])
    )
    question = text("u1", "Make it red")

    first = generate(server.url, chat_data("thread-2", [question], [SET_COLOR]))
    response = response_of(first)
    [call] = response["messages"]
    assert call["__typename"] == "ActionExecutionMessageOutput"
    assert (call["id"], call["name"], "".join(call["arguments"])) == ("call_1", "setColor", '{"color":"red"}')
    assert call["status"]["code"] == "Success"
    assert response["status"]["code"] == "Success"
    [converted] = first["messages"]
    assert (converted["kind"], converted["name"], converted["arguments"]) == (
        "ActionExecutionMessage",
        "setColor",
        {"color": "red"},
    )
    assert mock_llm.requests[0]["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "setColor",
                "description": "setColor (frontend action)",
                "parameters": {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]},
            },
        }
    ]

    follow_up = [
        question,
        action("call_1", "setColor", '{"color":"red"}', call["parentMessageId"]),
        result("r-client-1", "call_1", "setColor", "color set to red ✓"),
    ]
    second = generate(server.url, chat_data("thread-2", follow_up, [SET_COLOR]))
    assert "".join(response_of(second)["messages"][0]["content"]) == "Done: red."
    sent = mock_llm.requests[1]["messages"]
    assert sent[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "setColor", "arguments": '{"color": "red"}'}}
        ],
    }
    assert sent[3] == {"role": "tool", "content": "color set to red ✓", "tool_call_id": "call_1"}


def test_parallel_frontend_tool_calls(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(
        Reply(
            tool_calls=[
                ToolCall("call_a", "setColor", ['{"color"', ':"red"}']),
                ToolCall("call_b", "setColor", ['{"color":"blue"}']),
            ]
        )
    )
    outcome = generate(server.url, chat_data("thread-3", [text("u1", "Two colors")], [SET_COLOR]))
    messages = response_of(outcome)["messages"]
    assert [(m["id"], "".join(m["arguments"]), m["status"]["code"]) for m in messages] == [
        ("call_a", '{"color":"red"}', "Success"),
        ("call_b", '{"color":"blue"}', "Success"),
    ]
    assert [m["arguments"] for m in outcome["messages"]] == [{"color": "red"}, {"color": "blue"}]


def test_an_llm_failure_on_the_first_call_is_reported_in_the_stream(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(status=500, error={"error": {"message": "the mock is overloaded"}}))

    response = response_of(generate(server.url, chat_data("thread-4", [text("u1", "Hi")])))

    assert response["messages"] == []
    status = response["status"]
    assert (status["code"], status["reason"]) == ("Failed", "UNKNOWN_ERROR")
    assert "HTTP 500" in status["details"]["description"]
    assert "the mock is overloaded" in status["details"]["description"]
    assert "Traceback" not in json.dumps(status)
    assert len(mock_llm.requests) == 1  # retries default to 0: one failure is one upstream call


def test_a_rejected_key_says_so_without_showing_it(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(status=401, error={"error": {"message": "Incorrect API key provided: sk-test-secret-key"}}))

    response = response_of(generate(server.url, chat_data("thread-5", [text("u1", "Hi")])))

    details = response["status"]["details"]
    assert "rejected the API key" in details["description"]
    assert details["originalError"]["code"] == "AUTHENTICATION_ERROR"
    assert "sk-test-secret-key" not in json.dumps(response)
    assert not any("sk-test-secret-key" in line for line in server.log)


def test_a_failure_mid_stream_keeps_the_text_and_fails_the_message(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=["one ", "two ", "three ", "four"], break_after=3))

    response = response_of(generate(server.url, chat_data("thread-6", [text("u1", "Count")])))

    [message] = response["messages"]
    assert "".join(message["content"]) == "one two "
    assert message["status"] == {
        "code": "Failed",
        "reason": "Error streaming message content",
        "__typename": "FailedMessageStatus",
    }
    assert (response["status"]["code"], response["status"]["reason"]) == ("Failed", "UNKNOWN_ERROR")


def test_delivery_is_incremental(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=[f"t{i} " for i in range(30)], delay=0.03))

    outcome = generate(server.url, chat_data("thread-7", [text("u1", "Stream")]))

    assert "".join(response_of(outcome)["messages"][0]["content"]) == "".join(f"t{i} " for i in range(30))
    assert outcome["reads"] > 10
    assert outcome["firstContentAt"] < mock_llm.last_chunk_at * 1000 - 500  # long before the mock's last token


def test_an_abort_closes_the_upstream_request_within_a_second(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    mock_llm.script(Reply(tokens=[f"w{i} " for i in range(200)], delay=0.05))

    outcome = generate(server.url, chat_data("thread-8", [text("u1", "Talk a lot")]), abortAfterFirstContent=True)

    assert outcome["abortedAt"] is not None
    deadline = time.time() + 2
    while not mock_llm.disconnects and time.time() < deadline:
        time.sleep(0.02)
    assert mock_llm.disconnects, "the upstream LLM request was not closed"
    assert mock_llm.disconnects[0] * 1000 - outcome["abortedAt"] < 1000
    assert not any("Traceback" in line for line in server.log)


def test_sse_for_event_stream_only_and_406_for_json_only(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm))
    body = request_body(chat_data("thread-9", [text("u1", "Hello there")]))
    headers = {"content-type": "application/json"}
    with httpx.Client(timeout=30) as client:
        sse = client.post(server.url, json=body, headers={**headers, "accept": "text/event-stream"})
        refused = client.post(server.url, json=body, headers={**headers, "accept": "application/json"})
        multipart = client.post(server.url, json=body, headers={**headers, "accept": CLIENT_ACCEPT})

    assert sse.headers["content-type"].startswith("text/event-stream")
    assert sse.text.startswith(":\n\nevent: next\ndata: {")
    assert sse.text.endswith("event: complete\ndata:\n\n")
    assert "\r" not in sse.text
    assert refused.status_code == 406
    assert refused.content == b""
    assert len(mock_llm.requests) == 2  # the refused request never reached the model
    assert multipart.headers["content-type"] == 'multipart/mixed; boundary="-"'
    assert multipart.content.startswith(b"\r\n---\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ")
    assert multipart.content.endswith(b"\r\n-----\r\n")


def test_no_chat_model_configured_is_a_configuration_error(serve: ServeFactory) -> None:
    server = serve("")
    with httpx.Client(timeout=30) as client:
        response = client.post(
            server.url,
            json=request_body(chat_data("thread-10", [text("u1", "Hi")])),
            headers={"content-type": "application/json", "accept": CLIENT_ACCEPT},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "CONFIGURATION_ERROR"
    assert "AGUI_LLM_PROVIDER" in body["errors"][0]["message"]


def test_a_turn_with_text_and_a_tool_call_through_the_anthropic_adapter(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm, provider="anthropic"))
    mock_llm.script(
        Reply(tokens=["Setting ", "it."], tool_calls=[ToolCall("toolu_1", "setColor", ['{"color":', ' "red"}'])]),
        Reply(tokens=["Done."]),
    )
    question = text("u1", "Make it red")

    first = response_of(generate(server.url, chat_data("thread-11", [question], [SET_COLOR])))
    said, call = first["messages"]
    assert (said["__typename"], "".join(said["content"]), said["status"]["code"]) == (
        "TextMessageOutput",
        "Setting it.",
        "Success",
    )
    assert (call["id"], call["name"], "".join(call["arguments"]), call["parentMessageId"]) == (
        "toolu_1",
        "setColor",
        '{"color": "red"}',
        said["id"],
    )
    assert first["status"]["code"] == "Success"
    sent = mock_llm.requests[0]
    assert sent["system"] == "You are a helpful assistant."
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Make it red"}]}]
    assert sent["tools"][0]["input_schema"]["required"] == ["color"]

    follow_up = [
        question,
        text(said["id"], "Setting it.", "assistant"),
        action("toolu_1", "setColor", '{"color":"red"}', said["id"]),
        result("r1", "toolu_1", "setColor", "ok"),
    ]
    second = response_of(generate(server.url, chat_data("thread-11", follow_up, [SET_COLOR])))
    assert "".join(second["messages"][0]["content"]) == "Done."
    assert mock_llm.requests[1]["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Setting it."},
                {"type": "tool_use", "id": "toolu_1", "name": "setColor", "input": {"color": "red"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]},
    ]


def test_disabled_and_remote_actions_are_not_offered_and_the_turn_is_stored(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    config = (
        llm_config(mock_llm)
        + '[[agents]]\nname = "helper"\nkind = "python"\nimport = "tests.integration.sample_agents:counter"\n'
    )
    server = serve(config)
    mock_llm.script(Reply(tokens=["Stored", " answer"]))
    actions = [
        SET_COLOR,
        frontend_action("hidden", "{}", available="disabled"),
        frontend_action("forAgents", "{}", available="remote"),
    ]

    answer = response_of(generate(server.url, chat_data("thread-12", [text("u1", "Remember me")], actions)))

    # the configured agent is offered as a tool (router mode), then the enabled frontend action only
    assert [tool["function"]["name"] for tool in mock_llm.requests[0]["tools"]] == ["helper", "setColor"]
    loaded = node_client(server.url, "loadAgentState", '{"threadId": "thread-12", "agentName": "helper"}')
    state = loaded["data"]
    assert isinstance(state, dict)
    assert state["loadAgentState"]["threadExists"] is True
    stored = json.loads(state["loadAgentState"]["messages"])
    assert [(m["id"], m.get("role"), m.get("content")) for m in stored] == [
        ("sys-1", "system", "You are a helpful assistant."),
        ("u1", "user", "Remember me"),
        (answer["messages"][0]["id"], "assistant", "Stored answer"),
    ]
