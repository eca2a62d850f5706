"""A thread's next run, started by the real client the moment its run's terminal event arrives (a retry
after RUN_ERROR, core's follow-up after RUN_FINISHED), is accepted: the claim is released no later than the
terminal event is published. REST and the single-route envelope, in process and on Redis."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import ServeFactory, llm_config, v2_client
from tests.integration.databases import postgres_database, redis_url
from tests.integration.mock_llm import MockLLM, Reply


@pytest.mark.parametrize("ending", ["RUN_ERROR", "RUN_FINISHED"])
@pytest.mark.parametrize("mode", ["rest", "single"])
@pytest.mark.parametrize("live", ["in process", "redis"])
async def test_the_next_run_started_as_the_terminal_event_arrives_is_accepted(
    serve: ServeFactory, mock_llm: MockLLM, ending: str, mode: str, live: str
) -> None:
    async with postgres_database() as url:  # a real store: the run's record takes a real write
        await next_run_at_end(serve, mock_llm, ending, mode, live, f'state_store_url = "{url}"\n')


async def next_run_at_end(
    serve: ServeFactory, mock_llm: MockLLM, ending: str, mode: str, live: str, store: str
) -> None:
    config = store + llm_config(mock_llm)
    if live == "redis":
        config += f'live_runs_url = "{redis_url()}"\nlive_runs_prefix = "agui-test-{uuid.uuid4().hex[:8]}"\n'
    server = serve(config)
    first = Reply(status=500, error={"error": {"message": "scripted failure"}}) if ending == "RUN_ERROR" else None
    mock_llm.script(*([first] if first else [Reply(tokens=["Hello ", "there"])]), Reply(tokens=["Second ", "run"]))

    result = v2_client(
        server.url, "core-next-at-end", {"mode": mode, "threadId": f"t-{uuid.uuid4().hex[:8]}", "userMessage": "hi"}
    )

    assert result["schemaErrors"] == []
    assert result["info"]["resolvedTransport"] == mode
    assert [e["type"] for e in result["events"]][-1] == ending
    nxt = result["next"]
    assert (nxt["atEvent"], nxt["transport"]) == (ending, mode)
    assert nxt["status"] == 200, nxt.get("body")
    assert nxt["sseTypes"][0] == "RUN_STARTED"
    assert nxt["sseTypes"][-1] == "RUN_FINISHED"
    assert len(mock_llm.requests) >= 2  # the second run reached the model
