"""CORS with a 204 preflight, as the reference answers it."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp


class Cors(CORSMiddleware):
    """Starlette's CORS rules (reflect requested methods and headers, origins from configuration) with
    an empty 204 preflight. `*` allows any origin without credentials; credentials need a list."""

    def __init__(self, app: ASGIApp, origins: Sequence[str], allow_credentials: bool) -> None:
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=allow_credentials,
            expose_headers=["X-CopilotKit-Runtime-Version"],
            max_age=600,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 200:
            return response
        headers = MutableHeaders(
            raw=[(k, v) for k, v in response.headers.raw if k not in (b"content-length", b"content-type")]
        )
        return Response(status_code=204, headers=dict(headers.items()))
