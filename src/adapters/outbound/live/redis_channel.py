"""`LiveRuns` on Redis, for replicas (or workers) that share one store.

- The thread's live run: `{prefix}:thread:{thread id}` holds the run id, set only if absent, with a time
  to live (the claim TTL) that the replica driving the run keeps extending; a replica that dies frees the
  thread when the key expires.
- The run's events: a stream `{prefix}:run:{run id}`, created at the claim (a follower that comes before
  the first event waits instead of finding nothing; a run id whose stream exists is taken) and ended by
  an entry with an `end` field. The run's last event, its end entry and the deletion of the thread key go
  in one script: a follower that reads the last event finds the thread free. The stream expires a while
  after the run is released, or soon after its replica stops extending it.
- The replica driving a run streams it to its own followers from memory (an `InProcessLiveRuns`), and
  appends it to the Redis stream for the others.
- A follower on another replica waits in `XREAD BLOCK` (shorter than the client's socket timeout, so a
  silent run is never taken for a dead connection), and after each empty wait checks that the thread still
  names the run: a run whose claim expired was left by a dead replica, and its events end with `RunFailed`
  (`RUN_LOST`). A Redis that does not answer for a claim TTL ends them the same way.
- Stop requests: a message on `{prefix}:stop` naming the run, which every replica listens to, and a key
  `{prefix}:stop:{run id}` the driving replica also checks on each extension (pub/sub drops what is
  sent while a listener reconnects)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agui_runtime.adapters.outbound.live.memory import InProcessLiveRuns
from agui_runtime.adapters.serialization.codec import decode_event, encode_event
from agui_runtime.application.errors import UpstreamUnavailable
from agui_runtime.application.ports import Claim, LiveRuns
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import RunEvent, RunFailed

logger = logging.getLogger("agui_runtime.live")

CLAIM_SECONDS = 30.0  # a dead replica's thread is free again after this (`live_runs_claim_seconds`)
IDLE_CHECK_SECONDS = 5.0  # a follower's longest wait before it checks its run is still claimed
STREAM_SECONDS = 120  # a live run's stream, extended with the claim
ENDED_STREAM_SECONDS = 60  # a follower that read the thread's state just before the end still finds it
STOP_KEY_SECONDS = 60
RUN_LOST = (ErrorCode.RUN_LOST, "The server running this run stopped before the run ended; start it again.")

# Atomically: refuse a run id whose stream exists, claim the thread if free, open the run's stream.
_CLAIM = """
if redis.call('exists', KEYS[2]) == 1 then return 2 end
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
redis.call('xadd', KEYS[2], '*', 'start', ARGV[3])
redis.call('expire', KEYS[2], ARGV[4])
return 0
"""
# Atomically: append the last event (if any) and the end entry, let the stream expire, drop the stop key,
# and delete the thread's key only if it still names this run (another run may have claimed it since).
_RELEASE = """
if ARGV[2] ~= '' then redis.call('xadd', KEYS[2], '*', 'e', ARGV[2]) end
redis.call('xadd', KEYS[2], '*', 'end', '1')
redis.call('expire', KEYS[2], ARGV[3])
redis.call('del', KEYS[3])
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@contextlib.contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise UpstreamUnavailable(f"The live-run channel (Redis) is unavailable ({type(exc).__name__}).") from exc


class RedisLiveRuns(LiveRuns):
    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        *,
        idle_check_seconds: float = IDLE_CHECK_SECONDS,
        claim_seconds: float = CLAIM_SECONDS,
    ) -> None:
        # redis-py's annotations cover its sync and async clients at once (every result `Awaitable | value`).
        self._redis: Any = client
        self._prefix = prefix
        self._claim_ms = max(1, int(claim_seconds * 1000))
        self._claim_seconds = claim_seconds
        self._keep_seconds = claim_seconds / 3  # how often the driving replica extends the claim, checks a stop
        # a follower's wait before it checks the run; within a claim TTL, and below the socket timeout
        self._block_ms = max(1, int(min(idle_check_seconds, claim_seconds / 3) * 1000))
        self._local = InProcessLiveRuns()  # the runs driven here, streamed to this replica's followers
        self._keepers: dict[str, asyncio.Task[None]] = {}
        self._stops: dict[str, asyncio.Event] = {}
        self._claim: Any = client.register_script(_CLAIM)
        self._release: Any = client.register_script(_RELEASE)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._undoing: set[asyncio.Future[None]] = set()

    def _thread_key(self, thread_id: str) -> str:
        return f"{self._prefix}:thread:{thread_id}"

    def _stream(self, run_id: str) -> str:
        return f"{self._prefix}:run:{run_id}"

    def _stop_key(self, run_id: str) -> str:
        return f"{self._prefix}:stop:{run_id}"

    @property
    def _stop_channel(self) -> str:
        return f"{self._prefix}:stop"

    async def start(self) -> None:
        """Check Redis answers and listen for stop requests (before any run starts here)."""
        with _unavailable():
            await self._redis.ping()
        self._listener = asyncio.create_task(self._listen(), name="agui-live-stop-listener")
        await asyncio.wait_for(self._subscribed.wait(), 10)

    async def close(self) -> None:
        tasks = [*self._keepers.values(), *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._redis.aclose()

    async def claim(self, thread_id: str, run_id: str) -> Claim:
        keys = [self._thread_key(thread_id), self._stream(run_id)]
        stop = self._stops.setdefault(run_id, asyncio.Event())  # before the claim shows: no stop is missed
        claiming = asyncio.ensure_future(
            self._claim(keys=keys, args=[run_id, self._claim_ms, thread_id, STREAM_SECONDS])
        )
        try:
            with _unavailable():
                outcome = await asyncio.shield(claiming)
        except asyncio.CancelledError:
            # The caller left (its client did) while Redis was answering: a claim nobody drives is undone.
            claiming.add_done_callback(lambda done: self._undo(done, thread_id, run_id))
            raise
        except BaseException:
            self._stops.pop(run_id, None)
            raise
        if outcome != 0:
            if self._stops.get(run_id) is stop:
                del self._stops[run_id]
            return Claim.RUN_EXISTS if outcome == 2 else Claim.THREAD_BUSY
        await self._local.claim(thread_id, run_id)
        self._keepers[run_id] = asyncio.create_task(self._keep(thread_id, run_id))
        return Claim.CLAIMED

    def _undo(self, claiming: asyncio.Future[Any], thread_id: str, run_id: str) -> None:
        self._stops.pop(run_id, None)
        if not claiming.cancelled() and claiming.exception() is None and claiming.result() == 0:
            task = asyncio.ensure_future(self.release(thread_id, run_id))
            self._undoing.add(task)
            task.add_done_callback(self._undoing.discard)

    async def _keep(self, thread_id: str, run_id: str) -> None:
        """Extend the claim and the stream while the run goes on here; pick up a stop pub/sub missed."""
        while True:
            await asyncio.sleep(self._keep_seconds)
            try:
                async with self._pipeline() as pipe:
                    pipe.pexpire(self._thread_key(thread_id), self._claim_ms)
                    pipe.expire(self._stream(run_id), STREAM_SECONDS)
                    pipe.exists(self._stop_key(run_id))
                    *_, stop_asked = await pipe.execute()
                if stop_asked and run_id in self._stops:
                    self._stops[run_id].set()
            except (RedisError, OSError) as exc:
                logger.warning("run %s: its claim could not be extended (%s)", run_id, type(exc).__name__)

    def _pipeline(self) -> Any:
        return self._redis.pipeline(transaction=False)

    async def publish(self, run_id: str, event: RunEvent) -> None:
        await self._local.publish(run_id, event)  # this replica's followers do not wait for Redis
        with _unavailable():
            await self._redis.xadd(self._stream(run_id), {"e": orjson.dumps(encode_event(event))})

    async def release(self, thread_id: str, run_id: str, last: RunEvent | None = None) -> None:
        keeper = self._keepers.pop(run_id, None)
        if keeper is not None:
            keeper.cancel()
        self._stops.pop(run_id, None)
        keys = [self._thread_key(thread_id), self._stream(run_id), self._stop_key(run_id)]
        encoded = orjson.dumps(encode_event(last)) if last is not None else b""
        try:
            with _unavailable():
                await self._release(keys=keys, args=[run_id, encoded, ENDED_STREAM_SECONDS])
        finally:
            # After Redis: a follower here that sees `last` finds the thread free. Also when Redis failed:
            # this replica's followers still get the last event (the claim then expires on its own).
            self._local.end(thread_id, run_id, last)

    async def active_run(self, thread_id: str) -> str | None:
        with _unavailable():
            value = await self._redis.get(self._thread_key(thread_id))
        return _text(value) if value is not None else None

    def follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        if self._local.holds(run_id):
            return self._local.follow(run_id)
        return self._follow(run_id)

    async def _follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        stream = self._stream(run_id)
        last = "0-0"
        thread_id: str | None = None
        with _unavailable():  # before the first event: the request can still be refused as a whole
            if not await self._redis.exists(stream):
                return
        failing_since: float | None = None
        while True:
            try:
                answer = await self._redis.xread({stream: last}, count=256, block=self._block_ms)
                if not answer:
                    if thread_id is not None and await self.active_run(thread_id) == run_id:
                        continue
                    # The run's replica released it (its end entry is then there) or died: one more read.
                    answer = await self._redis.xread({stream: last}, count=256)
                    if not answer:
                        yield RunFailed(*RUN_LOST)
                        return
                failing_since = None
            except (RedisError, OSError, UpstreamUnavailable) as exc:
                # Redis went away: retried for a claim TTL (the run's claim would have expired by then),
                # then the run is lost to this follower; its stream ends with a failure, not a cut.
                now = asyncio.get_running_loop().time()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self._claim_seconds:
                    logger.warning("run %s: Redis did not answer its follower (%s)", run_id, type(exc).__name__)
                    yield RunFailed(*RUN_LOST)
                    return
                await asyncio.sleep(min(0.5, self._claim_seconds / 10))
                continue
            for entry_id, fields in answer[0][1]:
                last = _text(entry_id)
                if b"end" in fields:
                    return
                if b"start" in fields:
                    thread_id = _text(fields[b"start"])
                elif b"e" in fields:
                    yield decode_event(orjson.loads(fields[b"e"]))

    async def request_stop(self, thread_id: str, run_id: str | None) -> str | None:
        current = await self.active_run(thread_id)
        if current is None or (run_id is not None and run_id != current):
            return None
        with _unavailable():
            await self._redis.set(self._stop_key(current), "1", ex=STOP_KEY_SECONDS)
            await self._redis.publish(self._stop_channel, current)
        return current

    async def stop_requested(self, run_id: str) -> None:
        await self._stops.setdefault(run_id, asyncio.Event()).wait()

    async def _listen(self) -> None:
        """Stop requests from every replica, for the runs driven here; reconnects when Redis drops."""
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._stop_channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        stop = self._stops.get(_text(message["data"]))
                        if stop is not None:
                            stop.set()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                logger.warning("stop requests: Redis connection lost (%s); reconnecting", type(exc).__name__)
                await asyncio.sleep(1)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@contextlib.asynccontextmanager
async def open_redis_live_runs(
    url: str, prefix: str, *, idle_check_seconds: float = IDLE_CHECK_SECONDS, claim_seconds: float = CLAIM_SECONDS
) -> AsyncIterator[RedisLiveRuns]:
    # redis-py's default socket timeout (5 s) also bounds a blocking XREAD: a follower's wait must stay below
    # it, or a silent run reads as a dead connection. A claim TTL is above every wait (at most a third of it)
    # and still bounds how long a Redis that hangs goes unnoticed.
    timeout = max(claim_seconds, 2 * min(idle_check_seconds, claim_seconds / 3))
    client = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 5.0))
    live = RedisLiveRuns(client, prefix, idle_check_seconds=idle_check_seconds, claim_seconds=claim_seconds)
    try:
        await live.start()
        yield live
    finally:
        await live.close()
