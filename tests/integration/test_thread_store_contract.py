"""One contract for every ThreadStore adapter: in memory, on a SQLite file, on PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.adapters.outbound.state.sql import open_sql_store
from agui_runtime.application.errors import AccessDenied, Conflict
from agui_runtime.application.ports import AgentFilter, ThreadStore
from agui_runtime.domain.agent_state import AgentState, AgentStateKey
from agui_runtime.domain.errors import InvalidState
from agui_runtime.domain.events import (
    CustomEvent,
    RunFailed,
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
from agui_runtime.domain.messages import Role, TextMessage
from agui_runtime.domain.run import RunRecord, RunStatus
from tests.fakes import FixedClock
from tests.integration.databases import postgres_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = AgentStateKey("t1", "agent")


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ThreadStore]:
    if request.param == "memory":
        yield InMemoryThreadStore(FixedClock())
    elif request.param == "sqlite":
        async with open_sql_store(f"sqlite:///{tmp_path / 'contract.db'}", FixedClock()) as sqlite:
            yield sqlite
    else:
        async with postgres_database() as url, open_sql_store(url, FixedClock()) as postgres:
            yield postgres


def text(message_id: str, content: str) -> TextMessage:
    return TextMessage(id=message_id, created_at=T0, role=Role.USER, content=content)


async def test_unknown_thread_and_state_are_none(store: ThreadStore) -> None:
    assert await store.get_thread("nope") is None
    assert await store.load_state(KEY) is None


async def test_messages_are_upserted_by_id_in_thread_order(store: ThreadStore) -> None:
    await store.save_messages("t1", [text("a", "1"), text("b", "2")], principal="alice")
    await store.save_messages("t1", [text("b", "2 edited"), text("c", "3")], principal="alice")
    thread = await store.get_thread("t1")
    assert thread is not None
    assert thread.principal == "alice"
    assert [(m.id, m.content) for m in thread.messages if isinstance(m, TextMessage)] == [
        ("a", "1"),
        ("b", "2 edited"),
        ("c", "3"),
    ]


async def test_a_thread_can_be_read_without_its_messages(store: ThreadStore) -> None:
    await store.save_messages("t1", [text("a", "1"), text("b", "2")], principal="alice")
    thread = await store.get_thread("t1", with_messages=False)
    assert thread is not None
    assert (thread.id, thread.principal, thread.messages) == ("t1", "alice", [])
    assert await store.get_thread("nope", with_messages=False) is None
    full = await store.get_thread("t1")
    assert full is not None
    assert len(full.messages) == 2  # the light read changed nothing


async def test_a_thread_owned_by_a_principal_refuses_other_writers_and_writes_nothing(store: ThreadStore) -> None:
    await store.save_messages("t1", [text("a", "mine")], principal="alice")
    for intruder in ("bob", None):
        with pytest.raises(AccessDenied):
            await store.save_messages("t1", [text("a", "overwritten"), text("x", "added")], principal=intruder)
    thread = await store.get_thread("t1")
    assert thread is not None
    assert [(m.id, m.content) for m in thread.messages if isinstance(m, TextMessage)] == [("a", "mine")]


async def test_an_anonymous_thread_takes_writes_from_anyone_and_stays_anonymous(store: ThreadStore) -> None:
    await store.save_messages("t1", [text("a", "1")])
    await store.save_messages("t1", [text("b", "2")], principal="bob")
    thread = await store.get_thread("t1")
    assert thread is not None
    assert thread.principal is None
    assert [m.id for m in thread.messages] == ["a", "b"]


async def test_the_same_message_id_in_two_threads_is_two_messages(store: ThreadStore) -> None:
    await store.save_messages("t1", [text("m", "in one")])
    await store.save_messages("t2", [text("m", "in two")])
    one, two = await store.get_thread("t1"), await store.get_thread("t2")
    assert one is not None
    assert two is not None
    assert [m.content for m in one.messages if isinstance(m, TextMessage)] == ["in one"]
    assert [m.content for m in two.messages if isinstance(m, TextMessage)] == ["in two"]


async def test_state_writes_are_versioned_and_a_stale_write_conflicts(store: ThreadStore) -> None:
    first = await store.save_state(KEY, {"n": 1}, expected_version=0)
    assert first.version == 1
    winner = await store.save_state(KEY, {"n": 2}, expected_version=1)
    with pytest.raises(Conflict):
        await store.save_state(KEY, {"n": 99}, expected_version=1)
    stored = await store.load_state(KEY)
    assert stored is not None
    assert (stored.values, stored.version) == ({"n": 2}, winner.version)


async def test_of_two_concurrent_writes_from_one_version_one_wins_and_one_conflicts(store: ThreadStore) -> None:
    await store.save_state(KEY, {"n": 0}, expected_version=None)

    outcomes = await asyncio.gather(
        store.save_state(KEY, {"n": "left"}, expected_version=1),
        store.save_state(KEY, {"n": "right"}, expected_version=1),
        return_exceptions=True,
    )

    [winner] = [outcome for outcome in outcomes if isinstance(outcome, AgentState)]
    assert [type(outcome) for outcome in outcomes if not isinstance(outcome, AgentState)] == [Conflict]
    stored = await store.load_state(KEY)
    assert stored is not None
    assert (stored.values, stored.version) == (winner.values, 2)


async def test_a_state_that_is_not_a_json_object_is_refused_and_nothing_is_written(store: ThreadStore) -> None:
    bad: Any = ["not", "an", "object"]
    with pytest.raises(InvalidState):
        await store.save_state(KEY, bad, expected_version=None)
    assert await store.load_state(KEY) is None


async def test_what_a_caller_gets_is_a_copy(store: ThreadStore) -> None:
    await store.save_state(KEY, {"items": [1]}, expected_version=None)
    loaded = await store.load_state(KEY)
    assert loaded is not None
    items = loaded.values["items"]
    assert isinstance(items, list)
    items.append(2)
    again = await store.load_state(KEY)
    assert again is not None
    assert again.values == {"items": [1]}


async def test_ping_answers(store: ThreadStore) -> None:
    await store.ping()


async def test_run_records_are_kept_and_replaced_by_id(store: ThreadStore) -> None:
    started = RunRecord("run-1", "t1", "planner", RunStatus.RUNNING, T0)
    await store.save_run(started)
    assert await store.get_run("run-1") == started
    ended = replace(started, status=RunStatus.FAILED, finished_at=T0, error_code="AGENT_ERROR")
    await store.save_run(ended)
    assert await store.get_run("run-1") == ended
    assert await store.get_run("run-2") is None


async def test_saving_messages_tells_which_were_new_to_the_thread(store: ThreadStore) -> None:
    assert await store.save_messages("t1", [text("m1", "a"), text("m2", "b")]) == {"m1", "m2"}
    assert await store.save_messages("t1", [text("m1", "a"), text("m2", "b2"), text("m3", "c")]) == {"m3"}
    assert await store.save_messages("t1", [text("m1", "a")]) == frozenset()
    assert await store.save_messages("t2", [text("m1", "a")]) == {"m1"}  # ids are per thread


async def test_a_run_keeps_its_events_and_a_thread_lists_its_runs_in_start_order(store: ThreadStore) -> None:
    events = (
        RunStarted("t1", "run-1", (text("u1", "hi"),)),
        TextMessageStarted("m1", Role.ASSISTANT),
        TextMessageChunk("m1", "Hello"),
        TextMessageEnded("m1"),
        ToolCallStarted("c1", "lookup", "m1"),
        ToolCallArgs("c1", '{"q": 1}'),
        ToolCallEnded("c1"),
        ToolCallResult("r1", "c1", "lookup", '{"a": 2}'),
        StateSnapshot("agent", {"n": [1, {"x": None}]}),
        CustomEvent("Exit", True),
        RunFailed("AGENT_ERROR", "boom"),
    )
    first = RunRecord("run-1", "t1", "agent", RunStatus.FAILED, T0, T0, "AGENT_ERROR", events)
    second = RunRecord("run-2", "t1", None, RunStatus.RUNNING, T0 + timedelta(seconds=1))
    other = RunRecord("run-3", "t2", None, RunStatus.FINISHED, T0)
    for record in (first, other, second):
        await store.save_run(record)
    assert await store.get_run("run-1") == first
    assert list(await store.list_runs("t1")) == [first, second]
    assert list(await store.list_runs("t-none")) == []


async def test_threads_are_listed_per_principal_newest_first_with_their_latest_agent(store: ThreadStore) -> None:
    for index in range(5):
        await store.save_messages(f"t{index}", [text("m", "x")], principal="alice" if index != 2 else "bob")
    await store.save_messages("anon", [text("m", "x")])
    await store.save_run(RunRecord("r1", "t1", "planner", RunStatus.FINISHED, T0 + timedelta(hours=1)))
    await store.save_run(RunRecord("r2", "t1", None, RunStatus.FINISHED, T0 + timedelta(hours=2)))
    await store.save_run(RunRecord("r3", "t3", "planner", RunStatus.FINISHED, T0 + timedelta(hours=3)))

    page = await store.list_threads("alice", limit=3)
    assert [thread.id for thread in page.threads] == ["t4", "t3", "t1"]  # same creation time: by id, descending
    assert page.next_before is not None
    rest = await store.list_threads("alice", limit=3, before=page.next_before)
    assert [thread.id for thread in rest.threads] == ["t0"]
    assert rest.next_before is None
    t1 = next(thread for thread in page.threads if thread.id == "t1")
    assert (t1.agent_name, t1.updated_at) == (None, T0 + timedelta(hours=2))
    t4 = page.threads[0]
    assert (t4.agent_name, t4.updated_at) == (None, t4.created_at)

    planner = await store.list_threads("alice", limit=10, agent=AgentFilter("planner"))
    assert [thread.id for thread in planner.threads] == ["t3", "t1"]
    model = await store.list_threads("alice", limit=10, agent=AgentFilter(None))
    assert [thread.id for thread in model.threads] == ["t1"]
    assert [thread.id for thread in (await store.list_threads(None, limit=10)).threads] == ["anon"]
    assert [thread.id for thread in (await store.list_threads("bob", limit=10)).threads] == ["t2"]


async def test_deleting_a_principals_threads_leaves_everyone_elses(store: ThreadStore) -> None:
    await store.save_messages("a1", [text("m", "x")], principal="alice")
    await store.save_messages("b1", [text("m", "x")], principal="bob")
    await store.save_state(AgentStateKey("a1", "agent"), {"n": 1}, expected_version=None)
    await store.save_run(RunRecord("r1", "a1", None, RunStatus.FINISHED, T0))
    await store.save_run(RunRecord("r2", "b1", None, RunStatus.FINISHED, T0))

    assert await store.delete_threads("alice") == 1

    assert await store.get_thread("a1") is None
    assert await store.load_state(AgentStateKey("a1", "agent")) is None
    assert list(await store.list_runs("a1")) == []
    assert await store.get_thread("b1") is not None
    assert [run.id for run in await store.list_runs("b1")] == ["r2"]
