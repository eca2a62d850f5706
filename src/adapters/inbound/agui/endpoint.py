"""The v2 runtime surface (`@copilotkit/core` 1.5x-1.7x, `@ag-ui/client` 0.0.x) on the same use-cases as
GraphQL: `GET info`, `POST agent/{id}/run|connect|suggest|stop/{thread}`, `threads...`, `transcribe`,
and the single-route envelope `{method, params, body}` POSTed at the base path.

Errors before a stream starts are JSON `{error, message, code}` with the reference's status codes (404
unknown agent, 400 invalid body, 405 with `Allow`, 415; see `errors`); once a run streams, its failures
are RUN_ERROR events on a 200, as the client expects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agui_runtime.adapters.inbound.agui.routes import RestRoutes, envelope
from agui_runtime.adapters.inbound.agui.runtime import AguiRuntime, AguiUseCases, DefaultAgentOptions
from agui_runtime.application.requests import HeaderAllowlist
from agui_runtime.domain.json import JsonObject

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class AguiEndpoint:
    """`route`: the Starlette route for every request below `base_path` (`app`, the ASGI app behind it,
    for a router of one's own); `envelope`: the answer to a single-route envelope POSTed at `base_path`."""

    def __init__(
        self,
        base_path: str,
        use_cases: Callable[[], AguiUseCases | None],
        *,
        version: str,
        max_model_calls: int,
        forward_headers: HeaderAllowlist | None = None,
        properties: JsonObject | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        default_agent: DefaultAgentOptions | None = None,
    ) -> None:
        self._runtime = AguiRuntime(
            use_cases,
            version=version,
            max_model_calls=max_model_calls,
            forward_headers=forward_headers or HeaderAllowlist(()),
            properties=dict(properties or {}),
            clock=clock,
            default_agent=default_agent or DefaultAgentOptions(),
        )
        self.app = RestRoutes(base_path, self._runtime)
        # Other methods (OPTIONS...) are the host's to refuse, before any v2 route is asked.
        self.route = Route(base_path + "/{rest:path}", self.app, methods=_METHODS, include_in_schema=False)

    async def envelope(self, request: Request, payload: dict[str, Any]) -> Response:
        return await envelope(self._runtime, request, payload)
