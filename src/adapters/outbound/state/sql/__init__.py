"""`ThreadStore` on SQLAlchemy 2: SQLite embedded, PostgreSQL (asyncpg) shared.

By concern: `database` (the drivers and error translation), `upgrade` (the schema to Alembic's head),
`statements` (the SQL), `mapping` (rows to domain objects), `store` (the repository); `tables` is the
schema that `migrations/` (Alembic scripts, package data) brings the database to."""

from agui_runtime.adapters.outbound.state.sql.store import SqlThreadStore, open_sql_store

__all__ = ["SqlThreadStore", "open_sql_store"]
