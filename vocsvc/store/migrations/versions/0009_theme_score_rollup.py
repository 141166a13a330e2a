"""NPS answers and ratings per theme in ``theme_rollup`` (nps_n, promoters, detractors, rating_n, satisfied), so a
theme's NPS and CSAT impact reads the rollup instead of every scored mention of the period; recounted from the rows.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCORES = ("nps_n", "promoters", "detractors", "rating_n", "satisfied")


def upgrade() -> None:
    with op.batch_alter_table("theme_rollup") as b:
        for c in SCORES:
            b.add_column(sa.Column(c, sa.Integer, nullable=False, server_default="0"))
    from vocsvc.store.rollups import rebuild_themes

    rebuild_themes(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("theme_rollup") as b:
        for c in SCORES:
            b.drop_column(c)
