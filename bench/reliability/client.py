"""The suite's client side: GraphQL chats and agent sessions as the 1.10.6 client sends them (bench/wire's
document, headers and multipart reader), v2 AG-UI runs over SSE, and the fault proxy's control endpoint.

Every run comes back as a `Run`: how it ended (`Success` / `Failed` / a GraphQL error for v1,
`RUN_FINISHED` / `RUN_ERROR` for v2), the code and message it ended with, the text it streamed, the whole
body (to scan for internals and leaks) and its timings (`time.monotonic()`, the clock the proxy stamps)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.wire import HEADERS, _Multipart, chat_body

# What must never reach a client: traces, file paths, exception class names.
INTERNALS = (
    "Traceback",
    'File "',
    '.py"',
    "site-packages",
    "/work/",
    "/tmp/",
    "RecursionError",
    "KeyError",
    "TypeError:",
    "AttributeError",
    "IndexError",
    "ValueError:",
    "AssertionError",
    "NameError",
    "ZeroDivisionError",
    "UnboundLocalError",
    "asyncio.",
    "httpx.",
    "aiohttp.",
    "sqlalchemy",
)
LEAK = "sk-LEAKCHECK-123"


def internals(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The markers of internals found in `text`."""
    return [marker for marker in (*INTERNALS, *extra) if marker in text]


def new_tag() -> str:
    """A request tag the fault proxy finds in the upstream request's body (`rel-` + 12 hex digits)."""
    return f"rel-{uuid.uuid4().hex[:12]}"


@dataclass
class Run:
    http_status: int = 0
    ended: str | None = None  # Success | Failed | graphql-error | RUN_FINISHED | RUN_ERROR | None: no end seen
    code: str | None = None
    message: str = ""
    text: str = ""
    body: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float = 0.0
    aborted_at: float | None = None
    error: str | None = None  # what went wrong on the client's side (transport, timeout)

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.http_status}, {self.ended or 'no end'}, code {self.code}: {self.message[:160]!r}"


def _errors(errors: list[dict[str, Any]], run: Run) -> None:
    run.ended = "graphql-error"
    first = errors[0] if errors else {}
    run.code = (first.get("extensions") or {}).get("code")
    run.message = "; ".join(str(error.get("message", "")) for error in errors)


def _status(status: dict[str, Any], run: Run) -> None:
    run.ended = status.get("code")
    if run.ended == "Failed":
        # `reason` is UNKNOWN_ERROR for every failure of a run: the code that says what failed is the
        # original error's (what react-core reads).
        details: dict[str, Any] = status["details"] if isinstance(status.get("details"), dict) else {}
        original: dict[str, Any] = details["originalError"] if isinstance(details.get("originalError"), dict) else {}
        run.code = original.get("code")
        run.message = str(details.get("description") or original.get("message") or status.get("reason") or "")


def read_payload(payload: dict[str, Any], run: Run) -> None:
    """One multipart payload merged the way the client merges it: text items, errors, the deferred status."""
    if payload.get("errors"):
        _errors(payload["errors"], run)
    root = (payload.get("data") or {}).get("generateCopilotResponse") if isinstance(payload.get("data"), dict) else None
    if isinstance(root, dict) and isinstance(root.get("status"), dict):
        _status(root["status"], run)
    for entry in payload.get("incremental", ()):
        path = entry.get("path", [])
        if "items" in entry:
            if len(path) >= 2 and path[-2] == "content":
                run.text += "".join(entry["items"])
            elif path and path[-2:-1] == ["messages"]:
                for message in entry["items"]:
                    run.text += "".join(message.get("content") or ())
        elif "errors" in entry:
            _errors(entry["errors"], run)
        elif path == ["generateCopilotResponse"] and isinstance(entry.get("data", {}).get("status"), dict):
            _status(entry["data"]["status"], run)


def chat_request(
    thread_id: str, prompt: str, agent: str | None = None, properties: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = chat_body(thread_id, prompt)
    if agent is not None:
        body["variables"]["data"]["agentSession"] = {"agentName": agent}
    if properties is not None:
        body["variables"]["properties"] = properties
    return body


async def graphql_run(
    session: aiohttp.ClientSession,
    url: str,
    body: dict[str, Any],
    *,
    within: float = 30.0,
    abort_after: int | None = None,
) -> Run:
    """POST a GraphQL request and read its answer (multipart or JSON) to the end, or until `abort_after`
    text characters have arrived, when the connection is closed (the client's abort)."""
    run = Run()
    raw = bytearray()
    try:
        async with asyncio.timeout(within):
            async with session.post(url, json=body, headers=HEADERS) as response:
                run.http_status = response.status
                content_type = response.headers.get("content-type", "")
                if not content_type.startswith("multipart/mixed"):
                    raw += await response.read()
                    try:
                        answer = json.loads(raw)
                    except ValueError:
                        answer = None
                    if isinstance(answer, dict):
                        read_payload(answer, run)
                else:
                    reader = _Multipart(content_type)
                    async for data in response.content.iter_any():
                        raw += data
                        for payload in reader.feed(data):
                            read_payload(payload, run)
                        if abort_after is not None and len(run.text) >= abort_after:
                            run.aborted_at = time.monotonic()
                            response.close()
                            break
                    else:
                        if not reader.done and run.error is None:
                            run.error = "the multipart body ended without its closing boundary"
    except TimeoutError:
        run.error = f"no end within {within:g} s"
    except (aiohttp.ClientError, ValueError) as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    run.finished = time.monotonic()
    run.body = raw.decode("utf-8", "replace")
    return run


def run_input(thread_id: str, prompt: str, forwarded: dict[str, Any] | None = None) -> dict[str, Any]:
    """An AG-UI `RunAgentInput` with one user message."""
    return {
        "threadId": thread_id,
        "runId": f"run-{uuid.uuid4().hex}",
        "state": {},
        "messages": [{"id": f"{thread_id}-u-{uuid.uuid4().hex[:8]}", "role": "user", "content": prompt}],
        "tools": [],
        "context": [],
        "forwardedProps": forwarded or {},
    }


async def v2_run(
    session: aiohttp.ClientSession,
    url: str,
    body: Any,
    *,
    within: float = 30.0,
    abort_after: int | None = None,
    raw_body: bytes | None = None,
    content_type: str = "application/json",
) -> Run:
    """POST to a v2 route (`url` is the whole route) and read the SSE answer, or the JSON refusal."""
    run = Run()
    raw = bytearray()
    data = raw_body if raw_body is not None else json.dumps(body).encode()
    headers = {"content-type": content_type, "accept": "text/event-stream"}
    try:
        async with asyncio.timeout(within):
            async with session.post(url, data=data, headers=headers) as response:
                run.http_status = response.status
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    raw += await response.read()
                    try:
                        answer = json.loads(raw)
                    except ValueError:
                        answer = None
                    if isinstance(answer, dict):
                        run.code, run.message = answer.get("code"), str(answer.get("message", ""))
                else:
                    buffer = b""
                    async for chunk in response.content.iter_any():
                        raw += chunk
                        buffer += chunk
                        while b"\n\n" in buffer:
                            frame, buffer = buffer.split(b"\n\n", 1)
                            read_frame(frame, run)
                        if abort_after is not None and len(run.text) >= abort_after:
                            run.aborted_at = time.monotonic()
                            response.close()
                            break
    except TimeoutError:
        run.error = f"no end within {within:g} s"
    except (aiohttp.ClientError, ValueError) as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    run.finished = time.monotonic()
    run.body = raw.decode("utf-8", "replace")
    return run


def read_frame(frame: bytes, run: Run) -> None:
    for line in frame.split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        event = json.loads(line[5:])
        kind = event.get("type")
        if kind == "TEXT_MESSAGE_CONTENT":
            run.text += event.get("delta", "")
        elif kind == "RUN_FINISHED":
            run.ended = kind
        elif kind == "RUN_ERROR":
            run.ended, run.code, run.message = kind, event.get("code"), str(event.get("message", ""))


async def ready(session: aiohttp.ClientSession, url: str) -> int:
    """The status of the runtime's readiness probe (0: no answer)."""
    try:
        async with asyncio.timeout(5), session.get(f"{url}/ready") as response:
            return response.status
    except (TimeoutError, aiohttp.ClientError):
        return 0


class ProxyControl:
    """The fault proxy's control endpoint."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def arm(self, mode: str, **spec: Any) -> None:
        async with self.session.post(f"{self.url}/__fault", json={"mode": mode, **spec}) as response:
            response.raise_for_status()

    async def stats(self, since: int = -1) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/__stats", params={"since": str(since)}) as response:
            response.raise_for_status()
            answer: dict[str, Any] = await response.json()
            return answer

    async def reset(self) -> None:
        async with self.session.post(f"{self.url}/__reset") as response:
            response.raise_for_status()

    async def records(self, since: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = (await self.stats(since))["records"]
        return records

    async def quiet(self, within: float) -> int:
        """Wait up to `within` s for no stream to be open on the runtime's side; the number still open."""
        deadline = time.monotonic() + within
        while True:
            open_now = int((await self.stats(1 << 62))["open_downstream"])
            if open_now == 0 or time.monotonic() >= deadline:
                return open_now
            await asyncio.sleep(0.05)


async def script(session: aiohttp.ClientSession, url: str, tokens: int, rate: float) -> None:
    """Set the reply of a mock (the LLM's or the agent's `/control`)."""
    async with session.post(f"{url}/control", json={"tokens": tokens, "rate": rate}) as response:
        response.raise_for_status()
