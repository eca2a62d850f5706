"""A run's events kept for replay, compacted as they arrive: the text of a message and the arguments of a
tool call joined into one event each, the agent's state kept as its last snapshot. A reconnecting client
gets the same messages and state from far fewer events, and a long answer costs one stored event."""

from __future__ import annotations

from collections.abc import Iterable

from agui_runtime.domain.events import (
    AgentStateChanged,
    RunEvent,
    StateSnapshot,
    TextMessageChunk,
    ToolCallArgs,
)


class RunLog:
    """Order is kept: each message's joined text stands where its first fragment came; the state snapshot
    stands where the last one came. `AgentStateChanged` (the v1 presentation of state) is not kept."""

    def __init__(self, events: Iterable[RunEvent] = ()) -> None:
        self._entries: list[RunEvent | list[str] | None] = []
        self._fragments: dict[tuple[type, str], tuple[int, list[str]]] = {}
        self._snapshot_at: int | None = None
        for event in events:
            self.add(event)

    def add(self, event: RunEvent) -> None:
        match event:
            case TextMessageChunk(message_id=key, delta=delta) | ToolCallArgs(tool_call_id=key, delta=delta):
                slot = self._fragments.get((type(event), key))
                if slot is None:
                    parts = [delta]
                    self._fragments[(type(event), key)] = (len(self._entries), parts)
                    self._entries.append(parts)
                else:
                    slot[1].append(delta)
            case StateSnapshot():
                if self._snapshot_at is not None:
                    self._entries[self._snapshot_at] = None
                self._snapshot_at = len(self._entries)
                self._entries.append(event)
            case AgentStateChanged():
                pass
            case _:
                self._entries.append(event)

    def events(self) -> tuple[RunEvent, ...]:
        keys = {index: key for key, (index, _) in self._fragments.items()}
        compacted: list[RunEvent] = []
        for index, entry in enumerate(self._entries):
            if entry is None:
                continue
            if isinstance(entry, list):
                kind, key = keys[index]
                text = "".join(entry)
                compacted.append(TextMessageChunk(key, text) if kind is TextMessageChunk else ToolCallArgs(key, text))
            else:
                compacted.append(entry)
        return tuple(compacted)
