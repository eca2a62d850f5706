"""Serving the runtime inside an existing Starlette / FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


class PrefixRoute(BaseRoute):
    """Hands every request at `prefix` or below it to `app` with the path untouched. A Starlette
    `Mount` would answer the bare prefix (the endpoint clients POST to) with a redirect."""

    def __init__(self, prefix: str, app: ASGIApp) -> None:
        self.prefix = prefix
        self.app = app

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        path: str = scope["path"][len(scope.get("root_path", "")) :] if scope.get("root_path") else scope["path"]
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def chain_lifespans(outer: Lifespan, inner: Lifespan) -> Lifespan:
    """A lifespan that enters `outer` (the runtime: store, clients) around `inner` (the host's own),
    because Starlette never runs the lifespan of an app mounted inside another."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with outer(app), inner(app) as state:
            yield state

    return lifespan


def attach(host: Starlette, prefix: str, app: Starlette) -> None:
    """Route everything at and below `prefix` in `host` to `app`, whose lifespan runs inside the host's."""
    host.router.routes.append(PrefixRoute(prefix, app))
    host.router.lifespan_context = chain_lifespans(app.router.lifespan_context, host.router.lifespan_context)
