"""The AG-UI wire mapping: events to run events (deltas applied, order enforced) and messages to AG-UI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from ag_ui.core import AssistantMessage, FunctionCall, ToolCall, ToolMessage, UserMessage
from ag_ui.core import Message as AguiMessage

from agui_runtime.adapters.agui_wire import (
    EVENT_ADAPTER,
    AgentProtocolError,
    EventTranslator,
    OutgoingEvents,
    from_agui_messages,
    to_agui_messages,
)
from agui_runtime.adapters.agui_wire.inputs import forwarded_props
from agui_runtime.application.ports import AgentRunRequest
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.events import (
    CustomEvent,
    ReasoningEnded,
    ReasoningMessageChunk,
    ReasoningMessageEnded,
    ReasoningMessageStarted,
    ReasoningStarted,
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    StateSnapshot,
    StepStarted,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import ActionExecutionMessage, ImageMessage, Message, ResultMessage, Role, TextMessage

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def wire(*events: dict[str, Any]) -> list[Any]:
    return [EVENT_ADAPTER.validate_python(event) for event in events]


def test_deltas_are_applied_to_the_current_state_and_messages_are_left_out_of_it() -> None:
    translator = EventTranslator("planner", {"count": 1})
    out = [
        event
        for raw in wire(
            {"type": "STATE_DELTA", "delta": [{"op": "replace", "path": "/count", "value": 2}]},
            {"type": "STATE_SNAPSHOT", "snapshot": {"count": 5, "messages": [{"id": "x"}]}},
            {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items", "value": ["a"]}]},
        )
        for event in translator.translate(raw)
    ]
    assert out == [
        StateSnapshot("planner", {"count": 2}),
        StateSnapshot("planner", {"count": 5}),
        StateSnapshot("planner", {"count": 5, "items": ["a"]}),
    ]


def test_tool_results_get_the_name_of_their_call_and_custom_events_pass() -> None:
    translator = EventTranslator("planner")
    events = wire(
        {"type": "TOOL_CALL_START", "toolCallId": "c1", "toolCallName": "search"},
        {"type": "TOOL_CALL_END", "toolCallId": "c1"},
        {"type": "TOOL_CALL_RESULT", "messageId": "r1", "toolCallId": "c1", "content": "found"},
        {"type": "TOOL_CALL_RESULT", "messageId": "r2", "toolCallId": "c9", "content": "?"},
        {"type": "CUSTOM", "name": "Exit", "value": True},
        {"type": "RUN_ERROR", "message": "boom"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    )
    out = [event for raw in events for event in translator.translate(raw)]
    assert out[2:] == [
        ToolCallResult("r1", "c1", "search", "found"),
        ToolCallResult("r2", "c9", "unknown", "?"),
        CustomEvent("Exit", True),
        RunFailed("AGENT_ERROR", "boom"),
        RunFinished("t", "r"),
    ]


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        ([{"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "x"}], "content for text message 'm'"),
        ([{"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "{}"}], "arguments for tool call 'c'"),
        ([{"type": "STATE_DELTA", "delta": [{"op": "replace", "path": "/missing", "value": 1}]}], "does not apply"),
        (
            [
                {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
                {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
            ],
            "RUN_FINISHED with messages still open",
        ),
    ],
)
def test_events_out_of_order_are_protocol_errors(events: list[dict[str, Any]], problem: str) -> None:
    translator = EventTranslator("planner")
    *before, last = wire(*events)
    for raw in before:
        translator.translate(raw)
    with pytest.raises(AgentProtocolError, match=problem):
        translator.translate(last)


def test_text_chunks_follow_their_start() -> None:
    translator = EventTranslator("planner")
    start, content = wire(
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Hi"},
    )
    translator.translate(start)
    assert translator.translate(content) == [TextMessageChunk("m", "Hi")]


def test_reasoning_chunks_are_a_reasoning_message_as_the_client_expands_them() -> None:
    translator = EventTranslator("planner")
    events = wire(
        {"type": "REASONING_MESSAGE_CHUNK", "messageId": "p", "delta": "Let me ", "subagentRunId": "s1"},
        {"type": "REASONING_MESSAGE_CHUNK", "delta": "think."},
        {"type": "REASONING_MESSAGE_CHUNK", "messageId": "q", "delta": "More."},
        {"type": "TEXT_MESSAGE_START", "messageId": "m", "role": "assistant"},
    )
    assert [out for event in events for out in translator.translate(event)] == [
        ReasoningMessageStarted("p", "s1"),
        ReasoningMessageChunk("p", "Let me ", "s1"),
        ReasoningMessageChunk("p", "think.", "s1"),  # a chunk goes on in its opener's sub-agent
        ReasoningMessageEnded("p", "s1"),
        ReasoningMessageStarted("q", None),
        ReasoningMessageChunk("q", "More.", None),
        ReasoningMessageEnded("q", None),
        TextMessageStarted("m"),
    ]


def test_messages_become_agui_messages_with_calls_joined_to_their_parent() -> None:
    messages: list[Message] = [
        TextMessage(id="s", created_at=T0, role=Role.SYSTEM, content="Be brief"),
        TextMessage(id="u", created_at=T0, role=Role.USER, content="Paint it"),
        TextMessage(id="a", created_at=T0, role=Role.ASSISTANT, content="Sure"),
        ActionExecutionMessage(id="c1", created_at=T0, name="paint", arguments={"c": "red"}, parent_message_id="a"),
        ActionExecutionMessage(id="c2", created_at=T0, name="frame", arguments={}),
        ResultMessage(id="r1", created_at=T0, action_execution_id="c1", action_name="paint", result="done"),
        ImageMessage(id="i", created_at=T0, role=Role.USER, format="png", bytes="AAAA"),
    ]
    dumped = [m.model_dump(by_alias=True, exclude_none=True) for m in to_agui_messages(messages)]
    assert dumped == [
        {"id": "s", "role": "system", "content": "Be brief"},
        {"id": "u", "role": "user", "content": "Paint it"},
        {
            "id": "a",
            "role": "assistant",
            "content": "Sure",
            "toolCalls": [{"id": "c1", "type": "function", "function": {"name": "paint", "arguments": '{"c": "red"}'}}],
        },
        {
            "id": "c2",
            "role": "assistant",
            "toolCalls": [{"id": "c2", "type": "function", "function": {"name": "frame", "arguments": "{}"}}],
        },
        {"id": "r1", "role": "tool", "content": "done", "toolCallId": "c1"},
    ]


def test_chunk_events_open_a_message_and_the_next_other_event_ends_it() -> None:
    translator = EventTranslator("planner")
    events = wire(
        {"type": "TEXT_MESSAGE_CHUNK", "messageId": "m1", "delta": "Hel"},
        {"type": "TEXT_MESSAGE_CHUNK", "delta": "lo"},
        {"type": "TOOL_CALL_CHUNK", "toolCallId": "c1", "toolCallName": "search", "parentMessageId": "m1"},
        {"type": "TOOL_CALL_CHUNK", "toolCallId": "c1", "delta": "{}"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    )
    out = [event for raw in events for event in translator.translate(raw)]
    assert out == [
        TextMessageStarted("m1"),
        TextMessageChunk("m1", "Hel"),
        TextMessageChunk("m1", "lo"),
        TextMessageEnded("m1"),
        ToolCallStarted("c1", "search", "m1"),
        ToolCallArgs("c1", "{}"),
        ToolCallEnded("c1"),
        RunFinished("t", "r"),
    ]


def test_forwarded_props_are_built_as_the_reference_builds_them() -> None:
    properties: JsonObject = {"authorization": "tok", "threadMetadata": {"topic": "x"}}
    request = AgentRunRequest(
        "planner",
        "t1",
        "r1",
        (),
        config={"recursion": 3, "streamSubgraphs": True},
        resume='{"approved": true}',
        node_name="review",
        request=RequestContext(properties=properties),
    )
    assert forwarded_props(request) == {
        "config": {"recursion": 3},
        "command": {"resume": '{"approved": true}'},
        "threadMetadata": {"topic": "x"},
        "nodeName": "review",
        "streamSubgraphs": True,
        "authorization": "tok",
    }
    assert forwarded_props(AgentRunRequest("planner", "t1", "r1", ())) == {"config": {}, "threadMetadata": {}}


def outgoing(events: list[RunEvent], finish: bool = False) -> list[dict[str, Any]]:
    outgoing = OutgoingEvents("t1", "r1")
    converted = [e for event in events for e in outgoing.convert(event)] + (outgoing.finish() if finish else [])
    return [e.model_dump(mode="json", by_alias=True) for e in converted]


def test_outgoing_events_start_with_run_started_and_end_what_is_open_before_the_end() -> None:
    events = outgoing(
        [
            TextMessageChunk("ghost", "not open"),
            TextMessageStarted("m1"),
            TextMessageChunk("m1", ""),
            TextMessageChunk("m1", "Hi"),
            ToolCallStarted("c1", "lookup", "m1"),
            StepStarted("plan"),
            RunFinished("t1", "r1"),
            TextMessageChunk("m1", "after the end"),
            RunFailed("LATE", "after the end"),
        ]
    )
    assert [(e["type"], e.get("messageId") or e.get("toolCallId") or e.get("stepName")) for e in events] == [
        ("RUN_STARTED", None),
        ("TEXT_MESSAGE_START", "m1"),
        ("TEXT_MESSAGE_CONTENT", "m1"),
        ("TOOL_CALL_START", "c1"),
        ("STEP_STARTED", "plan"),
        ("TEXT_MESSAGE_END", "m1"),
        ("TOOL_CALL_END", "c1"),
        ("STEP_FINISHED", "plan"),
        ("RUN_FINISHED", None),
    ]
    assert events[0] == {"type": "RUN_STARTED", "threadId": "t1", "runId": "r1"}  # no nulls on the wire


def test_a_run_that_fails_before_it_starts_still_opens_with_run_started_and_a_cut_stream_is_finished() -> None:
    assert [e["type"] for e in outgoing([RunFailed("ACCESS_DENIED", "no")])] == ["RUN_STARTED", "RUN_ERROR"]
    assert outgoing([RunFailed("ACCESS_DENIED", "no")])[1] == {
        "type": "RUN_ERROR",
        "message": "no",
        "code": "ACCESS_DENIED",
    }
    cut = outgoing([RunStarted("t1", "r1"), TextMessageStarted("m1"), TextMessageChunk("m1", "par")], finish=True)
    assert [e["type"] for e in cut][-2:] == ["TEXT_MESSAGE_END", "RUN_FINISHED"]
    # a reasoning phase cut off mid-thought is closed too: its message, then the phase, then the run
    thinking: list[RunEvent] = [
        RunStarted("t1", "r1"),
        ReasoningStarted("p1", "sub-1"),
        ReasoningMessageStarted("p1", "sub-1"),
    ]
    cut = outgoing([*thinking, ReasoningMessageChunk("p1", "hmm", "sub-1")], finish=True)
    assert cut[-3:] == [
        {"type": "REASONING_MESSAGE_END", "messageId": "p1", "subagentRunId": "sub-1"},
        {"type": "REASONING_END", "messageId": "p1", "subagentRunId": "sub-1"},
        {"type": "RUN_FINISHED", "threadId": "t1", "runId": "r1"},
    ]
    ended = [*thinking, ReasoningMessageEnded("p1", "sub-1"), ReasoningEnded("p1", "sub-1")]
    assert [e["type"] for e in outgoing(ended, finish=True)][-3:] == [
        "REASONING_MESSAGE_END",
        "REASONING_END",
        "RUN_FINISHED",
    ]


def test_run_started_carries_the_runs_new_messages_as_its_input() -> None:
    user = TextMessage(id="u1", created_at=datetime(2026, 1, 1, tzinfo=UTC), role=Role.USER, content="hi")
    [started] = outgoing([RunStarted("t1", "r1", (user,))])
    assert started["input"]["messages"] == [{"id": "u1", "role": "user", "content": "hi"}]
    assert (started["input"]["threadId"], started["input"]["runId"]) == ("t1", "r1")


def test_client_messages_become_thread_messages_and_back() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    given: list[AguiMessage] = [
        UserMessage(id="u1", content="weather?"),
        AssistantMessage(
            id="a1",
            tool_calls=[ToolCall(id="c1", function=FunctionCall(name="getWeather", arguments='{"city":"Oslo"}'))],
        ),
        ToolMessage(id="r1", tool_call_id="c1", content='{"temp":21}'),
        AssistantMessage(id="a2", content="21 degrees"),
    ]

    converted = from_agui_messages(given, now)

    assert [(type(m).__name__, m.id) for m in converted] == [
        ("TextMessage", "u1"),
        ("ActionExecutionMessage", "c1"),
        ("ResultMessage", "r1"),
        ("TextMessage", "a2"),
    ]
    call, result = converted[1], converted[2]
    assert isinstance(call, ActionExecutionMessage)
    assert call.arguments == {"city": "Oslo"}
    assert call.parent_message_id == "a1"
    assert isinstance(result, ResultMessage)
    assert result.action_name == "getWeather"
    back = [m.model_dump(by_alias=True, exclude_none=True) for m in to_agui_messages(converted)]
    assert back[1]["toolCalls"][0]["function"]["arguments"] == '{"city": "Oslo"}'  # re-encoded, same JSON
    back[1]["toolCalls"][0]["function"]["arguments"] = '{"city":"Oslo"}'
    assert back == [m.model_dump(by_alias=True, exclude_none=True) for m in given]
