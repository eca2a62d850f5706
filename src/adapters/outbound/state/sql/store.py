"""`ThreadStore` on SQLAlchemy 2: PostgreSQL through asyncpg, SQLite through the standard library's driver on
threads of its own.

The store's operations are sync functions of a SQLAlchemy `Connection` (one unit of work each), run by
whichever `_Database` the URL names. Each write is one transaction. A thread's row is locked (PostgreSQL
`FOR UPDATE`; SQLite has one writer at a time) while its ownership is checked and its messages upserted,
so the check and the write are one step. State writes compare versions inside the same transaction."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from agui_runtime.adapters.outbound.state.sql.tables import agent_states, messages, runs, threads
from agui_runtime.adapters.serialization import codec
from agui_runtime.application.errors import AccessDenied, Conflict, UpstreamUnavailable
from agui_runtime.application.ports import AgentFilter, Clock, ThreadStore
from agui_runtime.domain.agent_state import AgentState, AgentStateKey
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.runs import RunRecord, RunStatus
from agui_runtime.domain.thread import Thread, ThreadPage, ThreadSummary

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
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed write survives a crash of
    # the process (kill -9 included), only the last ones may be lost to a power cut. It removes an fsync
    # from each of the few transactions a chat makes.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


T = TypeVar("T")
Work = Callable[[Connection], T]


class _Database(Protocol):
    """Where the store's units of work run: each is a sync function of a SQLAlchemy `Connection`, so the
    same code serves both drivers."""

    async def connect(self, work: Work[T]) -> T:
        """`work` on a connection of its own (reads; what it does not commit is rolled back)."""
        ...

    async def transaction(self, work: Work[T]) -> T:
        """`work` in one transaction, committed when it returns and rolled back when it raises."""
        ...

    async def close(self) -> None: ...


class _AsyncDatabase:
    """PostgreSQL through asyncpg: each statement is awaited (SQLAlchemy's greenlet bridge), no threads."""

    def __init__(self, url: str) -> None:
        # A pooled connection may have been closed by the server (a restart, an idle timeout): ping it
        # on checkout.
        self._engine = create_async_engine(url, pool_pre_ping=True)

    async def connect(self, work: Work[T]) -> T:
        async with self._engine.connect() as connection:
            return await connection.run_sync(work)

    async def transaction(self, work: Work[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work)

    async def close(self) -> None:
        await self._engine.dispose()


class _ThreadedSqlite:
    """SQLite through the standard library's driver, each unit of work run whole on a thread: one hop
    per call instead of one per driver call (an async driver hops for every cursor, execute, fetch and
    commit, which cost a chat several milliseconds of CPU). Each thread keeps its own connection, so no
    pool checkout or reset either. SQLite has one writer at a time, so writes run on a single thread, in
    order, and never wait in SQLite's busy handler (which sleeps in steps of up to 100 ms); reads run
    beside them on their own threads (WAL lets them)."""

    def __init__(self, path: str) -> None:
        self._engine = create_engine(
            f"sqlite+pysqlite:///{path}", connect_args={"check_same_thread": False}, pool_size=_SQLITE_READERS + 1
        )
        event.listen(self._engine, "connect", _sqlite_pragmas)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="agui-sqlite-writer")
        self._readers = ThreadPoolExecutor(_SQLITE_READERS, thread_name_prefix="agui-sqlite-reader")
        self._local = threading.local()
        self._connections: list[Connection] = []

    async def connect(self, work: Work[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._readers, self._connected, work)

    async def transaction(self, work: Work[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._in_transaction, work)

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = self._engine.connect()
            self._local.connection = connection
            self._connections.append(connection)
        return connection

    def _connected(self, work: Work[T]) -> T:
        connection = self._connection()
        try:
            return work(connection)
        finally:
            connection.rollback()  # ends the read transaction, so it holds no snapshot of the WAL

    def _in_transaction(self, work: Work[T]) -> T:
        connection = self._connection()
        with connection.begin():
            return work(connection)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._writer.shutdown)
        await loop.run_in_executor(None, self._readers.shutdown)
        for connection in self._connections:
            connection.close()
        self._engine.dispose()


_SQLITE_READERS = 4
SQLITE_PREFIXES = ("sqlite:///", "sqlite+aiosqlite:///")  # as the settings accept them


def _database(url: str) -> _Database:
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            return _ThreadedSqlite(url.removeprefix(prefix))
    return _AsyncDatabase(url)


@contextlib.asynccontextmanager
async def open_sql_store(url: str, clock: Clock, *, migrate: bool = True) -> AsyncIterator[SqlThreadStore]:
    """The store on `url` for the app's lifetime; the schema is brought up to date first unless
    `migrate` is off (then run `agui-runtime db upgrade`)."""
    database = _database(url)
    try:
        if migrate:
            with _unavailable_on_errors():
                await database.connect(_migrate)
        yield SqlThreadStore(database, clock)
    finally:
        await database.close()


# The newest revision in migrations/versions (a test holds it to Alembic's head). A schema already there is
# recognised without loading Alembic, which would stay resident (11 MB per worker) for nothing.
HEAD_REVISION = "0003"


def _at_head(connection: Connection) -> bool:
    try:
        if not inspect(connection).has_table("alembic_version"):
            return False
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return list(versions) == [HEAD_REVISION]
    finally:
        connection.rollback()


def _migrate(connection: Connection) -> None:
    """Apply every migration; on PostgreSQL under an advisory lock, so replicas starting together
    migrate one after the other."""
    if _at_head(connection):
        return
    from alembic import command
    from alembic.config import Config

    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _UPGRADE_LOCK})
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
    finally:
        if postgres:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _UPGRADE_LOCK})
            connection.commit()


class _Statements:
    """The hot statements, built once per dialect with bound parameters: building a statement costs more
    than running it (SQLAlchemy still caches their compiled SQL)."""

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
            index_elements=[runs.c.id], set_={name: run.excluded[name] for name in _RUN_FIELDS}
        )
        self.run = select(runs).where(runs.c.id == bindparam("run_id"))
        self.thread_runs = (
            select(runs).where(runs.c.thread_id == bindparam("thread_id")).order_by(runs.c.started_at, runs.c.id)
        )
        self.new_messages = select(messages.c.message_id).where(
            messages.c.thread_id == bindparam("thread_id"), messages.c.position >= bindparam("position")
        )


_RUN_FIELDS = ("thread_id", "agent_name", "status", "started_at", "finished_at", "error_code", "events")
_STATEMENTS = {dialect: _Statements(dialect) for dialect in ("sqlite", "postgresql")}


class SqlThreadStore(ThreadStore):
    def __init__(self, database: _Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def transaction(self, work: Work[T]) -> T:
        """Run `work(connection)` in one transaction (for tools that load data in bulk, such as the store
        benchmark)."""
        with _unavailable_on_errors():
            return await self._database.transaction(work)

    async def _read(self, work: Work[T]) -> T:
        with _unavailable_on_errors():
            return await self._database.connect(work)

    async def get_thread(self, thread_id: str, *, with_messages: bool = True) -> Thread | None:
        def read(connection: Connection) -> Thread | None:
            statements = _STATEMENTS[connection.dialect.name]
            row = connection.execute(statements.thread, {"thread_id": thread_id}).first()
            if row is None:
                return None
            thread = Thread(thread_id, row.created_at, row.principal)
            if with_messages:
                stored = connection.execute(statements.history, {"thread_id": thread_id}).all()
                thread.messages = [codec.decode(r.message_id, r.kind, r.created_at, r.body) for r in stored]
            return thread

        return await self._read(read)

    async def save_messages(
        self, thread_id: str, messages_: Sequence[Message], *, principal: str | None = None
    ) -> frozenset[str]:
        now = self._clock.now()
        encoded = [(message, *codec.encode(message)) for message in messages_]

        def write(connection: Connection) -> frozenset[str]:
            statements = _STATEMENTS[connection.dialect.name]
            owner = _locked_thread(connection, statements, thread_id, principal, now)
            if not Thread(thread_id, now, owner).accessible_by(principal):
                raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")
            position = int(connection.execute(statements.top_position, {"thread_id": thread_id}).scalar_one()) + 1
            rows = [
                {
                    "thread_id": thread_id,
                    "message_id": message.id,
                    "position": position + offset,
                    "kind": kind,
                    "created_at": message.created_at,
                    "body": body,
                }
                for offset, (message, kind, body) in enumerate(encoded)
            ]
            if not rows:
                return frozenset()
            connection.execute(statements.upsert_messages, rows)  # one statement for the batch (executemany)
            if position == 0:
                return frozenset(message.id for message in messages_)
            # An update keeps the message's position, so the new ones are those at or past `position`.
            parameters = {"thread_id": thread_id, "position": position}
            return frozenset(connection.execute(statements.new_messages, parameters).scalars())

        with _unavailable_on_errors():
            return await self._database.transaction(write)

    async def load_state(self, key: AgentStateKey) -> AgentState | None:
        def read(connection: Connection) -> AgentState | None:
            parameters = {"thread_id": key.thread_id, "agent_name": key.agent_name}
            row = connection.execute(_STATEMENTS[connection.dialect.name].state, parameters).first()
            return AgentState(key, row.state, row.version) if row is not None else None

        return await self._read(read)

    async def save_state(self, key: AgentStateKey, values: JsonObject, *, expected_version: int | None) -> AgentState:
        now = self._clock.now()

        def write(connection: Connection) -> AgentState:
            where = (agent_states.c.thread_id == key.thread_id, agent_states.c.agent_name == key.agent_name)
            query = select(agent_states.c.version).where(*where)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            current = connection.execute(query).scalar_one_or_none()
            version = current if current is not None else 0
            if expected_version is not None and expected_version != version:
                raise _conflict(key, version, expected_version)
            written = AgentState(key, values, version).replaced_by(values)  # validates before writing
            if current is None:
                try:
                    with connection.begin_nested():
                        connection.execute(
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
                changed = connection.execute(
                    update(agent_states)
                    .where(*where, agent_states.c.version == version)
                    .values(version=written.version, state=values, updated_at=now)
                )
                if changed.rowcount != 1:
                    raise _conflict(key, version, expected_version)
            return written

        with _unavailable_on_errors():
            return await self._database.transaction(write)

    async def save_run(self, run: RunRecord) -> None:
        values = {
            "id": run.id,
            "thread_id": run.thread_id,
            "agent_name": run.agent_name,
            "status": run.status.value,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "error_code": run.error_code,
            "events": [codec.encode_event(event) for event in run.events] if run.events else None,
        }

        def write(connection: Connection) -> None:
            connection.execute(_STATEMENTS[connection.dialect.name].upsert_run, values)

        with _unavailable_on_errors():
            await self._database.transaction(write)

    async def get_run(self, run_id: str) -> RunRecord | None:
        def read(connection: Connection) -> RunRecord | None:
            row = connection.execute(_STATEMENTS[connection.dialect.name].run, {"run_id": run_id}).first()
            return _run_record(row) if row is not None else None

        return await self._read(read)

    async def list_runs(self, thread_id: str) -> Sequence[RunRecord]:
        def read(connection: Connection) -> list[RunRecord]:
            statement = _STATEMENTS[connection.dialect.name].thread_runs
            return [_run_record(row) for row in connection.execute(statement, {"thread_id": thread_id})]

        return await self._read(read)

    async def list_threads(
        self,
        principal: str | None,
        *,
        limit: int,
        before: tuple[datetime, str] | None = None,
        agent: AgentFilter | None = None,
    ) -> ThreadPage:
        owned = threads.c.principal.is_(None) if principal is None else threads.c.principal == principal
        latest = select(runs.c.started_at, runs.c.agent_name).where(runs.c.thread_id == threads.c.id)
        latest = latest.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
        query = select(
            threads.c.id,
            threads.c.created_at,
            latest.with_only_columns(runs.c.started_at).scalar_subquery().label("updated_at"),
            latest.with_only_columns(runs.c.agent_name).scalar_subquery().label("agent_name"),
        ).where(owned)
        if before is not None:
            created, thread_id = before
            query = query.where(
                or_(threads.c.created_at < created, and_(threads.c.created_at == created, threads.c.id < thread_id))
            )
        if agent is not None:
            ran = runs.c.agent_name.is_(None) if agent.agent_name is None else runs.c.agent_name == agent.agent_name
            query = query.where(exists(select(runs.c.id).where(runs.c.thread_id == threads.c.id, ran)))
        query = query.order_by(threads.c.created_at.desc(), threads.c.id.desc()).limit(limit + 1)

        def read(connection: Connection) -> ThreadPage:
            rows = connection.execute(query).all()
            page = rows[:limit]
            summaries = tuple(
                ThreadSummary(
                    row.id,
                    row.created_at,
                    _utc(row.updated_at) if row.updated_at is not None else row.created_at,
                    row.agent_name,
                )
                for row in page
            )
            more = len(rows) > limit and page
            return ThreadPage(summaries, (page[-1].created_at, page[-1].id) if more else None)

        return await self._read(read)

    async def delete_threads(self, principal: str | None) -> int:
        owned = threads.c.principal.is_(None) if principal is None else threads.c.principal == principal
        doomed = select(threads.c.id).where(owned)

        def write(connection: Connection) -> int:
            connection.execute(delete(runs).where(runs.c.thread_id.in_(doomed)))
            connection.execute(delete(agent_states).where(agent_states.c.thread_id.in_(doomed)))
            connection.execute(delete(messages).where(messages.c.thread_id.in_(doomed)))
            return int(connection.execute(delete(threads).where(owned)).rowcount)

        with _unavailable_on_errors():
            return await self._database.transaction(write)

    async def ping(self) -> None:
        await self._read(lambda connection: connection.execute(text("SELECT 1")))


def _utc(value: datetime | str) -> datetime:
    """A timestamp read through a scalar subquery, which SQLAlchemy does not type (SQLite gives its text)."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _run_record(row: Row[Any]) -> RunRecord:
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


def _locked_thread(
    connection: Connection, statements: _Statements, thread_id: str, principal: str | None, now: datetime
) -> str | None:
    """The thread's principal, creating the thread (owned by `principal`) when it is new; its row is
    locked until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite has one writer at a time)."""
    connection.execute(statements.create_thread, {"id": thread_id, "principal": principal, "created_at": now})
    owner: str | None = connection.execute(statements.owner, {"thread_id": thread_id}).scalar_one()
    return owner


def _conflict(key: AgentStateKey, version: int, expected: int | None) -> Conflict:
    return Conflict(
        f"state of agent '{key.agent_name}' in thread '{key.thread_id}' is at version {version}, not {expected}"
    )
