"""Vendor SDK errors as the runtime reports them: a stable code, the upstream status and message, never
the API key."""

from __future__ import annotations

from typing import Any

from agui_runtime.application.errors import UpstreamError
from agui_runtime.domain.errors import ErrorCode

_DETAIL_LIMIT = 300


def status_error(vendor: str, status: int, body: Any, message: str, secret: str | None) -> UpstreamError:
    if status == 401:
        return UpstreamError(
            f"{vendor} rejected the API key (HTTP 401): check AGUI_LLM_API_KEY.",
            status=401,
            code=ErrorCode.AUTHENTICATION_ERROR,
        )
    detail = _detail(body) or message
    if secret:
        detail = detail.replace(secret, "***")
    code = ErrorCode.CONFIGURATION_ERROR if 400 <= status < 500 and status != 429 else ErrorCode.UPSTREAM_ERROR
    return UpstreamError(f"{vendor} answered HTTP {status}: {detail[:_DETAIL_LIMIT]}", status=status, code=code)


def stream_error(vendor: str, body: Any, secret: str | None) -> UpstreamError:
    """An error the server sent inside a stream that had started with HTTP 200."""
    detail = _detail(body) or "no details"
    if secret:
        detail = detail.replace(secret, "***")
    return UpstreamError(f"{vendor} failed while streaming: {detail[:_DETAIL_LIMIT]}", code=ErrorCode.UPSTREAM_ERROR)


def connection_error(vendor: str, base_url: str, timed_out: bool) -> UpstreamError:
    what = "did not answer in time" if timed_out else "could not be reached"
    return UpstreamError(f"{vendor} at {base_url} {what}.", code=ErrorCode.NETWORK_ERROR)


def _detail(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return None
