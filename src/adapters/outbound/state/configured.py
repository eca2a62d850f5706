"""The thread store the settings' URL names: in memory, or SQL (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from agui_runtime.adapters.outbound.state.memory import InMemoryThreadStore
from agui_runtime.adapters.outbound.state.sql import open_sql_store
from agui_runtime.application.ports import Clock, ThreadStore


class StoreSettings(Protocol):
    @property
    def state_store_url(self) -> str: ...
    @property
    def store_kind(self) -> str: ...
    @property
    def migrate_on_start(self) -> bool: ...


@asynccontextmanager
async def open_thread_store(settings: StoreSettings, clock: Clock) -> AsyncIterator[ThreadStore]:
    """The SQL schema is migrated first unless `migrate_on_start` is off."""
    if settings.store_kind == "memory":
        yield InMemoryThreadStore(clock)
        return
    async with open_sql_store(settings.state_store_url, clock, migrate=settings.migrate_on_start) as store:
        yield store
