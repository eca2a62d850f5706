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
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningStarted:
    """A phase of reasoning opens (one or more reasoning messages follow); `message_id` names the phase."""

    message_id: str
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningMessageStarted:
    message_id: str
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningMessageChunk:
    message_id: str
    delta: str
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningMessageEnded:
    message_id: str
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningEnded:
    message_id: str
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReasoningEncryptedValue:
    """The vendor's opaque form of the reasoning behind `entity_id`: a reasoning message (`subtype`
    "message") or a tool call ("tool-call"). It goes back to that vendor with the entity on the next call."""

    entity_id: str
    encrypted_value: str
    subtype: str = "message"
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActivitySnapshot:
    """An activity message's whole content (`replace` false: merged into what the client has, only when
    the message is new to it)."""

    message_id: str
    activity_type: str
    content: JsonObject = field(default_factory=dict)
    replace: bool = True
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityDelta:
    """An RFC 6902 patch of an activity message's content, and `content`: the content once patched (the
    adapter that received the patch applied it; the domain keeps no JSON Patch engine)."""

    message_id: str
    activity_type: str
    patch: list[JsonValue] = field(default_factory=list)
    content: JsonObject = field(default_factory=dict)
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class RelayedEvent:
    """An agent's event the runtime passes on without acting on it, in the agent protocol's own form
    (`payload`, its `type` included): messages snapshots, raw events, sub-agent lifecycle, the legacy
    thinking events. Clients of that protocol get it as the agent sent it; a protocol with no such event
    leaves it out."""

    payload: JsonObject


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
    """`outcome`: how the agent says the run ended, when it says (`{"type": "interrupt", "interrupts":
    [...]}`: it waits for the client's answers, sent as the next run's resume entries); `result`: what the
    agent returned, if anything."""

    thread_id: str
    run_id: str
    outcome: JsonObject | None = None
    result: JsonValue = None


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
    | ReasoningStarted
    | ReasoningMessageStarted
    | ReasoningMessageChunk
    | ReasoningMessageEnded
    | ReasoningEnded
    | ReasoningEncryptedValue
    | ActivitySnapshot
    | ActivityDelta
    | RelayedEvent
    | AgentStateChanged
    | RunFinished
    | RunFailed
)
