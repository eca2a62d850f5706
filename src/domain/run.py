"""The run aggregate: a run's events in, in order; out come the messages still open, the messages that
completed, the run's events compacted for replay, and its final record with the status rule on it. Every
place that follows a run (the recorder, each protocol's presentation) asks one of these instead of folding
the stream again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import (
    ActivityDelta,
    ActivitySnapshot,
    AgentStateChanged,
    ReasoningEncryptedValue,
    ReasoningMessageChunk,
    ReasoningMessageEnded,
    ReasoningMessageStarted,
    RunEvent,
    RunFailed,
    RunFinished,
    StateSnapshot,
    StepFinished,
    StepStarted,
    TextMessageChunk,
    TextMessageEnded,
    TextMessageStarted,
    ToolCallArgs,
    ToolCallEnded,
    ToolCallStarted,
)
from agui_runtime.domain.json import JsonObject


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    ABORTED = "aborted"  # the client left before the end


@dataclass(frozen=True, slots=True)
class RunRecord:
    """`agent_name` is None for a chat with the model; `error_code` says why a run did not finish;
    `events`: what the run streamed, compacted (`domain.run.Run`), kept once it has ended."""

    id: str
    thread_id: str
    agent_name: str | None
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    error_code: str | None = None
    events: tuple[RunEvent, ...] = ()

    @property
    def ended(self) -> bool:
        """The run has its final record (a replay shows it); one still `running` may be live elsewhere."""
        return self.status is not RunStatus.RUNNING


class MessageKind(StrEnum):
    TEXT = "text"
    TOOL_CALL = "tool_call"
    REASONING = "reasoning"


@dataclass(slots=True, eq=False)
class RunMessage:
    """A text message, a tool call (`tool_name` set) or a reasoning message of the run, as it streams:
    `parts` are its text or argument fragments (shared, not copied, with whoever presents them), `ended`
    once it completed; `encrypted_value` the vendor's opaque form of the reasoning behind it, if sent."""

    message_id: str
    parent_message_id: str | None
    tool_name: str | None = None
    parts: list[str] = field(default_factory=list)
    ended: bool = False
    logged: bool = field(default=False, repr=False)  # its joined fragments have their place in the log
    reasoning: bool = False
    encrypted_value: str | None = None
    subagent_run_id: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def kind(self) -> MessageKind:
        if self.reasoning:
            return MessageKind.REASONING
        return MessageKind.TEXT if self.tool_name is None else MessageKind.TOOL_CALL


@dataclass(frozen=True, slots=True)
class RunActivity:
    """An activity message of the run as it stands: its type and its current content."""

    message_id: str
    activity_type: str
    content: JsonObject
    subagent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class RunEnd:
    """How a run ended: the status stored, and the code that says why it did not finish."""

    status: RunStatus
    error_code: str | None = None


FINISHED = RunEnd(RunStatus.FINISHED)
DISCONNECTED = RunEnd(RunStatus.ABORTED, ErrorCode.CLIENT_DISCONNECTED)


class Run:
    """Rules:
    - A message opens with its start event and completes with its end event; a fragment joins the open
      message of its kind with that id. A start for a message already open, and a fragment or end for
      none, change nothing (`apply` answers None).
    - The first terminal event decides the end: `RunFinished` finished, `RunFailed` failed with its code;
      `stop` ends it as stopped (aborted, `STOPPED`); a run with no end is aborted (`CLIENT_DISCONNECTED`).
    - An encrypted value attaches to the reasoning message it names (open or completed); an activity
      message's content is its last snapshot (one with `replace` false changes an existing one not), or
      its last delta's patched content.
    - The log keeps every event in order, except that a message's fragments stand joined where its first
      fragment came, only the last state snapshot is kept, an activity message is one snapshot of its last
      content where it first came, and `AgentStateChanged` (v1 presentation) not.
    Per event the work is constant: a fragment is one lookup and one append."""

    __slots__ = ("_activities", "_activity_at", "_completed", "_end", "_log", "_open", "_snapshot_at", "_steps")

    def __init__(self, events: Iterable[RunEvent] = ()) -> None:
        self._open: dict[str, RunMessage] = {}
        self._completed: list[RunMessage] = []
        self._steps: list[str] = []
        self._end: RunEnd | None = None
        self._log: list[RunEvent | RunMessage | None] = []
        self._snapshot_at: int | None = None
        self._activities: dict[str, RunActivity] = {}
        self._activity_at: dict[str, int] = {}
        for event in events:
            self.apply(event)

    def apply(self, event: RunEvent) -> RunMessage | None:
        """Fold one event in; the message it opened, extended or completed, if any."""
        if type(event) is TextMessageChunk:  # fragments are most of a run: their exact types before the match
            return self._join(event, event.message_id, event.delta, MessageKind.TEXT)
        if type(event) is ToolCallArgs:
            return self._join(event, event.tool_call_id, event.delta, MessageKind.TOOL_CALL)
        match event:
            case TextMessageChunk(message_id=key, delta=delta):
                return self._join(event, key, delta, MessageKind.TEXT)
            case ToolCallArgs(tool_call_id=key, delta=delta):
                return self._join(event, key, delta, MessageKind.TOOL_CALL)
            case ReasoningMessageChunk(message_id=key, delta=delta):
                return self._join(event, key, delta, MessageKind.REASONING)
            case TextMessageStarted(message_id=key, parent_message_id=parent):
                self._log.append(event)
                return self._start(RunMessage(key, parent))
            case ToolCallStarted(tool_call_id=key, tool_name=name, parent_message_id=parent):
                self._log.append(event)
                return self._start(RunMessage(key, parent, name))
            case ReasoningMessageStarted(message_id=key, subagent_run_id=subagent):
                self._log.append(event)
                return self._start(RunMessage(key, None, reasoning=True, subagent_run_id=subagent))
            case TextMessageEnded(message_id=key):
                return self._complete(event, key, MessageKind.TEXT)
            case ToolCallEnded(tool_call_id=key):
                return self._complete(event, key, MessageKind.TOOL_CALL)
            case ReasoningMessageEnded(message_id=key):
                return self._complete(event, key, MessageKind.REASONING)
            case ReasoningEncryptedValue(entity_id=key, encrypted_value=value):
                self._log.append(event)
                return self._encrypt(key, value)
            case ActivitySnapshot() | ActivityDelta():
                self._activity(event)
            case StateSnapshot():
                if self._snapshot_at is not None:
                    self._log[self._snapshot_at] = None
                self._snapshot_at = len(self._log)
                self._log.append(event)
            case StepStarted(step_name=name):
                self._steps.append(name)
                self._log.append(event)
            case StepFinished(step_name=name):
                if name in self._steps:
                    self._steps.remove(name)
                self._log.append(event)
            case RunFinished():
                self._end = self._end or FINISHED
                self._log.append(event)
            case RunFailed(code=code):
                self._end = self._end or RunEnd(RunStatus.FAILED, code)
                self._log.append(event)
            case AgentStateChanged():
                pass
            case _:
                self._log.append(event)
        return None

    def _join(self, event: RunEvent, key: str, delta: str, kind: MessageKind) -> RunMessage | None:
        message = self._open.get(key)
        if message is None or message.kind is not kind:
            self._log.append(event)  # kept as it came: nothing open to join it to
            return None
        message.parts.append(delta)
        if not message.logged:
            message.logged = True
            self._log.append(message)
        return message

    def _complete(self, event: RunEvent, key: str, kind: MessageKind) -> RunMessage | None:
        self._log.append(event)
        message = self._open.get(key)
        if message is None or message.kind is not kind:
            return None
        del self._open[key]
        message.ended = True
        self._completed.append(message)
        return message

    def _encrypt(self, key: str, value: str) -> RunMessage | None:
        message = self._open.get(key) or next((m for m in reversed(self._completed) if m.message_id == key), None)
        if message is None or message.kind is not MessageKind.REASONING:
            return None  # a tool call's encrypted reasoning: kept in the log only
        message.encrypted_value = value
        return message

    def _activity(self, event: ActivitySnapshot | ActivityDelta) -> None:
        key = event.message_id
        known = self._activities.get(key)
        if isinstance(event, ActivitySnapshot) and known is not None and not event.replace:
            return
        activity = RunActivity(key, event.activity_type, event.content, event.subagent_run_id)
        self._activities[key] = activity
        compacted = ActivitySnapshot(key, activity.activity_type, activity.content, True, activity.subagent_run_id)
        at = self._activity_at.get(key)
        if at is None:
            self._activity_at[key] = len(self._log)
            self._log.append(compacted)
        else:
            self._log[at] = compacted

    def _start(self, message: RunMessage) -> RunMessage | None:
        if message.message_id in self._open:
            return None
        self._open[message.message_id] = message
        return message

    def stop(self, code: str = ErrorCode.STOPPED) -> None:
        """End the run on request, before its own end (a user's stop); a run that ended stays as it ended."""
        self._end = self._end or RunEnd(RunStatus.ABORTED, code)

    def cut_off(self) -> tuple[RunMessage, ...]:
        """The messages still open, in the order they started, which are closed here without completing
        (the run was cut off, or ended with them open)."""
        cut = tuple(self._open.values())
        self._open.clear()
        return cut

    @property
    def open_messages(self) -> tuple[RunMessage, ...]:
        return tuple(self._open.values())

    @property
    def completed(self) -> tuple[RunMessage, ...]:
        return tuple(self._completed)

    @property
    def activities(self) -> tuple[RunActivity, ...]:
        """The run's activity messages as they stand, in the order they first came."""
        return tuple(self._activities.values())

    def activity(self, message_id: str) -> RunActivity | None:
        return self._activities.get(message_id)

    @property
    def open_steps(self) -> tuple[str, ...]:
        """The steps started and not finished, in the order they started."""
        return tuple(self._steps)

    @property
    def ended(self) -> bool:
        return self._end is not None

    @property
    def end(self) -> RunEnd:
        """How the run ended; until it has, how it ends if it stops here (aborted: nobody followed it)."""
        return self._end or DISCONNECTED

    def events(self) -> tuple[RunEvent, ...]:
        """The run's events as kept for replay (compacted)."""
        compacted: list[RunEvent] = []
        for entry in self._log:
            if isinstance(entry, RunMessage):
                text = entry.text
                key = entry.message_id
                kind = entry.kind
                if kind is MessageKind.TEXT:
                    compacted.append(TextMessageChunk(key, text))
                elif kind is MessageKind.TOOL_CALL:
                    compacted.append(ToolCallArgs(key, text))
                else:
                    compacted.append(ReasoningMessageChunk(key, text, entry.subagent_run_id))
            elif entry is not None:
                compacted.append(entry)
        return tuple(compacted)

    def record(self, started: RunRecord, finished_at: datetime) -> RunRecord:
        """The run's final record: `started` (its ids and start) with how it ended and its events."""
        end = self.end
        return replace(
            started, status=end.status, finished_at=finished_at, error_code=end.error_code, events=self.events()
        )
