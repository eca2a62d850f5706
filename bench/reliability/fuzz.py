"""Check 1, fuzz: schema-driven GraphQL documents (hypothesis-graphql over the runtime's own SDL, valid ones
and ones with one schema violation each) posted to the runtime. No answer may be a 5xx, show internals, or
carry an error without `extensions.code`, and the runtime must stay ready."""

from __future__ import annotations

import asyncio
import collections
import json
import tempfile
import time
from typing import Any

import aiohttp
import graphql
from graphql import print_schema
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis_graphql import Mode, from_schema, nodes

from agui_runtime.adapters.inbound.graphql.schema import build_graphql_schema
from bench.reliability.client import internals, ready
from bench.reliability.harness import Env
from bench.reliability.report import Result, Table
from bench.wire import HEADERS

CONCURRENCY = 8
PLAIN_HEADERS = {"accept": "application/json", "content-type": "application/json"}


def _object(entries: dict[str, str]) -> graphql.ObjectValueNode:
    fields = [
        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=nodes.String(v)) for k, v in entries.items()
    ]
    return nodes.Object(fields)


def _scalars() -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Value strategies for the schema's custom scalars (hypothesis-graphql generates only built-in ones)."""
    dates = ["2026-01-01T00:00:00.000Z", "2026-02-30T25:61:00Z", "yesterday", ""]
    return {
        "DateTimeISO": st.sampled_from(dates).map(nodes.String),
        "JSON": st.one_of(st.text(max_size=30).map(nodes.String), st.integers().map(nodes.Int)),
        "JSONObject": st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4).map(_object),
    }


def sdl() -> str:
    """The runtime's schema, printed from the code (introspection is off in the suite's production mode)."""
    return print_schema(build_graphql_schema())


def generate(count: int) -> list[tuple[str, str]]:
    """`count` documents, (mode, document), two valid for each invalid one; seeded, so runs repeat."""
    schema, scalars = sdl(), _scalars()
    positive = from_schema(schema, custom_scalars=scalars, mode=Mode.POSITIVE).map(lambda d: ("valid", d))
    negative = from_schema(schema, custom_scalars=scalars, mode=Mode.NEGATIVE).map(lambda d: ("invalid", d))
    documents: list[tuple[str, str]] = []

    @seed(20260101)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(st.one_of(positive, positive, negative))
    def collect(document: tuple[str, str]) -> None:
        documents.append(document)

    # Hypothesis keeps a cache (the constants it harvests) under its home, `.hypothesis` in the working
    # directory by default: keep it out of the tree.
    with tempfile.TemporaryDirectory() as home:
        set_hypothesis_home_dir(home)
        try:
            collect()
        finally:
            set_hypothesis_home_dir(None)
    return documents


def _excerpt(body: str, marker: str) -> str:
    at = body.find(marker)
    return body[max(0, at - 80) : at + 80]


def _problems(status: int, body: str, document: str, addresses: tuple[str, ...]) -> list[tuple[str, str]]:
    """(problem, the part of the answer that shows it). A marker the document itself holds is an echo of
    the input (hypothesis draws strings from the loaded modules' constants, this suite's markers included)."""
    found = []
    if status >= 500:
        found.append((f"HTTP {status}", body[:160]))
    sent = document + document.replace('\\"', '"')
    markers = [marker for marker in internals(body, addresses) if marker not in sent]
    if markers:
        found.append((f"internals {markers}", _excerpt(body, markers[0])))
    try:
        answer: Any = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        for error in answer.get("errors") or ():
            if not isinstance(error, dict) or not (error.get("extensions") or {}).get("code"):
                message = error.get("message", "") if isinstance(error, dict) else error
                found.append(("an error without extensions.code", str(message)[:160]))
                break
    elif status != 204 and not body.startswith("--"):
        found.append(("a body that is not JSON", body[:160]))
    return found


async def check(env: Env, count: int) -> Result:
    result = Result("fuzz", f"{count:,} schema-driven GraphQL documents (hypothesis-graphql)")
    started = time.monotonic()
    documents = generate(count)
    generated = time.monotonic() - started
    histogram: collections.Counter[int] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    examples: dict[str, tuple[str, str]] = {}  # problem -> (document, answer excerpt)
    not_ready: list[str] = []
    queue = iter(enumerate(documents))
    timeout = aiohttp.ClientTimeout(total=30)

    async def worker() -> None:
        for index, (mode, document) in queue:
            kinds[mode] += 1
            headers = HEADERS if index % 4 else PLAIN_HEADERS
            try:
                async with env.session.post(
                    env.url, json={"query": document}, headers=headers, timeout=timeout
                ) as response:
                    status, body = response.status, await response.text(errors="replace")
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, body = 0, ""
                examples.setdefault(f"no answer ({type(exc).__name__})", (document, str(exc)))
            histogram[status] += 1
            for problem, excerpt in _problems(status, body, document, env.addresses) if status else ():
                examples.setdefault(problem, (document, excerpt))
            if index % 100 == 99 and (code := await ready(env.session, env.url)) != 200:
                not_ready.append(f"after document {index + 1}: /ready {code}")

    before = (await env.proxy.stats(1 << 62))["requests"]
    posting = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    posted = time.monotonic() - posting
    after = (await env.proxy.stats(1 << 62))["requests"]
    calls = {target: after.get(target, 0) - before.get(target, 0) for target in ("llm", "agent")}
    final = await ready(env.session, env.url)
    if final != 200:
        not_ready.append(f"at the end: /ready {final}")
    statuses = ", ".join(f"{status or 'none'}: {n}" for status, n in sorted(histogram.items()))
    result.figures = [
        f"{len(documents)} documents ({kinds['valid']} valid, {kinds['invalid']} invalid)",
        f"statuses {{{statuses}}}",
        f"{calls['llm']} LLM and {calls['agent']} agent calls",
        f"{generated:.0f} s generating, {posted:.0f} s posting",
    ]
    for problem, (document, excerpt) in examples.items():
        result.failures.append(f"{problem} in {excerpt[:200]!r} (document {len(document)} chars: {document[:80]!r}...)")
    result.failures += not_ready
    table = result.table
    table.add("documents sent", f"{len(documents)} ({kinds['valid']} valid, {kinds['invalid']} with one violation)")
    table.add("status histogram", statuses)
    table.add("upstream calls they made (LLM / agent)", f"{calls['llm']} / {calls['agent']}")
    table.add("time generating / posting, s", f"{generated:.1f} / {posted:.1f}")
    table.add("distinct problems", len(examples))
    table.add("readiness failures", len(not_ready))
    if examples:
        result.table = Table(["problem", "in the answer", "first document that showed it"])
        for problem, (document, excerpt) in examples.items():
            result.table.add(problem, f"`{excerpt!r}`", f"`{document[:1500]!r}`")
        result.note = "\n".join(f"- {row[0]}: {row[1]}" for row in table.rows)
    return result
