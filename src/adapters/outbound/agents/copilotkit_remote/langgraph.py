"""LangGraph events, as the CopilotKit Python SDK streams them from `/agents/execute`, to AG-UI events:
state syncs as steps and snapshots, model chunks as text messages and tool calls, the SDK's manual
emits, interrupts as custom events and `on_copilotkit_error` as a failed run. Which streamed message is
still open is the run aggregate's to say: each start and end emitted is applied to a `Run`."""

from __future__ import annotations

import json

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallStartEvent,
)

from agui_runtime.application.errors import UpstreamError
from agui_runtime.domain.events import TextMessageEnded, TextMessageStarted, ToolCallEnded, ToolCallStarted
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.run import Run, RunMessage

END_NODE = "__end__"  # LangGraph's END, as the SDK names it in its state syncs


class LangGraphEvents:
    """LangGraph events (as the CopilotKit Python SDK streams them) to AG-UI events. At most one streamed
    message is open at a time (a text or a tool call), read once per line from the run; the manual emits
    start and end in one line and stay out of the run (an id they share with the open call must not close it)."""

    def __init__(self, agent_name: str) -> None:
        self._agent = agent_name
        self._run = Run()
        self._last_message: str | None = None
        self._node: str | None = None
        self._active = False
        self._count = 0

    def translate(self, line: JsonObject) -> list[BaseEvent]:
        kind = line.get("event")
        data = line.get("data") if isinstance(line.get("data"), dict) else {}
        assert isinstance(data, dict)
        if kind == "on_copilotkit_state_sync":
            return self._state_sync(line)
        if kind == "on_chat_model_stream":
            return self._chat_chunk(line, data)
        if kind == "on_custom_event":
            return self._custom(str(line.get("name", "")), data)
        if kind == "on_interrupt":
            return [CustomEvent(name="on_interrupt", value=line.get("value", data.get("value")))]
        if kind == "on_copilotkit_interrupt":
            inner = data.get("data") if isinstance(data.get("data"), dict) else data
            return [CustomEvent(name="on_copilotkit_interrupt", value=inner)]
        if kind == "on_copilotkit_error":
            error = data.get("error") if isinstance(data.get("error"), dict) else {}
            assert isinstance(error, dict)
            raise UpstreamError(
                f"Agent '{self._agent}' failed: {error.get('type', 'Error')}: {error.get('message', '')}"
            )
        return []

    def close(self) -> list[BaseEvent]:
        """The ends of the messages the stream left open: the tool call first, then the text."""
        tool, message = self._streamed()
        return [*self._end(tool), *self._end(message)]

    def _state_sync(self, line: JsonObject) -> list[BaseEvent]:
        events: list[BaseEvent] = []
        node = str(line.get("node_name") or "")
        # The graph's end is no step: the SDK names it in its first sync when the client continues from it
        # (and ag-ui-langgraph opens no step for it either).
        active = bool(line.get("active", True)) and node != END_NODE
        if active and (not self._active or node != self._node):
            events.append(StepStartedEvent(step_name=node))
        state = line.get("state")
        events.append(StateSnapshotEvent(snapshot=state if isinstance(state, dict) else {}))
        if not active and self._active:
            events.append(StepFinishedEvent(step_name=self._node or node))  # the step that was open
        self._node, self._active = node, active
        if line.get("running") is False:
            events.append(CustomEvent(name="Exit", value=True))
        return events

    def _chat_chunk(self, line: JsonObject, data: JsonObject) -> list[BaseEvent]:
        chunk = data.get("chunk") if isinstance(data.get("chunk"), dict) else {}
        assert isinstance(chunk, dict)
        fields = chunk.get("kwargs") if isinstance(chunk.get("kwargs"), dict) else chunk
        assert isinstance(fields, dict)
        content = fields.get("content")
        if isinstance(content, list):
            first = content[0] if content else {}
            content = first.get("text", "") if isinstance(first, dict) else ""
        text = content if isinstance(content, str) else ""
        raw_id = fields.get("id")
        message_id = raw_id if isinstance(raw_id, str) else None
        chunks = fields.get("tool_call_chunks") if isinstance(fields.get("tool_call_chunks"), list) else []
        assert isinstance(chunks, list)
        metadata = fields.get("response_metadata") if isinstance(fields.get("response_metadata"), dict) else {}
        assert isinstance(metadata, dict)
        finish = metadata.get("finish_reason")
        flags = line.get("metadata") if isinstance(line.get("metadata"), dict) else {}
        assert isinstance(flags, dict)
        events: list[BaseEvent] = []
        first_chunk = chunks[0] if chunks and isinstance(chunks[0], dict) else None
        tool, message = self._streamed()
        if tool is not None and not chunks:
            events += self._end(tool)
            tool = None
        if first_chunk is not None and first_chunk.get("name") and first_chunk.get("id"):
            events += [*self._end(tool), *self._end(message)]
            tool = message = None
            name = str(first_chunk["name"])
            if _emits_tool(flags.get("copilotkit:emit-tool-calls", True), name):
                tool = self._run.apply(ToolCallStarted(str(first_chunk["id"]), name, self._last_message))
                assert tool is not None  # nothing was open
                events.append(
                    ToolCallStartEvent(
                        tool_call_id=tool.message_id, tool_call_name=name, parent_message_id=self._last_message
                    )
                )
        if tool is not None:
            arguments = text or (str(first_chunk.get("args") or "") if first_chunk is not None else "")
            if arguments:
                events.append(ToolCallArgsEvent(tool_call_id=tool.message_id, delta=arguments))
        elif text and flags.get("copilotkit:emit-messages", True) is not False:
            if message_id is not None and message is not None and message_id != message.message_id:
                events += self._end(message)
                message = None
            if message is None:
                self._count += 1
                message = self._run.apply(TextMessageStarted(message_id or f"{self._agent}-message-{self._count}"))
                assert message is not None  # nothing was open
                events.append(TextMessageStartEvent(message_id=message.message_id))
            events.append(TextMessageContentEvent(message_id=message.message_id, delta=text))
        if message_id is not None:
            self._last_message = message_id
        if finish == "tool_calls":
            events += self._end(tool)
        elif finish == "stop":
            events += self._end(message)
        return events

    def _custom(self, name: str, data: JsonObject) -> list[BaseEvent]:
        if name == "copilotkit_manually_emit_message":
            message_id = str(data.get("message_id") or "")
            return [
                *self._end(self._streamed()[1]),
                TextMessageStartEvent(message_id=message_id),
                TextMessageContentEvent(message_id=message_id, delta=str(data.get("message", "")) or " "),
                TextMessageEndEvent(message_id=message_id),
            ]
        if name == "copilotkit_manually_emit_tool_call":
            call_id = str(data.get("id") or "")
            return [
                ToolCallStartEvent(
                    tool_call_id=call_id, tool_call_name=str(data.get("name", "")), parent_message_id=call_id
                ),
                ToolCallArgsEvent(tool_call_id=call_id, delta=json.dumps(data.get("args", {}))),
                ToolCallEndEvent(tool_call_id=call_id),
            ]
        return []

    def _streamed(self) -> tuple[RunMessage | None, RunMessage | None]:
        """The streamed tool call and text message still open, as the run has them."""
        tool = message = None
        for opened in self._run.open_messages:
            if opened.tool_name is None:
                message = opened
            else:
                tool = opened
        return tool, message

    def _end(self, message: RunMessage | None) -> list[BaseEvent]:
        """The end of an open message, applied to the run; nothing for none."""
        if message is None:
            return []
        if message.tool_name is None:
            self._run.apply(TextMessageEnded(message.message_id))
            return [TextMessageEndEvent(message_id=message.message_id)]
        self._run.apply(ToolCallEnded(message.message_id))
        return [ToolCallEndEvent(tool_call_id=message.message_id)]


def _emits_tool(flag: object, name: str) -> bool:
    """`copilotkit:emit-tool-calls`: a bool, one tool name, or a list of names."""
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str):
        return flag == name
    if isinstance(flag, list):
        return name in flag
    return True
