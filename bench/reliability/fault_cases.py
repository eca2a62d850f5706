"""Check 3, faults: the upstream misbehaves (through the fault proxy, armed for one tagged request each) on
the LLM path (GraphQL chat) and the agent path (GraphQL agent session and v2 `agent/faulty/run`). Each run
must end within its bound (the timeout that applies + 3 s) with a failure that carries a code (a `Failed`
status or GraphQL error for v1, `RUN_ERROR` for v2; never a success), show no internals or upstream
addresses, leave no upstream request open, and leave the runtime ready. The cases run concurrently."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bench.reliability.client import (
    Run,
    chat_request,
    graphql_run,
    internals,
    new_tag,
    ready,
    run_input,
    script,
    v2_run,
)
from bench.reliability.harness import TIMEOUT, Env
from bench.reliability.report import Result, Table

GRACE = 3.0  # what a bound allows past the timeout that applies
RUN_ERROR = {"type": "RUN_ERROR", "message": "the agent gave up", "code": "AGENT_GAVE_UP"}


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # llm | agent-v1 | agent-v2
    fault: dict[str, Any] | None  # None: the `down` agent (a closed port)
    timeout_key: str | None = None  # the setting whose timeout ends the run

    def bound(self, env: Env) -> float:
        return (env.limit(self.timeout_key, TIMEOUT) if self.timeout_key else 0.0) + GRACE


def cases() -> list[Case]:
    llm = [
        Case("LLM HTTP 500", "llm", {"mode": "status", "status": 500}),
        Case("LLM reset mid-stream", "llm", {"mode": "reset", "after": 3}),
        Case("LLM truncated (no [DONE])", "llm", {"mode": "truncate", "after": 3}),
        Case("LLM bad chunk", "llm", {"mode": "bad_json", "after": 3}),
        Case("LLM hang before headers", "llm", {"mode": "hang", "hold": 30}, "llm_first_token_timeout_seconds"),
        Case("LLM stall after tokens", "llm", {"mode": "stall", "after": 3, "hold": 30}, "llm_idle_timeout_seconds"),
    ]
    agent: list[tuple[str, dict[str, Any] | None, str | None]] = [
        ("HTTP 500", {"mode": "status", "status": 500}, None),
        ("down (connection refused)", None, "agent_connect_timeout_seconds"),
        ("RUN_ERROR event", {"mode": "inject", "after": 3, "payload": RUN_ERROR}, None),
        ("malformed JSON event", {"mode": "bad_json", "after": 3}, None),
        ("no terminal event", {"mode": "truncate", "after": 3}, None),
        ("reset mid-stream", {"mode": "reset", "after": 3}, None),
        ("hang before headers", {"mode": "hang", "hold": 30}, "agent_timeout_seconds"),
        ("stall after events", {"mode": "stall", "after": 3, "hold": 30}, "agent_timeout_seconds"),
    ]
    both = [
        Case(f"agent {name} ({path[-2:]})", path, fault, key)
        for path in ("agent-v1", "agent-v2")
        for name, fault, key in agent
    ]
    return llm + both


@dataclass
class Verdict:
    case: Case
    run: Run
    problems: list[str]
    left_open: int


async def _one(env: Env, case: Case, mark: int) -> Verdict:
    tag = new_tag()
    thread = f"{tag}-{uuid.uuid4().hex[:6]}"
    if case.fault is not None:
        await env.proxy.arm(tag=tag, **case.fault)
    bound = case.bound(env)
    limit = bound + 5  # the client gives up here; the case has failed by then
    agent = "faulty" if case.fault is not None else "down"
    if case.path == "llm":
        run = await graphql_run(env.session, env.url, chat_request(thread, f"go {tag}"), within=limit)
    elif case.path == "agent-v1":
        run = await graphql_run(env.session, env.url, chat_request(thread, f"go {tag}", agent), within=limit)
    else:
        url = f"{env.url}/agent/{agent}/run"
        run = await v2_run(env.session, url, run_input(thread, f"go {tag}"), within=limit)
    problems = []
    if run.error:
        problems.append(run.error)
    elif run.ended not in ("Failed", "graphql-error", "RUN_ERROR"):
        problems.append(f"ended {run.ended or 'without an end'} (HTTP {run.http_status}, {len(run.text)} chars)")
    elif not run.code:
        problems.append(f"ended {run.ended} without a code")
    if run.seconds > bound:
        problems.append(f"{run.seconds:.1f} s to the end, bound {bound:g} s")
    markers = internals(run.body, env.addresses)
    if markers:
        problems.append(f"internals {markers}: {run.message[:120]!r}")
    # The runtime must have closed its upstream request by the end of the run (1 s of slack).
    left_open = 0
    mine: list[dict[str, Any]] = []
    if case.fault is not None:
        deadline = time.monotonic() + 1.0
        while True:
            mine = [r for r in await env.proxy.records(mark) if r["tag"] == tag]
            left_open = sum(1 for r in mine if r["ended"] is None)
            if not left_open or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if not mine:
            problems.append("the upstream never saw the request")
        if left_open:
            problems.append(f"{left_open} upstream request(s) still open 1 s after the run ended")
    return Verdict(case, run, problems, left_open)


async def check(env: Env) -> Result:
    result = Result("faults", "upstream failures on the LLM and agent paths")
    await script(env.session, env.mock_llm.url, 20, 20.0)
    await script(env.session, env.mock_agent.url, 20, 20.0)
    mark = int((await env.proxy.stats(1 << 62))["last_id"])
    started = time.monotonic()
    chosen = cases()
    verdicts = await asyncio.gather(*(_one(env, case, mark) for case in chosen))
    elapsed = time.monotonic() - started
    table = Table(["case", "bound, s", "time to failure, s", "ended", "code", "message", "problems"])
    for verdict in verdicts:
        run = verdict.run
        table.add(
            verdict.case.name,
            f"{verdict.case.bound(env):g}",
            f"{run.seconds:.2f}",
            run.ended or "-",
            run.code or "-",
            f"`{run.message[:100]}`" if run.message else "-",
            "; ".join(verdict.problems) or "none",
        )
        if verdict.problems:
            result.failures.append(f"{verdict.case.name}: {'; '.join(verdict.problems)} ({run.describe()[:200]})")
    if (code := await ready(env.session, env.url)) != 200:
        result.failures.append(f"/ready {code} afterwards")
    worst = max(v.run.seconds for v in verdicts)
    passed = sum(not v.problems for v in verdicts)
    result.figures = [f"{passed}/{len(verdicts)} cases failed cleanly", f"slowest {worst:.1f} s", f"{elapsed:.1f} s"]
    result.table = table
    return result
