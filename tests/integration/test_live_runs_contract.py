"""One contract for both `LiveRuns` adapters: in process, and on Redis (what replicas share)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from agui_runtime.adapters.outbound.live import InProcessLiveRuns
from agui_runtime.adapters.outbound.live.redis_channel import RUN_LOST, open_redis_live_runs
from agui_runtime.application.ports import Claim, LiveRuns
from agui_runtime.domain.events import (
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    TextMessageChunk,
    TextMessageStarted,
)
from agui_runtime.domain.messages import Role, TextMessage
from tests.fakes import FixedClock
from tests.integration.databases import redis_url


@pytest.fixture(params=["memory", "redis"])
async def live(request: pytest.FixtureRequest) -> AsyncIterator[LiveRuns]:
    if request.param == "memory":
        yield InProcessLiveRuns()
    else:
        async with open_redis_live_runs(redis_url(), f"agui-test-{uuid.uuid4().hex[:8]}") as channel:
            yield channel


async def collect(events: AsyncIterator[RunEvent]) -> list[RunEvent]:
    return [event async for event in events]


async def test_one_run_per_thread_until_it_is_released_and_run_ids_are_not_reused(live: LiveRuns) -> None:
    assert await live.claim("t1", "r1") is Claim.CLAIMED
    assert await live.claim("t1", "r2") is Claim.THREAD_BUSY
    assert await live.claim("t2", "r1") is Claim.RUN_EXISTS  # live on another thread
    assert await live.claim("t2", "r3") is Claim.CLAIMED
    assert await live.active_run("t1") == "r1"
    await live.release("t1", "r1")
    assert await live.active_run("t1") is None
    assert await live.claim("t1", "r2") is Claim.CLAIMED
    await live.release("t1", "r2")
    await live.release("t2", "r3")


async def test_a_follower_gets_every_event_from_the_first_then_live_until_release(live: LiveRuns) -> None:
    user = TextMessage(id="u1", created_at=FixedClock().now(), role=Role.USER, content="hi")
    first: list[RunEvent] = [RunStarted("t1", "r1", (user,)), TextMessageStarted("m1")]
    assert await live.claim("t1", "r1") is Claim.CLAIMED
    early = asyncio.create_task(collect(live.follow("r1")))  # before any event
    for event in first:
        await live.publish("r1", event)
    late = asyncio.create_task(collect(live.follow("r1")))  # after some
    await asyncio.sleep(0.05)
    rest: list[RunEvent] = [TextMessageChunk("m1", "Hello"), RunFinished("t1", "r1")]
    for event in rest:
        await live.publish("r1", event)
    await live.release("t1", "r1")

    assert await asyncio.wait_for(early, 5) == first + rest
    assert await asyncio.wait_for(late, 5) == first + rest
    assert await collect(live.follow("never-live")) == []


async def test_a_stop_request_reaches_the_run_only_when_it_names_the_live_run(live: LiveRuns) -> None:
    assert await live.claim("t1", "r1") is Claim.CLAIMED
    stopped = asyncio.create_task(live.stop_requested("r1"))
    assert await live.request_stop("t1", "r-other") is None
    assert await live.request_stop("t-idle", None) is None
    await asyncio.sleep(0.05)
    assert not stopped.done()
    assert await live.request_stop("t1", "r1") == "r1"
    await asyncio.wait_for(stopped, 5)
    await live.release("t1", "r1")
    assert await live.request_stop("t1", None) is None


async def test_a_stop_asked_before_the_run_waits_for_one_is_kept(live: LiveRuns) -> None:
    assert await live.claim("t1", "r1") is Claim.CLAIMED
    assert await live.request_stop("t1", None) == "r1"
    await asyncio.sleep(0.05)  # the stop message has come and gone before anyone waited
    await asyncio.wait_for(live.stop_requested("r1"), 5)
    await live.release("t1", "r1")


async def test_a_follower_asked_for_before_the_release_and_read_after_it_gets_the_whole_run(live: LiveRuns) -> None:
    assert await live.claim("t1", "r1") is Claim.CLAIMED
    events: list[RunEvent] = [RunStarted("t1", "r1"), RunFinished("t1", "r1")]
    for event in events:
        await live.publish("r1", event)
    follower = live.follow("r1")  # as a reconnecting client's, which streams the stored history first
    await live.release("t1", "r1")

    assert await asyncio.wait_for(collect(follower), 5) == events


async def test_a_claim_whose_caller_left_is_undone(live: LiveRuns) -> None:
    claiming = asyncio.create_task(live.claim("t1", "r1"))
    await asyncio.sleep(0)  # under way
    claiming.cancel()
    await asyncio.gather(claiming, return_exceptions=True)
    await asyncio.sleep(0.2)

    if claiming.cancelled():  # left while Redis answered: nothing stays claimed
        assert await live.active_run("t1") is None
    else:  # claimed before the caller left (in process, claiming never waits): the caller's to release
        assert claiming.result() is Claim.CLAIMED
        await live.release("t1", "r1")
    assert await live.claim("t1", "r2") is Claim.CLAIMED
    await live.release("t1", "r2")


async def test_on_redis_a_follower_of_a_run_whose_replica_died_gets_a_failure_not_a_wait() -> None:
    prefix = f"agui-test-{uuid.uuid4().hex[:8]}"
    async with (
        open_redis_live_runs(redis_url(), prefix, idle_check_seconds=0.2) as live,
        open_redis_live_runs(redis_url(), prefix, idle_check_seconds=0.2) as other,  # another replica
    ):
        assert await live.claim("t1", "r1") is Claim.CLAIMED
        await live.publish("r1", RunStarted("t1", "r1"))
        follower = asyncio.create_task(collect(other.follow("r1")))
        await asyncio.sleep(0.3)
        client = aioredis.from_url(redis_url())
        await client.delete(f"{prefix}:thread:t1")  # the claim expired: its replica stopped extending it
        await client.aclose()

        events = await asyncio.wait_for(follower, 5)

        assert events == [RunStarted("t1", "r1"), RunFailed(*RUN_LOST)]
        await live.release("t1", "r1")


async def claim_at_the_last_event(driver: LiveRuns, reader: LiveRuns) -> None:
    """A follower (on `reader`) claims the thread for its next run the moment it reads the last event."""
    events: list[RunEvent] = [RunStarted("t1", "r1"), RunFailed("MODEL_ERROR", "the model answered 500")]
    assert await driver.claim("t1", "r1") is Claim.CLAIMED
    await driver.publish("r1", events[0])
    claims: list[Claim] = []

    async def follow_then_claim() -> list[RunEvent]:
        seen: list[RunEvent] = []
        async for event in reader.follow("r1"):
            seen.append(event)
            if isinstance(event, RunFailed):  # the client retries the moment it sees the error
                claims.append(await reader.claim("t1", "r2"))
        return seen

    follower = asyncio.create_task(follow_then_claim())
    await asyncio.sleep(0.05)
    await driver.release("t1", "r1", events[1])

    assert await asyncio.wait_for(follower, 5) == events
    assert claims == [Claim.CLAIMED]
    await reader.release("t1", "r2")


async def test_once_a_follower_sees_the_last_event_the_thread_takes_a_new_run(live: LiveRuns) -> None:
    await claim_at_the_last_event(live, live)


async def test_on_redis_a_follower_on_another_replica_sees_the_last_event_with_the_thread_free() -> None:
    prefix = f"agui-test-{uuid.uuid4().hex[:8]}"
    async with open_redis_live_runs(redis_url(), prefix) as live, open_redis_live_runs(redis_url(), prefix) as other:
        await claim_at_the_last_event(live, other)
