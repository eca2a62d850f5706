"""Runs that outlive their request: a run streams into the `LiveRuns` channel from a task of its own, so
its client may leave and come back (connect), another replica may follow it, and any replica may stop it.
One run per thread at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from application.errors import ThreadBusy
from application.ports import LiveRuns, RequestHooks, ThreadStore
from application.requests import BeforeRequest, RequestContext
from application.streams import Stoppable, closed_after
from application.use_cases.generate_response import ChatRun
from application.use_cases.recording import STOPPED, check_thread_access
from domain.events import RunEvent, RunFailed, RunFinished
from domain.runs import RunRecord, RunStatus

logger = logging.getLogger("agui_runtime.live")


@dataclass(frozen=True, slots=True)
class ThreadReplay:
    """What a client reconnecting to a thread is sent: each ended run with its (compacted) events, then the
    events of the run in flight, from its start, when there is one."""

    history: tuple[RunRecord, ...]
    live: AsyncIterator[RunEvent] | None
    live_run_id: str | None = None


@dataclass(slots=True)
class LiveRunner:
    """Rules:
    - `start` claims the thread for the run before it begins; a thread with a run in flight is `ThreadBusy`
      and nothing is run or stored.
    - The run streams into the channel whether or not anyone follows it; its client leaving does not
      stop it. It ends on its own, or when a stop is requested (from any replica): then it is closed
      (what was open is stored as failed) and its stream ends with `RunFinished`.
    - `connect` gives the thread's ended runs from the store, then the live run if one is in flight;
      a run that ended between the two reads is given once (from the store)."""

    live: LiveRuns
    store: ThreadStore
    hooks: RequestHooks
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _stops: dict[str, asyncio.Event] = field(default_factory=dict)

    async def start(
        self, thread_id: str, run_id: str, begin: Callable[[], Awaitable[ChatRun]]
    ) -> AsyncIterator[RunEvent]:
        """Claim the thread, start the run (`begin`: the use-case call, which may refuse it) and follow it."""
        if not await self.live.claim(thread_id, run_id):
            raise ThreadBusy(thread_id)
        try:
            run = await begin()
        except BaseException:
            await self.live.release(thread_id, run_id)
            raise
        task = asyncio.create_task(self._drive(run), name=f"agui-run-{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return self.live.follow(run_id)

    async def _drive(self, run: ChatRun) -> None:
        consumer = asyncio.create_task(self._publish(run))
        stop = asyncio.create_task(self.live.stop_requested(run.run_id))
        local = self._stops.setdefault(run.run_id, asyncio.Event())
        local_stop = asyncio.create_task(local.wait())
        try:
            await asyncio.wait({consumer, stop, local_stop}, return_when=asyncio.FIRST_COMPLETED)
            if not consumer.done():
                if isinstance(run.events, Stoppable):
                    run.events.stopped(STOPPED)
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
                await self.live.publish(run.run_id, RunFinished(run.thread_id, run.run_id))
            elif consumer.exception() is not None:
                error = consumer.exception()
                logger.error("run %s could not be streamed: %s", run.run_id, type(error).__name__)
                await self.live.publish(run.run_id, RunFailed("UNKNOWN", "The run could not be streamed."))
        except Exception as exc:
            logger.error("run %s: the live channel failed (%s)", run.run_id, type(exc).__name__)
        finally:
            for task in (stop, local_stop):
                task.cancel()
            self._stops.pop(run.run_id, None)
            try:
                await asyncio.shield(self.live.release(run.thread_id, run.run_id))
            except Exception as exc:
                logger.error("run %s: its thread could not be released (%s)", run.run_id, type(exc).__name__)

    async def _publish(self, run: ChatRun) -> None:
        async with closed_after(run.events) as events:
            async for event in events:
                await self.live.publish(run.run_id, event)

    async def stop(self, thread_id: str, run_id: str | None, request: RequestContext, operation: str) -> str | None:
        """Ask for the thread's live run to stop (only `run_id`, when given); the id of the run asked to
        stop, or None when none was in flight."""
        principal = await self.hooks.before_request(
            BeforeRequest(operation, request, thread_id=thread_id, run_id=run_id)
        )
        await check_thread_access(self.store, thread_id, principal)
        return await self.live.request_stop(thread_id, run_id)

    async def connect(self, thread_id: str, request: RequestContext, operation: str) -> ThreadReplay:
        principal = await self.hooks.before_request(BeforeRequest(operation, request, thread_id=thread_id))
        await check_thread_access(self.store, thread_id, principal)
        active = await self.live.active_run(thread_id)
        runs = await self.store.list_runs(thread_id)
        ended = tuple(run for run in runs if run.status is not RunStatus.RUNNING)
        if active is None or any(run.id == active for run in ended):
            return ThreadReplay(ended, None)
        return ThreadReplay(ended, self.live.follow(active), active)

    async def stop_all(self) -> None:
        """Stop every run this process drives (shutdown): each ends as stopped, its record stored."""
        for event in self._stops.values():
            event.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
