"""Rows to domain objects and back: the columns of messages, runs and thread summaries. Message bodies
and run events are JSON, encoded by the shared persistence codec."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from agui_runtime.adapters.serialization import codec
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.run import RunRecord, RunStatus
from agui_runtime.domain.thread import ThreadSummary

Encoded = tuple[Message, str, JsonObject]  # a message, its kind and its body


def encoded(messages: Iterable[Message]) -> list[Encoded]:
    """Encoded before the unit of work, so the database's thread does only database work."""
    return [(message, *codec.encode(message)) for message in messages]


def message_rows(thread_id: str, encoded: Sequence[Encoded], first: int) -> list[dict[str, Any]]:
    """The rows of `encoded` messages appended from position `first` on."""
    return [
        {
            "thread_id": thread_id,
            "message_id": message.id,
            "position": first + offset,
            "kind": kind,
            "created_at": message.created_at,
            "body": body,
        }
        for offset, (message, kind, body) in enumerate(encoded)
    ]


def messages_of(rows: Iterable[Row[Any]]) -> list[Message]:
    return [codec.decode(row.message_id, row.kind, row.created_at, row.body) for row in rows]


def run_values(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "thread_id": run.thread_id,
        "agent_name": run.agent_name,
        "status": run.status.value,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error_code": run.error_code,
        "events": [codec.encode_event(event) for event in run.events] if run.events else None,
    }


def run_record(row: Row[Any]) -> RunRecord:
    return RunRecord(
        row.id,
        row.thread_id,
        row.agent_name,
        RunStatus(row.status),
        row.started_at,
        row.finished_at,
        row.error_code,
        tuple(codec.decode_event(event) for event in row.events) if row.events else (),
    )


def thread_summary(row: Row[Any]) -> ThreadSummary:
    """A row of `statements.thread_page`; a thread without runs was last updated when it was created."""
    updated = _utc(row.updated_at) if row.updated_at is not None else row.created_at
    return ThreadSummary(row.id, row.created_at, updated, row.agent_name)


def _utc(value: datetime | str) -> datetime:
    """A timestamp read through a scalar subquery, which SQLAlchemy does not type (SQLite gives its text)."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
