"""Business metrics over mentions: volume, NPS (% promoters 9-10 minus % detractors 0-6 of answers), CSAT
(% of 1-5 ratings that are 4 or 5), net sentiment (% positive minus % negative of tagged mentions)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.db import day_expr
from vocsvc.store.schema import mentions

GROUPS = ("channel", "product", "source", "lang", "day", "week", "month")


def _group_col(group: str, dialect: str):
    col = mentions.c.created_at
    if group == "day":
        return day_expr(col, dialect)
    if group == "month":
        return sa.func.to_char(col, "YYYY-MM") if dialect == "postgresql" else sa.func.strftime("%Y-%m", col)
    if group == "week":  # ISO week starting Monday, as the date of that Monday
        if dialect == "postgresql":
            return sa.func.to_char(sa.func.date_trunc("week", col), "YYYY-MM-DD")
        return sa.func.strftime("%Y-%m-%d", col, "weekday 0", "-6 days")
    return getattr(mentions.c, group)


def metrics(engine: sa.Engine, start: datetime | None, end: datetime | None, group_by: str | None = None,
            channel: str | None = None, product: str | None = None) -> dict:
    m = mentions.c
    one = sa.literal(1)
    cols = [
        sa.func.count().label("volume"),
        sa.func.count(m.nps).label("nps_n"),
        sa.func.sum(sa.case((m.nps >= 9, one), else_=0)).label("promoters"),
        sa.func.sum(sa.case((m.nps <= 6, one), else_=0)).label("detractors"),
        sa.func.count(m.rating).label("rating_n"),
        sa.func.sum(sa.case((m.rating >= 4, one), else_=0)).label("satisfied"),
        sa.func.sum(sa.case((m.sentiment.is_not(None), one), else_=0)).label("tagged"),
        sa.func.sum(sa.case((m.sentiment == "positive", one), else_=0)).label("pos"),
        sa.func.sum(sa.case((m.sentiment == "negative", one), else_=0)).label("neg"),
    ]
    q = sa.select(*cols)
    if start:
        q = q.where(m.created_at >= start)
    if end:
        q = q.where(m.created_at < end)
    if channel:
        q = q.where(m.channel == channel)
    if product:
        q = q.where(m.product == product)
    with engine.connect() as c:
        overall = _row(c.execute(q).one())
        groups = []
        if group_by:
            g = _group_col(group_by, engine.dialect.name).label("key")
            for r in c.execute(q.add_columns(g).group_by(g).order_by(g)):
                groups.append({"key": r.key} | _row(r))
    return overall | ({"group_by": group_by, "groups": groups} if group_by else {})


def _row(r) -> dict:
    def pct(a, b):
        return round(100 * (a or 0) / b, 1) if b else None

    return {
        "volume": r.volume,
        "nps": round(pct(r.promoters, r.nps_n) - pct(r.detractors, r.nps_n), 1) if r.nps_n else None,
        "nps_responses": r.nps_n,
        "csat": pct(r.satisfied, r.rating_n),
        "ratings": r.rating_n,
        "net_sentiment": round(pct(r.pos, r.tagged) - pct(r.neg, r.tagged), 1) if r.tagged else None,
        "tagged": r.tagged or 0,
    }
