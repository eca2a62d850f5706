"""Two server processes on one PostgreSQL database and one Redis: a run on one replica is followed, stopped
and replayed from the other, as behind a load balancer."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

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
