"""GraphQL errors as the client expects them: `extensions.code` plus the fields react-core reads
(`visibility`, `severity`) to decide between a banner and a toast. Never a stack trace."""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError

from agui_runtime.application.errors import ApplicationError, RequestRejected
from agui_runtime.domain.errors import DomainError, ErrorCode

logger = logging.getLogger("agui_runtime.graphql")

_COMMON_ISSUES = "https://docs.copilotkit.ai/troubleshooting/common-issues"
_NETWORK_HELP = f"{_COMMON_ISSUES}#i-am-getting-a-network-errors--api-not-found"
_TROUBLESHOOTING: dict[str, str] = {
    ErrorCode.NETWORK_ERROR: _NETWORK_HELP,
    ErrorCode.NOT_FOUND: _NETWORK_HELP,
    ErrorCode.API_NOT_FOUND: _NETWORK_HELP,
    ErrorCode.AGENT_NOT_FOUND: "https://docs.copilotkit.ai/coagents/troubleshooting/common-issues"
    "#i-am-getting-agent-not-found-error",
}
_AS_UNKNOWN = (500, "toast", "critical")
# code -> (HTTP-like status the client may show, visibility, severity), every ErrorCode. The first block is
# the reference's own table (runtime-v1-spec §3.10); the second, the codes this runtime adds; the third,
# codes shown as the reference shows UNKNOWN (what they always got here; most never reach a GraphQL error).
PRESENTATION: dict[str, tuple[int, str, str]] = {
    ErrorCode.NETWORK_ERROR: (503, "banner", "critical"),
    ErrorCode.NOT_FOUND: (404, "banner", "critical"),
    ErrorCode.AGENT_NOT_FOUND: (500, "banner", "critical"),
    ErrorCode.API_NOT_FOUND: (404, "banner", "critical"),
    ErrorCode.REMOTE_ENDPOINT_NOT_FOUND: (404, "banner", "critical"),
    ErrorCode.AUTHENTICATION_ERROR: (401, "banner", "critical"),
    ErrorCode.MISUSE: (400, "dev_only", "warning"),
    ErrorCode.UNKNOWN: _AS_UNKNOWN,
    ErrorCode.CONFIGURATION_ERROR: (400, "banner", "warning"),
    ErrorCode.MISSING_PUBLIC_API_KEY_ERROR: (400, "banner", "critical"),
    ErrorCode.UPGRADE_REQUIRED_ERROR: (402, "banner", "warning"),
    ErrorCode.VERSION_MISMATCH: (400, "dev_only", "info"),
    #
    ErrorCode.ACCESS_DENIED: (403, "banner", "critical"),
    ErrorCode.QUOTA_EXCEEDED: (429, "banner", "warning"),
    ErrorCode.RATE_LIMITED: (429, "toast", "warning"),
    ErrorCode.INVALID_INPUT: (400, "toast", "warning"),
    ErrorCode.CONFLICT: (409, "toast", "warning"),
    ErrorCode.UPSTREAM_UNAVAILABLE: (503, "banner", "critical"),
    ErrorCode.UPSTREAM_ERROR: (502, "banner", "critical"),
    ErrorCode.GUARDRAILS_ERROR: (500, "banner", "critical"),
    ErrorCode.SERVER_SHUTTING_DOWN: (503, "toast", "warning"),
    ErrorCode.TOO_MANY_MESSAGES: (413, "banner", "warning"),
    ErrorCode.MESSAGE_TOO_LARGE: (413, "banner", "warning"),
    ErrorCode.RUN_TIMEOUT: (504, "banner", "warning"),
    ErrorCode.UPSTREAM_TIMEOUT: (504, "banner", "critical"),
    ErrorCode.QUERY_TOO_COMPLEX: (400, "dev_only", "warning"),
    #
    ErrorCode.INVALID_MESSAGE: _AS_UNKNOWN,
    ErrorCode.INVALID_STATE: _AS_UNKNOWN,
    ErrorCode.RUN_EXISTS: _AS_UNKNOWN,
    ErrorCode.THREAD_BUSY: _AS_UNKNOWN,
    ErrorCode.THREADS_CLEAR_DISABLED: _AS_UNKNOWN,
    ErrorCode.THREADS_CLEAR_NEEDS_PRINCIPAL: _AS_UNKNOWN,
    ErrorCode.AGENT_ERROR: _AS_UNKNOWN,
    ErrorCode.GUARDRAILS_VALIDATION_FAILED: _AS_UNKNOWN,
    ErrorCode.STOPPED: _AS_UNKNOWN,
    ErrorCode.CLIENT_DISCONNECTED: _AS_UNKNOWN,
    ErrorCode.RUN_LOST: _AS_UNKNOWN,
    ErrorCode.NOT_READY: _AS_UNKNOWN,
    ErrorCode.BAD_REQUEST: _AS_UNKNOWN,
    ErrorCode.INVALID_REQUEST: _AS_UNKNOWN,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: _AS_UNKNOWN,
    ErrorCode.PAYLOAD_TOO_LARGE: _AS_UNKNOWN,
    ErrorCode.GRAPHQL_PARSE_FAILED: _AS_UNKNOWN,
    ErrorCode.GRAPHQL_VALIDATION_FAILED: _AS_UNKNOWN,
    ErrorCode.BAD_USER_INPUT: _AS_UNKNOWN,
    ErrorCode.TRANSCRIPTION_NOT_CONFIGURED: _AS_UNKNOWN,
}
UNEXPECTED_MESSAGE = "An unexpected error occurred. The server log has the details."


def presentation(code: str) -> tuple[int, str, str]:
    """(statusCode, visibility, severity) for a code; a user's or an upstream's own code is shown like
    UNKNOWN."""
    return PRESENTATION.get(code, _AS_UNKNOWN)


def copilot_extensions(code: str, message: str, *, visibility: str | None = None) -> dict[str, Any]:
    """The reference's CopilotKitError extensions, without the stack trace it leaked."""
    status, shown, severity = presentation(code)
    return {
        "name": "CopilotError",
        "code": code,
        "statusCode": status,
        "visibility": visibility or shown,
        "severity": severity,
        "troubleshootingUrl": _TROUBLESHOOTING.get(code),
        "originalError": {"message": message},
    }


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The wire form of one error. Known errors keep their message and code; anything else is logged
    here with its trace and reported without internals."""
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        formatted["path"] = list(error.path)
    original = error.original_error
    if isinstance(original, (ApplicationError, DomainError)):
        formatted["message"] = original.message
        # A refusal by on_before_request is always a banner: react-core shows banners to the user.
        visibility = "banner" if isinstance(original, RequestRejected) else None
        formatted["extensions"] = copilot_extensions(original.code, original.message, visibility=visibility)
        logger.info("%s failed with %s: %s", _field(error), original.code, original.message)
    elif original is not None and not isinstance(original, GraphQLError):
        logger.error("%s failed with UNKNOWN (%s)", _field(error), type(original).__name__)
        logger.debug("trace of the UNKNOWN failure", exc_info=original)
        formatted["message"] = UNEXPECTED_MESSAGE
        formatted["extensions"] = copilot_extensions(ErrorCode.UNKNOWN, UNEXPECTED_MESSAGE)
    elif error.extensions:
        formatted["extensions"] = dict(error.extensions)
    else:
        formatted["message"], code = _request_error(error.message)
        formatted["extensions"] = {"code": code}
    return formatted


_VARIABLE = re.compile(r"^Variable '\$(\w+)'")
_PATH = re.compile(r" at '?([\w.\[\]]+)'?[;:] ")
_REASONS = (
    re.compile(r"Expected value of type '[^']+' to include required field '\w+'"),
    re.compile(r"Expected (?:value of )?type '[^']+'"),
    re.compile(r"\w+ cannot represent an? [\w -]+? value"),
    re.compile(r"Field '\w+' of required type '[^']+' was not provided"),
    re.compile(r"Field '\w+' is not defined by type '[^']+'"),
    re.compile(r"of required type '[^']+' was not provided"),
    re.compile(r"of non-null type '[^']+' must not be null"),
)


def _request_error(message: str) -> tuple[str, ErrorCode]:
    """A parse, validation or variable error with a code. graphql-core writes the offending value into a
    variable's error (`... got invalid value 'sk-...'`): the message is rebuilt from the variable, the path
    and the expected type, so no value the client sent (a key in `properties`, a header) comes back."""
    if message.startswith("Syntax Error"):
        return message, ErrorCode.GRAPHQL_PARSE_FAILED
    variable = _VARIABLE.match(message)
    if variable is None:
        return message, ErrorCode.GRAPHQL_VALIDATION_FAILED
    if " invalid value" not in message:
        # "... is never used", "... of required type 'X' was not provided": the document's, no value in them
        if message.endswith(("was not provided.", "must not be null.")):
            return message, ErrorCode.BAD_USER_INPUT
        return message, ErrorCode.GRAPHQL_VALIDATION_FAILED
    path = _PATH.search(message)
    where = f" at '{path.group(1)}'" if path else ""
    reason = next((found.group(0) for pattern in _REASONS if (found := pattern.search(message))), None)
    if reason is not None and reason.startswith("of "):
        return f"Variable '${variable.group(1)}' {reason}.", ErrorCode.BAD_USER_INPUT
    detail = f": {reason}" if reason else ""
    return f"Variable '${variable.group(1)}' got an invalid value{where}{detail}.", ErrorCode.BAD_USER_INPUT


def _field(error: GraphQLError) -> str:
    return str(error.path[0]) if error.path else "request"
