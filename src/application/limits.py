"""Limits on what one request may ask: refused with a stable code before any work starts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from agui_runtime.application.errors import ApplicationError
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.messages import (
    ActionExecutionMessage,
    ActivityMessage,
    ImageMessage,
    Message,
    ReasoningMessage,
    ResultMessage,
    TextMessage,
)


class LimitExceeded(ApplicationError):
    """A request over one of the runtime's limits. `code` names the limit."""

    def __init__(self, message: str, *, code: ErrorCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class RunLimits:
    """`max_messages` per request, `max_message_bytes` per message (its text, arguments, result or image
    as UTF-8), `max_run_seconds` from a run's start to its end."""

    max_messages: int = 500
    max_message_bytes: int = 1024 * 1024
    max_run_seconds: float = 600.0

    def check(self, messages: Sequence[Message]) -> None:
        if len(messages) > self.max_messages:
            raise LimitExceeded(
                f"The request has {len(messages)} messages; this runtime takes at most {self.max_messages} "
                "(AGUI_MAX_MESSAGES).",
                code=ErrorCode.TOO_MANY_MESSAGES,
            )
        for message in messages:
            size = _size(message)
            if size > self.max_message_bytes:
                raise LimitExceeded(
                    f"Message '{message.id[:64]}' is {size} bytes; this runtime takes at most "
                    f"{self.max_message_bytes} per message (AGUI_MAX_MESSAGE_BYTES).",
                    code=ErrorCode.MESSAGE_TOO_LARGE,
                )


def _size(message: Message) -> int:
    match message:
        case TextMessage(content=text) | ResultMessage(result=text):
            return len(text.encode())
        case ActionExecutionMessage(arguments=arguments):
            return len(json.dumps(arguments, ensure_ascii=False).encode())
        case ImageMessage(bytes=data):
            return len(data)
        case ReasoningMessage(content=text, encrypted_value=encrypted):
            return len(text.encode()) + len((encrypted or "").encode())
        case ActivityMessage(content=content):
            return len(json.dumps(content, ensure_ascii=False).encode())
        case _:
            return len(json.dumps(message.state, ensure_ascii=False).encode())
