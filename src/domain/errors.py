"""Errors raised when a domain rule is broken."""

from __future__ import annotations


class DomainError(Exception):
    """A broken domain rule. `code` is stable and safe to show to a user."""

    code = "INVALID_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidMessage(DomainError):
    """A message that cannot exist: no id, a naive timestamp, an empty name."""

    code = "INVALID_MESSAGE"


class InvalidState(DomainError):
    """Agent state that is not a JSON object, or a key that does not name one agent of one thread."""

    code = "INVALID_STATE"
