"""`serve --workers N`: pre-fork serving, one event loop and runtime per worker process.

uvicorn's own supervisor (`uvicorn.supervisors.Multiprocess`) runs a plain `uvicorn.Server` in each worker,
built inside its `Process` class with no way to pass another: the runtime's drain (runs still streaming at
the end of the grace period get a final status) and its collector tuning live in `GracefulServer`, so they
would be lost. docs/architecture.md has the measurements behind keeping this one.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from types import FrameType

import uvicorn

logger = logging.getLogger("agui_runtime")

# The exit code of a worker that never started serving (uvicorn's own): it would only fail again.
STARTUP_FAILURE = 3


def run_worker(path: str, args: tuple[object, ...], sock: socket.socket) -> None:
    """The target of a spawned worker: the function at `module:name`, imported in the worker (a function of
    `python -m`'s `__main__` cannot be pickled by reference), called with `args` and the socket; it
    returns whether the worker started serving. One that never did exits with `STARTUP_FAILURE`."""
    module, name = path.split(":")
    try:
        started = getattr(importlib.import_module(module), name)(*args, sock)
    except Exception as exc:
        logger.error("the worker could not start: %s", exc)
        sys.exit(STARTUP_FAILURE)
    if not started:
        sys.exit(STARTUP_FAILURE)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on, bound once here (port 0 picks a free one)."""
    return uvicorn.Config("agui_runtime:create_app", host=host, port=port, log_config=None).bind_socket()


def supervise(worker: str, args: tuple[object, ...], sock: socket.socket, count: int, grace_seconds: int) -> int:
    """Start `count` workers (`run_worker(worker, args, sock)`) on `sock` and keep them running until
    SIGTERM / SIGINT, which is passed on (each worker drains its runs as a single process would). A worker
    that dies is replaced; one that cannot start stops the server with exit code 1, so a process
    supervisor (systemd, Kubernetes) sees the failure and applies its own restart policy."""
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> multiprocessing.process.BaseProcess:
        process = spawn.Process(target=run_worker, args=(worker, args, sock), name="agui-runtime-worker")
        process.start()
        return process

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [start() for _ in range(count)]
    failed = False
    while not stopping.wait(0.5):
        for index, process in enumerate(workers):
            if process.is_alive():
                continue
            if process.exitcode == STARTUP_FAILURE:
                logger.error("a worker exited while starting (exit code %s); stopping", process.exitcode)
                failed = True
                stopping.set()
                break
            logger.error("worker %s exited (exit code %s); starting another", process.pid, process.exitcode)
            workers[index] = start()
    for process in workers:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    for process in workers:
        process.join(grace_seconds + 15)
        if process.is_alive():
            process.kill()
    sock.close()
    return 1 if failed else 0
