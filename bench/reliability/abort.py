"""Check 4, abort storm: GraphQL chats against a slow paced LLM reply, each aborted by the client (its
connection closed) once a few tokens have arrived. The runtime must close every upstream stream within
1 s of its abort (the proxy stamps the close; both stamps are `time.monotonic()`), none may stay open, and
its RSS after the storm must be within 10 % of its RSS before (after a warm-up wave of the same size, so
the allocator has grown to its working size first)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.databases import percentile
from bench.reliability.client import Run, chat_request, graphql_run, new_tag, ready, script
from bench.reliability.harness import Env, rss_mb, rss_parts
from bench.reliability.report import Result, Table

CLOSE_WITHIN = 1.0
RSS_GROWTH = 0.10
TOKENS, RATE = 400, 20.0  # 20 s per stream if nobody aborted it
ABORT_AFTER = 6  # characters: the first two words (`w0 w1 `)


async def _wave(env: Env, count: int) -> list[tuple[str, Run]]:
    async def one() -> tuple[str, Run]:
        tag = new_tag()
        body = chat_request(f"{tag}-t", f"go {tag}")
        return tag, await graphql_run(env.session, env.url, body, within=30, abort_after=ABORT_AFTER)

    return await asyncio.gather(*(one() for _ in range(count)))


async def _settle(env: Env, seconds: float) -> None:
    await env.proxy.quiet(5)
    await asyncio.sleep(seconds)


async def check(env: Env, total: int, wave: int) -> Result:
    result = Result("abort", f"abort storm: {total} streams aborted mid-stream, {wave} at a time")
    await script(env.session, env.mock_llm.url, TOKENS, RATE)
    await _wave(env, wave)  # warm-up
    await _settle(env, 2)
    before, parts_before = rss_mb(env.runtime), rss_parts(env.runtime)
    mark = int((await env.proxy.stats(1 << 62))["last_id"])
    started = time.monotonic()
    runs: list[tuple[str, Run]] = []
    for offset in range(0, total, wave):
        runs += await _wave(env, min(wave, total - offset))
    elapsed = time.monotonic() - started
    still_open = await env.proxy.quiet(5)
    await asyncio.sleep(2)
    after = rss_mb(env.runtime)
    records: dict[str, dict[str, Any]] = {}
    for record in await env.proxy.records(mark):
        if record["tag"]:
            records[record["tag"]] = record
    latencies: list[float] = []
    not_aborted, unseen, completed = [], 0, 0
    for tag, run in runs:
        if run.aborted_at is None:
            not_aborted.append(run.describe())
            continue
        seen = records.get(tag)
        if seen is None:
            unseen += 1
        elif seen["ended"] is not None:
            if seen["outcome"] == "client_closed":
                latencies.append(max(0.0, seen["ended"] - run.aborted_at))
            else:
                completed += 1  # the upstream stream ran to its end: nobody closed it
    late = [latency for latency in latencies if latency > CLOSE_WITHIN]
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    worst = max(latencies, default=float("nan")) * 1000
    growth = (after - before) / before if before else 0.0
    per_stream = (after - before) * 1024 / max(1, len(runs))  # KB
    if not_aborted:
        result.failures.append(f"{len(not_aborted)} streams ended before the abort, e.g. {not_aborted[0][:160]}")
    if late:
        result.failures.append(f"{len(late)} upstream streams closed more than {CLOSE_WITHIN:g} s after the abort")
    if unseen:
        result.failures.append(f"{unseen} aborted streams never reached the upstream")
    if completed:
        result.failures.append(f"{completed} upstream streams ran to their end after the client left")
    if still_open:
        result.failures.append(f"{still_open} upstream streams still open 5 s after the storm")
    if growth > RSS_GROWTH:
        result.failures.append(f"RSS grew {growth:.1%}: {before:.1f} MB before, {after:.1f} MB after")
    if (code := await ready(env.session, env.url)) != 200:
        result.failures.append(f"/ready {code} afterwards")
    result.figures = [
        f"{len(runs)} aborted",
        f"close p50 {p50:.0f} ms, p99 {p99:.0f} ms",
        f"RSS {before:.1f} -> {after:.1f} MB ({growth:+.1%}, {per_stream:+.1f} KB per stream)",
        f"{elapsed:.1f} s",
    ]
    table = Table(["figure", "value"])
    table.add("streams aborted (after the warm-up wave)", f"{len(runs)} in waves of {wave}")
    table.add("upstream close after abort p50 / p99 / max, ms", f"{p50:.1f} / {p99:.1f} / {worst:.1f}")
    table.add(f"closed later than {CLOSE_WITHIN:g} s", len(late))
    table.add("upstream streams open 5 s after the storm", still_open)
    table.add("RSS before / after, MB", f"{before:.1f} / {after:.1f} ({growth:+.1%}, limit +{RSS_GROWTH:.0%})")
    table.add("RSS parts before / after, MB", f"{parts_before} / {rss_parts(env.runtime)}")
    table.add("RSS growth per aborted stream, KB", f"{per_stream:+.1f}")
    table.add("storm duration, s", f"{elapsed:.1f}")
    result.table = table
    return result
