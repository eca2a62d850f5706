"""The v2 SSE writer: keep-alive comments during silence, without losing the event being waited for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from agui_runtime.adapters.inbound.agui.sse import KEEP_ALIVE, _with_keep_alive


async def test_silence_gets_keep_alive_comments_and_the_awaited_frame_still_arrives() -> None:
    closed: list[bool] = []

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await asyncio.sleep(0.35)
            yield b"data: 2\n\n"
        finally:
            closed.append(True)

    out = [frame async for frame in _with_keep_alive(frames(), 0.1)]

    assert out[0] == b"data: 1\n\n"
    assert out[-1] == b"data: 2\n\n"
    assert 2 <= out.count(KEEP_ALIVE) <= 4
    assert KEEP_ALIVE == b": keep-alive\n\n"
    assert closed == [True]


async def test_a_reader_that_leaves_closes_the_frames_it_was_waiting_on() -> None:
    cancelled: list[bool] = []

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await asyncio.sleep(10)
            yield b"never"
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    stream = _with_keep_alive(frames(), 5)
    assert await anext(stream) == b"data: 1\n\n"
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await stream.aclose()  # type: ignore[attr-defined]

    assert cancelled == [True]
