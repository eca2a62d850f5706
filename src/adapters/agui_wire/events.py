"""AG-UI events as run events. An agent's state deltas are applied here (JSON Patch), so the core only
ever sees whole snapshots; events that break the protocol's order are errors, not silently dropped."""

from __future__ import annotations

import copy
import logging
from typing import Any

import jsonpatch
from ag_ui.core import (
    ActivityDeltaEvent,
    ActivitySnapshotEvent,
    Event,
    ReasoningEncryptedValueEvent,
    ReasoningEndEvent,
    ReasoningMessageChunkEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateDeltaEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageChunkEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallChunkEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from ag_ui.core import (
    CustomEvent as AguiCustom,
)
from pydantic import TypeAdapter

from agui_runtime.application.errors import UpstreamError
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import (
    ActivityDelta,
    ActivitySnapshot,
    CustomEvent,
    ReasoningEncryptedValue,
    ReasoningEnded,
    ReasoningMessageChunk,
    ReasoningMessageEnded,
    ReasoningMessageStarted,
    ReasoningStarted,
    RelayedEvent,
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
    StateSnapshot,
    StepFinished,
    StepStarted,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallResult,
    ToolCallStarted,
)
from agui_runtime.domain.json import JsonObject, JsonValue, is_json_value

logger = logging.getLogger("agui_runtime.agents")

EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


class AgentProtocolError(UpstreamError):
    """The agent broke the AG-UI protocol (an unknown message id, a patch that does not apply...)."""

    def __init__(self, agent_name: str, problem: str) -> None:
        super().__init__(f"Agent '{agent_name}' sent an invalid AG-UI event stream: {problem}.")


class EventTranslator:
    """One run's AG-UI events to run events, keeping what the protocol's order depends on: the open
    messages and tool calls, the tool names, and the agent's current state."""

    def __init__(self, agent_name: str, state: JsonObject | None = None) -> None:
        self._agent = agent_name
        self._state: JsonObject = copy.deepcopy(state or {})
        self._open_texts: set[str] = set()
        self._open_calls: set[str] = set()
        self._tool_names: dict[str, str] = {}
        self._chunk_text: str | None = None
        self._chunk_tool: str | None = None
        self._chunk_reasoning: tuple[str, str | None] | None = None  # (message id, sub-agent run id)
        self._activities: dict[str, JsonObject] = {}  # each activity message's content, for its deltas

    def translate(self, event: Any) -> list[RunEvent]:
        """The run events for one AG-UI event. Chunk events (the protocol's shorthand) open a message on
        their first chunk; it ends at the next event that is not a chunk of it."""
        if isinstance(event, TextMessageChunkEvent):
            return self._text_chunk(event)
        if isinstance(event, ToolCallChunkEvent):
            return self._tool_chunk(event)
        if isinstance(event, ReasoningMessageChunkEvent):
            return self._reasoning_chunk(event)
        return [*self._end_chunks(), *self._translate(event)]

    def _text_chunk(self, event: TextMessageChunkEvent) -> list[RunEvent]:
        message_id = event.message_id or self._chunk_text
        if message_id is None:
            raise AgentProtocolError(self._agent, "a TEXT_MESSAGE_CHUNK without a message id")
        out: list[RunEvent] = []
        if message_id != self._chunk_text:
            out += self._end_chunks()
            self._require(message_id not in self._open_texts, f"a chunk for text message {message_id!r} already open")
            self._open_texts.add(message_id)
            self._chunk_text = message_id
            out.append(TextMessageStarted(message_id))
        if event.delta:
            out.append(TextMessageChunk(message_id, event.delta))
        return out

    def _tool_chunk(self, event: ToolCallChunkEvent) -> list[RunEvent]:
        call_id = event.tool_call_id or self._chunk_tool
        if call_id is None:
            raise AgentProtocolError(self._agent, "a TOOL_CALL_CHUNK without a tool call id")
        out: list[RunEvent] = []
        if call_id != self._chunk_tool:
            out += self._end_chunks()
            if not event.tool_call_name:
                raise AgentProtocolError(self._agent, f"the first TOOL_CALL_CHUNK of {call_id!r} has no tool name")
            self._open_calls.add(call_id)
            self._tool_names[call_id] = event.tool_call_name
            self._chunk_tool = call_id
            out.append(ToolCallStarted(call_id, event.tool_call_name, event.parent_message_id))
        if event.delta:
            out.append(ToolCallArgs(call_id, event.delta))
        return out

    def _reasoning_chunk(self, event: ReasoningMessageChunkEvent) -> list[RunEvent]:
        """As the 0.0.59 client expands it: a reasoning message (no phase of its own), stored like one."""
        opened = self._chunk_reasoning
        message_id = event.message_id or (opened[0] if opened else None)
        if message_id is None:
            raise AgentProtocolError(self._agent, "a REASONING_MESSAGE_CHUNK without a message id")
        out: list[RunEvent] = []
        if opened is None or message_id != opened[0]:
            out += self._end_chunks()
            self._chunk_reasoning = (message_id, event.subagent_run_id)
            out.append(ReasoningMessageStarted(message_id, event.subagent_run_id))
        if event.delta:
            assert self._chunk_reasoning is not None
            out.append(ReasoningMessageChunk(message_id, event.delta, self._chunk_reasoning[1]))
        return out

    def _end_chunks(self) -> list[RunEvent]:
        out: list[RunEvent] = []
        if self._chunk_reasoning is not None:
            out.append(ReasoningMessageEnded(*self._chunk_reasoning))
            self._chunk_reasoning = None
        if self._chunk_text is not None:
            self._open_texts.discard(self._chunk_text)
            out.append(TextMessageEnded(self._chunk_text))
            self._chunk_text = None
        if self._chunk_tool is not None:
            self._open_calls.discard(self._chunk_tool)
            out.append(ToolCallEnded(self._chunk_tool))
            self._chunk_tool = None
        return out

    def _translate(self, event: Any) -> list[RunEvent]:
        match event:
            case RunStartedEvent():
                return [RunStarted(event.thread_id, event.run_id)]
            case TextMessageStartEvent():
                self._open_texts.add(event.message_id)
                return [TextMessageStarted(event.message_id)]
            case TextMessageContentEvent():
                self._require(
                    event.message_id in self._open_texts,
                    f"content for text message {event.message_id!r} that is not open",
                )
                return [TextMessageChunk(event.message_id, event.delta)]
            case TextMessageEndEvent():
                self._require(
                    event.message_id in self._open_texts, f"end of text message {event.message_id!r} that is not open"
                )
                self._open_texts.discard(event.message_id)
                return [TextMessageEnded(event.message_id)]
            case ToolCallStartEvent():
                self._open_calls.add(event.tool_call_id)
                self._tool_names[event.tool_call_id] = event.tool_call_name
                return [ToolCallStarted(event.tool_call_id, event.tool_call_name, event.parent_message_id)]
            case ToolCallArgsEvent():
                self._require(
                    event.tool_call_id in self._open_calls,
                    f"arguments for tool call {event.tool_call_id!r} that is not open",
                )
                return [ToolCallArgs(event.tool_call_id, event.delta)]
            case ToolCallEndEvent():
                self._require(
                    event.tool_call_id in self._open_calls, f"end of tool call {event.tool_call_id!r} that is not open"
                )
                self._open_calls.discard(event.tool_call_id)
                return [ToolCallEnded(event.tool_call_id)]
            case ToolCallResultEvent():
                name = self._tool_names.get(event.tool_call_id, "unknown")
                return [ToolCallResult(event.message_id, event.tool_call_id, name, event.content)]
            case StateSnapshotEvent():
                return [self._snapshot(event.snapshot)]
            case StateDeltaEvent():
                try:
                    patched = jsonpatch.apply_patch(self._state, event.delta)
                except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, ValueError) as exc:
                    raise AgentProtocolError(self._agent, f"a state delta that does not apply ({exc})") from exc
                return [self._snapshot(patched)]
            case StepStartedEvent():
                return [StepStarted(event.step_name)]
            case StepFinishedEvent():
                return [StepFinished(event.step_name)]
            case AguiCustom():
                value: JsonValue = event.value if is_json_value(event.value) else str(event.value)
                return [CustomEvent(event.name, value, event.subagent_run_id)]
            case ReasoningStartEvent():
                return [ReasoningStarted(event.message_id, event.subagent_run_id)]
            case ReasoningMessageStartEvent():
                return [ReasoningMessageStarted(event.message_id, event.subagent_run_id)]
            case ReasoningMessageContentEvent():
                return [ReasoningMessageChunk(event.message_id, event.delta, event.subagent_run_id)]
            case ReasoningMessageEndEvent():
                return [ReasoningMessageEnded(event.message_id, event.subagent_run_id)]
            case ReasoningEndEvent():
                return [ReasoningEnded(event.message_id, event.subagent_run_id)]
            case ReasoningEncryptedValueEvent():
                return [
                    ReasoningEncryptedValue(
                        event.entity_id, event.encrypted_value, event.subtype, event.subagent_run_id
                    )
                ]
            case ActivitySnapshotEvent():
                return [self._activity_snapshot(event)]
            case ActivityDeltaEvent():
                return [self._activity_delta(event)]
            case RunFinishedEvent():
                self._require(not self._open_texts and not self._open_calls, "RUN_FINISHED with messages still open")
                outcome = event.outcome.model_dump(mode="json", by_alias=True) if event.outcome is not None else None
                result: JsonValue = event.result if is_json_value(event.result) else None
                return [RunFinished(event.thread_id, event.run_id, outcome, result)]
            case RunErrorEvent():
                return [RunFailed(event.code or ErrorCode.AGENT_ERROR, event.message)]
            case _:
                # Messages snapshots, raw events, sub-agent lifecycle, the legacy thinking events: passed on
                # as the agent sent them (clients of the agent's protocol act on them; v1 has no such types).
                payload = event.model_dump(mode="json", by_alias=True, exclude_none=True)
                return [RelayedEvent(payload)] if isinstance(payload, dict) and is_json_value(payload) else []

    def _activity_snapshot(self, event: ActivitySnapshotEvent) -> ActivitySnapshot:
        if not isinstance(event.content, dict) or not is_json_value(event.content):
            raise AgentProtocolError(
                self._agent, f"activity {event.message_id!r} with content that is not a JSON object"
            )
        if event.replace or event.message_id not in self._activities:
            self._activities[event.message_id] = copy.deepcopy(event.content)
        return ActivitySnapshot(
            event.message_id, event.activity_type, event.content, event.replace, event.subagent_run_id
        )

    def _activity_delta(self, event: ActivityDeltaEvent) -> ActivityDelta:
        current = self._activities.get(event.message_id)
        if current is None:
            raise AgentProtocolError(self._agent, f"an activity delta for {event.message_id!r} before its snapshot")
        try:
            patched = jsonpatch.apply_patch(current, event.patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, ValueError) as exc:
            raise AgentProtocolError(self._agent, f"an activity delta that does not apply ({exc})") from exc
        if not isinstance(patched, dict) or not is_json_value(patched):
            raise AgentProtocolError(self._agent, f"activity {event.message_id!r} patched into a non-object")
        self._activities[event.message_id] = patched
        patch: list[JsonValue] = [op for op in event.patch if is_json_value(op)]
        return ActivityDelta(
            event.message_id, event.activity_type, patch, copy.deepcopy(patched), event.subagent_run_id
        )

    def _snapshot(self, snapshot: object) -> StateSnapshot:
        if not isinstance(snapshot, dict) or not is_json_value(snapshot):
            raise AgentProtocolError(self._agent, "a state that is not a JSON object")
        self._state = snapshot
        # `messages` in an agent's state is its own copy of the conversation, not state the UI renders.
        return StateSnapshot(self._agent, {key: value for key, value in snapshot.items() if key != "messages"})

    def _require(self, condition: bool, problem: str) -> None:
        if not condition:
            raise AgentProtocolError(self._agent, problem)
