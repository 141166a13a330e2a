"""Rollup tables (metric_rollup, theme_rollup, theme_day_rollup), counted from the existing rows; mention_labels
(every intent and category of a mention, for filters), filled from the stored tags; an index for the newest
mentions of a theme.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

METRIC = ("volume", "nps_n", "promoters", "detractors", "rating_n", "satisfied", "tagged", "pos", "neg")


def _counters(names):
    return [sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in names]


def upgrade() -> None:
    op.create_table("metric_rollup", sa.Column("day", sa.String(10), primary_key=True),
                    sa.Column("channel", sa.String(16), primary_key=True),
                    sa.Column("source", sa.String(100), primary_key=True),
                    sa.Column("product", sa.String(200), primary_key=True),
                    sa.Column("lang", sa.String(8), primary_key=True), *_counters(METRIC))
    op.create_table("theme_rollup", sa.Column("day", sa.String(10), primary_key=True),
                    sa.Column("theme_id", sa.String(32), primary_key=True),
                    sa.Column("channel", sa.String(16), primary_key=True),
                    sa.Column("lang", sa.String(8), primary_key=True),
                    sa.Column("product", sa.String(200), primary_key=True), *_counters(("n", "pos", "neg")))
    op.create_table("theme_day_rollup", sa.Column("day", sa.String(10), primary_key=True),
                    sa.Column("theme_id", sa.String(32), primary_key=True), *_counters(("n", "pos", "neg")))
    op.create_index("ix_mentions_theme_created", "mentions", ["theme_id", "created_at"])
    op.create_table("mention_labels",
                    sa.Column("mention_id", sa.String(36), sa.ForeignKey("mentions.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("kind", sa.String(16), primary_key=True),
                    sa.Column("label", sa.String(64), primary_key=True))
    op.create_index("ix_mention_labels_kind_label", "mention_labels", ["kind", "label"])
    import json

    from vocsvc.store.mentions import labels_of
    from vocsvc.store.rollups import rebuild_metrics, rebuild_themes

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, tags FROM mentions WHERE tags IS NOT NULL")).all()
    labels = [x for r in rows for x in labels_of(r.id, json.loads(r.tags))]
    for s in range(0, len(labels), 1000):
        conn.execute(sa.text("INSERT INTO mention_labels (mention_id, kind, label) VALUES (:mention_id, :kind, "
                             ":label)"), labels[s : s + 1000])
    rebuild_metrics(conn)
    rebuild_themes(conn, scores=False)  # the score counters come with 0009, which recounts


def downgrade() -> None:
    op.drop_index("ix_mentions_theme_created", "mentions")
    for t in ("mention_labels", "theme_day_rollup", "theme_rollup", "metric_rollup"):
        op.drop_table(t)
