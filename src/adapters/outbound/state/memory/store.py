"""`ThreadStore` in process memory, with the same semantics as the SQL store."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from datetime import datetime

from agui_runtime.application.errors import AccessDenied, Conflict
from agui_runtime.application.ports import AgentFilter, Clock, ThreadStore
from agui_runtime.domain.agent_state import AgentState, AgentStateKey
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.run import RunRecord
from agui_runtime.domain.thread import Thread, ThreadPage, ThreadSummary


class InMemoryThreadStore(ThreadStore):
    """Returns copies, so a caller mutating what it got never changes what is stored."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._threads: dict[str, Thread] = {}
        self._states: dict[AgentStateKey, AgentState] = {}
        self._runs: dict[str, RunRecord] = {}
        self._lock = asyncio.Lock()

    async def get_thread(self, thread_id: str, *, with_messages: bool = True) -> Thread | None:
        thread = self._threads.get(thread_id)
        if thread is None:
            return None
        return copy.deepcopy(thread) if with_messages else Thread(thread.id, thread.created_at, thread.principal)

    async def save_messages(
        self, thread_id: str, messages: Sequence[Message], *, principal: str | None = None
    ) -> frozenset[str]:
        async with self._lock:
            thread = self._threads.get(thread_id)
            if thread is None:
                thread = Thread(thread_id, self._clock.now(), principal)
                self._threads[thread_id] = thread
            elif not thread.accessible_by(principal):
                raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")
            known = {message.id for message in thread.messages}
            thread.upsert(messages)
            return frozenset(message.id for message in messages if message.id not in known)

    async def load_state(self, key: AgentStateKey) -> AgentState | None:
        state = self._states.get(key)
        return copy.deepcopy(state) if state else None

    async def save_state(self, key: AgentStateKey, values: JsonObject, *, expected_version: int | None) -> AgentState:
        async with self._lock:
            current = self._states.get(key, AgentState(key))
            if expected_version is not None and expected_version != current.version:
                raise Conflict(
                    f"state of agent '{key.agent_name}' in thread '{key.thread_id}' is at version "
                    f"{current.version}, not {expected_version}"
                )
            written = current.replaced_by(copy.deepcopy(values))
            self._states[key] = written
            return copy.deepcopy(written)

    async def save_run(self, run: RunRecord) -> None:
        self._runs[run.id] = run

    async def get_run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    async def list_runs(self, thread_id: str) -> Sequence[RunRecord]:
        return [run for run in self._runs.values() if run.thread_id == thread_id]  # insertion is start order

    async def list_threads(
        self,
        principal: str | None,
        *,
        limit: int,
        before: tuple[datetime, str] | None = None,
        agent: AgentFilter | None = None,
    ) -> ThreadPage:
        runs: dict[str, list[RunRecord]] = {}
        for run in self._runs.values():
            runs.setdefault(run.thread_id, []).append(run)
        chosen = [
            thread
            for thread in self._threads.values()
            if thread.principal == principal
            and (before is None or (thread.created_at, thread.id) < before)
            and (agent is None or any(run.agent_name == agent.agent_name for run in runs.get(thread.id, [])))
        ]
        chosen.sort(key=lambda thread: (thread.created_at, thread.id), reverse=True)
        page = chosen[:limit]
        summaries = []
        for thread in page:
            latest = max(runs.get(thread.id, []), key=lambda run: run.started_at, default=None)
            summaries.append(
                ThreadSummary(
                    thread.id,
                    thread.created_at,
                    latest.started_at if latest is not None else thread.created_at,
                    latest.agent_name if latest is not None else None,
                )
            )
        more = len(chosen) > limit
        return ThreadPage(tuple(summaries), (page[-1].created_at, page[-1].id) if more and page else None)

    async def delete_threads(self, principal: str | None) -> int:
        async with self._lock:
            doomed = {thread_id for thread_id, thread in self._threads.items() if thread.principal == principal}
            for thread_id in doomed:
                del self._threads[thread_id]
            self._states = {key: state for key, state in self._states.items() if key.thread_id not in doomed}
            self._runs = {run_id: run for run_id, run in self._runs.items() if run.thread_id not in doomed}
            return len(doomed)

    async def ping(self) -> None:
        return None
