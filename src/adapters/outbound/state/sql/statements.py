"""The store's SQL: the hot statements built once per dialect with bound parameters (building a statement
costs more than running it; SQLAlchemy still caches their compiled SQL), and the few built per call
because their shape depends on the arguments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Delete, Select, and_, bindparam, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from agui_runtime.adapters.outbound.state.sql.tables import agent_states, messages, runs, threads
from agui_runtime.application.ports import AgentFilter

RUN_FIELDS = ("thread_id", "agent_name", "status", "started_at", "finished_at", "error_code", "events")


class Statements:
    """The hot statements of one dialect."""

    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        locking = dialect == "postgresql"  # SQLite has one writer at a time: nothing to lock
        self.thread = select(threads).where(threads.c.id == bindparam("thread_id"))
        self.history = (
            select(messages.c.message_id, messages.c.kind, messages.c.created_at, messages.c.body)
            .where(messages.c.thread_id == bindparam("thread_id"))
            .order_by(messages.c.position, messages.c.pk)
        )
        self.create_thread = insert(threads).on_conflict_do_nothing(index_elements=[threads.c.id])
        owner = select(threads.c.principal).where(threads.c.id == bindparam("thread_id"))
        self.owner = owner.with_for_update() if locking else owner
        self.top_position = select(func.coalesce(func.max(messages.c.position), -1)).where(
            messages.c.thread_id == bindparam("thread_id")
        )
        upsert = insert(messages)
        self.upsert_messages = upsert.on_conflict_do_update(
            index_elements=[messages.c.thread_id, messages.c.message_id],
            set_={name: upsert.excluded[name] for name in ("kind", "created_at", "body")},
        )
        self.state = select(agent_states.c.version, agent_states.c.state).where(
            agent_states.c.thread_id == bindparam("thread_id"), agent_states.c.agent_name == bindparam("agent_name")
        )
        run = insert(runs)
        self.upsert_run = run.on_conflict_do_update(
            index_elements=[runs.c.id], set_={name: run.excluded[name] for name in RUN_FIELDS}
        )
        self.run = select(runs).where(runs.c.id == bindparam("run_id"))
        self.thread_runs = (
            select(runs).where(runs.c.thread_id == bindparam("thread_id")).order_by(runs.c.started_at, runs.c.id)
        )
        self.new_messages = select(messages.c.message_id).where(
            messages.c.thread_id == bindparam("thread_id"), messages.c.position >= bindparam("position")
        )


STATEMENTS = {dialect: Statements(dialect) for dialect in ("sqlite", "postgresql")}


def _owned(principal: str | None) -> ColumnElement[bool]:
    return threads.c.principal.is_(None) if principal is None else threads.c.principal == principal


def thread_page(
    principal: str | None, *, limit: int, before: tuple[datetime, str] | None, agent: AgentFilter | None
) -> Select[Any]:
    """The principal's threads, newest first, after the cursor `before`; one row more than `limit` tells
    whether there is a next page. Each row has its latest run's start (`updated_at`) and agent."""
    latest = select(runs.c.started_at, runs.c.agent_name).where(runs.c.thread_id == threads.c.id)
    latest = latest.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
    query = select(
        threads.c.id,
        threads.c.created_at,
        latest.with_only_columns(runs.c.started_at).scalar_subquery().label("updated_at"),
        latest.with_only_columns(runs.c.agent_name).scalar_subquery().label("agent_name"),
    ).where(_owned(principal))
    if before is not None:
        created, thread_id = before
        query = query.where(
            or_(threads.c.created_at < created, and_(threads.c.created_at == created, threads.c.id < thread_id))
        )
    if agent is not None:
        ran = runs.c.agent_name.is_(None) if agent.agent_name is None else runs.c.agent_name == agent.agent_name
        query = query.where(exists(select(runs.c.id).where(runs.c.thread_id == threads.c.id, ran)))
    return query.order_by(threads.c.created_at.desc(), threads.c.id.desc()).limit(limit + 1)


def thread_deletions(principal: str | None) -> tuple[Delete, ...]:
    """The principal's threads and everything in them, children first; the last one deletes the threads."""
    owned = _owned(principal)
    doomed = select(threads.c.id).where(owned)
    return (
        delete(runs).where(runs.c.thread_id.in_(doomed)),
        delete(agent_states).where(agent_states.c.thread_id.in_(doomed)),
        delete(messages).where(messages.c.thread_id.in_(doomed)),
        delete(threads).where(owned),
    )
