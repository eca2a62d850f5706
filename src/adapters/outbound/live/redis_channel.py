"""`LiveRuns` on Redis, for replicas (or workers) that share one store.

- The thread's live run: `{prefix}:thread:{thread id}` holds the run id, set only if absent, with a time
  to live that the replica driving the run keeps extending; a replica that dies frees the thread when
  the key expires.
- The run's events: a stream `{prefix}:run:{run id}`, created at the claim (a follower that comes before
  the first event waits instead of finding nothing; a run id whose stream exists is taken) and ended by
  an entry with an `end` field. It expires a while after the run is released, or soon after its replica
  stops extending it. A follower that waits in vain on a run whose thread no longer names it was left by
  a dead replica: its events end with a `RunFailed`.
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

from agui_runtime.adapters.serialization.codec import decode_event, encode_event
from agui_runtime.application.errors import UpstreamUnavailable
from agui_runtime.application.ports import Claim, LiveRuns
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import RunEvent, RunFailed

logger = logging.getLogger("agui_runtime.live")

CLAIM_SECONDS = 30  # a dead replica's thread is free again after this
KEEP_SECONDS = CLAIM_SECONDS / 3  # how often the driving replica extends the claim and checks for a stop
STREAM_SECONDS = 120  # a live run's stream, extended with the claim
ENDED_STREAM_SECONDS = 60  # a follower that read the thread's state just before the end still finds it
STOP_KEY_SECONDS = 60
RUN_LOST = (ErrorCode.RUN_LOST, "The server running this run stopped before the run ended; start it again.")

# Atomically: refuse a run id whose stream exists, claim the thread if free, open the run's stream.
_CLAIM = """
if redis.call('exists', KEYS[2]) == 1 then return 2 end
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
redis.call('xadd', KEYS[2], '*', 'start', ARGV[3])
redis.call('expire', KEYS[2], ARGV[4])
return 0
"""
# Delete the thread's key only if it still names this run (another run may have claimed it since).
_RELEASE = """
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
    def __init__(self, client: aioredis.Redis, prefix: str, *, idle_check_seconds: float = 5.0) -> None:
        # redis-py's annotations cover its sync and async clients at once (every result `Awaitable | value`).
        self._redis: Any = client
        self._prefix = prefix
        self._block_ms = max(1, int(idle_check_seconds * 1000))  # a follower's wait before it checks the run
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
            self._claim(keys=keys, args=[run_id, CLAIM_SECONDS, thread_id, STREAM_SECONDS])
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
            await asyncio.sleep(KEEP_SECONDS)
            try:
                async with self._pipeline() as pipe:
                    pipe.expire(self._thread_key(thread_id), CLAIM_SECONDS)
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
        with _unavailable():
            await self._redis.xadd(self._stream(run_id), {"e": orjson.dumps(encode_event(event))})

    async def release(self, thread_id: str, run_id: str) -> None:
        keeper = self._keepers.pop(run_id, None)
        if keeper is not None:
            keeper.cancel()
        self._stops.pop(run_id, None)
        with _unavailable():
            async with self._pipeline() as pipe:
                pipe.xadd(self._stream(run_id), {"end": "1"})
                pipe.expire(self._stream(run_id), ENDED_STREAM_SECONDS)
                pipe.delete(self._stop_key(run_id))
                await pipe.execute()
            await self._release(keys=[self._thread_key(thread_id)], args=[run_id])

    async def active_run(self, thread_id: str) -> str | None:
        with _unavailable():
            value = await self._redis.get(self._thread_key(thread_id))
        return _text(value) if value is not None else None

    def follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        return self._follow(run_id)

    async def _follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        stream = self._stream(run_id)
        last = "0-0"
        thread_id: str | None = None
        with _unavailable():
            if not await self._redis.exists(stream):
                return
        while True:
            with _unavailable():
                answer = await self._redis.xread({stream: last}, count=256, block=self._block_ms)
                if not answer:
                    if thread_id is not None and await self.active_run(thread_id) == run_id:
                        continue
                    # The run's replica released it (its end entry is then there) or died: one more read.
                    answer = await self._redis.xread({stream: last}, count=256)
                    if not answer:
                        yield RunFailed(*RUN_LOST)
                        return
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
    url: str, prefix: str, *, idle_check_seconds: float = 5.0
) -> AsyncIterator[RedisLiveRuns]:
    live = RedisLiveRuns(aioredis.from_url(url), prefix, idle_check_seconds=idle_check_seconds)
    try:
        await live.start()
        yield live
    finally:
        await live.close()
