"""LiveRunner on the in-process channel and the in-memory store: claims, stops, replays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from agui_runtime.adapters.outbound.live import InProcessLiveRuns
from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.application.errors import AccessDenied, InvalidInput, RunExists, ThreadBusy
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.turns import StartedRun
from agui_runtime.application.use_cases.generate_response import ChatTurn, GenerateResponse
from agui_runtime.application.use_cases.live_runs import LiveRunner
from agui_runtime.domain.events import (
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    TextMessageChunk,
    TextMessageStarted,
)
from agui_runtime.domain.messages import MessageStatus, Role, TextMessage
from agui_runtime.domain.run import RunRecord, RunStatus
from agui_runtime.domain.tools import ChatRequest
from tests.fakes import FakeHooks, FixedClock, ScriptedChatModel, chat_use_case

QUESTION = TextMessage(id="u1", created_at=FixedClock().now(), role=Role.USER, content="Hi")


class Endless(ScriptedChatModel):
    """Streams one message forever, a chunk every 10 ms."""

    async def stream(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
        yield TextMessageStarted("a1")
        while True:
            await asyncio.sleep(0.01)
            yield TextMessageChunk("a1", "la ")


async def collect(events: AsyncIterator[RunEvent]) -> list[RunEvent]:
    return [event async for event in events]


def runner(
    model: ScriptedChatModel, hooks: FakeHooks | None = None
) -> tuple[LiveRunner, GenerateResponse, InMemoryThreadStore]:
    use_case, store = chat_use_case(model, hooks=hooks)
    return LiveRunner(InProcessLiveRuns(), store, hooks or FakeHooks()), use_case, store


async def test_a_run_streams_to_its_follower_and_is_replayed_once_ended() -> None:
    live, use_case, _ = runner(ScriptedChatModel([TextMessageStarted("a1"), TextMessageChunk("a1", "Hello")]))
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r1")

    events = await collect(await live.start("t1", "r1", lambda: use_case(turn)))

    assert isinstance(events[0], RunStarted)
    assert isinstance(events[-1], RunFinished)
    replay = await live.connect("t1", RequestContext(), "agent/connect")
    assert replay.live is None
    [record] = replay.history
    assert (record.id, record.status) == ("r1", RunStatus.FINISHED)
    assert [type(e).__name__ for e in record.events] == [
        "RunStarted",
        "TextMessageStarted",
        "TextMessageChunk",
        "RunFinished",
    ]


async def test_a_busy_thread_or_a_used_run_id_is_refused_and_the_refused_run_leaves_nothing() -> None:
    live, use_case, store = runner(Endless())
    hooks_seen: list[str] = []

    async def begin(run_id: str, thread_id: str = "t1") -> StartedRun:
        hooks_seen.append(run_id)
        return await use_case(ChatTurn(messages=(QUESTION,), thread_id=thread_id, run_id=run_id))

    follower = await live.start("t1", "r1", lambda: begin("r1"))
    await asyncio.sleep(0.05)
    with pytest.raises(ThreadBusy):
        await live.start("t1", "r2", lambda: begin("r2"))
    with pytest.raises(RunExists):
        await live.start("t2", "r1", lambda: begin("r1", "t2"))
    assert hooks_seen == ["r1", "r2", "r1"]  # the request is authorised before anything is revealed
    assert await store.get_run("r2") is None
    assert await store.get_thread("t2") is None
    assert await live.stop("t1", None, RequestContext(), "agent/stop") == "r1"
    await asyncio.wait_for(collect(follower), 5)
    with pytest.raises(RunExists):  # ended and stored: still taken
        await live.start("t3", "r1", lambda: begin("r1", "t3"))
    with pytest.raises(InvalidInput):
        await live.start("t1", "", lambda: begin(""))


async def test_a_stopped_run_ends_with_run_finished_and_keeps_what_it_had_as_failed() -> None:
    live, use_case, store = runner(Endless())
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r1")
    follower = asyncio.create_task(collect(await live.start("t1", "r1", lambda: use_case(turn))))
    await asyncio.sleep(0.1)
    connected = await live.connect("t1", RequestContext(), "agent/connect")
    assert connected.live_run_id == "r1"

    assert await live.stop("t1", "r-other", RequestContext(), "agent/stop") is None
    assert await live.stop("t1", "r1", RequestContext(), "agent/stop") == "r1"

    events = await asyncio.wait_for(follower, 5)
    assert connected.live is not None
    assert await asyncio.wait_for(collect(connected.live), 5) == events  # the follower saw the same run
    assert isinstance(events[-1], RunFinished)
    record = await store.get_run("r1")
    assert record is not None
    assert (record.status, record.error_code) == (RunStatus.ABORTED, "STOPPED")
    thread = await store.get_thread("t1")
    assert thread is not None
    cut = thread.messages[-1]
    assert isinstance(cut, TextMessage)
    assert cut.status is MessageStatus.FAILED
    assert cut.content.startswith("la la")
    # the thread is free again
    assert await live.live.active_run("t1") is None


async def test_another_principals_thread_can_be_neither_connected_to_nor_stopped() -> None:
    live, _, store = runner(ScriptedChatModel([]), FakeHooks(principal="alice"))
    await store.save_messages("t1", [QUESTION], principal="bob")
    with pytest.raises(AccessDenied):
        await live.connect("t1", RequestContext(), "agent/connect")
    with pytest.raises(AccessDenied):
        await live.stop("t1", None, RequestContext(), "agent/stop")


async def test_shutdown_ends_live_runs_with_a_failure_and_stores_them() -> None:
    live, use_case, store = runner(Endless())
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r1")
    follower = asyncio.create_task(collect(await live.start("t1", "r1", lambda: use_case(turn))))
    await asyncio.sleep(0.05)

    await live.stop_all()

    events = await asyncio.wait_for(follower, 5)
    assert events[-1] == RunFailed("SERVER_SHUTTING_DOWN", "The server is shutting down; the run was stopped.")
    record = await store.get_run("r1")
    assert record is not None
    assert (record.status, record.error_code) == (RunStatus.FAILED, "SERVER_SHUTTING_DOWN")
    assert record.events[-1] == events[-1]  # a replay ends with the same failure


async def test_shutdown_does_not_wait_longer_than_its_bound_for_a_run_that_will_not_end() -> None:
    class StuckRecord(InMemoryThreadStore):
        async def save_run(self, run: RunRecord) -> None:
            if run.status is not RunStatus.RUNNING:
                await asyncio.sleep(30)  # the store hangs on the final record
            await super().save_run(run)

    store = StuckRecord(FixedClock())
    use_case, _ = chat_use_case(Endless(), store=store)
    live = LiveRunner(InProcessLiveRuns(), store, FakeHooks(), shutdown_wait_seconds=0.2)
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r1")
    await live.start("t1", "r1", lambda: use_case(turn))
    await asyncio.sleep(0.05)

    started = asyncio.get_running_loop().time()
    await live.stop_all()

    assert asyncio.get_running_loop().time() - started < 2
    assert await live.live.active_run("t1") is None  # released all the same


async def test_a_stop_after_the_last_event_does_not_cut_the_run_short() -> None:
    class SlowRecord(InMemoryThreadStore):
        async def save_run(self, run: RunRecord) -> None:
            if run.status is not RunStatus.RUNNING:
                await asyncio.sleep(0.2)  # the final record takes a while: a stop lands meanwhile
            await super().save_run(run)

    store = SlowRecord(FixedClock())
    use_case, _ = chat_use_case(
        ScriptedChatModel([TextMessageStarted("a1"), TextMessageChunk("a1", "Hi")]), store=store
    )
    live = LiveRunner(InProcessLiveRuns(), store, FakeHooks())
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r1")
    follower = asyncio.create_task(collect(await live.start("t1", "r1", lambda: use_case(turn))))
    await asyncio.sleep(0.1)

    await live.stop("t1", "r1", RequestContext(), "agent/stop")
    events = await asyncio.wait_for(follower, 5)

    assert [type(e).__name__ for e in events].count("RunFinished") == 1
    record = await store.get_run("r1")
    assert record is not None
    assert (record.status, record.error_code) == (RunStatus.FINISHED, None)
    replay = await live.connect("t1", RequestContext(), "agent/connect")
    assert [run.id for run in replay.history] == ["r1"]  # written before the thread was released


@pytest.mark.parametrize("ending", ["finished", "failed", "stopped"])
async def test_a_next_run_started_the_moment_the_last_event_arrives_is_accepted(ending: str) -> None:
    class SlowRecord(InMemoryThreadStore):
        async def save_run(self, run: RunRecord) -> None:
            if run.status is not RunStatus.RUNNING:
                await asyncio.sleep(0.1)  # the final record takes a while: the terminal event must wait for it
            await super().save_run(run)

    class Failing(ScriptedChatModel):
        async def stream(self, request: ChatRequest) -> AsyncIterator[RunEvent]:
            yield RunFailed("MODEL_ERROR", "The model answered 500.")

    model = {"finished": ScriptedChatModel([TextMessageChunk("a1", "Hi")]), "failed": Failing([]), "stopped": Endless()}
    store = SlowRecord(FixedClock())
    use_case, _ = chat_use_case(model[ending], store=store)
    live = LiveRunner(InProcessLiveRuns(), store, FakeHooks())
    turn = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r1")
    again = ChatTurn(messages=(QUESTION,), thread_id="t1", run_id="r2")
    follower = await live.start("t1", "r1", lambda: use_case(turn))
    if ending == "stopped":
        await asyncio.sleep(0.05)
        await live.stop("t1", "r1", RequestContext(), "agent/stop")
    seen: list[RunEvent] = []
    async for event in follower:
        seen.append(event)
        if isinstance(event, (RunFinished, RunFailed)):  # in the same step: no await before the next start
            stored = await store.get_run("r1")
            nxt = await live.start("t1", "r2", lambda: use_case(again))
    assert isinstance(seen[-1], RunFailed if ending == "failed" else RunFinished)
    assert stored is not None
    assert stored.ended  # the record was written before the thread was free
    await live.stop("t1", "r2", RequestContext(), "agent/stop")  # the next run (endless when "stopped")
    assert isinstance((await asyncio.wait_for(collect(nxt), 5))[-1], RunFinished | RunFailed)
