"""covering indexes for theme statistics and metrics (index-only scans over a period)

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLS = ["state", "created_at", "theme_id", "sentiment", "channel", "lang", "product"]


def upgrade() -> None:
    with op.batch_alter_table("mentions") as b:
        b.create_index("ix_mentions_stats", COLS)
    with op.batch_alter_table("alerts") as b:
        b.create_index("ix_alerts_order", ["priority", "due_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as b:
        b.drop_index("ix_alerts_order")
    with op.batch_alter_table("mentions") as b:
        b.drop_index("ix_mentions_stats")
