"""QA evaluations get a workflow (draft -> submitted -> acknowledged | disputed -> resolved) with per-item dispute
reasons and a history of every step.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as b:
        b.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="draft"))
        b.add_column(sa.Column("disputes", sa.Text))  # {item id: reason}
        b.add_column(sa.Column("resolution", sa.Text))
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(36), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_review_events_call", "review_events", ["call_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_review_events_call", "review_events")
    op.drop_table("review_events")
    with op.batch_alter_table("reviews") as b:
        for c in ("resolution", "disputes", "status"):
            b.drop_column(c)
