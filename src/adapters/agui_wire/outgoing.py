"""Run events as the AG-UI events a client receives, in an order `@ag-ui/client` 0.0.59 accepts: the first
event is RUN_STARTED, content comes only inside an open message or tool call, whatever is open is ended
before the run's terminal event, and nothing follows that. A stream that stops early (a stopped run, a
replay of a run that was cut off) is finished with the missing END events and a RUN_FINISHED."""

from __future__ import annotations

import logging

from ag_ui.core import (
    ActivityDeltaEvent,
    ActivitySnapshotEvent,
    BaseEvent,
    CustomEvent,
    Event,
    ReasoningEncryptedValueEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunAgentInput,
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
from pydantic import TypeAdapter, ValidationError

from agui_runtime.adapters.agui_wire.inputs import to_agui_messages
from agui_runtime.domain import events as run
from agui_runtime.domain.run import MessageKind, Run

logger = logging.getLogger("agui_runtime.agui")

RELAYED: TypeAdapter[BaseEvent] = TypeAdapter(Event)


class OutgoingEvents:
    """One run's events for one client stream (a live run, or one run of a replay)."""

    def __init__(self, thread_id: str, run_id: str) -> None:
        self._thread_id = thread_id
        self._run_id = run_id
        self._started = False
        self._run = Run()  # what is open, and whether the run has ended
        self._phases: dict[str, str | None] = {}  # reasoning phases started and not ended: id -> sub-agent

    @property
    def ended(self) -> bool:
        return self._run.ended

    def convert(self, event: run.RunEvent) -> list[BaseEvent]:
        if self._run.ended:
            return []
        out: list[BaseEvent] = []
        if not self._started:
            self._started = True
            if isinstance(event, run.RunStarted):
                return [self._run_started(event)]
            out.append(RunStartedEvent(thread_id=self._thread_id, run_id=self._run_id))
        out += self._convert(event)
        return out

    def finish(self) -> list[BaseEvent]:
        """What a stream that ended without its terminal event still needs."""
        if self._run.ended:
            return []
        return self.convert(run.RunFinished(self._thread_id, self._run_id))

    def _run_started(self, event: run.RunStarted) -> RunStartedEvent:
        if not event.input_messages:
            return RunStartedEvent(thread_id=self._thread_id, run_id=self._run_id)
        # The run's new input messages: a client rebuilding the thread from a replay gets the user's turns
        # and tool results from here.
        given = RunAgentInput(
            thread_id=self._thread_id,
            run_id=self._run_id,
            state={},
            messages=to_agui_messages(event.input_messages),
            tools=[],
            context=[],
            forwarded_props={},
        )
        return RunStartedEvent(thread_id=self._thread_id, run_id=self._run_id, input=given)

    def _close_open(self, terminal: run.RunFinished | run.RunFailed) -> list[BaseEvent]:
        """The END events of what is still open (texts, tool calls, reasoning messages and their phases, then
        steps, innermost first); `terminal` then ends the run."""
        cut = self._run.cut_off()
        out: list[BaseEvent] = [TextMessageEndEvent(message_id=m.message_id) for m in cut if m.kind is MessageKind.TEXT]
        out += [ToolCallEndEvent(tool_call_id=m.message_id) for m in cut if m.kind is MessageKind.TOOL_CALL]
        out += [
            ReasoningMessageEndEvent(message_id=m.message_id, subagent_run_id=m.subagent_run_id)
            for m in cut
            if m.kind is MessageKind.REASONING
        ]
        out += [ReasoningEndEvent(message_id=key, subagent_run_id=sub) for key, sub in self._phases.items()]
        self._phases.clear()
        out += [StepFinishedEvent(step_name=name) for name in reversed(self._run.open_steps)]
        self._run.apply(terminal)
        return out

    def _convert(self, event: run.RunEvent) -> list[BaseEvent]:
        match event:
            case run.RunStarted():
                return []  # one run per stream: an agent's own start is already sent
            case run.TextMessageChunk(message_id=key, delta=delta):
                if self._run.apply(event) is None:
                    logger.debug("text for message %s, which is not open, left out", key)
                    return []
                return [TextMessageContentEvent(message_id=key, delta=delta)] if delta else []
            case run.ToolCallArgs(tool_call_id=key, delta=delta):
                if self._run.apply(event) is None:
                    logger.debug("arguments for tool call %s, which is not open, left out", key)
                    return []
                return [ToolCallArgsEvent(tool_call_id=key, delta=delta)] if delta else []
            case run.TextMessageStarted(message_id=key):
                if self._run.apply(event) is None:
                    return []
                return [TextMessageStartEvent(message_id=key, role="assistant")]
            case run.TextMessageEnded(message_id=key):
                if self._run.apply(event) is None:
                    return []
                return [TextMessageEndEvent(message_id=key)]
            case run.ToolCallStarted(tool_call_id=key, tool_name=name, parent_message_id=parent):
                if self._run.apply(event) is None:
                    return []
                return [ToolCallStartEvent(tool_call_id=key, tool_call_name=name, parent_message_id=parent)]
            case run.ToolCallEnded(tool_call_id=key):
                if self._run.apply(event) is None:
                    return []
                return [ToolCallEndEvent(tool_call_id=key)]
            case run.ToolCallResult():
                return [
                    ToolCallResultEvent(
                        message_id=event.message_id, tool_call_id=event.tool_call_id, content=event.content, role="tool"
                    )
                ]
            case run.StateSnapshot(state=state):
                return [StateSnapshotEvent(snapshot=state)]
            case run.StateDelta(patch=patch):
                return [StateDeltaEvent(delta=patch)]
            case run.StepStarted(step_name=name):
                self._run.apply(event)
                return [StepStartedEvent(step_name=name)]
            case run.StepFinished(step_name=name):
                if name not in self._run.open_steps:
                    return []
                self._run.apply(event)
                return [StepFinishedEvent(step_name=name)]
            case run.CustomEvent(name=name, value=value, subagent_run_id=subagent):
                return [CustomEvent(name=name, value=value, subagent_run_id=subagent)]
            case run.ReasoningStarted(message_id=key, subagent_run_id=subagent):
                self._phases[key] = subagent
                return [ReasoningStartEvent(message_id=key, subagent_run_id=subagent)]
            case run.ReasoningMessageStarted(message_id=key, subagent_run_id=subagent):
                if self._run.apply(event) is None:
                    return []
                return [ReasoningMessageStartEvent(message_id=key, role="reasoning", subagent_run_id=subagent)]
            case run.ReasoningMessageChunk(message_id=key, delta=delta, subagent_run_id=subagent):
                if self._run.apply(event) is None or not delta:
                    return []
                return [ReasoningMessageContentEvent(message_id=key, delta=delta, subagent_run_id=subagent)]
            case run.ReasoningMessageEnded(message_id=key, subagent_run_id=subagent):
                if self._run.apply(event) is None:
                    return []
                return [ReasoningMessageEndEvent(message_id=key, subagent_run_id=subagent)]
            case run.ReasoningEnded(message_id=key, subagent_run_id=subagent):
                self._phases.pop(key, None)
                return [ReasoningEndEvent(message_id=key, subagent_run_id=subagent)]
            case run.ReasoningEncryptedValue():
                return [
                    ReasoningEncryptedValueEvent(
                        subtype="tool-call" if event.subtype == "tool-call" else "message",
                        entity_id=event.entity_id,
                        encrypted_value=event.encrypted_value,
                        subagent_run_id=event.subagent_run_id,
                    )
                ]
            case run.ActivitySnapshot():
                return [
                    ActivitySnapshotEvent(
                        message_id=event.message_id,
                        activity_type=event.activity_type,
                        content=event.content,
                        replace=event.replace,
                        subagent_run_id=event.subagent_run_id,
                    )
                ]
            case run.ActivityDelta():
                return [
                    ActivityDeltaEvent(
                        message_id=event.message_id,
                        activity_type=event.activity_type,
                        patch=event.patch,
                        subagent_run_id=event.subagent_run_id,
                    )
                ]
            case run.RelayedEvent(payload=payload):
                try:
                    relayed: BaseEvent = RELAYED.validate_python(payload)
                except ValidationError:
                    logger.debug("a relayed %s event that is no longer valid, left out", payload.get("type"))
                    return []
                return [relayed]
            case run.RunFinished(outcome=outcome, result=result):
                finished = RunFinishedEvent.model_validate(
                    {"threadId": self._thread_id, "runId": self._run_id, "outcome": outcome, "result": result}
                )
                return [*self._close_open(event), finished]
            case run.RunFailed(code=code, message=message):
                return [*self._close_open(event), RunErrorEvent(message=message, code=code)]
            case _:
                return []  # AgentStateChanged: the v1 presentation of a snapshot or step already sent
