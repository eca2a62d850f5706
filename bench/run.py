"""Side-by-side benchmark: this runtime and the reference runtime (@copilotkit/runtime 1.10.6), set up the same
way against the same mock LLM, loaded through the 1.10.6 client's wire protocol on loopback.

Scenarios (runtime-v1 GraphQL, `generateCopilotResponse` unless said):
  a  one stream, as fast as possible               b  concurrent streams, paced
  c  many concurrent streams, paced (also with one worker per core)
  d  short requests at a fixed concurrency          e  loadAgentState at concurrency 50, on each store
  sweep  concurrent paced streams, raised until streams fall behind schedule

Every reply is checked (text exact, status Success). Figures are medians over the runs with min-max; the
markdown table goes to bench/results/ with the machine, versions and the command.

    python -m bench.run                 # the full benchmark (make bench)
    python -m bench.run --smoke         # tiny sizes, one run: checks the benchmark itself works
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import aiohttp
import uvloop

from bench import servers
from bench.databases import percentile, scratch_postgres
from bench.mock_llm import reply_text
from bench.wire import Stream, chat, load_agent_state

RESULTS = Path(__file__).parent / "results"
OURS, OURS_N, REFERENCE = "ours", "ours-n", "reference"


@dataclass(frozen=True)
class Sizes:
    runs: int = 3
    single_tokens: int = 2000
    paced: tuple[int, int, float] = (50, 500, 50.0)  # streams, tokens each, tokens/s per stream
    wide: tuple[int, int, float] = (200, 200, 20.0)
    short: tuple[int, int, int] = (500, 20, 10)  # requests, tokens each, concurrency
    state: tuple[int, int, int] = (2000, 50, 100)  # requests, concurrency, threads
    sweep_rate: float = 50.0
    sweep_tokens: int = 250
    sweep_levels: tuple[int, ...] = (50, 100, 150, 200, 250, 300, 400)


SMOKE = Sizes(
    runs=1,
    single_tokens=50,
    paced=(5, 20, 200.0),
    wide=(10, 10, 100.0),
    short=(20, 5, 4),
    state=(40, 8, 5),
    sweep_rate=100.0,
    sweep_tokens=10,
    sweep_levels=(4, 8),
)


# --- figures -------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One run of one scenario on one server."""

    values: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


FIGURES = (
    ("tokens_per_s", "tokens/s", "{:,.0f}"),
    ("requests_per_s", "requests/s", "{:,.1f}"),
    ("ttft_p50_ms", "time to first token p50, ms", "{:.1f}"),
    ("ttft_p99_ms", "time to first token p99, ms", "{:.1f}"),
    ("gap_p50_ms", "inter-token gap p50, ms", "{:.2f}"),
    ("gap_p99_ms", "inter-token gap p99, ms", "{:.2f}"),
    ("latency_p50_ms", "request latency p50, ms", "{:.1f}"),
    ("latency_p99_ms", "request latency p99, ms", "{:.1f}"),
    ("cpu_us_per_token", "server CPU per token, µs", "{:.0f}"),
    ("cpu_ms_per_request", "server CPU per request, ms", "{:.2f}"),
    ("peak_rss_mb", "peak RSS per worker, MB", "{:.0f}"),
    ("on_schedule", "on-schedule streams", "{:.0f}"),
    ("mock_cpu_us_per_token", "mock LLM CPU per token, µs", "{:.0f}"),
    ("errors", "errors", "{:.0f}"),
)


def stream_figures(streams: list[Stream], elapsed: float, cpu: float, tokens: int) -> dict[str, float]:
    good = [s for s in streams if s.error is None]
    ttfts = [s.ttft * 1000 for s in good if s.ttft is not None]
    gaps = [gap * 1000 for s in good for gap in s.gaps()]
    latencies = [(s.finished - s.started) * 1000 for s in good]
    delivered = sum(len(s.arrivals) for s in good)
    return {
        "tokens_per_s": delivered / elapsed,
        "requests_per_s": len(good) / elapsed,
        "ttft_p50_ms": percentile(ttfts, 0.5),
        "ttft_p99_ms": percentile(ttfts, 0.99),
        "gap_p50_ms": percentile(gaps, 0.5),
        "gap_p99_ms": percentile(gaps, 0.99),
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p99_ms": percentile(latencies, 0.99),
        "cpu_us_per_token": cpu / max(1, delivered) * 1e6,
        "cpu_ms_per_request": cpu / max(1, len(streams)) * 1e3,
        "errors": float(len(streams) - len(good)),
    }


def on_schedule(stream: Stream, rate: float) -> bool:
    """Delivered at ≥ 90 % of the paced rate, first token within a second."""
    if stream.error is not None or stream.ttft is None or stream.ttft > 1.0 or len(stream.arrivals) < 2:
        return False
    span = stream.arrivals[-1] - stream.arrivals[0]
    return span <= (len(stream.arrivals) - 1) / rate / 0.9


# --- load ------------------------------------------------------------------------------------------------


class Load:
    def __init__(self, mock: servers.Server) -> None:
        self.mock = mock
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Load:
        timeout = aiohttp.ClientTimeout(total=600)
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.session is not None
        await self.session.close()

    async def script(self, tokens: int, rate: float) -> None:
        assert self.session is not None
        async with self.session.post(f"{self.mock.url}/control", json={"tokens": tokens, "rate": rate}) as reply:
            reply.raise_for_status()

    async def streams(self, url: str, count: int, tokens: int, concurrency: int | None = None) -> list[Stream]:
        assert self.session is not None
        session, expected = self.session, reply_text(tokens)
        limit = asyncio.Semaphore(concurrency or count)

        async def one() -> Stream:
            async with limit:
                return await chat(session, url, f"bench-{uuid.uuid4().hex}", expected)

        return await asyncio.gather(*(one() for _ in range(count)))


Measure = Callable[[servers.Server, Load], Awaitable[Figures]]


def measured(tokens: int, rate: float, count: int, concurrency: int | None = None) -> Measure:
    async def run(server: servers.Server, load: Load) -> Figures:
        await load.script(tokens, rate)
        cpu, mock_cpu, started = server.cpu(), load.mock.cpu(), time.perf_counter()
        streams = await load.streams(server.url, count, tokens, concurrency)
        elapsed = time.perf_counter() - started
        figures = Figures(stream_figures(streams, elapsed, server.cpu() - cpu, tokens))
        delivered = sum(len(s.arrivals) for s in streams if s.error is None)
        figures.values["mock_cpu_us_per_token"] = (load.mock.cpu() - mock_cpu) / max(1, delivered) * 1e6
        if rate:
            figures.values["on_schedule"] = float(sum(on_schedule(s, rate) for s in streams))
        figures.errors = [s.error for s in streams if s.error]
        return figures

    return run


async def warm_up(server: servers.Server, load: Load) -> None:
    await load.script(20, 0)
    for stream in await load.streams(server.url, 8, 20, 4):
        if stream.error:
            raise SystemExit(f"{server.name} failed its warm-up request: {stream.error}")


# --- scenarios -------------------------------------------------------------------------------------------


@dataclass
class Setup:
    """How to start each server a scenario compares."""

    mock: servers.Server
    scratch: Path
    postgres: str | None

    @contextlib.asynccontextmanager
    async def server(self, kind: str, store: str = "sqlite") -> AsyncIterator[servers.Server]:
        if kind == REFERENCE:
            server = servers.start_reference(self.mock.url)
        else:
            workers = os.cpu_count() or 1 if kind == OURS_N else 1
            async with self.store(store) as url:
                server = servers.start_ours(self.mock.url, url, workers, self.scratch)
                try:
                    yield server
                finally:
                    server.stop()
                return
        try:
            yield server
        finally:
            server.stop()

    @contextlib.asynccontextmanager
    async def store(self, store: str) -> AsyncIterator[str]:
        if store == "memory":
            yield "memory://"
        elif store == "sqlite":
            yield f"sqlite:///{self.scratch / f'bench-{uuid.uuid4().hex}.db'}"
        else:
            assert self.postgres is not None
            async with scratch_postgres(self.postgres) as url:
                yield url


async def repeated(setup: Setup, kind: str, measure: Measure, runs: int, store: str = "sqlite") -> list[Figures]:
    """Each run on a fresh server (peak RSS is per run), warmed up first."""
    results = []
    for _ in range(runs):
        async with setup.server(kind, store) as server, Load(setup.mock) as load:
            await warm_up(server, load)
            figures = await measure(server, load)
            figures.values["peak_rss_mb"] = server.peak_rss_mb()
            results.append(figures)
    return results


def state_measure(requests: int, concurrency: int, threads: int, exists: bool) -> Measure:
    """Threads are created through chats first (ours stores them; the reference keeps none and answers
    `threadExists: false`), then `loadAgentState` is asked for them round-robin."""

    async def run(server: servers.Server, load: Load) -> Figures:
        assert load.session is not None
        session = load.session
        await load.script(5, 0)
        ids = [f"bench-state-{uuid.uuid4().hex}" for _ in range(threads)]
        limit = asyncio.Semaphore(10)

        async def create(thread_id: str) -> None:
            async with limit:
                stream = await chat(session, server.url, thread_id, reply_text(5))
                if stream.error:
                    raise SystemExit(f"{server.name}: creating a thread failed: {stream.error}")

        await asyncio.gather(*(create(thread_id) for thread_id in ids))
        latencies: list[float] = []
        errors: list[str] = []
        queue = iter(range(requests))

        async def worker() -> None:
            for index in queue:
                started = time.perf_counter()
                error = await load_agent_state(session, server.url, ids[index % threads], "bench_agent", exists)
                latencies.append((time.perf_counter() - started) * 1000)
                if error:
                    errors.append(error)

        cpu, started = server.cpu(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, server.cpu() - cpu
        values = {
            "requests_per_s": requests / elapsed,
            "latency_p50_ms": percentile(latencies, 0.5),
            "latency_p99_ms": percentile(latencies, 0.99),
            "cpu_ms_per_request": cpu / requests * 1e3,
            "errors": float(len(errors)),
        }
        return Figures(values, errors)

    return run


@dataclass
class Table:
    title: str
    note: str
    columns: dict[str, list[Figures]]
    ratio: tuple[str, str] | None = (OURS, REFERENCE)


def summary(runs: list[Figures], key: str, form: str) -> str:
    values = [r.values[key] for r in runs if key in r.values]
    if not values:
        return ""
    middle = statistics.median(values)
    text = form.format(middle)
    if len(values) > 1 and min(values) != max(values):
        text += f" ({form.format(min(values))}-{form.format(max(values))})"
    return text


def median(runs: list[Figures], key: str) -> float | None:
    values = [r.values[key] for r in runs if key in r.values]
    return statistics.median(values) if values else None


def render(table: Table) -> str:
    names = list(table.columns)
    header = ["figure", *names]
    if table.ratio:
        header.append(f"{table.ratio[0]} / {table.ratio[1]}")
    lines = [f"### {table.title}", "", table.note, "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "---|" * len(header))
    for key, label, form in FIGURES:
        cells = [summary(table.columns[name], key, form) for name in names]
        if not any(cells):
            continue
        row = [label, *cells]
        if table.ratio:
            ours, reference = (median(table.columns[name], key) for name in table.ratio)
            row.append(f"{ours / reference:.2f}" if ours is not None and reference else "")
        lines.append("| " + " | ".join(row) + " |")
    errors = sorted({e for runs in table.columns.values() for r in runs for e in r.errors})
    if errors:
        lines += ["", "Errors seen: " + "; ".join(errors[:5])]
    return "\n".join(lines) + "\n"


async def sweep(setup: Setup, kind: str, sizes: Sizes) -> tuple[int, list[str]]:
    """The largest level whose streams all kept schedule (≥ 99 % of them, no errors); the rows per level."""
    best, rows = 0, []
    async with setup.server(kind) as server, Load(setup.mock) as load:
        await warm_up(server, load)
        for level in sizes.sweep_levels:
            figures = await measured(sizes.sweep_tokens, sizes.sweep_rate, level)(server, load)
            kept = int(figures.values["on_schedule"])
            ok = kept >= 0.99 * level and not figures.errors
            rows.append(
                f"| {kind} | {level} | {kept} | {figures.values['gap_p99_ms']:.1f} | "
                f"{figures.values['ttft_p99_ms']:.0f} | {len(figures.errors)} |"
            )
            if not ok:
                break
            best = level
    return best, rows


# --- report ----------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        memory = f", {int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} x {cpu}{memory}, Linux {platform.release()}"


def versions() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=servers.ROOT
    ).stdout.strip()
    lock = json.loads((servers.REFERENCE / "package-lock.json").read_text())
    packages = lock["packages"]
    reference = {
        name: packages.get(f"node_modules/{name}", {}).get("version", "?")
        for name in ("@copilotkit/runtime", "graphql-yoga", "@graphql-yoga/plugin-defer-stream", "openai")
    }
    ours = {name: metadata.version(name) for name in ("strawberry-graphql", "graphql-core", "uvicorn", "uvloop")}
    return (
        f"agui-runtime {metadata.version('agui-runtime')} at {commit or '?'} on Python {platform.python_version()} "
        f"({', '.join(f'{k} {v}' for k, v in ours.items())}); reference "
        f"{', '.join(f'{k} {v}' for k, v in reference.items())} on Node {node}"
    )


def targets(tables: dict[str, Table], sweeps: dict[str, int]) -> list[str]:
    def ratio(scenario: str, key: str, ours: str = OURS) -> float | None:
        if scenario not in tables:
            return None
        a, b = median(tables[scenario].columns[ours], key), median(tables[scenario].columns[REFERENCE], key)
        return a / b if a is not None and b else None

    def check(label: str, ok: bool | None, figure: str) -> str:
        verdict = "n/a" if ok is None else "PASS" if ok else "FAIL"
        return f"| {label} | {figure} | {verdict} |"

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    rows = ["| target | measured | |", "|---|---|---|"]
    cpu_b = ratio("b", "cpu_us_per_token")
    rows.append(
        check("(b) server CPU per token ≤ 0.8 x reference", None if cpu_b is None else cpu_b <= 0.8, fmt(cpu_b))
    )
    gap_b = ratio("b", "gap_p99_ms")
    rows.append(check("(b) p99 inter-token gap ≤ reference", None if gap_b is None else gap_b <= 1, fmt(gap_b)))
    cpu_d = ratio("d", "cpu_ms_per_request")
    rows.append(
        check("(d) server CPU per request ≤ 0.5 x reference", None if cpu_d is None else cpu_d <= 0.5, fmt(cpu_d))
    )
    if "c" in tables:
        wide = tables["c"].columns[OURS_N]
        errors_c, gap_c = median(wide, "errors") or 0, median(wide, "gap_p99_ms") or float("nan")
        ok_c = errors_c == 0 and gap_c <= 50
        label = "(c) one worker per core: no errors, p99 gap ≤ 50 ms"
        rows.append(check(label, ok_c, f"{errors_c:.0f} errors, {gap_c:.1f} ms"))
    reference_streams, ours_streams = sweeps.get(REFERENCE, 0), sweeps.get(OURS_N, 0)
    ok_sweep = ours_streams >= 2 * reference_streams if sweeps else None
    rows.append(check("sweep: on-schedule streams ≥ 2 x reference", ok_sweep, f"{ours_streams} vs {reference_streams}"))
    rss = ratio("b", "peak_rss_mb")
    rows.append(check("peak RSS per worker ≤ 0.6 x reference (b)", None if rss is None else rss <= 0.6, fmt(rss)))
    ttft = ratio("a", "ttft_p50_ms")
    rows.append(check("time to first token p50 ≤ reference (a)", None if ttft is None else ttft <= 1, fmt(ttft)))
    return rows


async def main_async(args: argparse.Namespace) -> Path:
    sizes = SMOKE if args.smoke else Sizes(runs=args.runs)
    tables: dict[str, Table] = {}
    sweeps: dict[str, int] = {}
    sweep_rows: list[str] = []
    mock = servers.start_mock()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            setup = Setup(mock, Path(scratch), args.postgres)
            ceiling = await mock_ceiling(mock, sizes.single_tokens)
            both = (OURS, REFERENCE)

            async def scenario(name: str, title: str, note: str, measure: Measure, kinds: tuple[str, ...]) -> None:
                if name not in args.scenarios:
                    return
                print(f"scenario {name}: {title}", file=sys.stderr, flush=True)
                columns = {kind: await repeated(setup, kind, measure, sizes.runs) for kind in kinds}
                tables[name] = Table(title, note, columns)

            n = sizes.single_tokens
            await scenario("a", f"(a) one stream, {n:,} tokens as fast as possible", "", measured(n, 0, 1), both)
            count, tokens, rate = sizes.paced
            title = f"(b) {count} concurrent streams x {tokens} tokens at {rate:g} tokens/s"
            await scenario("b", title, "", measured(tokens, rate, count), both)
            count, tokens, rate = sizes.wide
            title = f"(c) {count} concurrent streams x {tokens} tokens at {rate:g} tokens/s"
            note = f"`{OURS_N}`: this runtime with one worker per core ({os.cpu_count()})."
            await scenario("c", title, note, measured(tokens, rate, count), (OURS, OURS_N, REFERENCE))
            count, tokens, concurrency = sizes.short
            title = f"(d) {count} short requests ({tokens} tokens) at concurrency {concurrency}"
            await scenario("d", title, "", measured(tokens, 0, count, concurrency), both)

            requests, concurrency, threads = sizes.state
            stores = ["memory", "sqlite", *(["postgresql"] if args.postgres else [])]
            if "e" in args.scenarios:
                print("scenario e: loadAgentState", file=sys.stderr, flush=True)
                columns: dict[str, list[Figures]] = {}
                for store in stores:
                    measure = state_measure(requests, concurrency, threads, exists=True)
                    columns[f"{OURS} ({store})"] = await repeated(setup, OURS, measure, sizes.runs, store)
                measure = state_measure(requests, concurrency, threads, exists=False)
                columns[REFERENCE] = await repeated(setup, REFERENCE, measure, sizes.runs)
                note = (
                    f"{requests:,} requests over {threads} threads. Ours reads each thread's messages and state from "
                    "the store; the reference keeps no threads for an AG-UI agent and answers `threadExists: false`."
                )
                title = f"(e) loadAgentState at concurrency {concurrency}"
                tables["e"] = Table(title, note, columns, (f"{OURS} (sqlite)", REFERENCE))

            if "sweep" in args.scenarios:
                print("sweep", file=sys.stderr, flush=True)
                for kind in (OURS, OURS_N, REFERENCE):
                    sweeps[kind], rows = await sweep(setup, kind, sizes)
                    sweep_rows += rows
    finally:
        mock.stop()

    command = "python -m bench.run " + " ".join(sys.argv[1:])
    sections = [
        f"# Benchmark {datetime.date.today().isoformat()}{' (smoke sizes)' if args.smoke else ''}",
        "",
        f"- Machine: {machine()}",
        f"- Versions: {versions()}",
        f"- Command: `{command.strip()}`, {sizes.runs} run(s) per figure on a fresh server each: median (min-max)",
        f"- Mock LLM ceiling: {ceiling:,.0f} tokens/s on one stream read directly (it is never the bottleneck)",
        "- `ours`: agui-runtime, one worker, SQLite store (the embedded default) unless a column says otherwise;"
        " `reference`: @copilotkit/runtime 1.10.6 on Node (`copilotRuntimeNodeHttpEndpoint`, `OpenAIAdapter`).",
        "",
        "## Targets",
        "",
        *targets(tables, sweeps),
        "",
        "## Scenarios",
        "",
        *(render(table) for table in tables.values()),
        f"### Sweep: concurrent streams x {sizes.sweep_tokens} tokens at {sizes.sweep_rate:g} tokens/s",
        "",
        "A stream is on schedule when it delivers at ≥ 90 % of the paced rate with its first token within 1 s;"
        " a level is sustained when ≥ 99 % of its streams are, without errors. Levels rise until one is not.",
        "",
        "| server | streams | on schedule | p99 gap, ms | p99 first token, ms | errors |",
        "|---|---|---|---|---|---|",
        *sweep_rows,
        "",
        "Sustained: " + ", ".join(f"{kind} {level}" for kind, level in sweeps.items()),
        "",
    ]
    report = "\n".join(sections)
    output = Path(args.output) if args.output else RESULTS / f"{datetime.date.today().isoformat()}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(report)
    print(f"written to {output}; rerun: {command}")
    return output


async def mock_ceiling(mock: servers.Server, tokens: int) -> float:
    """Tokens/s the mock streams to a client that only counts its chunks."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{mock.url}/control", json={"tokens": tokens, "rate": 0}) as reply:
            reply.raise_for_status()
        started = time.perf_counter()
        async with session.post(f"{mock.url}/v1/chat/completions", json={}) as response:
            body = await response.read()
        elapsed = time.perf_counter() - started
    if body.count(b'"content":"w') != tokens:
        raise SystemExit("the mock LLM streamed the wrong number of tokens")
    return tokens / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one run, to check the benchmark works")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="also run (e) on PostgreSQL (postgresql+asyncpg://...)")
    parser.add_argument(
        "--scenarios",
        type=lambda value: value.split(","),
        default=["a", "b", "c", "d", "e", "sweep"],
        help="which to run, comma-separated (default a,b,c,d,e,sweep)",
    )
    parser.add_argument("--output", metavar="FILE", help="where to write the markdown (default bench/results/)")
    args = parser.parse_args()
    uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
