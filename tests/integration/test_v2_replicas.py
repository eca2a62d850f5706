"""Two server processes on one PostgreSQL database and one Redis: a run on one replica is followed, stopped
and replayed from the other, as behind a load balancer; a silent run, a Redis that stops and a replica that
dies end no stream without a terminal event."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ServeFactory, llm_config, start_v2_client, v2_client
from tests.integration.databases import postgres_database, redis_url
from tests.integration.mock_llm import MockLLM, Reply
from tests.integration.test_v2_protocol import clean, types


async def test_a_run_on_one_replica_is_connected_to_and_stopped_from_the_other(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    live = f'live_runs_url = "{redis_url()}"\nlive_runs_prefix = "agui-test-{uuid.uuid4().hex[:8]}"\n'
    async with postgres_database() as url:
        config = f'state_store_url = "{url}"\n' + live + llm_config(mock_llm)
        first, second = serve(config), serve(config)
        mock_llm.script(Reply(tokens=[f"w{i} " for i in range(100)], delay=0.05))  # 5 s unless stopped

        runner = start_v2_client(first.url, "agui-run", {"threadId": "shared", "userMessage": "talk"})
        for _ in range(200):  # the mock answers in its own thread: poll for the model call
            if mock_llm.requests:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.4)
        follower = start_v2_client(second.url, "core-connect", {"threadId": "shared"})
        await asyncio.sleep(0.6)
        async with httpx.AsyncClient() as client:
            busy = await client.post(
                f"{second.url}/agent/default/run",
                json={
                    "threadId": "shared",
                    "runId": "intruder",
                    "state": {},
                    "messages": [],
                    "tools": [],
                    "context": [],
                    "forwardedProps": {},
                },
            )
            stop = await client.post(f"{second.url}/agent/default/stop/shared", json={})
        ran = json.loads(runner.communicate(timeout=30)[0])
        followed = json.loads(follower.communicate(timeout=30)[0])

        assert busy.status_code == 409  # the thread's run is live on the other replica
        assert stop.json() == {
            "stopped": True,
            "interrupt": {"type": "RUN_ERROR", "message": "Run stopped by user", "code": "STOPPED"},
        }
        clean(ran)
        assert types(ran["events"])[-2:] == ["TEXT_MESSAGE_END", "RUN_FINISHED"]
        text = ran["messages"][-1]["content"]
        assert text.startswith("w0 w1")
        assert len(text) < len("".join(f"w{i} " for i in range(100)))
        # the mock notices the closed connection in its own thread, which may come just after the client's end
        for _ in range(100):
            if mock_llm.disconnects:
                break
            await asyncio.sleep(0.05)
        assert mock_llm.disconnects, "the model call on the first replica was not cancelled"
        clean(followed)
        # the follower on the other replica saw the same run, from its start to its stop
        assert [(m["role"], m["content"]) for m in followed["messages"]] == [("user", "talk"), ("assistant", text)]
        assert types(followed["events"])[-1] == "RUN_FINISHED"

        async with httpx.AsyncClient() as client:
            listed = (await client.get(f"{second.url}/threads")).json()["threads"]
        assert [thread["id"] for thread in listed] == ["shared"]
        replay = v2_client(second.url, "core-connect", {"threadId": "shared"})
        clean(replay)
        assert replay["messages"][-1]["content"] == text


class FirstTokenLate(MockLLM):
    """The mock LLM, silent for `first_delay` seconds before its first chunk (a slow or thinking model)."""

    first_delay = 7.0

    async def _paced(self, chunks: list[bytes], reply: Reply) -> AsyncIterator[bytes]:
        await asyncio.sleep(self.first_delay)
        async for chunk in super()._paced(chunks, reply):
            yield chunk


@pytest.fixture
def late_llm() -> Iterator[FirstTokenLate]:
    mock = FirstTokenLate()
    mock.start()
    yield mock
    mock.stop()


async def model_called(mock: MockLLM, calls: int = 1) -> None:
    for _ in range(400):  # the mock answers in its own thread: poll for the model call
        if len(mock.requests) >= calls:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the model was not called")


def replicas_config(store_url: str, mock: MockLLM, redis: str, claim_seconds: float = 30) -> str:
    return (
        f'state_store_url = "{store_url}"\nlive_runs_url = "{redis}"\n'
        f'live_runs_prefix = "agui-test-{uuid.uuid4().hex[:8]}"\nlive_runs_claim_seconds = {claim_seconds}\n'
        + llm_config(mock)
    )


def last_error(result: dict[str, Any]) -> dict[str, Any]:
    last = result["events"][-1]
    assert last["type"] == "RUN_ERROR", types(result["events"])
    return dict(last)


async def test_a_silent_gap_longer_than_a_socket_timeout_ends_no_stream(
    serve: ServeFactory, late_llm: FirstTokenLate
) -> None:
    async with postgres_database() as url:
        config = replicas_config(url, late_llm, redis_url())
        first, second = serve(config), serve(config)
        late_llm.script(Reply(tokens=["after ", "the ", "silence"]))

        runner = start_v2_client(first.url, "core-run", {"threadId": "gap", "userMessage": "think", "timeoutMs": 40000})
        await model_called(late_llm)
        follower = start_v2_client(second.url, "core-connect", {"threadId": "gap", "timeoutMs": 40000})
        ran = json.loads(runner.communicate(timeout=60)[0])
        followed = json.loads(follower.communicate(timeout=60)[0])

    for result in (ran, followed):  # the run's own client (replica A) and a follower on replica B
        clean(result)
        assert types(result["events"])[-1] == "RUN_FINISHED"
        assert result["messages"][-1]["content"] == "after the silence"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A Redis of this test's own (on a free port, nothing saved), which the test may kill."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--dir", str(tmp_path)]
    redis = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert redis.stdout is not None
    for line in redis.stdout:  # ready once it says so
        if "Ready to accept connections" in line:
            break
    yield f"redis://127.0.0.1:{port}/0", redis
    if redis.poll() is None:
        redis.kill()
    redis.wait()
    redis.stdout.close()


async def test_a_redis_stopped_during_a_run_ends_every_stream_with_run_lost(
    serve: ServeFactory, mock_llm: MockLLM, private_redis: tuple[str, subprocess.Popen[str]]
) -> None:
    redis_at, redis = private_redis
    async with postgres_database() as url:
        config = replicas_config(url, mock_llm, redis_at, claim_seconds=3)
        first, second = serve(config), serve(config)
        mock_llm.script(Reply(tokens=[f"w{i} " for i in range(200)], delay=0.05))  # 10 s

        runner = start_v2_client(first.url, "core-run", {"threadId": "cut", "userMessage": "talk"})
        await model_called(mock_llm)
        follower = start_v2_client(second.url, "core-connect", {"threadId": "cut"})
        await asyncio.sleep(1.0)  # the follower is reading the run through Redis: now Redis goes away
        redis.kill()
        redis.wait()
        ran = json.loads(runner.communicate(timeout=30)[0])
        followed = json.loads(follower.communicate(timeout=30)[0])
        async with httpx.AsyncClient() as client:  # the stored thread needs no Redis
            stored = (await client.get(f"{first.url}/threads/cut/messages")).json()["messages"]

    assert ran["schemaErrors"] == followed["schemaErrors"] == []
    # the run's own client: the run was stopped (its thread can no longer be held), the same code
    assert last_error(ran)["code"] == "RUN_LOST"
    assert last_error(followed)["code"] == "RUN_LOST"  # the follower on the other replica: a failure, no cut
    said = ran["messages"][-1]["content"]
    assert said.startswith("w0 w1")
    assert len(said) < len("".join(f"w{i} " for i in range(200)))
    # what the run said until then is stored, its message marked as cut off
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[-1]["content"] == said


async def test_a_killed_replica_leaves_its_followers_run_lost_and_its_thread_free_after_the_claim(
    serve: ServeFactory, mock_llm: MockLLM
) -> None:
    async with postgres_database() as url:
        config = replicas_config(url, mock_llm, redis_url(), claim_seconds=3)
        first, second = serve(config), serve(config)
        mock_llm.script(Reply(tokens=[f"w{i} " for i in range(200)], delay=0.05))  # 10 s

        runner = start_v2_client(first.url, "core-run", {"threadId": "orphan", "userMessage": "talk"})
        await model_called(mock_llm)
        follower = start_v2_client(second.url, "core-connect", {"threadId": "orphan"})
        await asyncio.sleep(1.0)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        followed = json.loads(follower.communicate(timeout=30)[0])
        runner.communicate(timeout=30)
        mock_llm.script(Reply(tokens=["fresh ", "start"]))
        again = v2_client(second.url, "agui-run", {"threadId": "orphan", "userMessage": "again"})

    assert followed["schemaErrors"] == []
    assert last_error(followed)["code"] == "RUN_LOST"
    assert followed["messages"][-1]["content"].startswith("w0 w1")  # what it had seen until the end
    clean(again)
    assert types(again["events"])[-1] == "RUN_FINISHED"
    assert again["messages"][-1]["content"] == "fresh start"
