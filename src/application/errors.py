"""Errors a use-case reports: each carries a stable `code` and a message a user can act on."""

from __future__ import annotations

from collections.abc import Sequence

from agui_runtime.domain.errors import ErrorCode, known_code


class ApplicationError(Exception):
    """`code` is an `ErrorCode`, or a code a user or an upstream chose (kept as given: see `known_code`)."""

    code: ErrorCode | str = ErrorCode.UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApplicationError):
    code = ErrorCode.NOT_FOUND


class AgentNotFound(NotFound):
    code = ErrorCode.AGENT_NOT_FOUND

    def __init__(self, agent_name: str, available: Sequence[str]) -> None:
        listed = ", ".join(sorted(available)) if available else "none are configured"
        super().__init__(f"Agent '{agent_name}' was not found. Available agents: {listed}.")
        self.agent_name = agent_name
        self.available = tuple(available)


class Conflict(ApplicationError):
    """A write based on a version that another writer has already moved past."""

    code = ErrorCode.CONFLICT


class InvalidInput(ApplicationError):
    code = ErrorCode.INVALID_INPUT


class ConfigurationError(ApplicationError):
    code = ErrorCode.CONFIGURATION_ERROR


class UpstreamUnavailable(ApplicationError):
    """A model, agent or database did not answer or answered with an error."""

    code = ErrorCode.UPSTREAM_UNAVAILABLE


class UpstreamError(ApplicationError):
    """A model or agent answered with an error. `status` is its HTTP status when it had one."""

    code: ErrorCode | str = ErrorCode.UPSTREAM_ERROR

    def __init__(self, message: str, *, status: int | None = None, code: ErrorCode | str | None = None) -> None:
        super().__init__(message)
        self.status = status
        if code is not None:
            self.code = known_code(code)


class RequestRejected(ApplicationError):
    """Raised by `on_before_request` to refuse a request. `code` is what the client receives
    (`AUTHENTICATION_ERROR` by default; or the user's own, e.g. `QUOTA_EXCEEDED`), always shown as a
    banner."""

    def __init__(self, message: str, *, code: ErrorCode | str = ErrorCode.AUTHENTICATION_ERROR) -> None:
        super().__init__(message)
        self.code = known_code(code)


class AccessDenied(ApplicationError):
    """The thread belongs to another principal."""

    code = ErrorCode.ACCESS_DENIED


class GuardrailsUnavailable(ApplicationError):
    """The guardrails check could not give a verdict; nothing is generated (fail closed)."""

    code = ErrorCode.GUARDRAILS_ERROR


class RunExists(ApplicationError):
    """A run id that is already in use: run ids are chosen by the client and must be new."""

    code = ErrorCode.RUN_EXISTS

    def __init__(self, run_id: str) -> None:
        super().__init__(f"A run with id '{run_id}' already exists; start each run with a new id.")


class ThreadBusy(ApplicationError):
    """A run is already in flight on the thread (one run per thread at a time)."""

    code = ErrorCode.THREAD_BUSY

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"Thread '{thread_id}' already has a run in progress; wait for it to end or stop it first.")
