"""`SqlThreadStore`: the `ThreadStore` port on SQLAlchemy 2, over PostgreSQL (asyncpg) or SQLite.

The store's operations are sync functions of a SQLAlchemy `Connection` (one unit of work each), run by
whichever `Database` the URL names. Each write is one transaction. A thread's row is locked (PostgreSQL
`FOR UPDATE`; SQLite has one writer at a time) while its ownership is checked and its messages upserted,
so the check and the write are one step. State writes compare versions inside the same transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import IntegrityError

from agui_runtime.adapters.outbound.state.sql import mapping
from agui_runtime.adapters.outbound.state.sql.database import Database, T, Work, open_database, unavailable_on_errors
from agui_runtime.adapters.outbound.state.sql.statements import STATEMENTS, Statements, thread_deletions, thread_page
from agui_runtime.adapters.outbound.state.sql.tables import agent_states
from agui_runtime.adapters.outbound.state.sql.upgrade import upgrade
from agui_runtime.application.errors import AccessDenied, Conflict
from agui_runtime.application.ports import AgentFilter, Clock, ThreadStore
from agui_runtime.domain.agent_state import AgentState, AgentStateKey
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.run import RunRecord
from agui_runtime.domain.thread import Thread, ThreadPage


@contextlib.asynccontextmanager
async def open_sql_store(url: str, clock: Clock, *, migrate: bool = True) -> AsyncIterator[SqlThreadStore]:
    """The store on `url` for the app's lifetime; the schema is brought up to date first unless
    `migrate` is off (then run `agui-runtime db upgrade`)."""
    database = open_database(url)
    try:
        if migrate:
            with unavailable_on_errors():
                await database.connect(upgrade)
        yield SqlThreadStore(database, clock)
    finally:
        await database.close()


class SqlThreadStore(ThreadStore):
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def transaction(self, work: Work[T]) -> T:
        """Run `work(connection)` in one transaction (for tools that load data in bulk, such as the store
        benchmark)."""
        with unavailable_on_errors():
            return await self._database.transaction(work)

    async def _read(self, work: Work[T]) -> T:
        with unavailable_on_errors():
            return await self._database.connect(work)

    async def get_thread(self, thread_id: str, *, with_messages: bool = True) -> Thread | None:
        def read(connection: Connection) -> Thread | None:
            statements = STATEMENTS[connection.dialect.name]
            row = connection.execute(statements.thread, {"thread_id": thread_id}).first()
            if row is None:
                return None
            thread = Thread(thread_id, row.created_at, row.principal)
            if with_messages:
                thread.messages = mapping.messages_of(connection.execute(statements.history, {"thread_id": thread_id}))
            return thread

        return await self._read(read)

    async def save_messages(
        self, thread_id: str, messages_: Sequence[Message], *, principal: str | None = None
    ) -> frozenset[str]:
        now = self._clock.now()
        encoded = mapping.encoded(messages_)

        def write(connection: Connection) -> frozenset[str]:
            statements = STATEMENTS[connection.dialect.name]
            owner = _locked_thread(connection, statements, thread_id, principal, now)
            if not Thread(thread_id, now, owner).accessible_by(principal):
                raise AccessDenied(f"thread '{thread_id}' belongs to another user; start a new thread")
            position = int(connection.execute(statements.top_position, {"thread_id": thread_id}).scalar_one()) + 1
            rows = mapping.message_rows(thread_id, encoded, position)
            if not rows:
                return frozenset()
            connection.execute(statements.upsert_messages, rows)  # one statement for the batch (executemany)
            if position == 0:
                return frozenset(message.id for message in messages_)
            # An update keeps the message's position, so the new ones are those at or past `position`.
            parameters = {"thread_id": thread_id, "position": position}
            return frozenset(connection.execute(statements.new_messages, parameters).scalars())

        return await self.transaction(write)

    async def load_state(self, key: AgentStateKey) -> AgentState | None:
        def read(connection: Connection) -> AgentState | None:
            parameters = {"thread_id": key.thread_id, "agent_name": key.agent_name}
            row = connection.execute(STATEMENTS[connection.dialect.name].state, parameters).first()
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
                except IntegrityError as exc:
                    raise _conflict(key, version, expected_version) from exc
            else:
                changed = connection.execute(
                    update(agent_states)
                    .where(*where, agent_states.c.version == version)
                    .values(version=written.version, state=values, updated_at=now)
                )
                if changed.rowcount != 1:
                    raise _conflict(key, version, expected_version)
            return written

        return await self.transaction(write)

    async def save_run(self, run: RunRecord) -> None:
        values = mapping.run_values(run)

        def write(connection: Connection) -> None:
            connection.execute(STATEMENTS[connection.dialect.name].upsert_run, values)

        await self.transaction(write)

    async def get_run(self, run_id: str) -> RunRecord | None:
        def read(connection: Connection) -> RunRecord | None:
            row = connection.execute(STATEMENTS[connection.dialect.name].run, {"run_id": run_id}).first()
            return mapping.run_record(row) if row is not None else None

        return await self._read(read)

    async def list_runs(self, thread_id: str) -> Sequence[RunRecord]:
        def read(connection: Connection) -> list[RunRecord]:
            statement = STATEMENTS[connection.dialect.name].thread_runs
            return [mapping.run_record(row) for row in connection.execute(statement, {"thread_id": thread_id})]

        return await self._read(read)

    async def list_threads(
        self,
        principal: str | None,
        *,
        limit: int,
        before: tuple[datetime, str] | None = None,
        agent: AgentFilter | None = None,
    ) -> ThreadPage:
        query = thread_page(principal, limit=limit, before=before, agent=agent)

        def read(connection: Connection) -> ThreadPage:
            rows = connection.execute(query).all()
            page = rows[:limit]
            more = len(rows) > limit and page
            summaries = tuple(mapping.thread_summary(row) for row in page)
            return ThreadPage(summaries, (page[-1].created_at, page[-1].id) if more else None)

        return await self._read(read)

    async def delete_threads(self, principal: str | None) -> int:
        *children, parents = thread_deletions(principal)

        def write(connection: Connection) -> int:
            for statement in children:
                connection.execute(statement)
            return int(connection.execute(parents).rowcount)

        return await self.transaction(write)

    async def ping(self) -> None:
        await self._read(lambda connection: connection.execute(text("SELECT 1")))


def _locked_thread(
    connection: Connection, statements: Statements, thread_id: str, principal: str | None, now: datetime
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
