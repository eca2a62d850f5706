"""The contract's enums. Member names are the GraphQL values that travel on the wire."""

from __future__ import annotations

from enum import Enum

import strawberry

from agui_runtime.domain.errors import ErrorCode


@strawberry.enum(description="The role of the message")
class MessageRole(Enum):
    user = "user"
    assistant = "assistant"
    system = "system"
    tool = "tool"
    developer = "developer"


@strawberry.enum(description="The type of Copilot request")
class CopilotRequestType(Enum):
    Chat = "Chat"
    Task = "Task"
    TextareaCompletion = "TextareaCompletion"
    TextareaPopover = "TextareaPopover"
    Suggestion = "Suggestion"


@strawberry.enum(description="The availability of the frontend action")
class ActionInputAvailability(Enum):
    disabled = "disabled"
    enabled = "enabled"
    remote = "remote"


@strawberry.enum
class MessageStatusCode(Enum):
    Pending = "Pending"
    Success = "Success"
    Failed = "Failed"


@strawberry.enum
class ResponseStatusCode(Enum):
    Pending = "Pending"
    Success = "Success"
    Failed = "Failed"


@strawberry.enum
class FailedResponseStatusReason(Enum):
    GUARDRAILS_VALIDATION_FAILED = ErrorCode.GUARDRAILS_VALIDATION_FAILED.value  # the run's failure code
    MESSAGE_STREAM_INTERRUPTED = "MESSAGE_STREAM_INTERRUPTED"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


@strawberry.enum(description="Meta event types")
class MetaEventName(Enum):
    LangGraphInterruptEvent = "LangGraphInterruptEvent"
    CopilotKitLangGraphInterruptEvent = "CopilotKitLangGraphInterruptEvent"
