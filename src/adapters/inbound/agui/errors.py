"""The v2 error responses: JSON `{error, message, code}` (plus `details` for an invalid body), one table
from code to HTTP status and `error` title. Only the message and code reach the wire, never a cause or
a trace. Once a run streams its failures are RUN_ERROR events instead (see `runs`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

import orjson
from starlette.responses import Response

from agui_runtime.application.errors import ApplicationError, RequestRejected
from agui_runtime.domain.errors import DomainError, ErrorCode

logger = logging.getLogger("agui_runtime.agui")

_FAILED: tuple[int, str] = (500, "Failed to run agent")
_INVALID_BODY: tuple[int, str] = (400, "Invalid request body")
# code -> (HTTP status, the body's `error`; None: the code itself), every ErrorCode. A code outside it (an
# upstream's own) is a failure of the runtime. Refusals by `on_before_request` are ruled by `_refusal`.
STATUS: dict[str, tuple[int, str | None]] = {
    ErrorCode.NOT_FOUND: (404, "Not found"),
    ErrorCode.API_NOT_FOUND: (404, "Not found"),
    ErrorCode.REMOTE_ENDPOINT_NOT_FOUND: (404, "Not found"),
    ErrorCode.AGENT_NOT_FOUND: (404, "Agent not found"),
    ErrorCode.ACCESS_DENIED: (403, None),
    ErrorCode.THREADS_CLEAR_DISABLED: (403, "Forbidden"),
    ErrorCode.THREADS_CLEAR_NEEDS_PRINCIPAL: (403, "Forbidden"),
    ErrorCode.RUN_EXISTS: (409, None),
    ErrorCode.THREAD_BUSY: (409, None),
    ErrorCode.TOO_MANY_MESSAGES: (413, None),
    ErrorCode.MESSAGE_TOO_LARGE: (413, None),
    ErrorCode.PAYLOAD_TOO_LARGE: (413, None),
    ErrorCode.INVALID_INPUT: _INVALID_BODY,
    ErrorCode.INVALID_MESSAGE: _INVALID_BODY,
    ErrorCode.INVALID_STATE: _INVALID_BODY,
    ErrorCode.BAD_USER_INPUT: _INVALID_BODY,
    ErrorCode.INVALID_REQUEST: (400, "invalid_request"),
    ErrorCode.BAD_REQUEST: (400, "invalid_request"),
    ErrorCode.MISUSE: (400, "invalid_request"),
    ErrorCode.QUERY_TOO_COMPLEX: (400, "invalid_request"),
    ErrorCode.GRAPHQL_PARSE_FAILED: (400, "invalid_request"),
    ErrorCode.GRAPHQL_VALIDATION_FAILED: (400, "invalid_request"),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: (415, "Unsupported media type"),
    ErrorCode.UPSTREAM_UNAVAILABLE: (503, None),
    ErrorCode.NOT_READY: (503, "Not ready"),
    ErrorCode.TRANSCRIPTION_NOT_CONFIGURED: (503, "service_not_configured"),
    # The runtime's own failures. AUTHENTICATION_ERROR here is an upstream refusing the runtime's
    # credentials; a client refused by `on_before_request` gets 401 (see `_refusal`).
    ErrorCode.AUTHENTICATION_ERROR: _FAILED,
    ErrorCode.UNKNOWN: _FAILED,
    ErrorCode.CONFLICT: _FAILED,
    ErrorCode.CONFIGURATION_ERROR: _FAILED,
    ErrorCode.MISSING_PUBLIC_API_KEY_ERROR: _FAILED,
    ErrorCode.UPGRADE_REQUIRED_ERROR: _FAILED,
    ErrorCode.VERSION_MISMATCH: _FAILED,
    ErrorCode.QUOTA_EXCEEDED: _FAILED,
    ErrorCode.RATE_LIMITED: _FAILED,
    ErrorCode.NETWORK_ERROR: _FAILED,
    ErrorCode.UPSTREAM_ERROR: _FAILED,
    ErrorCode.UPSTREAM_TIMEOUT: _FAILED,
    ErrorCode.AGENT_ERROR: _FAILED,
    ErrorCode.GUARDRAILS_ERROR: _FAILED,
    ErrorCode.GUARDRAILS_VALIDATION_FAILED: _FAILED,
    ErrorCode.RUN_TIMEOUT: _FAILED,
    ErrorCode.STOPPED: _FAILED,
    ErrorCode.CLIENT_DISCONNECTED: _FAILED,
    ErrorCode.SERVER_SHUTTING_DOWN: _FAILED,
    ErrorCode.RUN_LOST: _FAILED,
}


class Refused(Exception):
    """A request answered with a JSON error before any work. `title` replaces the table's `error`;
    `details` says where an invalid body is wrong (never what it held)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        title: str | None = None,
        details: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.title = title
        self.details = details
        self.headers = dict(headers or {})


def invalid_body(details: object) -> Refused:
    return Refused(ErrorCode.INVALID_INPUT, "The request body is not a valid AG-UI RunAgentInput.", details=details)


def json_response(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=dict(headers or {}))


def error_response(error: Refused | ApplicationError | DomainError) -> Response:
    """The response for a refusal, a use-case's error or a rule the domain enforces (an empty message id,
    a tool without a name: an invalid body, whatever the rule's own code)."""
    match error:
        case Refused():
            status, title = _entry(error.code)
            body = _body(error.title or title or error.code, error.message, error.code)
            if error.details is not None:
                body["details"] = error.details
            return json_response(body, status, error.headers)
        case DomainError():
            status, title = _INVALID_BODY
            return json_response(_body(title, str(error), ErrorCode.INVALID_INPUT), status)
        case RequestRejected():
            return json_response(_body(error.code, error.message, error.code), _refusal(error.code))
        case _:
            status, title = _entry(error.code)
            if status == _FAILED[0]:
                logger.warning("request failed: %s %s", error.code, error.message)
            return json_response(_body(title or error.code, error.message, error.code), status)


async def guarded(work: Callable[[], Awaitable[Response]]) -> Response:
    """`work`'s response, or the error response for what it raised before answering."""
    try:
        return await work()
    except (Refused, ApplicationError, DomainError) as error:
        return error_response(error)


def _refusal(code: str) -> int:
    """A refusal is 401 when it is about who the caller is, else 403 (the user's own codes too)."""
    return 401 if code == ErrorCode.AUTHENTICATION_ERROR else 403


def _entry(code: str) -> tuple[int, str | None]:
    return STATUS.get(code, _FAILED)


def _body(title: str, message: str, code: str) -> dict[str, object]:
    return {"error": title, "message": message, "code": code}
