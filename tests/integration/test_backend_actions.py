"""Backend actions through the real 1.10.6 client, a real server process and a mock LLM."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.integration.chat import action, chat_data, result, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, start_node_client
from tests.integration.mock_llm import MockLLM, Reply, ToolCall
from tests.integration.test_chat_streaming import SET_COLOR, response_of

ACTIONS = """
action_timeout_seconds = 1
[[actions]]
name = "getWeather"
handler = "tests.integration.sample_actions:get_weather"

[[actions]]
name = "slowLookup"
description = "Looks something up slowly"
handler = "tests.integration.sample_actions:slow_lookup"
"""


def generate(url: str, data: dict[str, Any]) -> dict[str, Any]:
    return node_client(url, "generate", json.dumps({"data": data}))


def kinds(response: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(m["__typename"], m["id"], m["status"]["code"]) for m in response["messages"]]


def test_a_backend_action_runs_and_its_result_reaches_the_model_on_the_follow_up(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + ACTIONS)
    mock_llm.script(
        Reply(tool_calls=[ToolCall("call_w", "getWeather", ['{"city":', '"Oslo"}'])]), Reply(tokens=["21 C."])
    )
    question = text("u1", "Weather in Oslo?")

    response = response_of(generate(server.url, chat_data("t-b1", [question])))

    assert kinds(response) == [
        ("ActionExecutionMessageOutput", "call_w", "Success"),
        ("ResultMessageOutput", "result-call_w", "Success"),
    ]
    outcome = response["messages"][1]
    assert (outcome["actionExecutionId"], outcome["actionName"]) == ("call_w", "getWeather")
    assert outcome["result"] == '{"city":"Oslo","temp":21,"unit":"C"}'
    assert response["status"]["code"] == "Success"
    offered = {tool["function"]["name"]: tool["function"] for tool in mock_llm.requests[0]["tools"]}
    assert offered["getWeather"]["description"] == "Current weather for a city."
    assert offered["getWeather"]["parameters"]["required"] == ["city"]
    assert len(mock_llm.requests) == 1  # no second model call within the request

    follow_up = [
        question,
        action("call_w", "getWeather", '{"city":"Oslo"}'),
        result("result-call_w", "call_w", "getWeather", outcome["result"]),
    ]
    assert "".join(response_of(generate(server.url, chat_data("t-b1", follow_up)))["messages"][0]["content"]) == "21 C."
    assert mock_llm.requests[1]["messages"][-1] == {
        "role": "tool",
        "content": outcome["result"],
        "tool_call_id": "call_w",
    }


def test_a_raising_handler_and_invalid_arguments_give_error_envelopes_with_success_statuses(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    server = serve(llm_config(mock_llm) + ACTIONS)
    mock_llm.script(
        Reply(
            tool_calls=[
                ToolCall("c1", "getWeather", ['{"city":"Atlantis"}']),
                ToolCall("c2", "getWeather", ['{"town":"Oslo"}']),
            ]
        )
    )

    response = response_of(generate(server.url, chat_data("t-b2", [text("u1", "Two")])))

    results = {m["actionExecutionId"]: m["result"] for m in response["messages"] if "result" in m}
    assert results["c1"] == '{"error":{"code":"HANDLER_ERROR","message":"no weather station in Atlantis"},"result":""}'
    assert json.loads(results["c2"])["error"]["code"] == "INVALID_ARGUMENTS"
    assert "city" in json.loads(results["c2"])["error"]["message"]
    assert {code for _, _, code in kinds(response)} == {"Success"}
    assert response["status"]["code"] == "Success"


def test_parallel_frontend_and_backend_calls(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + ACTIONS)
    mock_llm.script(
        Reply(
            tool_calls=[
                ToolCall("c_front", "setColor", ['{"color":"red"}']),
                ToolCall("c_back", "getWeather", ['{"city":"Rome"}']),
            ]
        )
    )

    response = response_of(generate(server.url, chat_data("t-b3", [text("u1", "Both")], [SET_COLOR])))

    assert kinds(response) == [
        ("ActionExecutionMessageOutput", "c_front", "Success"),
        ("ActionExecutionMessageOutput", "c_back", "Success"),
        ("ResultMessageOutput", "result-c_back", "Success"),
    ]


def test_a_handler_past_its_timeout_gives_handler_timeout(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + ACTIONS)
    mock_llm.script(Reply(tool_calls=[ToolCall("c1", "slowLookup", ['{"seconds": 3}'])]))

    response = response_of(generate(server.url, chat_data("t-b4", [text("u1", "Slow")])))

    envelope = json.loads(response["messages"][1]["result"])
    assert envelope["error"]["code"] == "HANDLER_TIMEOUT"
    assert response["status"]["code"] == "Success"


def test_a_slow_sync_handler_does_not_delay_another_chat(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm) + ACTIONS.replace("action_timeout_seconds = 1", "action_timeout_seconds = 10"))
    mock_llm.script(
        Reply(tool_calls=[ToolCall("c1", "slowLookup", ['{"seconds": 2}'])]),
        Reply(tokens=[f"t{i} " for i in range(20)], delay=0.01),
    )
    slow = start_node_client(server.url, "generate", json.dumps({"data": chat_data("t-slow", [text("u1", "Slow")])}))
    deadline = time.monotonic() + 10
    while len(mock_llm.requests) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)  # the handler is now blocking its worker thread

    started = time.monotonic()
    quick = response_of(generate(server.url, chat_data("t-quick", [text("u1", "Quick")])))
    quick_seconds = time.monotonic() - started
    stdout, stderr = slow.communicate(timeout=30)
    assert slow.returncode == 0, stderr

    assert "".join(quick["messages"][0]["content"]) == "".join(f"t{i} " for i in range(20))
    assert quick_seconds < 1.5  # node start-up included; the handler still had 1.7 s to go
    slow_response = json.loads(stdout)["data"]["generateCopilotResponse"]
    assert slow_response["messages"][1]["result"] == "slept 2"
