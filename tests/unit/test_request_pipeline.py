"""The request pipeline around a chat turn: hooks, principal scoping, forwarding, guardrails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.application.errors import AccessDenied, GuardrailsUnavailable, RequestRejected
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.use_cases.generate_response import GUARDRAILS_DENIED, ChatTurn, GenerateResponse
from agui_runtime.application.use_cases.load_agent_state import LoadAgentState, LoadAgentStateQuery
from agui_runtime.domain.agent_state import AgentStateKey
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.events import (
    AgentStateChanged,
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    StateSnapshot,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from agui_runtime.domain.guardrails import GuardrailsVerdict, TopicRules
from agui_runtime.domain.messages import ActionExecutionMessage, MessageStatus, ResultMessage, Role, TextMessage
from agui_runtime.domain.run import RunRecord, RunStatus
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition
from tests.fakes import (
    FakeActions,
    FakeGuardrails,
    FakeHooks,
    FixedClock,
    ScriptedAgents,
    ScriptedChatModel,
    StaticAgents,
    chat_use_case,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HELLO = TextMessage(id="u1", created_at=T0, role=Role.USER, content="Hello")
ANSWER: list[RunEvent | Exception] = [TextMessageStarted("a1"), TextMessageChunk("a1", "Hi"), TextMessageEnded("a1")]
RULES = TopicRules(allow=("cooking",), deny=("politics",))


async def events_of(use_case: GenerateResponse, turn: ChatTurn) -> list[RunEvent]:
    run = await use_case(turn)
    return [event async for event in run.events]


# --- hooks -------------------------------------------------------------------------------------------


async def test_the_before_hook_sees_the_turn_and_its_principal_owns_the_thread_and_reaches_actions() -> None:
    hooks = FakeHooks(principal="alice")
    actions = FakeActions({"lookup": ActionOutcome(result="found")})
    model = ScriptedChatModel([ToolCallStarted("c1", "lookup"), ToolCallArgs("c1", "{}"), ToolCallEnded("c1")])
    use_case, store = chat_use_case(model, hooks=hooks, actions=actions)
    request = RequestContext(properties={"tenant": "acme"}, headers={"authorization": "Bearer t"})

    await events_of(use_case, ChatTurn(messages=(HELLO,), thread_id="t1", request=request))

    [before] = hooks.before
    assert (before.operation, before.thread_id, before.input_messages) == ("generateCopilotResponse", "t1", (HELLO,))
    assert before.run_id is not None
    assert before.request is request
    thread = await store.get_thread("t1")
    assert thread is not None
    assert thread.principal == "alice"
    [seen] = actions.requests
    assert (seen.principal, seen.properties, dict(seen.headers)) == (
        "alice",
        {"tenant": "acme"},
        {"authorization": "Bearer t"},
    )


async def test_a_rejecting_hook_stops_the_request_before_anything_is_stored_or_generated() -> None:
    model = ScriptedChatModel(ANSWER)
    hooks = FakeHooks(reject=RequestRejected("quota used up", code="QUOTA_EXCEEDED"))
    use_case, store = chat_use_case(model, hooks=hooks)

    with pytest.raises(RequestRejected) as caught:
        await use_case(ChatTurn(messages=(HELLO,), thread_id="t1"))

    assert caught.value.code == "QUOTA_EXCEEDED"
    assert model.requests == []
    assert await store.get_thread("t1") is None
    assert hooks.after == []


async def test_the_after_hook_gets_inputs_outputs_and_how_the_run_ended() -> None:
    hooks = FakeHooks(principal="alice")
    use_case, _ = chat_use_case(ScriptedChatModel(ANSWER), hooks=hooks)

    run = await use_case(ChatTurn(messages=(HELLO,), thread_id="t1"))
    events = [event async for event in run.events]

    assert isinstance(events[-1], RunFinished)
    [report] = hooks.after
    assert (report.thread_id, report.run_id, report.error_code) == ("t1", run.run_id, None)
    assert report.input_messages == (HELLO,)
    assert [(m.id, getattr(m, "content", None)) for m in report.output_messages] == [("a1", "Hi")]
    assert report.request.principal == "alice"


async def test_the_after_hook_hears_of_failures_and_of_a_client_that_left() -> None:
    hooks = FakeHooks()
    failing, _ = chat_use_case(ScriptedChatModel([RuntimeError("boom")]), hooks=hooks)
    await events_of(failing, ChatTurn(messages=(HELLO,), thread_id="t1"))
    assert hooks.after[-1].error_code == "UNKNOWN"

    slow = ScriptedChatModel([TextMessageStarted("a1"), TextMessageChunk("a1", "par")])
    left, store = chat_use_case(slow, hooks=hooks)
    run = await left(ChatTurn(messages=(HELLO,), thread_id="t2"))

    async def consume() -> None:
        async for event in run.events:
            if isinstance(event, TextMessageChunk):
                await asyncio.sleep(10)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()  # as the GraphQL layer does when the client leaves: cancel the reader, close the run
    with pytest.raises(asyncio.CancelledError):
        await task
    await run.events.aclose()  # type: ignore[attr-defined]
    report = hooks.after[-1]
    assert (report.thread_id, report.error_code) == ("t2", "CLIENT_DISCONNECTED")
    assert [(getattr(m, "content", None), m.status) for m in report.output_messages] == [("par", MessageStatus.FAILED)]
    thread = await store.get_thread("t2")
    assert thread is not None
    assert thread.messages[-1].status is MessageStatus.FAILED


# --- scoping by principal --------------------------------------------------------------------------


async def test_a_thread_is_its_principals_alone() -> None:
    store = InMemoryThreadStore(FixedClock())
    alice, _ = chat_use_case(ScriptedChatModel(ANSWER, ANSWER), hooks=FakeHooks("alice"), store=store)
    await events_of(alice, ChatTurn(messages=(HELLO,), thread_id="t1"))

    for intruder in (FakeHooks("bob"), FakeHooks(None)):
        model = ScriptedChatModel(ANSWER)
        other, _ = chat_use_case(model, hooks=intruder, store=store)
        with pytest.raises(AccessDenied):
            await other(ChatTurn(messages=(HELLO,), thread_id="t1"))
        assert model.requests == []

    again = await events_of(alice, ChatTurn(messages=(HELLO,), thread_id="t1"))
    assert isinstance(again[-1], RunFinished)
    thread = await store.get_thread("t1")
    assert thread is not None
    assert thread.principal == "alice"


async def test_an_anonymous_thread_is_open_to_everyone() -> None:
    store = InMemoryThreadStore(FixedClock())
    anonymous, _ = chat_use_case(ScriptedChatModel(ANSWER), store=store)
    await events_of(anonymous, ChatTurn(messages=(HELLO,), thread_id="t1"))
    bob, _ = chat_use_case(ScriptedChatModel(ANSWER), hooks=FakeHooks("bob"), store=store)
    assert isinstance((await events_of(bob, ChatTurn(messages=(HELLO,), thread_id="t1")))[-1], RunFinished)


async def test_the_store_refuses_a_write_into_another_principals_thread() -> None:
    store = InMemoryThreadStore(FixedClock())
    await store.save_messages("t1", [HELLO], principal="alice")
    with pytest.raises(AccessDenied):
        await store.save_messages("t1", [HELLO], principal="bob")


async def test_load_agent_state_shows_another_principals_thread_as_unknown() -> None:
    store = InMemoryThreadStore(FixedClock())
    await store.save_messages("t1", [HELLO], principal="alice")
    await store.save_state(AgentStateKey("t1", "planner"), {"step": 2}, expected_version=None)
    agents = StaticAgents(AgentDescriptor("planner"))

    as_bob = await LoadAgentState(agents, store, FakeHooks("bob"))(LoadAgentStateQuery("t1", "planner"))
    as_alice_hooks = FakeHooks("alice")
    as_alice = await LoadAgentState(agents, store, as_alice_hooks)(LoadAgentStateQuery("t1", "planner"))

    assert (as_bob.thread_exists, as_bob.state, as_bob.messages) == (False, {}, ())
    assert (as_alice.thread_exists, as_alice.state, as_alice.messages) == (True, {"step": 2}, (HELLO,))
    [before] = as_alice_hooks.before
    assert (before.operation, before.thread_id, before.agent_name) == ("loadAgentState", "t1", "planner")


# --- guardrails ------------------------------------------------------------------------------------


async def test_a_denied_request_generates_nothing_and_fails_with_the_reason() -> None:
    model = ScriptedChatModel(ANSWER)
    guardrails = FakeGuardrails(GuardrailsVerdict(allowed=False, reason="Politics is off limits."))
    hooks = FakeHooks()
    use_case, store = chat_use_case(model, guardrails=guardrails, hooks=hooks)
    earlier = TextMessage(id="a0", created_at=T0, role=Role.ASSISTANT, content="Welcome")

    events = await events_of(use_case, ChatTurn(messages=(earlier, HELLO), thread_id="t1", guardrails=RULES))

    assert [type(e) for e in events] == [RunStarted, RunFailed]
    assert events[-1] == RunFailed(GUARDRAILS_DENIED, "Politics is off limits.")
    assert model.requests == []
    [case] = guardrails.cases
    assert (case.rules, case.input, case.history) == (RULES, "Hello", ((Role.ASSISTANT, "Welcome"),))
    [report] = hooks.after
    assert report.error_code == GUARDRAILS_DENIED
    assert [(m.role, m.content) for m in report.output_messages if isinstance(m, TextMessage)] == [
        (Role.ASSISTANT, "Politics is off limits.")
    ]
    thread = await store.get_thread("t1")
    assert thread is not None
    assert [getattr(m, "content", None) for m in thread.messages] == ["Welcome", "Hello", "Politics is off limits."]


async def test_an_allowed_request_is_answered() -> None:
    model = ScriptedChatModel(ANSWER)
    guardrails = FakeGuardrails(GuardrailsVerdict(allowed=True))
    use_case, _ = chat_use_case(model, guardrails=guardrails)
    events = await events_of(use_case, ChatTurn(messages=(HELLO,), thread_id="t1", guardrails=RULES))
    assert isinstance(events[-1], RunFinished)
    assert len(guardrails.cases) == 1
    assert len(model.requests) == 1


async def test_guardrails_do_not_apply_to_a_follow_up_carrying_a_result() -> None:
    call = ActionExecutionMessage(id="c1", created_at=T0, name="lookup")
    result = ResultMessage(id="r1", created_at=T0, action_execution_id="c1", action_name="lookup", result="x")
    guardrails = FakeGuardrails(GuardrailsVerdict(allowed=False, reason="never asked"))
    model = ScriptedChatModel(ANSWER)
    use_case, _ = chat_use_case(model, guardrails=guardrails)

    events = await events_of(use_case, ChatTurn(messages=(HELLO, call, result), thread_id="t1", guardrails=RULES))

    assert isinstance(events[-1], RunFinished)
    assert guardrails.cases == []


async def test_a_guardrails_failure_fails_closed() -> None:
    model = ScriptedChatModel(ANSWER)
    guardrails = FakeGuardrails(error=GuardrailsUnavailable("The guardrails service answered HTTP 502."))
    use_case, _ = chat_use_case(model, guardrails=guardrails)
    events = await events_of(use_case, ChatTurn(messages=(HELLO,), thread_id="t1", guardrails=RULES))
    assert events[-1] == RunFailed("GUARDRAILS_ERROR", "The guardrails service answered HTTP 502.")
    assert model.requests == []


async def test_empty_rules_mean_no_guardrails() -> None:
    guardrails = FakeGuardrails()
    use_case, _ = chat_use_case(ScriptedChatModel(ANSWER), guardrails=guardrails)
    await events_of(use_case, ChatTurn(messages=(HELLO,), thread_id="t1", guardrails=TopicRules()))
    assert guardrails.cases == []


# --- router mode -----------------------------------------------------------------------------------


async def test_the_model_can_start_an_agent_that_runs_into_the_same_response() -> None:
    call: list[RunEvent | Exception] = [ToolCallStarted("c1", "planner"), ToolCallArgs("c1", "{}"), ToolCallEnded("c1")]
    agent_script: list[RunEvent | Exception] = [
        StateSnapshot("planner", {"plan": ["a"]}),
        TextMessageStarted("m1"),
        TextMessageChunk("m1", "Planned."),
        TextMessageEnded("m1"),
        RunFinished("t1", "agent-run"),
    ]
    agents = ScriptedAgents([AgentDescriptor("planner", "Plans trips")], agent_script)
    model = ScriptedChatModel(call)
    frontend = (ToolDefinition("confirm"),)
    use_case, store = chat_use_case(model, agents=agents, actions=FakeActions({"lookup": ActionOutcome()}))

    events = await events_of(use_case, ChatTurn(messages=(HELLO,), thread_id="t1", tools=frontend))

    offered = {tool.name: tool for tool in model.requests[0].tools}
    assert offered["planner"].description == "Plans trips"
    assert offered["planner"].parameters["properties"] == {}
    assert ToolCallResult("result-c1", "c1", "planner", "planner agent started") in events
    assert TextMessageChunk("m1", "Planned.") in events
    assert [e.state for e in events if isinstance(e, AgentStateChanged)][-1] == {"plan": ["a"]}
    assert isinstance(events[-1], RunFinished)
    [run] = agents.runs
    assert [t.name for t in run.tools] == ["confirm"]  # the frontend's only, as in the reference
    assert run.messages == (HELLO,)
    stored = await store.load_state(AgentStateKey("t1", "planner"))
    assert stored is not None
    assert stored.values == {"plan": ["a"]}


async def test_a_run_abandoned_before_its_first_event_is_still_reported() -> None:
    hooks = FakeHooks()
    model = ScriptedChatModel(ANSWER)
    use_case, _ = chat_use_case(model, hooks=hooks)

    run = await use_case(ChatTurn(messages=(HELLO,), thread_id="t1"))
    await run.events.aclose()  # type: ignore[attr-defined]

    [report] = hooks.after
    assert (report.thread_id, report.error_code, report.output_messages) == ("t1", "CLIENT_DISCONNECTED", ())
    assert model.requests == []


class SlowEndStore(InMemoryThreadStore):
    """Holds the write of a run's final record until released."""

    def __init__(self) -> None:
        super().__init__(FixedClock())
        self.writing_end = asyncio.Event()
        self.release = asyncio.Event()

    async def save_run(self, run: RunRecord) -> None:
        if run.status is not RunStatus.RUNNING:
            self.writing_end.set()
            await self.release.wait()
        await super().save_run(run)


async def test_a_reader_cancelled_while_the_last_record_is_written_still_reports_once() -> None:
    # A response can end (and cancel the task reading its run) as soon as it has the final status,
    # while the run is still writing its final record.
    hooks, store = FakeHooks(), SlowEndStore()
    use_case, _ = chat_use_case(ScriptedChatModel(ANSWER), hooks=hooks, store=store)
    run = await use_case(ChatTurn(messages=(HELLO,), thread_id="t1"))
    reader = asyncio.create_task(asyncio.wait_for(_drain(run.events), 5))
    await asyncio.wait_for(store.writing_end.wait(), 5)
    reader.cancel()
    await asyncio.sleep(0)
    await run.events.aclose()  # type: ignore[attr-defined]
    store.release.set()
    for _ in range(10):
        await asyncio.sleep(0)

    [report] = hooks.after
    assert report.error_code is None
    recorded = await store.get_run(run.run_id)
    assert recorded is not None
    assert recorded.status is RunStatus.FINISHED


async def _drain(events: AsyncIterator[RunEvent]) -> None:
    async for _ in events:
        pass


async def test_runs_are_recorded_when_they_start_and_when_they_end() -> None:
    use_case, store = chat_use_case(ScriptedChatModel(ANSWER, [RuntimeError("boom")]))
    finished = await use_case(ChatTurn(messages=(HELLO,), thread_id="t1"))
    [_ async for _ in finished.events]
    failed = await use_case(ChatTurn(messages=(HELLO,), thread_id="t1"))
    [_ async for _ in failed.events]

    ok, bad = await store.get_run(finished.run_id), await store.get_run(failed.run_id)
    assert ok is not None
    assert bad is not None
    assert (ok.status, ok.error_code, ok.agent_name, ok.thread_id) == (RunStatus.FINISHED, None, None, "t1")
    assert ok.finished_at is not None
    assert (bad.status, bad.error_code) == (RunStatus.FAILED, "UNKNOWN")
