"""One server process: uvicorn with the runtime's graceful drain and its garbage-collector tuning."""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, Protocol

import uvicorn

from agui_runtime.adapters.observability import configure_logging

StopRuns = Callable[[], Coroutine[Any, Any, None]]

# Measured here on the frozen heap: a full collection takes ~1 ms with nothing to free and ~8 ms with the
# garbage of 500 chats, so every 2 s costs well under 1 % of a core and bounds what piles up in between.
GC_INTERVAL_SECONDS = 2.0


class ServeOptions(Protocol):
    """The settings serving reads (the runtime's `Settings` has them)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def log_level(self) -> str: ...
    @property
    def log_format(self) -> str: ...
    @property
    def shutdown_grace_seconds(self) -> int: ...


def serve(app: Any, stop_runs: StopRuns, options: ServeOptions, sock: socket.socket | None = None) -> bool:
    """Serve `app` until SIGTERM / SIGINT, on `sock` when a supervisor has bound it already; False when it
    never started serving (the app's lifespan failed, the port was taken)."""
    configure_logging(options.log_level, options.log_format)
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        log_config=None,  # uvicorn's loggers go through the root handler (format and redaction)
        # Runs still streaming after the grace period are stopped by the runtime itself (a clean failed
        # status); uvicorn's own deadline comes later and only catches what is left.
        timeout_graceful_shutdown=options.shutdown_grace_seconds + 5,
    )
    server = GracefulServer(config, stop_runs, options.shutdown_grace_seconds)
    server.run(sockets=None if sock is None else [sock])
    return server.started


async def _collect_garbage() -> None:
    """A full cyclic collection every `GC_INTERVAL_SECONDS`."""
    while True:
        await asyncio.sleep(GC_INTERVAL_SECONDS)
        gc.collect()


class GracefulServer(uvicorn.Server):
    """On SIGTERM or SIGINT: stop accepting (uvicorn), let runs finish for `grace` seconds, then stop the
    ones still streaming so each client gets a final status."""

    def __init__(self, config: uvicorn.Config, stop_runs: StopRuns, grace: int) -> None:
        super().__init__(config)
        self._stop_runs = stop_runs
        self._grace = grace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._stop_task: asyncio.Task[None] | None = None
        self._collector: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Everything loaded so far (modules, the container, the schema) lives as long as the process: take
        # it out of the cyclic collector's reach, or each full collection walks it again, a pause of tens
        # of milliseconds that lands on whatever requests are in flight (measured: time to first token).
        gc.collect()
        gc.freeze()
        # A request allocates thousands of short-lived objects; collecting the young generation every 700
        # allocations (the default) cost ~7 % of a short request's CPU here.
        gc.set_threshold(20_000, 50, 100)
        # With these thresholds (and the frozen start-up heap not counting towards Python's own trigger) a
        # full collection almost never comes, and reference cycles that outlive the young collections (a
        # cancelled stream's exception, frame and task form one) piled up: the reliability suite's soak grew
        # ~6 MB/min at 25 requests/s, all of it garbage a full collection frees. Collect in full on a timer.
        self._collector = asyncio.get_running_loop().create_task(_collect_garbage(), name="agui-gc")

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and not self._stopping:
            self._stopping = True
            loop = self._loop
            loop.call_soon_threadsafe(loop.call_later, self._grace, self._start_stopping_runs)

    def _start_stopping_runs(self) -> None:
        assert self._loop is not None
        self._stop_task = self._loop.create_task(self._stop_runs())
