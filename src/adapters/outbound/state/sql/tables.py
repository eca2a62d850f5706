"""The schema. Message ids are unique only within a thread, so messages have a surrogate key and a
unique (thread, message id); `position` keeps thread order when a message is updated in place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone: values come back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
JsonColumn = JSON().with_variant(JSONB(), "postgresql")

threads = Table(
    "threads",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("principal", String(255), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_threads_principal_created", "principal", "created_at"),
)

messages = Table(
    "messages",
    metadata,
    Column("pk", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("thread_id", String(255), ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("body", JsonColumn, nullable=False),
    UniqueConstraint("thread_id", "message_id", name="uq_messages_thread_message"),
)

agent_states = Table(
    "agent_states",
    metadata,
    Column("thread_id", String(255), primary_key=True),
    Column("agent_name", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", JsonColumn, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("thread_id", String(255), nullable=False, index=True),
    Column("agent_name", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("events", JsonColumn, nullable=True),
    Index("ix_runs_thread_started", "thread_id", "started_at"),
)
