"""Automatic QA per call: the scorecard's answers (JSON), the score, the reason for the call and its outcome, and an
index for an agent's calls over time.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as b:
        b.add_column(sa.Column("qa", sa.Text))
        b.add_column(sa.Column("qa_score", sa.Float))
        b.add_column(sa.Column("reason", sa.String(64)))
        b.add_column(sa.Column("outcome", sa.String(16)))
    op.create_index("ix_calls_agent_started", "calls", ["agent_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_agent_started", "calls")
    with op.batch_alter_table("calls") as b:
        for c in ("outcome", "reason", "qa_score", "qa"):
            b.drop_column(c)
