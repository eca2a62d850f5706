"""`ThreadStore` on SQLAlchemy 2 async: SQLite (aiosqlite) embedded, PostgreSQL (asyncpg) shared."""

from adapters.outbound.state.sql.store import SqlThreadStore, open_sql_store, upgrade

__all__ = ["SqlThreadStore", "open_sql_store", "upgrade"]
