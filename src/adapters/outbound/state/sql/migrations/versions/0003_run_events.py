"""The events of each run (for replay), and an index for listing a principal's threads.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("events", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True))
    op.create_index("ix_runs_thread_started", "runs", ["thread_id", "started_at"])
    op.create_index("ix_threads_principal_created", "threads", ["principal", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_threads_principal_created", table_name="threads")
    op.drop_index("ix_runs_thread_started", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("events")
