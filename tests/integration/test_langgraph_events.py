"""LangGraph JSON-line events of legacy endpoints to AG-UI events."""

from __future__ import annotations

from typing import Any

import pytest
from ag_ui.core import CustomEvent

from agui_runtime.adapters.outbound.agents.copilotkit_remote import LangGraphEvents
from agui_runtime.application.errors import UpstreamError
from agui_runtime.domain.json import JsonObject
from tests.integration.remote_endpoint import json_lines


def kinds(events: list[Any]) -> list[str]:
    return [event.type.value for event in events]


def keyed(events: list[Any], key: str) -> list[tuple[str, str | None]]:
    return [(event.type.value, getattr(event, key, None)) for event in events]


def chunk(
    flags: JsonObject, tools: list[JsonObject] | None = None, content: str = "", message_id: str = "m1"
) -> JsonObject:
    fields: JsonObject = {
        "content": content,
        "id": message_id,
        "tool_call_chunks": list(tools or []),
        "response_metadata": {},
    }
    return {"event": "on_chat_model_stream", "metadata": flags, "data": {"chunk": {"kwargs": fields}}}


def custom(name: str, data: JsonObject) -> JsonObject:
    return {"event": "on_custom_event", "name": name, "data": data}


def test_the_recorded_stream_becomes_steps_state_text_a_call_and_an_interrupt() -> None:
    translator = LangGraphEvents("travel")
    events = [event for line in json_lines() for event in translator.translate(line)] + translator.close()
    assert kinds(events) == [
        "STEP_STARTED",
        "STATE_SNAPSHOT",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "CUSTOM",
        "STATE_SNAPSHOT",
        "STEP_FINISHED",
    ]


def test_emit_flags_suppress_text_and_tool_calls() -> None:
    translator = LangGraphEvents("a")
    tool: JsonObject = {"name": "search", "id": "c1", "args": ""}
    assert translator.translate(chunk({"copilotkit:emit-messages": False}, content="secret")) == []
    assert translator.translate(chunk({"copilotkit:emit-tool-calls": ["lookup"]}, tools=[tool])) == []


def test_manual_emits_and_a_state_sync_that_ends_the_session() -> None:
    translator = LangGraphEvents("a")
    message = custom("copilotkit_manually_emit_message", {"message_id": "x", "message": "Hi"})
    call = custom("copilotkit_manually_emit_tool_call", {"id": "c", "name": "n", "args": {"k": 1}})
    done: JsonObject = {"event": "on_copilotkit_state_sync", "node_name": "end", "active": False, "running": False}
    events = translator.translate(message) + translator.translate(call) + translator.translate(done)
    assert kinds(events) == [
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "STATE_SNAPSHOT",
        "CUSTOM",
    ]
    assert isinstance(events[-1], CustomEvent)
    assert events[-1].name == "Exit"


def test_an_agent_error_event_fails_the_run() -> None:
    failure: JsonObject = {"message": "quota", "type": "RateLimitError"}
    with pytest.raises(UpstreamError, match="Agent 'a' failed: RateLimitError: quota"):
        LangGraphEvents("a").translate({"event": "on_copilotkit_error", "data": {"error": failure}})


def test_a_manual_tool_call_sharing_the_open_calls_id_leaves_that_call_open() -> None:
    translator = LangGraphEvents("a")
    streamed: JsonObject = {"name": "search", "id": "c1", "args": '{"q":'}
    manual = custom("copilotkit_manually_emit_tool_call", {"id": "c1", "name": "n", "args": {}})
    more: JsonObject = {"name": "", "id": "", "args": '"x"}'}
    events = (
        translator.translate(chunk({}, tools=[streamed]))
        + translator.translate(manual)
        + translator.translate(chunk({}, tools=[more]))
        + translator.close()
    )
    assert keyed(events, "tool_call_id") == [
        ("TOOL_CALL_START", "c1"),
        ("TOOL_CALL_ARGS", "c1"),
        ("TOOL_CALL_START", "c1"),
        ("TOOL_CALL_ARGS", "c1"),
        ("TOOL_CALL_END", "c1"),
        ("TOOL_CALL_ARGS", "c1"),
        ("TOOL_CALL_END", "c1"),
    ]


def test_close_ends_the_text_the_stream_left_open_and_a_new_id_starts_a_new_message() -> None:
    translator = LangGraphEvents("a")
    lines = [chunk({}, content="Hel"), chunk({}, content="lo"), chunk({}, content="Bye", message_id="m2")]
    events = [event for line in lines for event in translator.translate(line)] + translator.close()
    assert keyed(events, "message_id") == [
        ("TEXT_MESSAGE_START", "m1"),
        ("TEXT_MESSAGE_CONTENT", "m1"),
        ("TEXT_MESSAGE_CONTENT", "m1"),
        ("TEXT_MESSAGE_END", "m1"),
        ("TEXT_MESSAGE_START", "m2"),
        ("TEXT_MESSAGE_CONTENT", "m2"),
        ("TEXT_MESSAGE_END", "m2"),
    ]
    assert translator.close() == []
