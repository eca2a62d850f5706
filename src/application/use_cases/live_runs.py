"""Runs that outlive their request: a run streams into the `LiveRuns` channel from a task of its own, so
its client may leave and come back (connect), another replica may follow it, and any replica may stop it.
One run per thread at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from agui_runtime.application.errors import InvalidInput, RunExists, ThreadBusy, UpstreamUnavailable
from agui_runtime.application.ports import Claim, LiveRuns, RequestHooks, ThreadStore
from agui_runtime.application.requests import BeforeRequest, RequestContext
from agui_runtime.application.streams import Stoppable, close_stream, closed_after
from agui_runtime.application.turns import StartedRun, check_thread_access
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import RunEvent, RunFailed, RunFinished
from agui_runtime.domain.run import RunRecord

logger = logging.getLogger("agui_runtime.live")

SHUTTING_DOWN = (ErrorCode.SERVER_SHUTTING_DOWN, "The server is shutting down; the run was stopped.")
NOT_STREAMED = (ErrorCode.UNKNOWN, "The run could not be streamed; the server log has the details.")
CHANNEL_LOST = (ErrorCode.RUN_LOST, "The live-run channel stopped answering during the run; start it again.")
SHUTDOWN_WAIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ThreadReplay:
    """What a client reconnecting to a thread is sent: each ended run with its (compacted) events, then the
    events of the run in flight, from its start, when there is one."""

    history: tuple[RunRecord, ...]
    live: AsyncIterator[RunEvent] | None
    live_run_id: str | None = None


@dataclass(slots=True)
class _Driven:
    """A run this process drives: `shutdown` is set to end it as the server stops; `last` holds its
    terminal event, kept back until its record is written (a stop then has nothing left to stop);
    `failure` what its followers are told when the channel failed under it."""

    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    last: RunEvent | None = None
    failure: RunFailed | None = None


@dataclass(slots=True)
class LiveRunner:
    """Rules:
    - `start` calls the use-case first (its hooks and access checks refuse before anything else is
      revealed), then claims the thread: a thread with a live run is `ThreadBusy`, a run id in use (live
      or stored) is `RunExists`; a refused run is dropped, nothing stored or reported.
    - The run streams into the channel whether or not anyone follows it; its client leaving does not
      stop it. It ends on its own, or when a stop is requested (from any replica) before its last event:
      then it is closed (what was open is stored as failed), its record written, and its stream ends
      with `RunFinished`.
    - However it ends (on its own, stopped, shut down, the channel failing), its terminal event is held
      back until its record is written, then published with the thread's release in one step
      (`LiveRuns.release`): a client that starts its next run the moment it sees the terminal event finds
      the thread free, and the run stored.
    - `connect` gives the thread's ended runs from the store, then the live run if one is in flight; the
      live run is looked up first, so a run that ends between the two reads is given once (from the store).
      A thread with nothing stored yet has nothing to give."""

    live: LiveRuns
    store: ThreadStore
    hooks: RequestHooks
    shutdown_wait_seconds: float = SHUTDOWN_WAIT_SECONDS
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _driven: dict[str, _Driven] = field(default_factory=dict)

    async def start(
        self, thread_id: str, run_id: str, begin: Callable[[], Awaitable[StartedRun]]
    ) -> AsyncIterator[RunEvent]:
        """Start the run (`begin`: the use-case call, which may refuse it), claim its thread and follow it."""
        if not thread_id or not run_id:
            raise InvalidInput("A run needs a non-empty threadId and runId.")
        run = await begin()
        try:
            if (run.thread_id, run.run_id) != (thread_id, run_id):
                raise InvalidInput("The run was started with other ids than the ones claimed.")
            if await self.store.get_run(run_id) is not None:
                raise RunExists(run_id)
            claim = await self.live.claim(thread_id, run_id)
            if claim is Claim.THREAD_BUSY:
                raise ThreadBusy(thread_id)
            if claim is Claim.RUN_EXISTS:
                raise RunExists(run_id)
        except BaseException:
            if isinstance(run.events, Stoppable):
                run.events.discard()
            raise
        driven = self._driven[run_id] = _Driven()
        task = asyncio.create_task(self._drive(run, driven), name=f"agui-run-{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return self.live.follow(run_id)

    async def _drive(self, run: StartedRun, driven: _Driven) -> None:
        consumer = asyncio.create_task(self._publish(run, driven))
        stop = asyncio.create_task(self.live.stop_requested(run.run_id))
        shutdown = asyncio.create_task(driven.shutdown.wait())
        try:
            await asyncio.wait({consumer, stop, shutdown}, return_when=asyncio.FIRST_COMPLETED)
            if not consumer.done() and driven.last is None:
                failure = RunFailed(*SHUTTING_DOWN) if driven.shutdown.is_set() else None
                driven.last = failure or RunFinished(run.thread_id, run.run_id)
                if isinstance(run.events, Stoppable):
                    run.events.stopped(failure or ErrorCode.STOPPED)
                consumer.cancel()
            # Not `await consumer`: that would also swallow a cancellation of this task (a shutdown that
            # ran out of time), which must end it.
            await asyncio.wait({consumer})
            if not consumer.cancelled() and consumer.exception() is not None:
                error = consumer.exception()
                logger.error("run %s could not be streamed: %s", run.run_id, type(error).__name__)
                driven.last = driven.failure or RunFailed(*NOT_STREAMED)
            if isinstance(run.events, Stoppable):
                await run.events.settled()  # the record is written before the thread is released
        except Exception as exc:
            logger.error("run %s: the live channel failed (%s)", run.run_id, type(exc).__name__)
        finally:
            for task in (consumer, stop, shutdown):
                task.cancel()
            self._driven.pop(run.run_id, None)
            # Every way out ends the followers' streams with a terminal event, never a cut.
            last = driven.last or RunFailed(*(SHUTTING_DOWN if driven.shutdown.is_set() else NOT_STREAMED))
            try:
                await asyncio.shield(self.live.release(run.thread_id, run.run_id, last))
            except Exception as exc:
                logger.error("run %s: its thread could not be released (%s)", run.run_id, type(exc).__name__)

    async def _publish(self, run: StartedRun, driven: _Driven) -> None:
        async with closed_after(run.events) as events:
            async for event in events:
                if driven.last is not None:
                    continue  # nothing follows the terminal event; reading on lets the run write its record
                if isinstance(event, (RunFinished, RunFailed)):
                    driven.last = event  # published with the release, once the record is written
                    continue
                try:
                    await self.live.publish(run.run_id, event)
                except Exception as exc:
                    failure = RunFailed(*CHANNEL_LOST) if isinstance(exc, UpstreamUnavailable) else None
                    driven.failure = failure or RunFailed(*NOT_STREAMED)
                    if isinstance(run.events, Stoppable) and driven.last is None:
                        run.events.stopped(driven.failure)  # recorded as what followers are told
                    raise

    async def stop(self, thread_id: str, run_id: str | None, request: RequestContext, operation: str) -> str | None:
        """Ask for the thread's live run to stop (only `run_id`, when given); the id of the run asked to
        stop, or None when none was in flight."""
        before = BeforeRequest(operation, request, thread_id=thread_id, run_id=run_id)
        principal = await self.hooks.before_request(before)
        thread = await self.store.get_thread(thread_id, with_messages=False)
        if thread is None:
            return None
        await check_thread_access(self.store, thread_id, principal)
        return await self.live.request_stop(thread_id, run_id)

    async def connect(self, thread_id: str, request: RequestContext, operation: str) -> ThreadReplay:
        principal = await self.hooks.before_request(BeforeRequest(operation, request, thread_id=thread_id))
        thread = await self.store.get_thread(thread_id, with_messages=False)
        if thread is None:
            return ThreadReplay((), None)
        await check_thread_access(self.store, thread_id, principal)
        active = await self.live.active_run(thread_id)
        follower = self.live.follow(active) if active is not None else None
        runs = await self.store.list_runs(thread_id)
        ended = tuple(run for run in runs if run.ended)
        if follower is None or any(run.id == active for run in ended):
            if follower is not None:
                await close_stream(follower)
            return ThreadReplay(ended, None)
        return ThreadReplay(ended, follower, active)

    async def stop_all(self) -> None:
        """End every run this process drives (shutdown) with `SERVER_SHUTTING_DOWN`, each record stored; runs
        that do not end within `shutdown_wait_seconds` are cancelled."""
        for driven in self._driven.values():
            driven.shutdown.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=self.shutdown_wait_seconds)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("shutting down: %d run(s) did not end in time and were cancelled", len(pending))
            await asyncio.wait(pending, timeout=1)
