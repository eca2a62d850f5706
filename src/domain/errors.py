"""The error codes the runtime produces (one enum) and the errors raised when a domain rule is broken."""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class ErrorCode(StrEnum):
    """Every code this runtime itself puts on the wire, as the client reads it (`extensions.code`, a v2
    `code`, a run's failure reason). Values never change: clients switch on them. Codes a user chooses
    (`RequestRejected(code="QUOTA_EXCEEDED")`) and codes an upstream agent sends stay plain strings.
    Each inbound protocol maps every member in one table."""

    # The reference runtime's own codes (CopilotKitErrorCode).
    NETWORK_ERROR = "NETWORK_ERROR"
    NOT_FOUND = "NOT_FOUND"
    AGENT_NOT_FOUND = "AGENT_NOT_FOUND"
    API_NOT_FOUND = "API_NOT_FOUND"
    REMOTE_ENDPOINT_NOT_FOUND = "REMOTE_ENDPOINT_NOT_FOUND"
    AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
    MISUSE = "MISUSE"
    UNKNOWN = "UNKNOWN"
    CONFIGURATION_ERROR = "CONFIGURATION_ERROR"
    MISSING_PUBLIC_API_KEY_ERROR = "MISSING_PUBLIC_API_KEY_ERROR"
    UPGRADE_REQUIRED_ERROR = "UPGRADE_REQUIRED_ERROR"
    VERSION_MISMATCH = "VERSION_MISMATCH"

    # Refused requests and broken rules.
    ACCESS_DENIED = "ACCESS_DENIED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_MESSAGE = "INVALID_MESSAGE"
    INVALID_STATE = "INVALID_STATE"
    CONFLICT = "CONFLICT"
    RUN_EXISTS = "RUN_EXISTS"
    THREAD_BUSY = "THREAD_BUSY"
    THREADS_CLEAR_DISABLED = "THREADS_CLEAR_DISABLED"
    THREADS_CLEAR_NEEDS_PRINCIPAL = "THREADS_CLEAR_NEEDS_PRINCIPAL"
    TOO_MANY_MESSAGES = "TOO_MANY_MESSAGES"
    MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"

    # Upstreams (models, agents, stores, guardrails).
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    AGENT_ERROR = "AGENT_ERROR"
    GUARDRAILS_ERROR = "GUARDRAILS_ERROR"
    GUARDRAILS_VALIDATION_FAILED = "GUARDRAILS_VALIDATION_FAILED"

    # How a run ended when it did not finish.
    RUN_TIMEOUT = "RUN_TIMEOUT"
    STOPPED = "STOPPED"
    CLIENT_DISCONNECTED = "CLIENT_DISCONNECTED"
    SERVER_SHUTTING_DOWN = "SERVER_SHUTTING_DOWN"
    RUN_LOST = "RUN_LOST"

    # The transports: HTTP, GraphQL documents, the v2 routes.
    NOT_READY = "NOT_READY"
    BAD_REQUEST = "BAD_REQUEST"
    INVALID_REQUEST = "INVALID_REQUEST"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    TRANSCRIPTION_NOT_CONFIGURED = "TRANSCRIPTION_NOT_CONFIGURED"


def known_code(code: str) -> ErrorCode | str:
    """`code` as a member when it is one of ours; a user's or an upstream's own code unchanged."""
    try:
        return ErrorCode(code)
    except ValueError:
        return code


class DomainError(Exception):
    """A broken domain rule. `code` is stable and safe to show to a user."""

    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidMessage(DomainError):
    """A message that cannot exist: no id, a naive timestamp, an empty name."""

    code = ErrorCode.INVALID_MESSAGE


class InvalidState(DomainError):
    """Agent state that is not a JSON object, or a key that does not name one agent of one thread."""

    code = ErrorCode.INVALID_STATE
