"""The runtime's ASGI app: both protocols at one URL, health, the shared middleware, the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import orjson
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from agui_runtime.adapters.inbound.http.cors import Cors
from agui_runtime.adapters.inbound.http.health import health_router
from agui_runtime.adapters.inbound.http.middleware import BodyLimit, RuntimeVersionHeader

logger = logging.getLogger("agui_runtime")


class GraphQL(Protocol):
    """The v1 endpoint: every request at the runtime's path that is not a v2 envelope."""

    async def handle(self, request: Request) -> Response: ...


class V2(Protocol):
    """The v2 endpoint: its routes below the path, and the single-route envelope at the path."""

    @property
    def route(self) -> BaseRoute: ...
    async def envelope(self, request: Request, payload: dict[str, Any]) -> Response: ...


class Runtime(Protocol):
    """What the app needs of the runtime behind it (the composition root builds it)."""

    def open(self) -> AbstractAsyncContextManager[None]:
        """Open the runtime's resources (store, clients) for as long as the app serves."""
        ...

    async def probe(self) -> None:
        """Raise an ApplicationError while the runtime cannot serve (not started, store down)."""
        ...


class HttpSettings(Protocol):
    """The settings the app reads (the runtime's `Settings` has them)."""

    @property
    def path(self) -> str: ...
    @property
    def cors_origins(self) -> Sequence[str]: ...
    @property
    def cors_allow_credentials(self) -> bool: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def store_kind(self) -> str: ...


_BASE_METHODS = ("GET", "POST")
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _method_not_allowed() -> Response:
    body = orjson.dumps({"error": "Method not allowed"})
    return Response(body, 405, {"allow": ", ".join(_BASE_METHODS)}, media_type="application/json")


def runtime_lifespan(runtime: Runtime, settings: HttpSettings) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """Nothing is opened before the lifespan starts; requests that arrive outside it get 503."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with runtime.open():
            logger.info("agui-runtime serving at %s (store %s)", settings.path, settings.store_kind)
            yield

    return lifespan


def build_http_app(settings: HttpSettings, runtime: Runtime, graphql: GraphQL, v2: V2) -> FastAPI:
    app = FastAPI(
        lifespan=runtime_lifespan(runtime, settings),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        middleware=[
            Middleware(Cors, origins=settings.cors_origins, allow_credentials=settings.cors_allow_credentials),
            Middleware(RuntimeVersionHeader),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        ],
    )

    async def base_path(request: Request) -> Response:
        # One path, two protocols (docs/protocol-v2.md, "One URL"): a POSTed JSON object with `method` and no
        # `query` is the v2 single-route envelope, whatever its Content-Type (the envelope then refuses
        # one that is not JSON, as the reference does); anything else at the path is GraphQL. Only bodies
        # that mention "method" are parsed here.
        if request.method == "POST":
            body = await request.body()
            if b'"method"' in body:
                try:
                    payload = orjson.loads(body)
                except orjson.JSONDecodeError:
                    payload = None
                if isinstance(payload, dict) and "method" in payload and "query" not in payload:
                    return await v2.envelope(request, payload)
        elif request.method not in _BASE_METHODS:
            return _method_not_allowed()
        return await graphql.handle(request)

    # Every method reaches `base_path`, so that a wrong one is refused in the v2 routes' JSON form.
    app.router.add_route(settings.path, base_path, methods=_ALL_METHODS, include_in_schema=False)
    app.include_router(health_router(settings.path, runtime.probe))
    app.router.routes.append(v2.route)  # everything below the path
    return app
