"""The message kinds of a conversation, as every protocol of the runtime knows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from agui_runtime.domain.errors import InvalidMessage
from agui_runtime.domain.json import JsonObject, is_json_value


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"
    DEVELOPER = "developer"


def _has_nul(value: object) -> bool:
    """Whether a text, or any key or text inside a JSON value, holds U+0000 (iteratively: no deep recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class MessageStatus(StrEnum):
    """Where a message stands: still streaming, complete, or cut off by a failure (kept, never lost)."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


def _check_common(message_id: str, created_at: datetime, *texts: object) -> None:
    if not message_id:
        raise InvalidMessage("a message needs a non-empty id")
    if "\x00" in message_id or any(_has_nul(text) for text in texts):
        # No store keeps it (PostgreSQL text and JSON refuse U+0000), and no model needs it.
        raise InvalidMessage(f"message {message_id[:64]!r} contains a NUL character (U+0000); remove it")
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise InvalidMessage(f"message {message_id!r}: createdAt must carry a time zone")


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage:
    id: str
    created_at: datetime
    role: Role
    content: str
    parent_message_id: str | None = None
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at, self.content)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionExecutionMessage:
    """A tool call made by the assistant; `arguments` is always a JSON object."""

    id: str
    created_at: datetime
    name: str
    arguments: JsonObject = field(default_factory=dict)
    parent_message_id: str | None = None
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at, self.name, self.arguments)
        if not self.name:
            raise InvalidMessage(f"action execution {self.id!r} needs a name")
        if not is_json_value(self.arguments):
            raise InvalidMessage(f"action execution {self.id!r}: arguments must be JSON")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultMessage:
    """The result of a tool call, already encoded as the text the model reads."""

    id: str
    created_at: datetime
    action_execution_id: str
    action_name: str
    result: str
    parent_message_id: str | None = None
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at, self.result, self.action_execution_id, self.action_name)
        if not self.action_execution_id:
            raise InvalidMessage(f"result {self.id!r} needs the id of the action execution it answers")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateMessage:
    """A snapshot of an agent's state within a run; never shown to a language model."""

    id: str
    created_at: datetime
    thread_id: str
    agent_name: str
    node_name: str
    run_id: str
    active: bool
    running: bool
    state: JsonObject = field(default_factory=dict)
    role: Role = Role.ASSISTANT
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at, self.state)
        if not is_json_value(self.state):
            raise InvalidMessage(f"agent state message {self.id!r}: state must be JSON")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageMessage:
    """An image as base64 `bytes` in `format` (png, jpeg, ...)."""

    id: str
    created_at: datetime
    role: Role
    format: str
    bytes: str
    parent_message_id: str | None = None
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at)
        if not self.format:
            raise InvalidMessage(f"image {self.id!r} needs a format")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasoningMessage:
    """What a model or agent reasoned before it answered, as it showed it (`content`, possibly a summary),
    and `encrypted_value` when the vendor gave one: the opaque form (a signature, encrypted reasoning) that
    goes back to the same vendor on the next call. Conversation for agents, never for a chat model's
    history; `subagent_run_id` names the sub-agent run it came from, if any."""

    id: str
    created_at: datetime
    content: str = ""
    encrypted_value: str | None = None
    parent_message_id: str | None = None
    subagent_run_id: str | None = None
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at, self.content, self.encrypted_value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityMessage:
    """A live surface an agent shows in the conversation (an MCP App, an A2UI surface, generative UI, a
    progress card): its `activity_type` and its current `content`, which the agent replaces or patches
    while it runs. The client's display: never sent to a chat model."""

    id: str
    created_at: datetime
    activity_type: str
    content: JsonObject = field(default_factory=dict)
    subagent_run_id: str | None = None
    status: MessageStatus = MessageStatus.SUCCESS

    def __post_init__(self) -> None:
        _check_common(self.id, self.created_at, self.activity_type, self.content)
        if not self.activity_type:
            raise InvalidMessage(f"activity {self.id!r} needs an activity type")
        if not is_json_value(self.content):
            raise InvalidMessage(f"activity {self.id!r}: content must be a JSON object")


Message = (
    TextMessage
    | ActionExecutionMessage
    | ResultMessage
    | AgentStateMessage
    | ImageMessage
    | ReasoningMessage
    | ActivityMessage
)
CONVERSATION = (TextMessage, ActionExecutionMessage, ResultMessage, ImageMessage)
"""The kinds a chat model is sent as history (reasoning goes back only to the vendor that made it, by its
own adapter's rules; agent state and activity are the client's display)."""
