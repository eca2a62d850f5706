"""Closing the streams a run reads from, whichever way the run ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar, runtime_checkable

from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import RunFailed

T = TypeVar("T")


@asynccontextmanager
async def closed_after(stream: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """`stream`, closed on leaving the block. A reader stopped between two items (a client that left)
    would otherwise leave an upstream generator, and the connection it holds, open until garbage
    collection."""
    try:
        yield stream
    finally:
        await close_stream(stream)


async def close_stream(stream: object) -> None:
    """Close an async iterator that can be closed (a generator, a stream object); others need nothing."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


@runtime_checkable
class Stoppable(Protocol):
    """A run's event stream that can be told why it is closed before its end, dropped before it starts,
    and waited on until what it records at its end is written."""

    def stopped(self, reason: ErrorCode | RunFailed) -> None: ...

    def discard(self) -> None: ...

    async def settled(self) -> None: ...
