"""What every vendor adapter does around its stream: open it, relay its events, close it however the
run ends (an abort included, so the upstream connection closes at once), and translate SDK errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from application.errors import UpstreamError
from domain.events import RunEvent

UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"


@dataclass(frozen=True, slots=True)
class Patience:
    """How long a model may take: to its first event from the request (`first_event`), and between two
    events after that (`idle`). A model that stalls fails the run with `UPSTREAM_TIMEOUT` instead of
    holding it open."""

    first_event: float = 60.0
    idle: float = 30.0


class Closable(Protocol):
    async def close(self) -> None: ...


S = TypeVar("S", bound=Closable)


async def relay(
    open_stream: Callable[[], Awaitable[S]],
    events: Callable[[S], AsyncIterator[RunEvent]],
    translate: Callable[[Exception], UpstreamError | None],
    vendor: str = "The model",
    patience: Patience | None = None,
) -> AsyncIterator[RunEvent]:
    patience = patience or Patience()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience.first_event
    stalled = f"no first token within {patience.first_event:g} s (AGUI_LLM_FIRST_TOKEN_TIMEOUT_SECONDS)"
    try:
        async with asyncio.timeout_at(deadline):
            stream = await open_stream()
        try:
            source = events(stream)
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        event = await anext(source)
                except StopAsyncIteration:
                    break
                yield event
                deadline = loop.time() + patience.idle
                stalled = f"nothing for {patience.idle:g} s mid-answer (AGUI_LLM_IDLE_TIMEOUT_SECONDS)"
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
            await stream.close()
    except TimeoutError:
        raise UpstreamError(f"{vendor} stalled: {stalled}.", code=UPSTREAM_TIMEOUT) from None
    except Exception as error:
        upstream = translate(error)
        if upstream is None:
            raise
        raise upstream from None
