"""Check 2, malformed: hand-made bad requests, GraphQL and v2. Each must be refused with a 4xx (or, where the
protocol says so, a 200 carrying a GraphQL error, a `Failed` status or a `RUN_ERROR`) and a stable code (the
same `UPPER_CASE` code when sent twice), with no model or agent call, no internals, and without echoing the
`properties` secret `sk-LEAKCHECK-123`."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from agui_runtime.adapters.inbound.graphql.client_document import GENERATE_COPILOT_RESPONSE
from bench.reliability.client import LEAK, Run, chat_request, internals, read_frame, read_payload, ready, run_input
from bench.reliability.harness import Env
from bench.reliability.report import Result, Table
from bench.wire import HEADERS, _Multipart

SECRET = {"apiKey": LEAK}
CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}


@dataclass
class Case:
    name: str
    path: str = ""  # below the runtime's base path
    body: bytes | Callable[[], AsyncIterator[bytes]] = b""
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=lambda: dict(HEADERS))
    query: dict[str, str] | None = None


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _chat(prompt: str = "go", properties: Any = SECRET, **data: Any) -> dict[str, Any]:
    body = chat_request(f"rel-bad-{uuid.uuid4().hex[:8]}", prompt, properties=properties)
    body["variables"]["data"].update(data)
    return body


def _messages(count: int, size: int = 2) -> list[dict[str, Any]]:
    created = "2026-01-01T00:00:00.000Z"
    return [
        {"id": f"m{i}", "createdAt": created, "textMessage": {"content": "x" * size, "role": "user"}}
        for i in range(count)
    ]


def _aliased(count: int) -> dict[str, Any]:
    fields = " ".join(
        f"a{i}: generateCopilotResponse(data: $data, properties: $properties) {{ threadId }}" for i in range(count)
    )
    body = _chat()
    body["query"] = f"mutation many($data: GenerateCopilotResponseInput!, $properties: JSONObject) {{ {fields} }}"
    body["operationName"] = "many"
    return body


def _fragments(count: int) -> str:
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(count - 1))
    return f"query {{ ...F0 }} {chain} fragment F{count - 1} on Query {{ hello }}"


def _v2(thread: str, messages: list[dict[str, Any]] | Any, forwarded: dict[str, Any] | None = None) -> bytes:
    body = run_input(thread, "go", forwarded if forwarded is not None else dict(SECRET))
    body["messages"] = messages
    return _json(body)


def _v2_messages(count: int, size: int = 2) -> list[dict[str, Any]]:
    return [{"id": f"m{i}", "role": "user", "content": "x" * size} for i in range(count)]


def cases(max_body: int, max_messages: int, max_message_bytes: int, max_depth: int, max_aliases: int) -> list[Case]:
    over_body = max_body * 2
    huge = min(max_message_bytes * 8, max_body // 2)  # over the message limit, under the body limit
    padding = {"query": "{ hello }", "variables": {"pad": "x" * over_body}}

    async def chunked() -> AsyncIterator[bytes]:
        piece = b"x" * 65536
        yield b'{"query": "{ hello }", "variables": {"pad": "'
        for _ in range(over_body // len(piece) + 1):
            yield piece
        yield b'"}}'

    thread = f"rel-bad-{uuid.uuid4().hex[:8]}"
    v2_run = "agent/faulty/run"
    v2_default = "agent/default/run"
    plain = {"content-type": "text/plain", "accept": "application/json"}
    return [
        Case("invalid JSON", body=b'{"query": "{ hello }"'),
        Case("text/plain body", body=_json({"query": "{ hello }"}), headers={**HEADERS, "content-type": "text/plain"}),
        Case(
            "form-encoded body",
            body=b"query=%7Bhello%7D",
            headers={**HEADERS, "content-type": "application/x-www-form-urlencoded"},
        ),
        Case(f"body over max_body_bytes ({over_body:,} B)", body=_json(padding)),
        Case("body over max_body_bytes, chunked", body=chunked),
        Case(
            "JSON nested 5000 deep",
            body=b'{"query": "{ hello }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        ),
        Case("`{` nested 5000 deep", body=_json({"query": "{" * 5000 + "}" * 5000})),
        Case("fields nested 5000 deep", body=_json({"query": "{ " + "a { " * 5000 + "b" + " }" * 5000 + " }"})),
        Case("1000 aliases of generateCopilotResponse", body=_json(_aliased(1000))),
        Case("2 root generateCopilotResponse fields", body=_json(_aliased(2))),
        Case("5000 nested fragments", body=_json({"query": _fragments(5000)})),
        # Under graphql-core's token limit, so the runtime's own limits (or validation's recursion) are what answer.
        Case("1100 nested fragments", body=_json({"query": _fragments(1100)})),
        Case(
            f"{max_aliases + 1} aliases (over max_aliases)",
            body=_json({"query": "{ " + " ".join(f"a{i}: hello" for i in range(max_aliases + 1)) + " }"}),
        ),
        Case(
            f"fields nested {max_depth + 5} deep (over max_query_depth)",
            body=_json({"query": "{ " + "a { " * (max_depth + 5) + "b" + " }" * (max_depth + 5) + " }"}),
        ),
        Case("wrong variable type (messages: string)", body=_json(_chat(messages="not a list"))),
        Case("secret in properties, wrong type elsewhere (threadId: 123)", body=_json(_chat(threadId=123))),
        Case("secret as properties of the wrong type (a list)", body=_json(_chat(properties=[LEAK]))),
        Case("secret as properties of the wrong type (a string)", body=_json(_chat(properties=LEAK))),
        Case(f"too many messages ({max_messages * 4})", body=_json(_chat(messages=_messages(max_messages * 4)))),
        Case(f"one huge message ({huge:,} B)", body=_json(_chat(messages=_messages(1, huge)))),
        Case("null byte in the raw body", body=b'{"query": "{ hello \x00 }"}'),
        Case("null byte in the query", body=_json({"query": "{ hello \u0000 }"})),
        Case("null byte in a message", body=_json(_chat(prompt="go\u0000"))),
        Case("batch array", body=_json([{"query": "{ hello }"}, {"query": "{ hello }"}])),
        Case("variables not an object", body=_json({"query": "{ hello }", "variables": "x"})),
        Case("no query", body=_json({"variables": {}})),
        Case("unknown operationName", body=_json({"query": "query A { hello }", "operationName": "B"})),
        Case("unknown field", body=_json({"query": "{ nope }"})),
        Case("introspection in production", body=_json({"query": "{ __schema { types { name } } }"})),
        Case(
            "GET mutation",
            method="GET",
            query={"query": GENERATE_COPILOT_RESPONSE, "variables": json.dumps(_chat()["variables"])},
        ),
        Case("v2: invalid JSON", v2_run, b'{"threadId": ', headers=JSON_HEADERS),
        Case("v2: text/plain body", v2_run, _v2(thread, _v2_messages(1)), headers=plain),
        Case("v2: empty object", v2_run, b"{}", headers=JSON_HEADERS),
        Case("v2: batch array", v2_run, _json([json.loads(_v2(thread, _v2_messages(1)))]), headers=JSON_HEADERS),
        Case("v2: empty threadId", v2_run, _v2("", _v2_messages(1)), headers=JSON_HEADERS),
        Case("v2: messages not a list, secret in forwardedProps", v2_run, _v2(thread, LEAK), headers=JSON_HEADERS),
        Case(
            f"v2: too many messages ({max_messages * 4})",
            v2_default,
            _v2(thread, _v2_messages(max_messages * 4)),
            headers=JSON_HEADERS,
        ),
        Case(
            f"v2: one huge message ({huge:,} B)", v2_default, _v2(thread, _v2_messages(1, huge)), headers=JSON_HEADERS
        ),
        Case(f"v2: body over max_body_bytes ({over_body:,} B)", v2_run, _json(padding), headers=JSON_HEADERS),
        Case("v2: unknown agent", "agent/nope/run", _v2(thread, _v2_messages(1)), headers=JSON_HEADERS),
        Case("v2: envelope without params", "", _json({"method": "agent/run"}), headers=JSON_HEADERS),
        Case(
            "v2: stop with an unknown key",
            f"agent/faulty/stop/{thread}",
            _json({"runId": "r", "x": 1}),
            headers=JSON_HEADERS,
        ),
    ]


@dataclass
class Outcome:
    status: int
    code: str | None
    refused: bool  # a 4xx, or the protocol's in-band refusal
    body: str
    detail: str


def _interpret(status: int, content_type: str, raw: bytes) -> Outcome:
    body = raw.decode("utf-8", "replace")
    run = Run(http_status=status)
    try:
        if content_type.startswith("multipart/mixed"):
            reader = _Multipart(content_type)
            for payload in reader.feed(raw):
                read_payload(payload, run)
        elif content_type.startswith("text/event-stream"):
            for frame in raw.split(b"\n\n"):
                read_frame(frame, run)
        else:
            answer = json.loads(raw) if raw.strip() else None
            if isinstance(answer, dict):
                if "errors" in answer or "data" in answer:
                    read_payload(answer, run)
                else:
                    run.code, run.message = answer.get("code"), str(answer.get("message", ""))
    except ValueError:
        pass
    in_band = status == 200 and run.ended in ("graphql-error", "Failed", "RUN_ERROR")
    refused = 400 <= status < 500 or in_band
    detail = f"{status} {run.ended or ''} {run.code or 'no code'}".replace("  ", " ")
    return Outcome(status, run.code, refused, body, detail)


async def _send(env: Env, case: Case) -> Outcome:
    url = f"{env.url}/{case.path}" if case.path else env.url
    body = case.body() if callable(case.body) else case.body
    try:
        async with (
            asyncio.timeout(30),
            env.session.request(
                case.method, url, data=body if case.method == "POST" else None, headers=case.headers, params=case.query
            ) as response,
        ):
            raw = await response.read()
            return _interpret(response.status, response.headers.get("content-type", ""), raw)
    except TimeoutError:
        return Outcome(0, None, False, "", "no answer within 30 s")
    except aiohttp.ClientError as exc:
        return Outcome(0, None, False, "", f"{type(exc).__name__}: {exc}")


async def check(env: Env) -> Result:
    result = Result("malformed", "hand-made bad requests, GraphQL and v2")
    chosen = cases(
        int(env.limit("max_body_bytes", 10 * 1024 * 1024)),
        int(env.limit("max_messages", 500)),
        int(env.limit("max_message_bytes", 1024 * 1024)),
        int(env.limit("max_query_depth", 20)),
        int(env.limit("max_aliases", 20)),
    )
    table = Table(["case", "answer", "again", "model/agent calls", "problems"])
    total_calls = 0
    started = time.monotonic()
    for case in chosen:
        before = (await env.proxy.stats(1 << 62))["requests"]
        first = await _send(env, case)
        second = await _send(env, case)
        await asyncio.sleep(0.05)  # a run started in the background would call out by now
        after = (await env.proxy.stats(1 << 62))["requests"]
        calls = sum(after.values()) - sum(before.values())
        total_calls += calls
        problems = []
        for outcome in (first, second):
            if not outcome.refused:
                problems.append(f"not refused ({outcome.detail})")
            elif outcome.code is None or not CODE.match(outcome.code):
                problems.append(f"no stable code ({outcome.detail})")
            if LEAK in outcome.body:
                problems.append(f"{LEAK} echoed")
            markers = internals(outcome.body, env.addresses)
            if markers:
                problems.append(f"internals {markers}")
        if first.code != second.code:
            problems.append(f"code changed: {first.code} then {second.code}")
        if calls:
            problems.append(f"{calls} upstream call(s) for 2 requests")
        problems = list(dict.fromkeys(problems))
        table.add(case.name, first.detail, second.detail, calls, "; ".join(problems) or "none")
        if problems:
            result.failures.append(f"{case.name}: {'; '.join(problems)}")
    elapsed = time.monotonic() - started
    if (code := await ready(env.session, env.url)) != 200:
        result.failures.append(f"/ready {code} afterwards")
    logged = sum(LEAK in line for line in env.runtime.log)
    refused = sum(1 for row in table.rows if row[4] == "none")
    result.figures = [
        f"{refused}/{len(chosen)} cases refused cleanly (each sent twice)",
        f"{total_calls} upstream calls",
    ]
    result.figures.append(f"{elapsed:.1f} s")
    result.table = table
    result.note = f"Each case is sent twice. Server log lines mentioning {LEAK}: {logged} (reported, not judged)."
    return result
