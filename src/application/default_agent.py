"""What the v2 `default` agent adds to a chat with the model, as the reference's built-in agent does: one
system message with the configured prompt, the application's context and its state; the client's own
system and developer messages left out unless configured; and two tools through which the model edits the
application's state, answered here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from agui_runtime.application.ports import JsonPatcher
from agui_runtime.domain.json import JsonObject, parse_json_object
from agui_runtime.domain.messages import Message, Role, TextMessage
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition

STATE_SNAPSHOT_TOOL = "AGUISendStateSnapshot"
STATE_DELTA_TOOL = "AGUISendStateDelta"
STATE_TOOLS = frozenset({STATE_SNAPSHOT_TOOL, STATE_DELTA_TOOL})

_OPERATION: JsonObject = {
    "type": "object",
    "properties": {
        "op": {"type": "string", "enum": ["add", "replace", "remove"], "description": "what to do at `path`"},
        "path": {"type": "string", "description": "a JSON Pointer into the state, e.g. /items/0/done"},
        "value": {"description": "the value to add or put in place; not used by remove"},
    },
    "required": ["op", "path"],
}
STATE_TOOL_DEFINITIONS = (
    ToolDefinition(
        STATE_SNAPSHOT_TOOL,
        "Replace the application's whole state with a new one.",
        {
            "type": "object",
            "properties": {"snapshot": {"type": "object", "description": "the complete new state"}},
            "required": ["snapshot"],
        },
    ),
    ToolDefinition(
        STATE_DELTA_TOOL,
        "Change parts of the application's state with JSON Patch (RFC 6902) operations, applied in order.",
        {
            "type": "object",
            "properties": {"delta": {"type": "array", "items": _OPERATION, "description": "the operations"}},
            "required": ["delta"],
        },
    ),
)


@dataclass(frozen=True, slots=True)
class BuiltInAgentRun:
    """One run of the `default` agent: the configured `prompt`, the application `state` the client sent
    (None or empty: none), and whether the client's system and developer messages reach the model."""

    prompt: str | None = None
    state: JsonObject | None = None
    forward_system_messages: bool = False
    forward_developer_messages: bool = False

    def shown(
        self,
        messages: tuple[Message, ...],
        context: tuple[tuple[str, str], ...],
        new_id: Callable[[], str],
        now: datetime,
    ) -> tuple[Message, ...]:
        """What the model is shown: the system message (when there is anything to say) and the client's
        messages without the system ones it may not see."""
        dropped = {Role.SYSTEM} if not self.forward_system_messages else set()
        if not self.forward_developer_messages:
            dropped.add(Role.DEVELOPER)
        kept = tuple(m for m in messages if not (isinstance(m, TextMessage) and m.role in dropped))
        system = self.system_prompt(context)
        if system is None:
            return kept
        return (TextMessage(id=f"system-{new_id()}", created_at=now, role=Role.SYSTEM, content=system), *kept)

    def system_prompt(self, context: tuple[tuple[str, str], ...]) -> str | None:
        parts = [self.prompt] if self.prompt else []
        if context:
            entries = "\n".join(f"{description}:\n{value}\n" for description, value in context)
            parts.append(f"## Context from the application\n{entries}")
        if self.state:
            state = json.dumps(self.state, indent=2, ensure_ascii=False)
            parts.append(
                "## Application state\n"
                f"The application's current state. Call {STATE_SNAPSHOT_TOOL} to replace it or "
                f"{STATE_DELTA_TOOL} to change parts of it.\n```json\n{state}\n```"
            )
        return "\n\n".join(parts) if parts else None


@dataclass(slots=True)
class AppState:
    """The application's state as the run's state tools change it (the client's, to start with)."""

    values: JsonObject = field(default_factory=dict)

    def apply(
        self, tool_name: str, arguments_text: str, patcher: JsonPatcher
    ) -> tuple[JsonObject | None, ActionOutcome]:
        """A state tool's call: the new state (None when the call changes nothing) and the result the
        model reads. A call that does not apply leaves the state as it was and tells the model why."""
        arguments = parse_json_object(arguments_text) if arguments_text.strip() else {}
        if arguments is None:
            return None, _refused("the arguments are not a JSON object")
        if tool_name == STATE_SNAPSHOT_TOOL:
            snapshot = arguments.get("snapshot")
            if not isinstance(snapshot, dict):
                return None, _refused("`snapshot` must be a JSON object: the complete new state")
            self.values = snapshot
            return snapshot, _applied({"success": True, "snapshot": snapshot})
        delta = arguments.get("delta")
        if not isinstance(delta, list) or not all(isinstance(operation, dict) for operation in delta):
            return None, _refused("`delta` must be a list of JSON Patch operations")
        try:
            patched = patcher.apply(self.values, [operation for operation in delta if isinstance(operation, dict)])
        except ValueError as exc:
            return None, _refused(f"the patch does not apply to the current state ({exc})")
        self.values = patched
        return patched, _applied({"success": True, "delta": delta})


def _applied(result: JsonObject) -> ActionOutcome:
    return ActionOutcome(result=json.dumps(result, ensure_ascii=False, separators=(",", ":")))


def _refused(message: str) -> ActionOutcome:
    return ActionOutcome(error_code="INVALID_STATE_UPDATE", error_message=message)
