"""The run aggregate: messages opened, joined and completed, the end rule, the compacted log, the record."""

from datetime import UTC, datetime

from agui_runtime.domain import events as ev
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.run import MessageKind, Run, RunEnd, RunRecord, RunStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
STARTED = RunRecord("r1", "t1", "planner", RunStatus.RUNNING, T0)


def test_a_finished_run_completes_its_messages_in_order_and_records_how_it_ended() -> None:
    run = Run()
    assert run.apply(ev.RunStarted("t1", "r1")) is None
    opened = run.apply(ev.TextMessageStarted("m1", parent_message_id="p"))
    assert opened is not None
    assert (opened.message_id, opened.parent_message_id, opened.tool_name) == ("m1", "p", None)
    assert run.apply(ev.TextMessageChunk("m1", "Hel")) is opened
    assert run.apply(ev.TextMessageChunk("m1", "lo")) is opened
    assert (run.open_messages, opened.ended) == ((opened,), False)
    assert run.apply(ev.TextMessageEnded("m1")) is opened
    assert (opened.ended, opened.text) == (True, "Hello")
    assert (run.open_messages, run.completed, run.ended) == ((), (opened,), False)
    assert run.end == RunEnd(RunStatus.ABORTED, ErrorCode.CLIENT_DISCONNECTED)
    run.apply(ev.RunFinished("t1", "r1"))
    assert run.ended
    assert run.end == RunEnd(RunStatus.FINISHED, None)
    record = run.record(STARTED, T1)
    assert (record.id, record.agent_name, record.status, record.error_code) == (
        "r1",
        "planner",
        RunStatus.FINISHED,
        None,
    )
    assert (record.started_at, record.finished_at, record.ended) == (T0, T1, True)
    assert record.events == (
        ev.RunStarted("t1", "r1"),
        ev.TextMessageStarted("m1", parent_message_id="p"),
        ev.TextMessageChunk("m1", "Hello"),
        ev.TextMessageEnded("m1"),
        ev.RunFinished("t1", "r1"),
    )


def test_interleaved_tool_calls_join_their_own_arguments_and_are_cut_off_in_start_order() -> None:
    run = Run()
    first = run.apply(ev.ToolCallStarted("c1", "search"))
    text = run.apply(ev.TextMessageStarted("m1"))
    second = run.apply(ev.ToolCallStarted("c2", "book", parent_message_id="m1"))
    for event in (
        ev.ToolCallArgs("c1", '{"q":'),
        ev.ToolCallArgs("c2", '{"id":'),
        ev.TextMessageChunk("m1", "Looking"),
        ev.ToolCallArgs("c1", '"x"}'),
        ev.ToolCallArgs("c2", "7"),
    ):
        assert run.apply(event) is not None
    assert first is not None
    assert second is not None
    assert text is not None
    assert run.apply(ev.ToolCallEnded("c1")) is first
    assert (first.tool_name, first.text, first.ended) == ("search", '{"q":"x"}', True)
    assert run.open_messages == (text, second)
    assert run.cut_off() == (text, second)
    assert (second.text, second.ended, text.text) == ('{"id":7', False, "Looking")
    assert (len(run.open_messages), run.completed) == (0, (first,))
    assert run.events() == (
        ev.ToolCallStarted("c1", "search"),
        ev.TextMessageStarted("m1"),
        ev.ToolCallStarted("c2", "book", parent_message_id="m1"),
        ev.ToolCallArgs("c1", '{"q":"x"}'),
        ev.ToolCallArgs("c2", '{"id":7'),
        ev.TextMessageChunk("m1", "Looking"),
        ev.ToolCallEnded("c1"),
    )


def test_what_is_not_open_is_left_alone() -> None:
    run = Run()
    assert run.apply(ev.TextMessageChunk("m1", "stray")) is None  # nothing started
    message = run.apply(ev.TextMessageStarted("m1"))
    assert run.apply(ev.TextMessageStarted("m1")) is None  # already open: not restarted
    assert run.apply(ev.ToolCallStarted("m1", "f")) is None  # that id is open as a text
    assert run.apply(ev.ToolCallArgs("m1", "{}")) is None  # a fragment of the other kind
    assert run.apply(ev.ToolCallEnded("m1")) is None
    assert run.apply(ev.TextMessageChunk("m1", "a")) is message
    assert run.apply(ev.TextMessageEnded("m1")) is message
    assert run.apply(ev.TextMessageEnded("m1")) is None  # ended once
    assert run.apply(ev.TextMessageChunk("m1", "late")) is None
    assert message is not None
    assert message.text == "a"
    assert run.completed == (message,)
    # Fragments with nothing to join are kept as they came.
    chunks = [event for event in run.events() if isinstance(event, ev.TextMessageChunk)]
    assert chunks == [
        ev.TextMessageChunk("m1", "stray"),
        ev.TextMessageChunk("m1", "a"),
        ev.TextMessageChunk("m1", "late"),
    ]


def test_a_failed_run_keeps_its_code_and_the_first_end_wins() -> None:
    run = Run([ev.RunStarted("t1", "r1"), ev.ToolCallStarted("c1", "f"), ev.RunFailed("UPSTREAM_ERROR", "down")])
    assert run.end == RunEnd(RunStatus.FAILED, "UPSTREAM_ERROR")
    assert [message.message_id for message in run.open_messages] == ["c1"]  # a failure cuts off nothing itself
    run.apply(ev.RunFinished("t1", "r1"))
    run.stop()
    assert run.end == RunEnd(RunStatus.FAILED, "UPSTREAM_ERROR")
    record = run.record(STARTED, T1)
    assert (record.status, record.error_code, record.events[-2:]) == (
        RunStatus.FAILED,
        "UPSTREAM_ERROR",
        (ev.RunFailed("UPSTREAM_ERROR", "down"), ev.RunFinished("t1", "r1")),
    )


def test_a_stopped_run_is_aborted_with_stopped_and_one_without_an_end_as_disconnected() -> None:
    stopped = Run([ev.RunStarted("t1", "r1")])
    stopped.stop()
    assert stopped.end == RunEnd(RunStatus.ABORTED, ErrorCode.STOPPED)
    stopped.apply(ev.RunFinished("t1", "r1"))
    assert stopped.record(STARTED, T1).status is RunStatus.ABORTED
    left = Run([ev.RunStarted("t1", "r1"), ev.TextMessageStarted("m1")])
    record = left.record(STARTED, T1)
    assert (record.status, record.error_code, record.finished_at) == (
        RunStatus.ABORTED,
        ErrorCode.CLIENT_DISCONNECTED,
        T1,
    )


def test_steps_open_and_finish_by_name_and_only_the_last_state_is_logged() -> None:
    run = Run()
    for event in (
        ev.StepStarted("plan"),
        ev.StateSnapshot("a", {"n": 1}),
        ev.StepStarted("act"),
        ev.AgentStateChanged("a", "act", "r1", {"n": 1}, True, True),
        ev.StepFinished("plan"),
        ev.StepFinished("missing"),
        ev.StateSnapshot("a", {"n": 2}),
    ):
        run.apply(event)
    assert run.open_steps == ("act",)
    assert run.events() == (
        ev.StepStarted("plan"),
        ev.StepStarted("act"),
        ev.StepFinished("plan"),
        ev.StepFinished("missing"),
        ev.StateSnapshot("a", {"n": 2}),
    )


def test_a_fragment_joins_the_same_whether_or_not_it_takes_the_exact_type_fast_path() -> None:
    class Chunk(ev.TextMessageChunk):
        __slots__ = ()

    class Args(ev.ToolCallArgs):
        __slots__ = ()

    run = Run()
    text = run.apply(ev.TextMessageStarted("m1"))
    call = run.apply(ev.ToolCallStarted("c1", "f"))
    assert [run.apply(event) for event in (Chunk("m1", "a"), ev.TextMessageChunk("m1", "b"))] == [text, text]
    assert [run.apply(event) for event in (Args("c1", "{"), ev.ToolCallArgs("c1", "}"))] == [call, call]
    assert run.apply(Chunk("c1", "x")) is None  # the other kind, as for the exact type
    assert [message.text for message in run.open_messages] == ["ab", "{}"]


def test_reasoning_is_its_own_kind_and_takes_its_encrypted_value_even_after_it_ended() -> None:
    run = Run()
    run.apply(ev.ReasoningStarted("phase"))
    opened = run.apply(ev.ReasoningMessageStarted("r1"))
    assert opened is not None
    assert opened.kind is MessageKind.REASONING
    assert run.apply(ev.TextMessageChunk("r1", "not text")) is None  # a text fragment does not join reasoning
    assert run.apply(ev.ReasoningMessageChunk("r1", "Let me ")) is opened
    assert run.apply(ev.ReasoningMessageChunk("r1", "think")) is opened
    assert run.apply(ev.TextMessageEnded("r1")) is None
    assert run.apply(ev.ReasoningMessageEnded("r1")) is opened
    assert run.apply(ev.ReasoningEncryptedValue("r1", "sig")) is opened
    assert (opened.text, opened.ended, opened.encrypted_value) == ("Let me think", True, "sig")
    assert run.apply(ev.ReasoningEncryptedValue("call-1", "x", "tool-call")) is None
    run.apply(ev.ReasoningEnded("phase"))
    assert run.events() == (
        ev.ReasoningStarted("phase"),
        ev.ReasoningMessageStarted("r1"),
        ev.TextMessageChunk("r1", "not text"),
        ev.ReasoningMessageChunk("r1", "Let me think"),
        ev.TextMessageEnded("r1"),
        ev.ReasoningMessageEnded("r1"),
        ev.ReasoningEncryptedValue("r1", "sig"),
        ev.ReasoningEncryptedValue("call-1", "x", "tool-call"),
        ev.ReasoningEnded("phase"),
    )


def test_an_activity_is_logged_once_with_its_last_content_where_it_first_came() -> None:
    run = Run()
    run.apply(ev.ActivitySnapshot("a1", "progress", {"done": 0}))
    run.apply(ev.TextMessageStarted("m1"))
    run.apply(ev.ActivityDelta("a1", "progress", [{"op": "replace", "path": "/done", "value": 1}], {"done": 1}))
    run.apply(ev.ActivitySnapshot("a1", "progress", {"done": 99}, replace=False))  # the client keeps its own
    run.apply(ev.ActivitySnapshot("a2", "card", {"x": 1}, replace=False))  # new: taken
    assert [(a.message_id, a.content) for a in run.activities] == [("a1", {"done": 1}), ("a2", {"x": 1})]
    assert run.events() == (
        ev.ActivitySnapshot("a1", "progress", {"done": 1}),
        ev.TextMessageStarted("m1"),
        ev.ActivitySnapshot("a2", "card", {"x": 1}),
    )
