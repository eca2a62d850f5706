"""Server-sent events as `@ag-ui/client` reads them: `data: <json>\n\n` frames, `\n` only (it splits on
a blank line of `\n\n`; a `\r\n` stream fails to parse), and a comment when nothing was sent for a while,
so proxies keep the connection open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ag_ui.core import BaseEvent
from ag_ui.encoder import EventEncoder
from starlette.responses import StreamingResponse

from agui_runtime.application.streams import close_stream

KEEP_ALIVE_SECONDS = 15.0
KEEP_ALIVE = b": keep-alive\n\n"
HEADERS = {"cache-control": "no-cache", "connection": "keep-alive", "x-accel-buffering": "no"}
_ENCODER = EventEncoder()


def encode(event: BaseEvent) -> bytes:
    return _ENCODER.encode(event).encode()


async def _with_keep_alive(frames: AsyncIterator[bytes], interval: float) -> AsyncIterator[bytes]:
    """`frames`, with a keep-alive comment after each `interval` of silence. The pending read is never
    cancelled by a keep-alive (cancelling it would end the stream)."""
    pending: asyncio.Task[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(frames))
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done:
                yield KEEP_ALIVE
                continue
            try:
                frame = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield frame
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await close_stream(frames)


def event_stream(frames: AsyncIterator[bytes], keep_alive: float = KEEP_ALIVE_SECONDS) -> StreamingResponse:
    return StreamingResponse(_with_keep_alive(frames, keep_alive), media_type="text/event-stream", headers=HEADERS)
