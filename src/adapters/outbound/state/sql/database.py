"""Where the store's units of work run: PostgreSQL through asyncpg, SQLite through the standard library's
driver on threads of its own. Both take a sync function of a SQLAlchemy `Connection`, so the store's code
is the same for either; both translate driver failures into `UpstreamUnavailable`."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from agui_runtime.application.errors import UpstreamUnavailable

T = TypeVar("T")
Work = Callable[[Connection], T]

SQLITE_PREFIXES = ("sqlite:///", "sqlite+aiosqlite:///")  # as the settings accept them
_SQLITE_READERS = 4


@contextlib.contextmanager
def unavailable_on_errors() -> Iterator[None]:
    """Database failures as `UpstreamUnavailable`, naming only the kind of failure: the driver's message
    may carry the DSN and its password (the cause stays chained for the logs, whose filter redacts it)."""
    try:
        yield
    except IntegrityError:
        raise
    except (OperationalError, DBAPIError) as exc:
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        raise UpstreamUnavailable(f"The state store is unavailable ({kind}).") from exc
    except (OSError, TimeoutError) as exc:  # a refused or timed-out connection, before the driver wraps it
        raise UpstreamUnavailable(f"The state store is unavailable ({type(exc).__name__}).") from exc


class Database(Protocol):
    """Where the store's units of work run: each is a sync function of a SQLAlchemy `Connection`, so the
    same code serves both drivers."""

    async def connect(self, work: Work[T]) -> T:
        """`work` on a connection of its own (reads; what it does not commit is rolled back)."""
        ...

    async def transaction(self, work: Work[T]) -> T:
        """`work` in one transaction, committed when it returns and rolled back when it raises."""
        ...

    async def close(self) -> None: ...


def open_database(url: str) -> Database:
    """The database the URL names; `sqlite+aiosqlite://` is accepted as an alias of the threaded SQLite."""
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            return ThreadedSqlite(url.removeprefix(prefix))
    return AsyncDatabase(url)


class AsyncDatabase(Database):
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


class ThreadedSqlite(Database):
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
