"""A scripted OpenAI / Anthropic streaming server on loopback, for tests and benchmarks.

Each request takes the next scripted `Reply` (or an echo of the last user message). The server records
the request bodies, when it sent its last chunk, and every stream the client closed before the end."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.integration.loopback import Loopback


@dataclass
class ToolCall:
    id: str
    name: str
    fragments: list[str]


@dataclass
class Thinking:
    """An Anthropic thinking block: its text in chunks and its signature, or (`redacted`) only `data`."""

    chunks: list[str] = field(default_factory=list)
    signature: str = ""
    redacted: str | None = None


@dataclass
class Reply:
    tokens: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    status: int = 200
    error: dict[str, Any] | None = None
    delay: float = 0.0  # seconds between chunks
    break_after: int | None = None  # drop the connection after this many chunks
    reasoning: list[str] = field(default_factory=list)  # streamed before the answer
    reasoning_field: str = "reasoning_content"  # DeepSeek, vLLM, SGLang; OpenRouter says "reasoning"
    thinking: list[Thinking] = field(default_factory=list)  # Anthropic: blocks streamed before the answer


@dataclass
class MockLLM:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    disconnects: list[float] = field(default_factory=list)
    last_chunk_at: float = 0.0
    # CopilotKit Cloud's guardrails service: scripted verdicts (status, reason), and what it was sent
    verdicts: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)
    guardrails_requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    _loopback: Loopback | None = None

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
                Route("/v1/messages", self._anthropic, methods=["POST"]),
                Route("/guardrails/validate", self._guardrails, methods=["POST"]),
            ]
        )
        self._loopback = Loopback(app, "mock LLM")
        self.url = self._loopback.start() + "/v1"

    def stop(self) -> None:
        if self._loopback is not None:
            self._loopback.stop()

    async def _next(self, request: Request) -> tuple[dict[str, Any], Reply]:
        body: dict[str, Any] = await request.json()
        self.requests.append(body)
        if self.replies:
            return body, self.replies.popleft()
        last_user = next((m for m in reversed(body.get("messages", [])) if m.get("role") == "user"), None)
        text = last_user["content"] if last_user and isinstance(last_user.get("content"), str) else "hello"
        return body, Reply(tokens=["Echo: ", *[word + " " for word in text.split()]])

    @property
    def base_url(self) -> str:
        return self.url.removesuffix("/v1")

    async def _guardrails(self, request: Request) -> Response:
        self.guardrails_requests.append((dict(request.headers), await request.json()))
        status, body = self.verdicts.popleft()
        return JSONResponse(body, status_code=status)

    async def _paced(self, chunks: list[bytes], reply: Reply) -> AsyncIterator[bytes]:
        try:
            for index, chunk in enumerate(chunks):
                if reply.break_after is not None and index >= reply.break_after:
                    raise ConnectionAbortedError("scripted break")  # uvicorn drops the connection
                if reply.delay and index:
                    await asyncio.sleep(reply.delay)
                yield chunk
                self.last_chunk_at = time.time()
        except asyncio.CancelledError:
            self.disconnects.append(time.time())
            raise

    async def _openai(self, request: Request) -> Response:
        body, reply = await self._next(request)
        if reply.status != 200:
            return JSONResponse(reply.error or {"error": {"message": "scripted failure"}}, status_code=reply.status)
        completion = f"chatcmpl-mock-{len(self.requests)}"

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            payload = {
                "id": completion,
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body.get("model", "mock"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + json.dumps(payload).encode() + b"\n\n"

        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks += [chunk({reply.reasoning_field: part, "content": None}) for part in reply.reasoning]
        chunks += [chunk({"content": token}) for token in reply.tokens]
        for index, call in enumerate(reply.tool_calls):
            start = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            chunks.append(chunk({"tool_calls": [start]}))
            chunks += [chunk({"tool_calls": [{"index": index, "function": {"arguments": f}}]}) for f in call.fragments]
        chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        chunks.append(b"data: [DONE]\n\n")
        return StreamingResponse(self._paced(chunks, reply), media_type="text/event-stream")

    async def _anthropic(self, request: Request) -> Response:
        _, reply = await self._next(request)
        if reply.status != 200:
            failure = {"type": "api_error", "message": "scripted failure"}
            return JSONResponse(reply.error or {"type": "error", "error": failure}, status_code=reply.status)
        message_id = f"msg_mock_{len(self.requests)}"

        def event(kind: str, data: dict[str, Any]) -> bytes:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()

        usage = {"input_tokens": 1, "output_tokens": 1}
        message = {"id": message_id, "type": "message", "role": "assistant", "content": [], "model": "mock"}
        chunks = [event("message_start", {"message": {**message, "stop_reason": None, "usage": usage}})]
        block = 0
        for thought in reply.thinking:
            start: dict[str, Any]
            if thought.redacted is not None:
                start = {"type": "redacted_thinking", "data": thought.redacted}
                chunks.append(event("content_block_start", {"index": block, "content_block": start}))
            else:
                start = {"type": "thinking", "thinking": "", "signature": ""}
                chunks.append(event("content_block_start", {"index": block, "content_block": start}))
                chunks += [
                    event("content_block_delta", {"index": block, "delta": {"type": "thinking_delta", "thinking": t}})
                    for t in thought.chunks
                ]
                signature = {"type": "signature_delta", "signature": thought.signature}
                chunks.append(event("content_block_delta", {"index": block, "delta": signature}))
            chunks.append(event("content_block_stop", {"index": block}))
            block += 1
        if reply.tokens:
            chunks.append(event("content_block_start", {"index": block, "content_block": {"type": "text", "text": ""}}))
            chunks += [
                event("content_block_delta", {"index": block, "delta": {"type": "text_delta", "text": t}})
                for t in reply.tokens
            ]
            chunks.append(event("content_block_stop", {"index": block}))
            block += 1
        for call in reply.tool_calls:
            start = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
            chunks.append(event("content_block_start", {"index": block, "content_block": start}))
            chunks += [
                event("content_block_delta", {"index": block, "delta": {"type": "input_json_delta", "partial_json": f}})
                for f in call.fragments
            ]
            chunks.append(event("content_block_stop", {"index": block}))
            block += 1
        stop = "tool_use" if reply.tool_calls else "end_turn"
        chunks.append(event("message_delta", {"delta": {"stop_reason": stop}, "usage": {"output_tokens": 1}}))
        chunks.append(event("message_stop", {}))
        return StreamingResponse(self._paced(chunks, reply), media_type="text/event-stream")
