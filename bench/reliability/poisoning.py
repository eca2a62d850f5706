"""Check 6, poisoning: a bad request of each kind (unknown agent, malformed body, a failed upstream, an
aborted agent run, an aborted chat, a stopped v2 run), each followed by good requests on every path (a
GraphQL chat on the same thread as the bad one where there is one, a GraphQL agent session, a v2 agent
run); every good one must succeed with exactly the mock's text."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

from bench.mock_llm import reply_text
from bench.reliability.client import Run, chat_request, graphql_run, new_tag, ready, run_input, script, v2_run
from bench.reliability.harness import Env
from bench.reliability.report import Result, Table

TOKENS = 8
SLOW = {"mockTokens": 200, "mockRate": 20}


async def _good(env: Env, thread: str) -> list[tuple[str, Run, bool]]:
    """The good requests, each with whether it succeeded; `thread` (one a bad request touched) is reused
    for the chat."""
    expected = reply_text(TOKENS)
    chat = await graphql_run(env.session, env.url, chat_request(thread, "go"))
    agent = await graphql_run(env.session, env.url, chat_request(f"rel-good-{uuid.uuid4().hex}", "go", "faulty"))
    v2 = await v2_run(env.session, f"{env.url}/agent/faulty/run", run_input(f"rel-good-{uuid.uuid4().hex}", "go"))
    results = [("chat", chat, "Success"), ("agent session", agent, "Success"), ("v2 run", v2, "RUN_FINISHED")]
    return [(name, run, not run.error and run.ended == end and run.text == expected) for name, run, end in results]


async def check(env: Env) -> Result:
    result = Result("poisoning", "bad requests of each kind, each followed by good ones")
    await script(env.session, env.mock_llm.url, TOKENS, 0)
    await script(env.session, env.mock_agent.url, TOKENS, 0)
    table = Table(["bad request", "its answer", "good after it", "failed good ones"])

    async def unknown_agent(thread: str) -> Run:
        await v2_run(env.session, f"{env.url}/agent/nope/run", run_input(thread, "go"))
        return await graphql_run(env.session, env.url, chat_request(thread, "go", "nope"))

    async def malformed(thread: str) -> Run:
        await v2_run(env.session, f"{env.url}/agent/faulty/run", None, raw_body=b'{"threadId": ')
        return await graphql_run(
            env.session, env.url, {"query": "mutation { generateCopilotResponse(", "variables": {}}
        )

    async def failed_upstream(thread: str) -> Run:
        tag = new_tag()
        await env.proxy.arm(tag=tag, mode="status", status=500)
        agent_tag = new_tag()
        await env.proxy.arm(tag=agent_tag, mode="status", status=500)
        await v2_run(env.session, f"{env.url}/agent/faulty/run", run_input(f"{agent_tag}-t", f"go {agent_tag}"))
        return await graphql_run(env.session, env.url, chat_request(thread, f"go {tag}"))

    async def aborted_agent(thread: str) -> Run:
        body = chat_request(thread, "go", "faulty", properties=SLOW)
        return await graphql_run(env.session, env.url, body, abort_after=6)

    async def aborted_chat(thread: str) -> Run:
        await script(env.session, env.mock_llm.url, 200, 20)
        try:
            return await graphql_run(env.session, env.url, chat_request(thread, "go"), abort_after=6)
        finally:
            await env.proxy.quiet(2)
            await script(env.session, env.mock_llm.url, TOKENS, 0)

    async def stopped_v2(thread: str) -> Run:
        url = f"{env.url}/agent/faulty/run"
        running = asyncio.create_task(v2_run(env.session, url, run_input(thread, "go", SLOW)))
        await asyncio.sleep(0.5)
        async with env.session.post(f"{env.url}/agent/faulty/stop/{thread}", json={}) as response:
            await response.read()
        run = await running
        # The same thread takes a new run once the stopped one is over (a 409 for a moment is allowed).
        deadline = time.monotonic() + 2
        while True:
            again = await v2_run(env.session, url, run_input(thread, "go"))
            if again.http_status != 409 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        if again.ended != "RUN_FINISHED" or again.text != reply_text(TOKENS):
            run.error = f"the stopped run's thread refused a new run: {again.describe()}"
        return run

    bad: list[tuple[str, Callable[[str], Awaitable[Run]]]] = [
        ("unknown agent (v1 and v2)", unknown_agent),
        ("malformed body (v1 and v2)", malformed),
        ("failed upstream (LLM 500, agent 500)", failed_upstream),
        ("aborted agent session", aborted_agent),
        ("aborted chat", aborted_chat),
        ("stopped v2 run, then a new run on its thread", stopped_v2),
    ]
    good_total = good_failed = 0
    for name, action in bad:
        thread = f"rel-poison-{uuid.uuid4().hex}"
        answer = await action(thread)
        outcomes = await _good(env, thread)
        failed = [(n, r) for n, r, ok in outcomes if not ok]
        good_total += len(outcomes)
        good_failed += len(failed)
        if answer.error and "refused a new run" in answer.error:
            failed.append(("same-thread run", answer))
        described = "; ".join(f"{n}: {r.describe()[:120]}" for n, r in failed)
        table.add(name, answer.describe()[:100], f"{len(outcomes) - len(failed)}/{len(outcomes)}", described or "none")
        if failed:
            result.failures.append(f"after {name}: {described}")
    if (code := await ready(env.session, env.url)) != 200:
        result.failures.append(f"/ready {code} afterwards")
    result.figures = [f"{len(bad)} bad requests", f"{good_total - good_failed}/{good_total} good ones succeeded"]
    result.table = table
    return result
