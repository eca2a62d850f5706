"""The benchmark's client side: the 1.10.6 client's exact requests, its multipart parsing, and a check of
every reply.

Requests carry the client's `generateCopilotResponse` / `loadAgentState` documents, its Accept header and
version header. The multipart body is split the way urql splits it (on `--` + boundary, headers up to the
blank line, a JSON body, `--` after the last boundary ends it), and the payloads are read the way the client
merges them: message text arrives as `content` stream items, the response status as a deferred `status`.
A reply counts only when its text is exactly the mock's and its status is `Success`."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from agui_runtime.adapters.inbound.graphql.client_document import GENERATE_COPILOT_RESPONSE

GENERATE = GENERATE_COPILOT_RESPONSE
LOAD_AGENT_STATE = (Path(__file__).parent / "loadAgentState.graphql").read_text(encoding="utf-8")
HEADERS = {
    "accept": "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed",
    "content-type": "application/json",
    "x-copilotkit-runtime-client-gql-version": "1.10.6",
}
_BOUNDARY = re.compile(r'boundary="?([^=";]+)"?')


def chat_body(thread_id: str, prompt: str) -> dict[str, Any]:
    """The variables react-core 1.10.6 sends for one user message with no actions."""
    created = "2026-01-01T00:00:00.000Z"
    messages = [
        {"id": f"{thread_id}-s", "createdAt": created, "textMessage": {"content": "Be brief.", "role": "system"}},
        {"id": f"{thread_id}-u", "createdAt": created, "textMessage": {"content": prompt, "role": "user"}},
    ]
    data = {
        "agentStates": [],
        "context": [],
        "extensions": {},
        "forwardedParameters": {},
        "frontend": {"actions": [], "url": "http://localhost:3000/"},
        "messages": messages,
        "metaEvents": [],
        "metadata": {"requestType": "Chat"},
        "runId": None,
        "threadId": thread_id,
    }
    return {"operationName": "generateCopilotResponse", "query": GENERATE, "variables": {"data": data}}


@dataclass
class Stream:
    """One chat request as the client saw it. Times are `time.perf_counter()` seconds."""

    started: float
    first_token: float | None = None
    finished: float = 0.0
    arrivals: list[float] = field(default_factory=list)  # one per token
    error: str | None = None

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.started

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.arrivals, self.arrivals[1:], strict=False)]


class _Multipart:
    """urql's multipart/mixed reader: payloads as they complete, `done` after the closing `--`."""

    def __init__(self, content_type: str) -> None:
        found = _BOUNDARY.search(content_type)
        self._delimiter = b"--" + (found.group(1).encode() if found else b"-")
        self._buffer = b""
        self._preamble = True
        self.done = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        payloads: list[dict[str, Any]] = []
        while not self.done:
            if not self._preamble and self._buffer.startswith(b"--"):
                self.done = True  # `--` right after a delimiter closes the body
                break
            index = self._buffer.find(self._delimiter)
            if index < 0:
                break
            part, self._buffer = self._buffer[:index], self._buffer[index + len(self._delimiter) :]
            if self._preamble:
                self._preamble = False
            else:
                split = part.find(b"\r\n\r\n")
                headers, body = part[:split], part[split + 4 :]
                if re.search(rb"content-type:\s*application/json", headers, re.IGNORECASE):
                    payloads.append(json.loads(body))
        return payloads


def _tokens_and_status(payload: dict[str, Any]) -> tuple[list[str], str | None]:
    """The text tokens a payload adds to the assistant message, and the response status if it carries it."""
    tokens: list[str] = []
    status: str | None = None
    for entry in payload.get("incremental", ()):
        path = entry.get("path", [])
        if "items" in entry:
            if len(path) >= 2 and path[-2] == "content":
                tokens.extend(entry["items"])
            elif path and path[-2:-1] == ["messages"]:
                for message in entry["items"]:
                    tokens.extend(message.get("content") or ())
        elif "errors" in entry:
            status = "error: " + "; ".join(error.get("message", "?") for error in entry["errors"])
        elif path == ["generateCopilotResponse"] and isinstance(entry.get("data", {}).get("status"), dict):
            status = entry["data"]["status"].get("code")
    if payload.get("errors"):
        status = "error: " + "; ".join(error.get("message", "?") for error in payload["errors"])
    return tokens, status


async def chat(session: aiohttp.ClientSession, url: str, thread_id: str, expected: str) -> Stream:
    """One `generateCopilotResponse`, read to the end; `error` says what was wrong with it, if anything."""
    stream = Stream(started=time.perf_counter())
    received: list[str] = []
    status: str | None = None
    try:
        async with session.post(url, json=chat_body(thread_id, "go"), headers=HEADERS) as response:
            content_type = response.headers.get("content-type", "")
            if response.status != 200 or not content_type.startswith("multipart/mixed"):
                stream.error = f"HTTP {response.status} {content_type}: {(await response.text())[:200]}"
                return stream
            reader = _Multipart(content_type)
            async for data in response.content.iter_any():
                now = time.perf_counter()
                for payload in reader.feed(data):
                    tokens, found = _tokens_and_status(payload)
                    if tokens:
                        if stream.first_token is None:
                            stream.first_token = now
                        received.extend(tokens)
                        stream.arrivals.extend([now] * len(tokens))
                    status = found or status
            if not reader.done:
                stream.error = "the multipart body ended without its closing boundary"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        stream.error = f"{type(exc).__name__}: {exc}"
    finally:
        stream.finished = time.perf_counter()
    if stream.error is None:
        text = "".join(received)
        if text != expected:
            stream.error = f"wrong text: {len(text)} characters, expected {len(expected)}"
        elif status != "Success":
            stream.error = f"status {status}"
    return stream


async def load_agent_state(
    session: aiohttp.ClientSession, url: str, thread_id: str, agent: str, exists: bool
) -> str | None:
    """One `loadAgentState`; the error, if the answer is not the expected one."""
    body = {
        "operationName": "loadAgentState",
        "query": LOAD_AGENT_STATE,
        "variables": {"data": {"threadId": thread_id, "agentName": agent}},
    }
    try:
        async with session.post(url, json=body, headers=HEADERS) as response:
            answer = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    view = (answer.get("data") or {}).get("loadAgentState")
    if response.status != 200 or not isinstance(view, dict):
        return f"HTTP {response.status}: {json.dumps(answer)[:200]}"
    if view.get("threadId") != thread_id or view.get("threadExists") is not exists:
        return f"unexpected view {json.dumps(view)[:200]}"
    if exists and not json.loads(view["messages"]):
        return "an existing thread came back without its messages"
    return None
