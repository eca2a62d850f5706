"""Reliability suite: one runtime (`agui-runtime serve`, one worker, a fresh SQLite file) kept for every
check, behind it the mock LLM and a mock AG-UI agent, both reached through a fault-injecting proxy.

Checks, each printing `PASS <name>: <figures>` or `FAIL <name>: <what failed>` (abort and soak run first,
on a heap the fuzz has not grown yet):
  fuzz       schema-driven GraphQL documents: no 5xx, no internals, every error has a code, still ready
  malformed  hand-made bad requests: a 4xx (or in-band refusal) with a stable code, no upstream call, no leak
  faults     upstream failures on the LLM and agent paths: a coded failure within the timeout + 3 s
  abort      an abort storm: every upstream stream closed within 1 s, RSS back within 10 %
  soak       50 concurrent paced streams: no errors, a flat memory slope
  poisoning  bad requests of each kind, then good ones: all good ones succeed

    python -m bench.reliability                  # the full run (a few minutes)
    python -m bench.reliability --smoke          # small sizes (under a minute)
    python -m bench.reliability --checks faults,abort --output /tmp/r.md

Exit status 1 when any check fails. The markdown report goes to bench/results/reliability-<date>.md."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import aiohttp
import uvloop

from bench import servers
from bench.mock_llm import reply_text
from bench.reliability import abort, fault_cases, fuzz, malformed, poisoning, soak
from bench.reliability.client import ProxyControl, chat_request, graphql_run, run_input, script, v2_run
from bench.reliability.harness import SUITE_SETTINGS, Env, start_runtime, start_support
from bench.reliability.report import Result, markdown
from bench.run import machine

RESULTS = Path(__file__).parent.parent / "results"
CHECKS = ("fuzz", "malformed", "faults", "abort", "soak", "poisoning")
# The memory checks go first, on a heap only warmed up: after the fuzz has grown it by ~150 MB, a leak
# refills freed memory for minutes before RSS shows it.
RUN_ORDER = ("abort", "soak", "fuzz", "malformed", "faults", "poisoning")


@dataclass(frozen=True)
class Sizes:
    fuzz: int = 2500
    abort_total: int = 500
    abort_wave: int = 100
    soak_seconds: float = 120.0


SMOKE = Sizes(fuzz=200, abort_total=50, abort_wave=50, soak_seconds=10.0)


async def warm_up(env: Env) -> str | None:
    """One request on each path; what went wrong, if anything (the suite cannot judge a runtime that
    fails these)."""
    await script(env.session, env.mock_llm.url, 8, 0)
    await script(env.session, env.mock_agent.url, 8, 0)
    expected = reply_text(8)
    for attempt in range(3):
        chat = await graphql_run(env.session, env.url, chat_request(f"rel-warm-{uuid.uuid4().hex}", "go"))
        agent = await graphql_run(env.session, env.url, chat_request(f"rel-warm-{uuid.uuid4().hex}", "go", "faulty"))
        url = f"{env.url}/agent/faulty/run"
        v2 = await v2_run(env.session, url, run_input(f"rel-warm-{uuid.uuid4().hex}", "go"))
        runs = {"chat": (chat, "Success"), "agent session": (agent, "Success"), "v2 run": (v2, "RUN_FINISHED")}
        wrong = [
            f"{name}: {run.describe()}" for name, (run, end) in runs.items() if run.ended != end or run.text != expected
        ]
        if not wrong:
            return None
        if attempt == 2:
            return "; ".join(wrong)
    return None


def _version() -> str:
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=servers.ROOT
    ).stdout.strip()
    return f"agui-runtime {metadata.version('agui-runtime')} at {commit or '?'}"


async def run_checks(args: argparse.Namespace, env: Env) -> list[Result]:
    sizes = SMOKE if args.smoke else Sizes()
    if args.soak_seconds is not None:
        sizes = dataclasses.replace(sizes, soak_seconds=args.soak_seconds)
    if args.abort_streams is not None:
        sizes = dataclasses.replace(sizes, abort_total=args.abort_streams)
    runners: dict[str, Callable[[], Awaitable[Result]]] = {
        "fuzz": lambda: fuzz.check(env, sizes.fuzz),
        "malformed": lambda: malformed.check(env),
        "faults": lambda: fault_cases.check(env),
        "abort": lambda: abort.check(env, sizes.abort_total, sizes.abort_wave),
        "soak": lambda: soak.check(env, sizes.soak_seconds),
        "poisoning": lambda: poisoning.check(env),
    }
    results = []
    for name in RUN_ORDER:
        if name not in args.checks:
            continue
        print(f"... {name}", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            await env.proxy.reset()
            await script(env.session, env.mock_llm.url, 8, 0)
            await script(env.session, env.mock_agent.url, 8, 0)
            result = await runners[name]()
        except Exception as exc:  # a broken check is a failed one; the others still run
            traceback.print_exc()
            result = Result(name, "(the check itself failed)", failures=[f"{type(exc).__name__}: {exc}"])
        result.seconds = time.monotonic() - started
        if env.runtime.process.poll() is not None:
            result.failures.append(f"the runtime exited with {env.runtime.process.returncode}")
        print(result.line(), flush=True)
        results.append(result)
        if env.runtime.process.poll() is not None:  # the suite never restarts it: the rest cannot run
            for rest in RUN_ORDER[RUN_ORDER.index(name) + 1 :]:
                if rest in args.checks:
                    results.append(Result(rest, "(not run)", failures=["not run: the runtime had exited"]))
                    print(results[-1].line(), flush=True)
            break
    return results


async def main_async(args: argparse.Namespace) -> int:
    mock_llm, mock_agent, proxy = start_support()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            down_url = f"http://127.0.0.1:{servers.free_port()}/agent"  # nothing listens there
            runtime, settings, refused = start_runtime(
                Path(scratch), f"{proxy.url}/v1", f"{proxy.url}/agent", down_url, SUITE_SETTINGS, args.runtime_src
            )
            try:
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(
                    connector=connector, timeout=aiohttp.ClientTimeout(total=120)
                ) as session:
                    env = Env(
                        runtime,
                        mock_llm,
                        mock_agent,
                        proxy,
                        session,
                        ProxyControl(session, proxy.url),
                        args.smoke,
                        settings,
                        refused,
                        down_url,
                    )
                    if refused:
                        print(f"note: the runtime refused these settings, run without them: {', '.join(refused)}")
                    problem = await warm_up(env)
                    if problem is not None:
                        print(f"FAIL warm-up: {problem}")
                        return 1
                    started = time.monotonic()
                    results = await run_checks(args, env)
                    elapsed = time.monotonic() - started
            finally:
                runtime.stop()
            log = list(runtime.log)
    finally:
        for server in (proxy, mock_agent, mock_llm):
            server.stop()
            if any("Traceback" in line for line in server.log):  # the suite's own helpers failing
                print(f"note: the {server.name} logged errors:\n{''.join(server.log[-40:])}", file=sys.stderr)
    passed = sum(r.passed for r in results)
    print(f"checks took {elapsed:.0f} s")
    print(f"reliability: {passed} passed, {len(results) - passed} failed")
    write_report(args, results, settings, refused, log)
    return 0 if passed == len(results) else 1


def write_report(
    args: argparse.Namespace, results: list[Result], settings: dict[str, object], refused: list[str], log: list[str]
) -> None:
    not_json = 0
    for line in log:
        try:
            json.loads(line)
        except ValueError:
            not_json += 1
    given = ", ".join(f"`{key} = {json.dumps(value)}`" for key, value in settings.items())
    header = [
        f"- Machine: {machine()}",
        f"- Runtime: {_version()} on Python {sys.version.split()[0]}, one worker, SQLite, behind the fault proxy",
        f"- Command: `{' '.join(['python -m bench.reliability', *sys.argv[1:]])}`",
        f"- Settings the runtime took: {given}",
        f"- Settings the runtime refused (it ran without them): {', '.join(refused) or 'none'}",
        f"- Server log: {len(log)} lines, {not_json} not JSON",
    ]
    output = Path(args.output) if args.output else RESULTS / f"reliability-{datetime.date.today().isoformat()}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown(results, header, args.smoke), encoding="utf-8")
    print(f"report written to {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes: checks the suite itself in under a minute")
    parser.add_argument("--output", metavar="FILE", help="where to write the markdown (default bench/results/)")
    parser.add_argument(
        "--checks",
        type=lambda value: value.split(","),
        default=list(CHECKS),
        help=f"which to run, comma-separated (default {','.join(CHECKS)})",
    )
    parser.add_argument("--soak-seconds", type=float, help="how long the soak runs (default 120, smoke 10)")
    parser.add_argument(
        "--runtime-src", type=Path, metavar="DIR", help="run the runtime from this `src` (e.g. an older checkout's)"
    )
    parser.add_argument("--abort-streams", type=int, help="streams in the abort storm (default 500, smoke 50)")
    args = parser.parse_args()
    unknown = set(args.checks) - set(CHECKS)
    if unknown:
        parser.error(f"unknown checks: {', '.join(sorted(unknown))}")
    sys.exit(uvloop.run(main_async(args)))


if __name__ == "__main__":
    main()
