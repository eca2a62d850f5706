"""Alembic environment: migrations run on a connection the runtime hands over (see `upgrade.upgrade`)."""

from alembic import context

from agui_runtime.adapters.outbound.state.sql.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
