"""The schema brought to Alembic's head: recognised cheaply when it is there already, upgraded otherwise
(on PostgreSQL under an advisory lock). The Alembic scripts are the package data in `migrations/`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (a test holds it to Alembic's head). A schema already there is
# recognised without loading Alembic, which would stay resident (11 MB per worker) for nothing.
HEAD_REVISION = "0003"
_UPGRADE_LOCK = 0x6167_7569  # "agui": one PostgreSQL advisory lock serialises replicas migrating together


def _at_head(connection: Connection) -> bool:
    try:
        if not inspect(connection).has_table("alembic_version"):
            return False
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return list(versions) == [HEAD_REVISION]
    finally:
        connection.rollback()


def upgrade(connection: Connection) -> None:
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
