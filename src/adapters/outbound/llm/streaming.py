"""What every vendor adapter does around its stream: open it, relay its events, close it however the
run ends (an abort included, so the upstream connection closes at once), and translate SDK errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from application.errors import UpstreamError
from domain.events import RunEvent


class Closable(Protocol):
    async def close(self) -> None: ...


S = TypeVar("S", bound=Closable)


async def relay(
    open_stream: Callable[[], Awaitable[S]],
    events: Callable[[S], AsyncIterator[RunEvent]],
    translate: Callable[[Exception], UpstreamError | None],
) -> AsyncIterator[RunEvent]:
    try:
        stream = await open_stream()
        try:
            async for event in events(stream):
                yield event
        finally:
            await stream.close()
    except Exception as error:
        upstream = translate(error)
        if upstream is None:
            raise
        raise upstream from None
