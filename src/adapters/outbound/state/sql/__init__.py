"""`ThreadStore` on SQLAlchemy 2: SQLite embedded, PostgreSQL (asyncpg) shared."""

from agui_runtime.adapters.outbound.state.sql.store import SqlThreadStore, open_sql_store

__all__ = ["SqlThreadStore", "open_sql_store"]
