"""Theme edits people make (a label of their own, a merge into another theme), kept apart from the discovered
``themes`` rows so that re-discovery, which rewrites those, keeps them; a covering partial index over the mentions
that have an NPS answer or a rating, for each theme's impact on NPS and CSAT (an index-only scan of a period).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

SCORED = "nps IS NOT NULL OR rating IS NOT NULL"

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("theme_edits", sa.Column("theme_id", sa.String(32), primary_key=True),
                    sa.Column("label", sa.String(300)), sa.Column("merged_into", sa.String(32)),
                    sa.Column("updated_at", sa.DateTime, nullable=False),
                    sa.Column("updated_by", sa.String(200), nullable=False))
    op.create_index("ix_mentions_theme_scores", "mentions",
                    ["theme_id", "created_at", "nps", "rating", "channel", "lang", "product"],
                    sqlite_where=sa.text(SCORED), postgresql_where=sa.text(SCORED))


def downgrade() -> None:
    op.drop_index("ix_mentions_theme_scores", "mentions")
    op.drop_table("theme_edits")
