from datetime import UTC, datetime
from typing import get_args

import pytest

from agui_runtime.domain.agent_state import AgentState, AgentStateKey
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.errors import DomainError, InvalidMessage, InvalidState
from agui_runtime.domain.messages import AgentStateMessage, Message, Role, TextMessage
from agui_runtime.domain.thread import Thread
from agui_runtime.domain.tools import ModelParameters

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def text(message_id: str, content: str) -> TextMessage:
    return TextMessage(id=message_id, created_at=T0, role=Role.USER, content=content)


def test_a_message_needs_an_id_and_an_aware_timestamp() -> None:
    with pytest.raises(InvalidMessage, match="non-empty id"):
        text("", "hi")
    with pytest.raises(InvalidMessage, match="time zone"):
        TextMessage(id="m1", created_at=datetime(2026, 1, 1), role=Role.USER, content="hi")


def test_upsert_replaces_a_repeated_id_in_place_and_appends_new_ones() -> None:
    thread = Thread("t1", T0)
    thread.upsert([text("a", "one"), text("b", "two")])
    thread.upsert([text("a", "one, edited"), text("c", "three")])
    assert [(m.id, m.content) for m in thread.messages if isinstance(m, TextMessage)] == [
        ("a", "one, edited"),
        ("b", "two"),
        ("c", "three"),
    ]


def test_history_leaves_out_agent_state_snapshots() -> None:
    snapshot = AgentStateMessage(
        id="s", created_at=T0, thread_id="t1", agent_name="a", node_name="n", run_id="r", active=True, running=True
    )
    thread = Thread("t1", T0, messages=[text("a", "hi"), snapshot, text("b", "yo")])
    assert [m.id for m in thread.history()] == ["a", "b"]


def test_agent_state_is_a_json_object_and_each_write_moves_its_version() -> None:
    key = AgentStateKey("t1", "agent")
    first = AgentState(key).replaced_by({"count": 1})
    assert (first.values, first.version) == ({"count": 1}, 1)
    assert first.replaced_by({"count": 2}).version == 2
    with pytest.raises(InvalidState):
        AgentState(key, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(InvalidState):
        AgentState(key, {"x": float("nan")})
    with pytest.raises(InvalidState):
        AgentStateKey("", "agent")


def test_an_agent_is_identified_by_its_name() -> None:
    assert AgentDescriptor("research", "finds").id == "research"
    with pytest.raises(DomainError, match="agent name"):
        AgentDescriptor("has spaces")


def test_every_run_event_survives_the_json_codec() -> None:
    import json as json_module

    from agui_runtime.adapters.serialization.codec import decode_event, encode_event
    from agui_runtime.domain import events as ev

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    user = TextMessage(id="u1", created_at=moment, role=Role.USER, content="hi")
    samples: list[ev.RunEvent] = [
        ev.RunStarted("t", "r", (user,)),
        ev.TextMessageStarted("m", Role.ASSISTANT, "p"),
        ev.TextMessageChunk("m", "x"),
        ev.TextMessageEnded("m"),
        ev.ToolCallStarted("c", "n", None),
        ev.ToolCallArgs("c", "{}"),
        ev.ToolCallEnded("c"),
        ev.ToolCallResult("r1", "c", "n", "ok"),
        ev.StateSnapshot("a", {"k": [1, None]}),
        ev.StateDelta("a", [{"op": "add", "path": "/k", "value": 1}]),
        ev.StepStarted("s"),
        ev.StepFinished("s"),
        ev.CustomEvent("Exit", True, "sub-1"),
        ev.ReasoningStarted("rs", "sub-1"),
        ev.ReasoningMessageStarted("rm"),
        ev.ReasoningMessageChunk("rm", "think"),
        ev.ReasoningMessageEnded("rm"),
        ev.ReasoningEnded("rs"),
        ev.ReasoningEncryptedValue("rm", "sig==", "message"),
        ev.ActivitySnapshot("act", "progress", {"done": 1}, False, "sub-1"),
        ev.ActivityDelta("act", "progress", [{"op": "replace", "path": "/done", "value": 2}], {"done": 2}),
        ev.RelayedEvent({"type": "RAW", "event": {"x": [1]}, "source": "vendor"}),
        ev.AgentStateChanged("a", "n", "r", {"k": 1}, True, False),
        ev.RunFinished("t", "r", {"type": "interrupt", "interrupts": [{"id": "i1", "value": {"q": 1}}]}, [1]),
        ev.RunFailed("CODE", "message"),
    ]
    assert {type(sample) for sample in samples} == set(get_args(ev.RunEvent))  # every kind is covered
    for sample in samples:
        assert decode_event(json_module.loads(json_module.dumps(encode_event(sample)))) == sample
    with pytest.raises(ValueError, match="unknown run event type 'Nope'"):
        decode_event({"type": "Nope"})


def test_a_run_log_joins_fragments_in_place_and_keeps_the_last_state() -> None:
    from agui_runtime.domain import events as ev
    from agui_runtime.domain.run import Run as RunLog

    log = RunLog(
        [
            ev.RunStarted("t", "r"),
            ev.StateSnapshot("a", {"n": 1}),
            ev.TextMessageStarted("m1"),
            ev.TextMessageChunk("m1", "Hel"),
            ev.ToolCallStarted("c1", "f"),
            ev.ToolCallArgs("c1", '{"a"'),
            ev.TextMessageChunk("m1", "lo"),
            ev.ToolCallArgs("c1", ":1}"),
            ev.AgentStateChanged("a", "n", "r", {"n": 2}, True, True),
            ev.StateSnapshot("a", {"n": 2}),
            ev.TextMessageEnded("m1"),
            ev.RunFinished("t", "r"),
        ]
    )
    assert log.events() == (
        ev.RunStarted("t", "r"),
        ev.TextMessageStarted("m1"),
        ev.TextMessageChunk("m1", "Hello"),
        ev.ToolCallStarted("c1", "f"),
        ev.ToolCallArgs("c1", '{"a":1}'),
        ev.StateSnapshot("a", {"n": 2}),
        ev.TextMessageEnded("m1"),
        ev.RunFinished("t", "r"),
    )


def test_reasoning_and_activity_messages_survive_the_message_codec() -> None:
    from agui_runtime.adapters.serialization.codec import decode_message, encode_message
    from agui_runtime.domain.messages import ActivityMessage, MessageStatus, ReasoningMessage

    samples: list[Message] = [
        ReasoningMessage(id="r", created_at=T0, content="why", encrypted_value="sig", subagent_run_id="s"),
        ReasoningMessage(id="r2", created_at=T0, status=MessageStatus.FAILED),
        ActivityMessage(id="a", created_at=T0, activity_type="mcp-app", content={"html": "<p/>"}),
    ]
    for sample in samples:
        assert decode_message(encode_message(sample)) == sample
    with pytest.raises(DomainError, match="activity type"):
        ActivityMessage(id="a", created_at=T0, activity_type="")


def test_a_chat_models_history_leaves_out_reasoning_activity_and_agent_state() -> None:
    from agui_runtime.adapters.outbound.llm.history import prepare
    from agui_runtime.domain.messages import ActivityMessage, ReasoningMessage

    messages: list[Message] = [
        text("u", "hi"),
        ReasoningMessage(id="r", created_at=T0, content="thinking", encrypted_value="sig"),
        ActivityMessage(id="a", created_at=T0, activity_type="card", content={"x": 1}),
        text("b", "yo"),
    ]
    assert [getattr(turn, "id", None) for turn in prepare(messages, [], 100_000)] == ["u", "b"]


def test_request_parameters_go_over_the_configured_ones_field_by_field() -> None:
    configured = ModelParameters(
        temperature=0.7, seed=7, stop=("END",), tool_choice="function", tool_choice_function_name="a"
    )
    # 0 is a value, not "unset"; a request's tool choice comes with its own name (or none)
    request = ModelParameters(temperature=0.0, top_k=40, tool_choice="auto")
    assert request.over(configured) == ModelParameters(
        temperature=0.0, top_k=40, seed=7, stop=("END",), tool_choice="auto", tool_choice_function_name=None
    )
    assert ModelParameters().over(configured) == configured
    assert ModelParameters(stop=("X",)).over(configured).stop == ("X",)
