"""`ThreadStore` in process memory, with the same semantics as the SQL store."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence

from application.errors import AccessDenied, Conflict
from application.ports import Clock, ThreadStore
from domain.agent_state import AgentState, AgentStateKey
from domain.json import JsonObject
from domain.messages import Message
from domain.runs import RunRecord
from domain.thread import Thread


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

    async def save_messages(self, thread_id: str, messages: Sequence[Message], *, principal: str | None = None) -> None:
        async with self._lock:
            thread = self._threads.get(thread_id)
            if thread is None:
                thread = Thread(thread_id, self._clock.now(), principal)
                self._threads[thread_id] = thread
            elif not thread.accessible_by(principal):
                raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")
            thread.upsert(messages)

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

    async def ping(self) -> None:
        return None
