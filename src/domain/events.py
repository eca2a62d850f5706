"""Protocol-neutral events of one run. The GraphQL adapter streams them as messages; an AG-UI adapter
encodes the same events as SSE, so each event maps to one thing on either wire."""

from __future__ import annotations

from dataclasses import dataclass, field

from agui_runtime.domain.json import JsonObject, JsonValue
from agui_runtime.domain.messages import Message, Role


@dataclass(frozen=True, slots=True)
class RunStarted:
    """`input_messages`: the request's messages that were new to the thread (what a replay of the thread
    must show as this run's input: the user's turn, a tool result it brought)."""

    thread_id: str
    run_id: str
    input_messages: tuple[Message, ...] = ()


@dataclass(frozen=True, slots=True)
class TextMessageStarted:
    message_id: str
    role: Role = Role.ASSISTANT
    parent_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class TextMessageChunk:
    message_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class TextMessageEnded:
    message_id: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    tool_call_id: str
    tool_name: str
    parent_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallArgs:
    """A fragment of the JSON arguments; the fragments joined are the whole JSON text."""

    tool_call_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class ToolCallEnded:
    tool_call_id: str


@dataclass(frozen=True, slots=True)
class ToolCallResult:
    message_id: str
    tool_call_id: str
    tool_name: str
    content: str


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    agent_name: str
    state: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StateDelta:
    """An RFC 6902 JSON Patch against the agent's last state."""

    agent_name: str
    patch: list[JsonObject] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StepStarted:
    step_name: str


@dataclass(frozen=True, slots=True)
class StepFinished:
    step_name: str


@dataclass(frozen=True, slots=True)
class CustomEvent:
    """A named event an agent sends for its frontend (interrupts, `Exit`, predicted state)."""

    name: str
    value: JsonValue = None


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """What a client is told of an agent during a run: its whole state, the node it is in, whether a
    step is active, and whether the agent still holds the session (`running`: the client routes its
    next message to the agent while it is true)."""

    agent_name: str
    node_name: str
    run_id: str
    state: JsonObject
    active: bool
    running: bool


@dataclass(frozen=True, slots=True)
class RunFinished:
    thread_id: str
    run_id: str


@dataclass(frozen=True, slots=True)
class RunFailed:
    """The run ended on an error. `code` is stable; `message` is safe to show and carries no secret."""

    code: str
    message: str


RunEvent = (
    RunStarted
    | TextMessageStarted
    | TextMessageChunk
    | TextMessageEnded
    | ToolCallStarted
    | ToolCallArgs
    | ToolCallEnded
    | ToolCallResult
    | StateSnapshot
    | StateDelta
    | StepStarted
    | StepFinished
    | CustomEvent
    | AgentStateChanged
    | RunFinished
    | RunFailed
)
