"""`LiveRuns` on Redis, for replicas (or workers) that share one store.

- The thread's live run: `{prefix}:thread:{thread id}` holds the run id, set only if absent, with a time
  to live that the replica driving the run keeps extending; a replica that dies frees the thread when
  the key expires.
- The run's events: a stream `{prefix}:run:{run id}`, created at the claim (so a follower that comes
  before the first event waits instead of finding nothing) and ended by an entry with an `end` field;
  it expires a while after the run is released.
- Stop requests: a message on `{prefix}:stop` naming the run; each replica listens and stops its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from application.errors import UpstreamUnavailable
from application.ports import LiveRuns
from domain.codec import decode_event, encode_event
from domain.events import RunEvent

logger = logging.getLogger("agui_runtime.live")

CLAIM_SECONDS = 30  # a dead replica's thread is free again after this
STREAM_SECONDS = 24 * 3600  # upper bound on a run's stream while it is live
ENDED_STREAM_SECONDS = 60  # a follower that read the thread's state just before the end still finds it
_BLOCK_MS = 10_000

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
        raise UpstreamUnavailable(f"The live-run channel (Redis) is unavailable ({type(exc).__name__}).") from None


class RedisLiveRuns(LiveRuns):
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        # redis-py's annotations cover its sync and async clients at once (every result `Awaitable | value`).
        self._redis: Any = client
        self._prefix = prefix
        self._keepers: dict[str, asyncio.Task[None]] = {}
        self._stops: dict[str, asyncio.Event] = {}
        self._release: Any = client.register_script(_RELEASE)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def _thread_key(self, thread_id: str) -> str:
        return f"{self._prefix}:thread:{thread_id}"

    def _stream(self, run_id: str) -> str:
        return f"{self._prefix}:run:{run_id}"

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
        for task in [*self._keepers.values(), *([self._listener] if self._listener else [])]:
            task.cancel()
        await asyncio.gather(
            *self._keepers.values(), *([self._listener] if self._listener else []), return_exceptions=True
        )
        await self._redis.aclose()

    async def claim(self, thread_id: str, run_id: str) -> bool:
        with _unavailable():
            claimed = await self._redis.set(self._thread_key(thread_id), run_id, nx=True, ex=CLAIM_SECONDS)
            if not claimed:
                return False
            async with self._pipeline() as pipe:
                pipe.xadd(self._stream(run_id), {"start": thread_id})
                pipe.expire(self._stream(run_id), STREAM_SECONDS)
                await pipe.execute()
        self._keepers[run_id] = asyncio.create_task(self._keep(thread_id, run_id))
        return True

    def _pipeline(self) -> Any:
        return self._redis.pipeline(transaction=False)

    async def _keep(self, thread_id: str, run_id: str) -> None:
        """Extend the claim while the run goes on here."""
        while True:
            await asyncio.sleep(CLAIM_SECONDS / 3)
            try:
                await self._redis.expire(self._thread_key(thread_id), CLAIM_SECONDS)
            except (RedisError, OSError) as exc:
                logger.warning("run %s: its claim could not be extended (%s)", run_id, type(exc).__name__)

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
                await pipe.execute()
            await self._release(keys=[self._thread_key(thread_id)], args=[run_id])

    async def active_run(self, thread_id: str) -> str | None:
        with _unavailable():
            value = await self._redis.get(self._thread_key(thread_id))
        return _text(value) if value is not None else None

    async def follow(self, run_id: str) -> AsyncIterator[RunEvent]:
        stream = self._stream(run_id)
        last = "0-0"
        while True:
            with _unavailable():
                if last == "0-0" and not await self._redis.exists(stream):
                    return
                answer = await self._redis.xread({stream: last}, count=256, block=_BLOCK_MS)
            if not answer:
                with _unavailable():
                    if not await self._redis.exists(stream):
                        return  # expired: its replica died without ending it
                continue
            for entry_id, fields in answer[0][1]:
                last = _text(entry_id)
                if b"end" in fields:
                    return
                if b"e" in fields:
                    yield decode_event(orjson.loads(fields[b"e"]))

    async def request_stop(self, thread_id: str, run_id: str | None) -> str | None:
        current = await self.active_run(thread_id)
        if current is None or (run_id is not None and run_id != current):
            return None
        with _unavailable():
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
async def open_redis_live_runs(url: str, prefix: str) -> AsyncIterator[RedisLiveRuns]:
    live = RedisLiveRuns(aioredis.from_url(url), prefix)
    try:
        await live.start()
        yield live
    finally:
        await live.close()


__all__ = ["RedisLiveRuns", "open_redis_live_runs"]
