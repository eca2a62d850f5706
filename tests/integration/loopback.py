"""Test servers (a mock LLM, an AG-UI agent server) run in a thread on a free loopback port."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.applications import Starlette


class Loopback:
    def __init__(self, app: Starlette, what: str) -> None:
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._what = what

    def start(self) -> str:
        """Start serving; the base URL (`http://127.0.0.1:<port>`)."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self._what} did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
