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


def chunk(flags: JsonObject, tools: list[JsonObject] | None = None, content: str = "") -> JsonObject:
    fields: JsonObject = {
        "content": content,
        "id": "m1",
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
