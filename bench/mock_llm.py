"""The benchmark's mock LLM: OpenAI chat-completions streaming, deterministic and cheap, in its own process.

Every completion streams the same reply, `tokens` words (`w0 w1 ...`), as fast as possible or paced at
`rate` tokens/s per stream on an absolute schedule (a late token does not push the later ones back).
`POST /control {"tokens": T, "rate": R}` sets the reply for the completions that follow. It is a bare
ASGI app on uvicorn (uvloop, httptools) with every chunk pre-encoded, so it costs a few µs per token;
`ceiling()` measures what it delivers straight to a client, so a run can show it was not the bottleneck.

    python -m bench.mock_llm --port 8100
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def word(index: int) -> str:
    return f"w{index} "


def reply_text(tokens: int) -> str:
    return "".join(word(i) for i in range(tokens))


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench"}
    return b"data: " + json.dumps({**body, "choices": [choice]}, separators=(",", ":")).encode() + b"\n\n"


@dataclass
class _Reply:
    tokens: int = 20
    rate: float = 0.0  # tokens per second per stream; 0 sends as fast as possible
    chunks: tuple[bytes, ...] = ()

    def encode(self) -> None:
        self.chunks = tuple(_chunk({"content": word(i)}) for i in range(self.tokens))


_FIRST = _chunk({"role": "assistant", "content": ""})
_LAST = _chunk({}, "stop") + b"data: [DONE]\n\n"
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


class MockLLM:
    def __init__(self) -> None:
        self.reply = _Reply()
        self.reply.encode()
        self.completions = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path.endswith("/chat/completions"):
            await self._complete(send)
        elif path == "/control":
            settings = json.loads(body)
            reply = _Reply(int(settings["tokens"]), float(settings.get("rate", 0)))
            reply.encode()
            self.reply = reply
            await _respond(send, 200, b'{"ok":true}')
        elif path == "/stats":
            await _respond(send, 200, json.dumps({"completions": self.completions}).encode())
        else:
            await _respond(send, 404, b'{"error":{"message":"not found"}}')

    async def _complete(self, send: Send) -> None:
        self.completions += 1
        reply = self.reply
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        await send({"type": "http.response.body", "body": _FIRST, "more_body": True})
        if reply.rate <= 0:
            for chunk in reply.chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        else:
            loop = asyncio.get_running_loop()
            start, interval = loop.time(), 1.0 / reply.rate
            for index, chunk in enumerate(reply.chunks):
                delay = start + index * interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": _LAST, "more_body": False})


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # "Uvicorn running on http://127.0.0.1:<port>" on stderr tells the harness where it listens.
    uvicorn.run(MockLLM(), host="127.0.0.1", port=args.port, log_level="info", access_log=False, loop="uvloop")


if __name__ == "__main__":
    main()
