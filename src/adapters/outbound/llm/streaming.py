"""What every vendor adapter does around its stream: open it, relay its events, close it however the
run ends (an abort included, so the upstream connection closes at once), and translate SDK errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from agui_runtime.application.errors import UpstreamError
from agui_runtime.application.streams import close_stream
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import RunEvent


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
            await close_stream(source)
            await stream.close()
    except TimeoutError as exc:
        raise UpstreamError(f"{vendor} stalled: {stalled}.", code=ErrorCode.UPSTREAM_TIMEOUT) from exc
    except Exception as error:
        upstream = translate(error) or _while_streaming(vendor, error)
        if upstream is None:
            raise
        raise upstream from error


def _while_streaming(vendor: str, error: Exception) -> UpstreamError | None:
    """Failures the SDKs leave as they are once a stream has started: the connection dropped (their HTTP
    library's transport errors, recognised by module so as not to import it) or a chunk that is not JSON."""
    if isinstance(error, json.JSONDecodeError):
        return UpstreamError(f"{vendor} sent a part of its answer that is not JSON.", code=ErrorCode.UPSTREAM_ERROR)
    if type(error).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "h11", "anyio"):
        return UpstreamError(
            f"{vendor} dropped the connection mid-answer ({type(error).__name__}).", code=ErrorCode.NETWORK_ERROR
        )
    return None
