"""AG-UI events as run events. An agent's state deltas are applied here (JSON Patch), so the core only
ever sees whole snapshots; events that break the protocol's order are errors, not silently dropped."""

from __future__ import annotations

import copy
import logging
from typing import Any

import jsonpatch
from ag_ui.core import (
    CustomEvent as AguiCustom,
)
from ag_ui.core import (
    Event,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateDeltaEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from pydantic import TypeAdapter

from application.errors import UpstreamError
from domain.events import (
    CustomEvent,
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
from domain.json import JsonObject, JsonValue, is_json_value

logger = logging.getLogger("agui_runtime.agents")

EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)
AGENT_ERROR = "AGENT_ERROR"


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

    def translate(self, event: Any) -> list[RunEvent]:
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
                    raise AgentProtocolError(self._agent, f"a state delta that does not apply ({exc})") from None
                return [self._snapshot(patched)]
            case StepStartedEvent():
                return [StepStarted(event.step_name)]
            case StepFinishedEvent():
                return [StepFinished(event.step_name)]
            case AguiCustom():
                value: JsonValue = event.value if is_json_value(event.value) else str(event.value)
                return [CustomEvent(event.name, value)]
            case RunFinishedEvent():
                self._require(not self._open_texts and not self._open_calls, "RUN_FINISHED with messages still open")
                return [RunFinished(event.thread_id, event.run_id)]
            case RunErrorEvent():
                return [RunFailed(event.code or AGENT_ERROR, event.message)]
            case _:
                logger.debug("agent %s: %s events are not forwarded", self._agent, getattr(event, "type", "unknown"))
                return []

    def _snapshot(self, snapshot: object) -> StateSnapshot:
        if not isinstance(snapshot, dict) or not is_json_value(snapshot):
            raise AgentProtocolError(self._agent, "a state that is not a JSON object")
        self._state = snapshot
        # `messages` in an agent's state is its own copy of the conversation, not state the UI renders.
        return StateSnapshot(self._agent, {key: value for key, value in snapshot.items() if key != "messages"})

    def _require(self, condition: bool, problem: str) -> None:
        if not condition:
            raise AgentProtocolError(self._agent, problem)
