"""Rollup maintenance: counter deltas applied by upsert inside the caller's transaction, and full rebuilds.

A mention counts in ``metric_rollup`` from ingest (volume, NPS, rating; under lang '' until tagging sets its
language) and moves under its language with its sentiment when tagged. A document (tagged mention, customer
utterance) counts in ``theme_rollup`` / ``theme_day_rollup`` under its theme. Deltas are written in the transaction
that changes the row, after the conditional UPDATE that proves this transaction made the change, so a rollup can
neither miss nor double-count a row. Re-discovery moves every document's theme: ``rebuild_themes`` then recounts.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.db import day_expr
from vocsvc.store.rows import METRIC_COUNTERS
from vocsvc.store.schema import calls, mentions, metric_rollup, theme_day_rollup, theme_rollup, utterances

THEME_COUNTERS = ("n", "pos", "neg")
SCORE_COUNTERS = ("nps_n", "promoters", "detractors", "rating_n", "satisfied")
_THEME_ROLLUP_COUNTERS = THEME_COUNTERS + SCORE_COUNTERS  # theme_rollup's and (since 0010) theme_day_rollup's
_METRIC_KEYS = ("day", "channel", "source", "product", "lang")
_THEME_KEYS = ("day", "theme_id", "channel", "lang", "product")


def day_of(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d")


class Deltas:
    """Counter changes gathered over a batch, written once per key."""

    def __init__(self) -> None:
        self.metric: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(METRIC_COUNTERS))
        self.theme: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(_THEME_ROLLUP_COUNTERS))

    def mention(self, *, created_at: datetime, channel: str, source: str, product: str | None, lang: str | None,
                nps: int | None, rating: int | None, sentiment: str | None, state: str, theme_id: str | None,
                sign: int = 1) -> None:
        """Count (sign 1) or uncount (-1) one mention as it stands."""
        key = (day_of(created_at), channel, source, product or "", lang or "")
        tagged = state == "tagged" and sentiment is not None
        vals = (1, nps is not None, nps is not None and nps >= 9, nps is not None and nps <= 6, rating is not None,
                rating is not None and rating >= 4, tagged, tagged and sentiment == "positive",
                tagged and sentiment == "negative")
        acc = self.metric[key]
        for i, v in enumerate(vals):
            acc[i] += sign * int(v)
        if state == "tagged":
            self.document(created_at=created_at, theme_id=theme_id, channel=channel, lang=lang, product=product,
                          sentiment=sentiment, sign=sign, nps=nps, rating=rating)

    def document(self, *, created_at: datetime, theme_id: str | None, channel: str, lang: str | None,
                 product: str | None, sentiment: str | None, sign: int = 1, nps: int | None = None,
                 rating: int | None = None) -> None:
        key = (day_of(created_at), theme_id or "", channel, lang or "", product or "")
        vals = (1, sentiment == "positive", sentiment == "negative", nps is not None, nps is not None and nps >= 9,
                nps is not None and nps <= 6, rating is not None, rating is not None and rating >= 4)
        acc = self.theme[key]
        for i, v in enumerate(vals):
            acc[i] += sign * int(v)

    def apply(self, conn) -> None:
        _upsert(conn, metric_rollup, _METRIC_KEYS, METRIC_COUNTERS,
                [dict(zip(_METRIC_KEYS, k)) | dict(zip(METRIC_COUNTERS, v)) for k, v in self.metric.items() if any(v)])
        _upsert(conn, theme_rollup, _THEME_KEYS, _THEME_ROLLUP_COUNTERS,
                [dict(zip(_THEME_KEYS, k)) | dict(zip(_THEME_ROLLUP_COUNTERS, v)) for k, v in self.theme.items()
                 if any(v)])
        per_day: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(_THEME_ROLLUP_COUNTERS))
        for (day, theme, *_), v in self.theme.items():
            acc = per_day[(day, theme)]
            for i, x in enumerate(v):
                acc[i] += x
        _upsert(conn, theme_day_rollup, ("day", "theme_id"), _THEME_ROLLUP_COUNTERS,
                [{"day": k[0], "theme_id": k[1]} | dict(zip(_THEME_ROLLUP_COUNTERS, v)) for k, v in per_day.items()
                 if any(v)])
        self.metric.clear()
        self.theme.clear()


def _upsert(conn, table: sa.Table, keys: tuple[str, ...], counters: tuple[str, ...], rows: list[dict]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows.sort(key=lambda r: tuple(r[k] for k in keys))  # one lock order: concurrent writers cannot deadlock
    ins = insert(table)
    stmt = ins.on_conflict_do_update(index_elements=list(keys),
                                     set_={c: table.c[c] + ins.excluded[c] for c in counters})
    for s in range(0, len(rows), 500):
        conn.execute(stmt, rows[s : s + 500])


def _lock(conn, *tables: sa.Table) -> None:
    """PostgreSQL: a rebuild waits for writers in flight and holds new ones until it commits (they then add their
    deltas to the rebuilt counts). SQLite has one writer at a time anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"LOCK TABLE {', '.join(t.name for t in tables)} IN EXCLUSIVE MODE"))


def rebuild_metrics(conn) -> None:
    _lock(conn, metric_rollup)
    conn.execute(metric_rollup.delete())
    m, one = mentions.c, sa.literal(1)
    tagged = sa.and_(m.state == "tagged", m.sentiment.is_not(None))
    q = sa.select(
        day_expr(m.created_at, conn.dialect.name), m.channel, m.source, sa.func.coalesce(m.product, ""),
        sa.func.coalesce(m.lang, ""), sa.func.count(), sa.func.count(m.nps),
        sa.func.coalesce(sa.func.sum(sa.case((m.nps >= 9, one), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((m.nps <= 6, one), else_=0)), 0), sa.func.count(m.rating),
        sa.func.coalesce(sa.func.sum(sa.case((m.rating >= 4, one), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((tagged, one), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(tagged, m.sentiment == "positive"), one), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(tagged, m.sentiment == "negative"), one), else_=0)), 0),
    ).group_by(*[sa.literal_column(str(i)) for i in range(1, 6)])
    conn.execute(metric_rollup.insert().from_select(list(_METRIC_KEYS) + list(METRIC_COUNTERS), q))


def documents_select(dialect: str):
    """(day, theme_id, channel, lang, product, sentiment) of every themable document, '' for none."""
    m, u = mentions.c, utterances.c
    q1 = sa.select(day_expr(m.created_at, dialect).label("day"), sa.func.coalesce(m.theme_id, "").label("theme_id"),
                   m.channel.label("channel"), sa.func.coalesce(m.lang, "").label("lang"),
                   sa.func.coalesce(m.product, "").label("product"), m.sentiment.label("sentiment"),
                   m.created_at.label("created_at"), m.nps.label("nps"), m.rating.label("rating")
                   ).where(m.state == "tagged")
    none = sa.null().cast(sa.Integer)
    q2 = sa.select(day_expr(u.created_at, dialect), sa.func.coalesce(u.theme_id, ""), sa.literal("call"),
                   sa.func.coalesce(calls.c.language, ""), sa.literal(""), u.sentiment, u.created_at, none, none) \
        .join(calls, calls.c.id == u.call_id).where(u.speaker != "agent")
    return sa.union_all(q1, q2).subquery("docs")


def score_sums(nps, rating) -> list:
    """SQL sums of SCORE_COUNTERS over columns holding an NPS answer (0-10) and a 1-5 rating."""
    one = sa.literal(1)
    return [sa.func.count(nps), sa.func.coalesce(sa.func.sum(sa.case((nps >= 9, one), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((nps <= 6, one), else_=0)), 0), sa.func.count(rating),
            sa.func.coalesce(sa.func.sum(sa.case((rating >= 4, one), else_=0)), 0)]


def rebuild_themes(conn, scores: bool = True) -> None:
    """Recount theme_rollup and theme_day_rollup from the rows (``scores=False``: without the score counters, for
    the migration that created the tables before those columns existed)."""
    _lock(conn, theme_rollup, theme_day_rollup)
    conn.execute(theme_rollup.delete())
    d = documents_select(conn.dialect.name)
    one = sa.literal(1)
    cnt = [sa.func.count(), *[sa.func.coalesce(sa.func.sum(sa.case((cond, one), else_=0)), 0) for cond in (
        d.c.sentiment == "positive", d.c.sentiment == "negative")], *(score_sums(d.c.nps, d.c.rating) if scores
                                                                       else [])]
    keys = [d.c.day, d.c.theme_id, d.c.channel, d.c.lang, d.c.product]
    cols = _THEME_ROLLUP_COUNTERS if scores else THEME_COUNTERS
    conn.execute(theme_rollup.insert().from_select(list(_THEME_KEYS) + list(cols),
                                                   sa.select(*keys, *cnt).group_by(*keys)))
    rebuild_theme_days(conn)


def rebuild_theme_days(conn) -> None:
    """Recount theme_day_rollup from theme_rollup (summed over channel, language and product). Migrations before
    0010 run this on a theme_day_rollup without the score counters: then only n, pos and neg."""
    conn.execute(theme_day_rollup.delete())
    have = {c["name"] for c in sa.inspect(conn).get_columns("theme_day_rollup")}
    cols = [c for c in _THEME_ROLLUP_COUNTERS if c in have]
    t = theme_rollup.c
    conn.execute(theme_day_rollup.insert().from_select(
        ["day", "theme_id", *cols],
        sa.select(t.day, t.theme_id, *[sa.func.sum(t[c]) for c in cols]).group_by(t.day, t.theme_id)))


def rebuild(engine: sa.Engine) -> None:
    """Recount every rollup from the rows (after a bulk load that bypassed the stores, or a repair)."""
    with engine.begin() as c:
        rebuild_metrics(c)
        rebuild_themes(c)
