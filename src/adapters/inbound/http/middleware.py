"""Pure ASGI middleware (no per-request task or buffering, so streamed responses stay streamed)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agui_runtime.domain.errors import ErrorCode

CLIENT_VERSION_HEADER = b"x-copilotkit-runtime-client-gql-version"
RUNTIME_VERSION_HEADER = b"x-copilotkit-runtime-version"


class RuntimeVersionHeader:
    """Echo the client's version as `X-CopilotKit-Runtime-Version`. The client compares the header with
    its own version by exact string and warns on any difference, so a fixed value would flag every
    other 1.10.x frontend; without the request header nothing is sent and nothing is checked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        version = next((value for name, value in scope["headers"] if name == CLIENT_VERSION_HEADER), None)
        if not version:
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (RUNTIME_VERSION_HEADER, version)]
            await send(message)

        await self.app(scope, receive, send_with_version)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 before any work starts: at once from a
    Content-Length header, or as soon as a streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"The request body is larger than the limit of {self.max_bytes} bytes (AGUI_MAX_BODY_BYTES)."
        body = json.dumps(
            {"errors": [{"message": message, "extensions": {"code": ErrorCode.PAYLOAD_TOO_LARGE}}]}
        ).encode()
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
