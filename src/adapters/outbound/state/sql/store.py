"""`ThreadStore` on SQLAlchemy 2 async.

Each write is one transaction. A thread's row is locked (PostgreSQL `FOR UPDATE`; SQLite has one writer
at a time) while its ownership is checked and its messages upserted, so the check and the write are one
step. State writes compare versions inside the same transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from adapters.outbound.state.sql import codec
from adapters.outbound.state.sql.tables import agent_states, messages, runs, threads
from application.errors import AccessDenied, Conflict, UpstreamUnavailable
from application.ports import Clock, ThreadStore
from domain.agent_state import AgentState, AgentStateKey
from domain.json import JsonObject
from domain.messages import Message
from domain.runs import RunRecord, RunStatus
from domain.thread import Thread

MIGRATIONS = Path(__file__).parent / "migrations"
_UPGRADE_LOCK = 0x6167_7569  # "agui": one PostgreSQL advisory lock serialises replicas migrating together


@contextlib.contextmanager
def _unavailable_on_errors() -> Iterator[None]:
    """Database failures as `UpstreamUnavailable`, naming only the kind of failure: the driver's message
    may carry the DSN and its password."""
    try:
        yield
    except IntegrityError:
        raise
    except (OperationalError, DBAPIError) as exc:
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        raise UpstreamUnavailable(f"The state store is unavailable ({kind}).") from None
    except (OSError, TimeoutError) as exc:  # a refused or timed-out connection, before the driver wraps it
        raise UpstreamUnavailable(f"The state store is unavailable ({type(exc).__name__}).") from None


def _sqlite_pragmas(dbapi_connection: Any, _: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextlib.asynccontextmanager
async def open_sql_store(url: str, clock: Clock, *, migrate: bool = True) -> AsyncIterator[SqlThreadStore]:
    """The store on `url` for the app's lifetime; the schema is brought up to date first unless
    `migrate` is off (then run `agui-runtime db upgrade`)."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    try:
        if migrate:
            await upgrade(engine)
        yield SqlThreadStore(engine, clock)
    finally:
        await engine.dispose()


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every migration; on PostgreSQL under an advisory lock, so replicas starting together
    migrate one after the other."""
    with _unavailable_on_errors():
        async with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _UPGRADE_LOCK})
            try:
                await connection.run_sync(_upgrade)
                await connection.commit()
            finally:
                if postgres:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _UPGRADE_LOCK})
                    await connection.commit()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class SqlThreadStore(ThreadStore):
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._dialect = engine.dialect.name

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)(table)

    async def get_thread(self, thread_id: str) -> Thread | None:
        with _unavailable_on_errors():
            async with self._engine.connect() as connection:
                row = (await connection.execute(select(threads).where(threads.c.id == thread_id))).first()
                if row is None:
                    return None
                query = (
                    select(messages.c.message_id, messages.c.kind, messages.c.created_at, messages.c.body)
                    .where(messages.c.thread_id == thread_id)
                    .order_by(messages.c.position, messages.c.pk)
                )
                stored = (await connection.execute(query)).all()
        thread = Thread(thread_id, row.created_at, row.principal)
        thread.messages = [codec.decode(r.message_id, r.kind, r.created_at, r.body) for r in stored]
        return thread

    async def save_messages(
        self, thread_id: str, messages_: Sequence[Message], *, principal: str | None = None
    ) -> None:
        with _unavailable_on_errors():
            async with self._engine.begin() as connection:
                owner = await self._locked_thread(connection, thread_id, principal)
                probe = Thread(thread_id, self._clock.now(), owner)
                if not probe.accessible_by(principal):
                    raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")
                top = select(func.coalesce(func.max(messages.c.position), -1)).where(messages.c.thread_id == thread_id)
                position = int((await connection.execute(top)).scalar_one()) + 1
                for message in messages_:
                    kind, body = codec.encode(message)
                    values = {
                        "thread_id": thread_id,
                        "message_id": message.id,
                        "position": position,
                        "kind": kind,
                        "created_at": message.created_at,
                        "body": body,
                    }
                    statement = self._insert(messages).values(**values)
                    statement = statement.on_conflict_do_update(
                        index_elements=[messages.c.thread_id, messages.c.message_id],
                        set_={"kind": kind, "created_at": message.created_at, "body": body},
                    )
                    await connection.execute(statement)
                    position += 1

    async def _locked_thread(self, connection: AsyncConnection, thread_id: str, principal: str | None) -> str | None:
        """The thread's principal, creating the thread (owned by `principal`) when it is new; its row is
        locked until the transaction ends."""
        created = self._insert(threads).values(id=thread_id, principal=principal, created_at=self._clock.now())
        await connection.execute(created.on_conflict_do_nothing(index_elements=[threads.c.id]))
        query = select(threads.c.principal).where(threads.c.id == thread_id)
        if self._dialect == "postgresql":
            query = query.with_for_update()
        owner: str | None = (await connection.execute(query)).scalar_one()
        return owner

    async def load_state(self, key: AgentStateKey) -> AgentState | None:
        with _unavailable_on_errors():
            async with self._engine.connect() as connection:
                query = select(agent_states.c.version, agent_states.c.state).where(
                    agent_states.c.thread_id == key.thread_id, agent_states.c.agent_name == key.agent_name
                )
                row = (await connection.execute(query)).first()
        return AgentState(key, row.state, row.version) if row is not None else None

    async def save_state(self, key: AgentStateKey, values: JsonObject, *, expected_version: int | None) -> AgentState:
        with _unavailable_on_errors():
            async with self._engine.begin() as connection:
                where = (agent_states.c.thread_id == key.thread_id, agent_states.c.agent_name == key.agent_name)
                query = select(agent_states.c.version).where(*where)
                if self._dialect == "postgresql":
                    query = query.with_for_update()
                current = (await connection.execute(query)).scalar_one_or_none()
                version = current if current is not None else 0
                if expected_version is not None and expected_version != version:
                    raise _conflict(key, version, expected_version)
                written = AgentState(key, values, version).replaced_by(values)  # validates before writing
                now = self._clock.now()
                if current is None:
                    try:
                        async with connection.begin_nested():
                            await connection.execute(
                                agent_states.insert().values(
                                    thread_id=key.thread_id,
                                    agent_name=key.agent_name,
                                    version=written.version,
                                    state=values,
                                    updated_at=now,
                                )
                            )
                    except IntegrityError:
                        raise _conflict(key, version, expected_version) from None
                else:
                    changed = await connection.execute(
                        update(agent_states)
                        .where(*where, agent_states.c.version == version)
                        .values(version=written.version, state=values, updated_at=now)
                    )
                    if changed.rowcount != 1:
                        raise _conflict(key, version, expected_version)
        return written

    async def save_run(self, run: RunRecord) -> None:
        values = {
            "thread_id": run.thread_id,
            "agent_name": run.agent_name,
            "status": run.status.value,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "error_code": run.error_code,
        }
        statement = self._insert(runs).values(id=run.id, **values)
        with _unavailable_on_errors():
            async with self._engine.begin() as connection:
                await connection.execute(statement.on_conflict_do_update(index_elements=[runs.c.id], set_=values))

    async def get_run(self, run_id: str) -> RunRecord | None:
        with _unavailable_on_errors():
            async with self._engine.connect() as connection:
                row = (await connection.execute(select(runs).where(runs.c.id == run_id))).first()
        if row is None:
            return None
        return RunRecord(
            row.id,
            row.thread_id,
            row.agent_name,
            RunStatus(row.status),
            row.started_at,
            row.finished_at,
            row.error_code,
        )

    async def ping(self) -> None:
        with _unavailable_on_errors():
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))


def _conflict(key: AgentStateKey, version: int, expected: int | None) -> Conflict:
    return Conflict(
        f"state of agent '{key.agent_name}' in thread '{key.thread_id}' is at version {version}, not {expected}"
    )
