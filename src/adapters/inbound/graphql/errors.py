"""GraphQL errors as the client expects them: `extensions.code` plus the fields react-core reads
(`visibility`, `severity`) to decide between a banner and a toast. Never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from application.errors import ApplicationError
from domain.errors import DomainError

logger = logging.getLogger("agui_runtime.graphql")

_TROUBLESHOOTING = "https://docs.copilotkit.ai/troubleshooting/common-issues"
# code -> (HTTP-like status the client may show, visibility, severity)
_PRESENTATION: dict[str, tuple[int, str, str]] = {
    "AGENT_NOT_FOUND": (500, "banner", "critical"),
    "NOT_FOUND": (404, "banner", "critical"),
    "CONFIGURATION_ERROR": (400, "banner", "warning"),
    "AUTHENTICATION_ERROR": (401, "banner", "critical"),
    "NETWORK_ERROR": (503, "banner", "critical"),
    "UPSTREAM_UNAVAILABLE": (503, "banner", "critical"),
    "CONFLICT": (409, "toast", "warning"),
}
UNEXPECTED_MESSAGE = "An unexpected error occurred. The server log has the details."


def copilot_extensions(code: str, message: str) -> dict[str, Any]:
    status, visibility, severity = _PRESENTATION.get(code, (400, "toast", "warning"))
    return {
        "name": "CopilotError",
        "code": code,
        "statusCode": status,
        "visibility": visibility,
        "severity": severity,
        "troubleshootingUrl": _TROUBLESHOOTING if code in ("AGENT_NOT_FOUND", "NOT_FOUND") else None,
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
        formatted["extensions"] = copilot_extensions(original.code, original.message)
    elif original is not None and not isinstance(original, GraphQLError):
        logger.error("unexpected error in %s", error.path, exc_info=original)
        formatted["message"] = UNEXPECTED_MESSAGE
        formatted["extensions"] = {"code": "UNKNOWN"}
    elif error.extensions:
        formatted["extensions"] = dict(error.extensions)
    return formatted
