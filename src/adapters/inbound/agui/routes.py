"""The v2 routes, declared once, and the two ways in: a REST request below the base path (matched on
the path as sent, so an id may hold an encoded `/`) and the single-route envelope `{method, params,
body}` POSTed at the base path. Both build a `Call` for the same handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router, compile_path
from starlette.types import Receive, Scope, Send

from agui_runtime.adapters.inbound.agui import info, runs, threads
from agui_runtime.adapters.inbound.agui.errors import Refused, guarded, json_response
from agui_runtime.adapters.inbound.agui.inputs import Call
from agui_runtime.adapters.inbound.agui.runtime import AguiRuntime
from agui_runtime.domain.errors import ErrorCode

Handler = Callable[[AguiRuntime, Call], Awaitable[Response]]

# The thread routes double as the envelope's `resource/request` targets.
THREAD_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/threads", threads.list_threads),
    ("POST", "/threads/clear", threads.clear),
    ("GET", "/threads/{thread_id}/messages", threads.messages),
    ("GET", "/threads/{thread_id}/events", threads.events),
    ("GET", "/threads/{thread_id}/state", threads.state),
)
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/info", info.info),
    ("POST", "/agent/{agent_id}/run", runs.run),
    ("POST", "/agent/{agent_id}/connect", runs.connect),
    ("POST", "/agent/{agent_id}/suggest", info.suggest),
    ("POST", "/agent/{agent_id}/stop/{thread_id}", runs.stop),
    *THREAD_ROUTES,
    ("POST", "/transcribe", info.transcribe),
    ("GET", "/inspector-metadata", info.inspector_metadata),
)


class V2Route(Route):
    """A route with exactly one method (no implied HEAD), refusing any other as the v2 runtime does:
    JSON and an `Allow` header."""

    def __init__(self, method: str, path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        super().__init__(path, endpoint, methods=[method])
        self.methods = {method}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            refused = json_response({"error": "Method not allowed"}, 405, {"allow": ", ".join(sorted(self.methods))})
            await refused(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _decoded(params: Mapping[str, Any]) -> dict[str, str]:
    return {name: unquote(value) for name, value in params.items() if isinstance(value, str)}


def _route(runtime: AguiRuntime, method: str, path: str, handler: Handler) -> V2Route:
    async def endpoint(request: Request) -> Response:
        call = Call(request, _decoded(request.path_params), dict(request.query_params))
        return await guarded(lambda: handler(runtime, call))

    return V2Route(method, path, endpoint)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await json_response({"error": "Not found"}, 404)(scope, receive, send)


class RestRoutes:
    """The ASGI app for every request below `base_path`: the routes match the rest of the raw path."""

    def __init__(self, base_path: str, runtime: AguiRuntime) -> None:
        self._base = base_path
        routes = [_route(runtime, method, path, handler) for method, path, handler in ROUTES]
        self.router = Router(routes, redirect_slashes=False, default=_not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") or Request(scope).url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        root = scope.get("root_path", "")
        rest = path[len(root) :] if root else path
        rest = rest[len(self._base) :].strip("/")
        await self.router({**scope, "path": "/" + rest, "root_path": ""}, receive, send)


async def envelope(runtime: AguiRuntime, request: Request, payload: Mapping[str, Any]) -> Response:
    """The single-route transport: `{method, params?, body?}` POSTed at the base path."""
    return await guarded(lambda: _envelope(runtime, request, payload))


_CALLS: dict[str, tuple[Handler, tuple[tuple[str, str], ...]]] = {
    "info": (info.info, ()),
    "agent/run": (runs.run, (("agentId", "agent_id"),)),
    "agent/connect": (runs.connect, (("agentId", "agent_id"),)),
    "agent/suggest": (info.suggest, (("agentId", "agent_id"),)),
    "agent/stop": (runs.stop, (("agentId", "agent_id"), ("threadId", "thread_id"))),
    "inspector/metadata": (info.inspector_metadata, ()),
    "transcribe": (info.transcribe, ()),
}


async def _envelope(runtime: AguiRuntime, request: Request, payload: Mapping[str, Any]) -> Response:
    method = payload.get("method")
    params = payload.get("params") or {}
    if not isinstance(method, str) or not isinstance(params, dict):
        raise _invalid("The envelope needs a string `method` and object `params`.")

    def param(name: str) -> str:
        value = params.get(name)
        if not isinstance(value, str) or not value:
            raise _invalid(f"Method {method!r} needs the parameter `{name}`.")
        return value

    if method == "resource/request":
        return await _resource(runtime, request, str(params.get("httpMethod") or "GET").upper(), param("path"))
    if method not in _CALLS:
        raise _invalid(f"Unknown method {method!r}.")
    handler, names = _CALLS[method]
    arguments = {name: param(given) for given, name in names}
    return await handler(runtime, Call(request, arguments, {}, single_route=True, body=payload.get("body")))


_RESOURCES = tuple((method, compile_path(path)[0], handler) for method, path, handler in THREAD_ROUTES)


async def _resource(runtime: AguiRuntime, request: Request, http_method: str, path: str) -> Response:
    target = urlsplit(path)
    rest = "/" + target.path.strip("/")
    for method, pattern, handler in _RESOURCES:
        match = pattern.match(rest)
        if match is not None and method == http_method:
            query = dict(parse_qsl(target.query))  # decoded by parse_qsl
            return await handler(runtime, Call(request, _decoded(match.groupdict()), query, single_route=True))
    raise _invalid(f"No resource {http_method} {path!r}.")


def _invalid(message: str) -> Refused:
    return Refused(ErrorCode.INVALID_REQUEST, message)
