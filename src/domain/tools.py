"""Tools a model or agent may call, and the request a chat model answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agui_runtime.domain.errors import DomainError
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message


@dataclass(frozen=True, slots=True)
class ToolDefinition:
    """A callable tool: a frontend action, a backend action or an agent offered as a tool."""

    name: str
    description: str = ""
    parameters: JsonObject = field(default_factory=lambda: {"type": "object", "properties": {}})

    def __post_init__(self) -> None:
        if not self.name:
            raise DomainError("a tool needs a non-empty name")


@dataclass(frozen=True, slots=True)
class ModelParameters:
    """Per-request model settings a client may forward; None means the configured default."""

    model: str | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    tool_choice: str | None = None
    tool_choice_function_name: str | None = None
    temperature: float | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What a chat model is asked: the request's messages in request order, never stored history."""

    thread_id: str
    run_id: str
    messages: tuple[Message, ...]
    tools: tuple[ToolDefinition, ...] = ()
    parameters: ModelParameters = field(default_factory=ModelParameters)


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What a backend action produced: its result already encoded as text, or a stable error code and a
    message. `as_result_text` is what the client and, on the next turn, the model read."""

    result: str = ""
    error_code: str | None = None
    error_message: str | None = None

    def as_result_text(self) -> str:
        if self.error_code is None:
            return self.result
        error = {"error": {"code": self.error_code, "message": self.error_message or ""}, "result": self.result}
        return json.dumps(error, ensure_ascii=False, separators=(",", ":"))
