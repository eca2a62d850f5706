"""The v2 routes, declared once, and the two ways in: a REST request below the base path (matched on
the path as sent, so an id may hold an encoded `/`) and the single-route envelope `{method, params,
body}` POSTed at the base path. Both build a `Call` for the same handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
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
            await method_not_allowed(self.methods)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _decoded(params: Mapping[str, Any]) -> dict[str, str]:
    return {name: unquote(value) for name, value in params.items() if isinstance(value, str)}


def _route(runtime: AguiRuntime, method: str, path: str, handler: Handler) -> V2Route:
    async def endpoint(request: Request) -> Response:
        call = Call(request, _decoded(request.path_params), dict(request.query_params))
        return await guarded(lambda: handler(runtime, call))

    return V2Route(method, path, endpoint)


def not_found() -> Response:
    """An unknown path below the base, on its own route or through the envelope."""
    return json_response({"error": "Not found"}, 404)


def method_not_allowed(allowed: Iterable[str]) -> Response:
    return json_response({"error": "Method not allowed"}, 405, {"allow": ", ".join(sorted(allowed))})


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await not_found()(scope, receive, send)


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
    """The single-route transport: `{method, params?, body?}` POSTed at the base path. Refused as the
    reference refuses it: 415 unless sent as JSON, then 400 `invalid_request` for a missing or unknown
    method, a missing parameter or a missing body, before the method's handler is asked."""
    return await guarded(lambda: _envelope(runtime, request, payload))


# method -> (handler, its parameters as (envelope name, handler name), whether it needs a body)
_CALLS: dict[str, tuple[Handler, tuple[tuple[str, str], ...], bool]] = {
    "info": (info.info, (), False),
    "agent/run": (runs.run, (("agentId", "agent_id"),), True),
    "agent/connect": (runs.connect, (("agentId", "agent_id"),), True),
    "agent/suggest": (info.suggest, (("agentId", "agent_id"),), True),
    "agent/stop": (runs.stop, (("agentId", "agent_id"), ("threadId", "thread_id")), False),
    "inspector/metadata": (info.inspector_metadata, (), False),
    "transcribe": (info.transcribe, (), True),
}
RESOURCE = "resource/request"


async def _envelope(runtime: AguiRuntime, request: Request, payload: Mapping[str, Any]) -> Response:
    if _media_type(request) != "application/json":
        raise Refused(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "The single-route envelope must be sent as JSON (Content-Type: application/json).",
            title=_INVALID,
        )
    method = payload.get("method")
    if not method:
        raise _invalid("The envelope has no `method`.")
    if not isinstance(method, str) or (method not in _CALLS and method != RESOURCE):
        # What was sent is not echoed: it may be anything, of any size.
        raise _invalid(f"Unknown envelope method; the methods are {', '.join([*_CALLS, RESOURCE])}.")
    # A parameter that is not a non-blank string is missing, whatever `params` is (the reference's rule).
    sent = payload.get("params")
    params: Mapping[str, Any] = sent if isinstance(sent, dict) else {}

    def param(name: str) -> str:
        value = params.get(name)
        if not isinstance(value, str) or not value.strip():
            raise _invalid(f"Method {method!r} needs the string parameter `params.{name}`.")
        return value

    body = payload.get("body")
    if method == RESOURCE:
        path, http_method = param("path"), param("httpMethod")
        return await _resource(runtime, request, http_method.upper(), path)
    handler, names, needs_body = _CALLS[method]
    arguments = {name: param(given) for given, name in names}
    if needs_body and body is None:
        raise _invalid(f"Method {method!r} needs a `body`: the request its route takes.")
    return await handler(runtime, Call(request, arguments, {}, single_route=True, body=body))


_RESOURCES = tuple((method, compile_path(path)[0], handler) for method, path, handler in THREAD_ROUTES)


async def _resource(runtime: AguiRuntime, request: Request, http_method: str, path: str) -> Response:
    """A thread route reached through the envelope, answered as its REST route answers: 404 for a path
    that is not one, 405 with `Allow` for another method."""
    if not path.startswith("/") or path.startswith("//"):
        raise _invalid("`params.path` must be a path relative to the runtime, starting with one `/`.")
    target = urlsplit(path)
    rest = "/" + target.path.strip("/")
    allowed = []
    for method, pattern, handler in _RESOURCES:
        match = pattern.match(rest)
        if match is None:
            continue
        if method == http_method:
            query = dict(parse_qsl(target.query))  # decoded by parse_qsl
            return await handler(runtime, Call(request, _decoded(match.groupdict()), query, single_route=True))
        allowed.append(method)
    if allowed:
        return method_not_allowed(allowed)
    return not_found()


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


_INVALID = "invalid_request"


def _invalid(message: str) -> Refused:
    return Refused(ErrorCode.INVALID_REQUEST, message)
