"""Check 5, soak: 50 concurrent paced GraphQL chats, each checked (text exact, status `Success`), started
again as each ends, for a fixed time; the runtime's RSS sampled every second. Passes with no errors and a
memory slope (least squares over the samples after the warm-up) under the threshold.

The threshold: at this load (~25 requests/s) a leak of 1 KB per request is ~1.5 MB/min, so 1 MB/min over
100 s after a 20 s warm-up catches leaks from about 0.7 KB per request up; allocator noise is a step of
a few hundred KB. The 10 s smoke run fits 7 s of the steepest part (the first minute, when caches and
arenas still grow, climbs at ~15-20 MB/min on a runtime that later grows at 6), so it allows 30 MB/min: it
checks the soak works and catches only gross leaks (~20 KB per request)."""

from __future__ import annotations

import asyncio
import time
import uuid

from bench.mock_llm import reply_text
from bench.reliability.client import ready, script
from bench.reliability.harness import Env, rss_mb, rss_parts
from bench.reliability.report import Result, Table
from bench.wire import chat

STREAMS = 50
TOKENS, RATE = 40, 20.0  # 2 s per stream


def slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB), in MB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if not spread:
        return 0.0
    return sum((t - mean_t) * (m - mean_m) for t, m in samples) / spread * 60


async def check(env: Env, duration: float) -> Result:
    warm_up = 20.0 if duration >= 60 else 3.0
    threshold = 1.0 if duration >= 60 else 30.0
    result = Result("soak", f"{STREAMS} concurrent paced streams for {duration:g} s")
    await script(env.session, env.mock_llm.url, TOKENS, RATE)
    parts_before = rss_parts(env.runtime)
    expected = reply_text(TOKENS)
    started = time.monotonic()
    deadline = started + duration
    samples: list[tuple[float, float]] = []
    errors: list[str] = []
    done = 0

    async def stream() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            outcome = await chat(env.session, env.url, f"rel-soak-{uuid.uuid4().hex}", expected)
            done += 1
            if outcome.error:
                errors.append(outcome.error)

    async def sample() -> None:
        while time.monotonic() < deadline:
            samples.append((time.monotonic() - started, rss_mb(env.runtime)))
            await asyncio.sleep(1.0)

    await asyncio.gather(sample(), *(stream() for _ in range(STREAMS)))
    elapsed = time.monotonic() - started
    fitted = [(t, m) for t, m in samples if t >= warm_up]
    rate = slope(fitted)
    low, high = min(m for _, m in samples), max(m for _, m in samples)
    per_request = rate * 1024 / (done / elapsed * 60) if done else 0.0  # KB per request at this slope
    if errors:
        result.failures.append(f"{len(errors)} of {done} streams failed, e.g. {errors[0][:160]}")
    if rate >= threshold:
        result.failures.append(f"memory slope {rate:.2f} MB/min (threshold {threshold:g})")
    if (code := await ready(env.session, env.url)) != 200:
        result.failures.append(f"/ready {code} afterwards")
    result.figures = [
        f"{done} streams, {len(errors)} errors",
        f"slope {rate:+.2f} MB/min (< {threshold:g}; ~{per_request:.1f} KB/request)",
        f"RSS {low:.1f}-{high:.1f} MB",
        f"{elapsed:.0f} s",
    ]
    table = Table(["figure", "value"])
    table.add("streams completed / errors", f"{done} / {len(errors)}")
    table.add("requests per second", f"{done / elapsed:.1f}")
    table.add(
        "RSS first / last / min / max, MB", f"{samples[0][1]:.1f} / {samples[-1][1]:.1f} / {low:.1f} / {high:.1f}"
    )
    table.add(f"memory slope after {warm_up:g} s warm-up, MB/min", f"{rate:+.3f} (threshold {threshold:g})")
    table.add("RSS parts before / after, MB", f"{parts_before} / {rss_parts(env.runtime)}")
    table.add("the slope per request, KB", f"{per_request:.2f}")
    table.add("samples fitted", len(fitted))
    minutes = [f"{t:.0f} s: {m:.1f}" for t, m in samples[:: max(1, len(samples) // 12)]]
    table.add("RSS over time, MB", ", ".join(minutes))
    result.table = table
    result.note = (__doc__ or "").split("\n\n", 1)[1].replace("\n", " ")
    return result
