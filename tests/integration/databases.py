"""Databases for the SQL store's tests. PostgreSQL ones are created with a unique name and dropped
afterwards (never the shared `test` database). Without a reachable server the tests skip, except with
`CI=true`, where they fail: CI has PostgreSQL on 127.0.0.1:5432."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

SERVER = os.environ.get("AGUI_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh database's SQLAlchemy URL (`postgresql+asyncpg://...`), dropped afterwards."""
    admin = create_async_engine(SERVER, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5})
    try:
        async with admin.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError) as exc:
        await admin.dispose()
        reason = f"PostgreSQL is not reachable at {SERVER} ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ": CI must have it")
        pytest.skip(reason)
    name = f"agui_test_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def cut_off(database_url: str, *, allowed: bool) -> None:
    """Simulate a database outage (`allowed=False`: new connections refused, open ones ended) or its end."""
    name = database_url.rsplit("/", 1)[1]
    admin = create_async_engine(SERVER, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                ended = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                await connection.execute(text(ended), {"name": name})
    finally:
        await admin.dispose()


def postgres_url() -> str | None:
    """The PostgreSQL server's URL when it answers; None when it does not, except with `CI=true` (fails)."""
    import asyncio

    async def reachable() -> bool:
        engine = create_async_engine(SERVER, connect_args={"timeout": 5})
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except (OSError, SQLAlchemyError):
            return False
        finally:
            await engine.dispose()

    if asyncio.run(reachable()):
        return SERVER
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is not reachable at {SERVER}: CI must have it")
    return None


REDIS = os.environ.get("AGUI_TEST_REDIS", "redis://127.0.0.1:6379/0")


def redis_url() -> str:
    """Redis's URL when it answers; skips the test when it does not, except with `CI=true` (fails: CI has it)."""
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        reason = f"Redis is not reachable at {REDIS} ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ": CI must have it")
        pytest.skip(reason)
    finally:
        client.close()
    return REDIS
