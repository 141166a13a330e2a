"""mentions.model: which tagging model tagged the mention (``Analyzer.fingerprint``), so that after a model change
``vocsvc retag`` finds the mentions an older model tagged. Mentions tagged before this revision have none and count
as tagged by an older model. The index makes that search (and a start-up probe) a range read.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as b:
        b.add_column(sa.Column("model", sa.String(64)))
        b.create_index("ix_mentions_model", ["model", "state", "id"])


def downgrade() -> None:
    with op.batch_alter_table("mentions") as b:
        b.drop_index("ix_mentions_model")
        b.drop_column("model")
