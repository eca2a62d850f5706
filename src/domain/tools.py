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
    """Model settings for one call: the configured defaults, with what a request may set over them. None
    (or no stop sequences) means "not set": the next level down applies, and the vendor's own last."""

    model: str | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    tool_choice: str | None = None
    tool_choice_function_name: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None

    def over(self, defaults: ModelParameters) -> ModelParameters:
        """These parameters, each one not set taken from `defaults` (a forced tool comes with its name)."""
        choice = (self.tool_choice, self.tool_choice_function_name) if self.tool_choice is not None else None
        tool_choice, function_name = choice or (defaults.tool_choice, defaults.tool_choice_function_name)
        return ModelParameters(
            model=self.model if self.model is not None else defaults.model,
            max_tokens=self.max_tokens if self.max_tokens is not None else defaults.max_tokens,
            stop=self.stop or defaults.stop,
            tool_choice=tool_choice,
            tool_choice_function_name=function_name,
            temperature=self.temperature if self.temperature is not None else defaults.temperature,
            top_p=self.top_p if self.top_p is not None else defaults.top_p,
            top_k=self.top_k if self.top_k is not None else defaults.top_k,
            presence_penalty=self.presence_penalty if self.presence_penalty is not None else defaults.presence_penalty,
            frequency_penalty=(
                self.frequency_penalty if self.frequency_penalty is not None else defaults.frequency_penalty
            ),
            seed=self.seed if self.seed is not None else defaults.seed,
        )


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
