"""`LiveRuns` within one process: enough for a single server process, not for replicas or workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from agui_runtime.application.ports import Claim, LiveRuns
from agui_runtime.domain.events import RunEvent


@dataclass(slots=True)
class _Run:
    thread_id: str
    events: list[RunEvent] = field(default_factory=list)
    ended: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class InProcessLiveRuns(LiveRuns):
    """A live run's events are kept in memory until it is released; followers read them from the first."""

    def __init__(self) -> None:
        self._threads: dict[str, str] = {}
        self._runs: dict[str, _Run] = {}
        self._stops: dict[str, asyncio.Event] = {}

    async def claim(self, thread_id: str, run_id: str) -> Claim:
        if thread_id in self._threads:
            return Claim.THREAD_BUSY
        if run_id in self._runs:
            return Claim.RUN_EXISTS
        self._threads[thread_id] = run_id
        self._runs[run_id] = _Run(thread_id)
        self._stops.setdefault(run_id, asyncio.Event())
        return Claim.CLAIMED

    async def publish(self, run_id: str, event: RunEvent) -> None:
        live = self._runs.get(run_id)
        if live is not None:
            live.events.append(event)
            live.notify()

    async def release(self, thread_id: str, run_id: str, last: RunEvent | None = None) -> None:
        self.end(thread_id, run_id, last)

    def end(self, thread_id: str, run_id: str, last: RunEvent | None) -> None:
        """`release` as one synchronous step: no follower can see `last` while the thread is still taken."""
        if self._threads.get(thread_id) == run_id:
            del self._threads[thread_id]
        self._stops.pop(run_id, None)
        live = self._runs.pop(run_id, None)
        if live is not None:
            if last is not None:
                live.events.append(last)
            live.ended = True
            live.notify()

    def holds(self, run_id: str) -> bool:
        """Whether the run is live here (claimed and not yet released)."""
        return run_id in self._runs

    async def active_run(self, thread_id: str) -> str | None:
        return self._threads.get(thread_id)

    def follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        # The run is looked up now, not at the first read: a follower that starts reading after the run
        # was released still gets all of it.
        return self._follow(self._runs.get(run_id))

    @staticmethod
    async def _follow(live: _Run | None) -> AsyncIterator[RunEvent]:
        if live is None:
            return
        sent = 0
        while True:
            changed = live.changed
            while sent < len(live.events):
                sent += 1
                yield live.events[sent - 1]
            if live.ended:
                return
            await changed.wait()

    async def request_stop(self, thread_id: str, run_id: str | None) -> str | None:
        current = self._threads.get(thread_id)
        if current is None or (run_id is not None and run_id != current):
            return None
        self._stops.setdefault(current, asyncio.Event()).set()
        return current

    async def stop_requested(self, run_id: str) -> None:
        await self._stops.setdefault(run_id, asyncio.Event()).wait()
