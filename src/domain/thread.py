"""A conversation thread: its messages in order, keyed by id within the thread."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from agui_runtime.domain.errors import DomainError
from agui_runtime.domain.messages import AgentStateMessage, Message


@dataclass(slots=True)
class Thread:
    """Message ids are unique only within a thread and clients repeat them: a repeated id replaces the
    message in place, so re-sending history never duplicates it."""

    id: str
    created_at: datetime
    principal: str | None = None
    messages: list[Message] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.id:
            raise DomainError("a thread needs a non-empty id")

    def accessible_by(self, principal: str | None) -> bool:
        """A thread created by a principal is that principal's alone; one created anonymously (no
        principal, as when no `on_before_request` hook names one) is open to every request."""
        return self.principal is None or self.principal == principal

    def upsert(self, incoming: Iterable[Message]) -> None:
        positions = {message.id: index for index, message in enumerate(self.messages)}
        for message in incoming:
            index = positions.get(message.id)
            if index is None:
                positions[message.id] = len(self.messages)
                self.messages.append(message)
            else:
                self.messages[index] = message

    def history(self) -> list[Message]:
        """The conversation as a user sees it: every message but agent-state snapshots, in thread order."""
        return [message for message in self.messages if not isinstance(message, AgentStateMessage)]


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """A thread as a thread list shows it: `agent_name` ran its latest run (None: the chat model, or no
    run yet); `updated_at` is when that run started (the creation time before any run)."""

    id: str
    created_at: datetime
    updated_at: datetime
    agent_name: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """Threads newest first; `next_before` continues the list after the last one (None: no more)."""

    threads: tuple[ThreadSummary, ...]
    next_before: tuple[datetime, str] | None = None
