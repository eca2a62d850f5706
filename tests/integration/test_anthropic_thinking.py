"""Anthropic extended thinking end to end: a real server process on Anthropic's wire (the mock LLM), the
real v2 clients (`@copilotkit/core` 1.75.0, `@ag-ui/client` 0.0.59). The model thinks, calls a backend
action, thinks again and answers; each thinking block reaches the client as a reasoning message with its
signature, is stored with it, and goes back to the model as a thinking block: inside the run's tool loop
and from the history the client sends with its next run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.chat import chat_data, text
from tests.integration.conftest import ServeFactory, llm_config, node_client, v2_client
from tests.integration.databases import postgres_database
from tests.integration.mock_llm import MockLLM, Reply, Thinking, ToolCall

SETTINGS = """
llm_thinking_budget_tokens = 2048
[[actions]]
name = "getWeather"
handler = "tests.integration.sample_actions:get_weather"
"""
FIRST = {"type": "thinking", "thinking": "The user wants Oslo's weather: call getWeather.", "signature": "c2lnLTE="}


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_thinking_reaches_the_client_signed_is_stored_and_goes_back_to_the_model(
    serve: ServeFactory, mock_llm: MockLLM, store: str, tmp_path: Path
) -> None:
    if store == "postgresql":
        async with postgres_database() as url:
            think_call_think_answer(serve, mock_llm, f'state_store_url = "{url}"\n', store)
    else:
        think_call_think_answer(serve, mock_llm, f'state_store_url = "sqlite:///{tmp_path}/thinking.db"\n', store)


def think_call_think_answer(serve: ServeFactory, mock_llm: MockLLM, store_config: str, store: str) -> None:
    server = serve(store_config + llm_config(mock_llm, "anthropic") + SETTINGS)
    thread = f"anthropic-thinking-{store}"
    mock_llm.script(
        Reply(
            thinking=[Thinking(["The user wants Oslo's weather: ", "call getWeather."], FIRST["signature"])],
            tool_calls=[ToolCall("toolu_w", "getWeather", ['{"city":', '"Oslo"}'])],
        ),
        Reply(
            thinking=[Thinking(["21 C: ", "say so."], "c2lnLTI="), Thinking(redacted="ZW5jcnlwdGVk")], tokens=["21 C."]
        ),
        Reply(tokens=["You are welcome."]),
    )

    first = v2_client(server.url, "core-run", {"threadId": thread, "userMessage": "Weather in Oslo?"})

    assert first["schemaErrors"] == [], first["schemaErrors"]
    assert first.get("error") is None, first.get("error")
    events = first["events"]
    reasoning = ["REASONING_START", "REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_CONTENT"]
    sealed = ["REASONING_ENCRYPTED_VALUE", "REASONING_MESSAGE_END", "REASONING_END"]
    kinds = _types(events)
    assert kinds[: kinds.index("TOOL_CALL_START")] == ["RUN_STARTED", *reasoning, *sealed]
    values = [
        (e["subtype"], e["entityId"], e["encryptedValue"]) for e in events if e["type"] == "REASONING_ENCRYPTED_VALUE"
    ]
    assert values == [
        ("message", "msg_mock_1-thinking-1", "c2lnLTE="),
        ("message", "msg_mock_2-thinking-1", "c2lnLTI="),
        ("message", "msg_mock_2-thinking-2", "redacted_thinking:ZW5jcnlwdGVk"),
    ]

    # Within the run: the second model call carries the first thinking block before the call it led to.
    assert len(mock_llm.requests) == 2
    looped = mock_llm.requests[1]
    assert looped["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert looped["messages"][1:] == [
        {
            "role": "assistant",
            "content": [FIRST, {"type": "tool_use", "id": "toolu_w", "name": "getWeather", "input": {"city": "Oslo"}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_w", "content": '{"city":"Oslo","temp":21,"unit":"C"}'}
            ],
        },
    ]

    # Stored once each, with the signature (the redacted block with its data).
    stored = httpx.get(f"{server.url}/threads/{thread}/messages").json()["messages"]
    thoughts = [(m["id"], m.get("content"), m.get("encryptedValue")) for m in stored if m["role"] == "reasoning"]
    assert thoughts == [
        ("msg_mock_1-thinking-1", FIRST["thinking"], "c2lnLTE="),
        ("msg_mock_2-thinking-1", "21 C: say so.", "c2lnLTI="),
        ("msg_mock_2-thinking-2", "", "redacted_thinking:ZW5jcnlwdGVk"),
    ]

    # The client's history keeps them (core folds the encrypted values in); the next run sends them back.
    held = [m for m in first["messages"] if m["role"] == "reasoning"]
    assert [m.get("encryptedValue") for m in held] == ["c2lnLTE=", "c2lnLTI=", "redacted_thinking:ZW5jcnlwdGVk"]
    second = v2_client(
        server.url, "agui-run", {"threadId": thread, "messages": first["messages"], "userMessage": "Thanks!"}
    )
    assert second["schemaErrors"] == [], second["schemaErrors"]
    assert second.get("error") is None, second.get("error")
    sent = mock_llm.requests[-1]
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert [[block["type"] for block in m["content"]] for m in sent["messages"]] == [
        ["text"],
        ["thinking", "tool_use"],
        ["tool_result"],
        ["thinking", "redacted_thinking", "text"],
        ["text"],
    ]
    assert sent["messages"][1]["content"][0] == FIRST
    assert sent["messages"][3]["content"][1] == {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"}
    assert "thinking" not in json.dumps(sent["messages"][4])


def test_a_v1_chat_with_thinking_on_streams_its_answer_only(serve: ServeFactory, mock_llm: MockLLM) -> None:
    server = serve(llm_config(mock_llm, "anthropic") + SETTINGS)
    mock_llm.script(Reply(thinking=[Thinking(["Go ", "left."], "c2ln"), Thinking(redacted="ZW5j")], tokens=["Left."]))

    outcome = node_client(
        server.url, "generate", json.dumps({"data": chat_data("v1-anthropic-think", [text("u1", "which way?")])})
    )

    response = outcome["data"]["generateCopilotResponse"]  # type: ignore[index]
    assert response["status"]["code"] == "Success", response["status"]
    assert [("".join(m["content"]), m["__typename"]) for m in response["messages"]] == [("Left.", "TextMessageOutput")]
    assert mock_llm.requests[0]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
