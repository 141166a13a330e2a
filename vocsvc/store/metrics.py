"""Counters behind the business metrics (volume, NPS answers, ratings, tagged / positive / negative), per group:
the daily rollup for whole days plus the rows of partial days at the edges; ``exact`` recounts from rows."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.db import connection, day_expr
from vocsvc.store.rows import METRIC_COUNTERS, MetricCounts
from vocsvc.store.schema import mentions, metric_rollup
from vocsvc.store.timespan import split_days

GROUPS = ("channel", "product", "source", "lang", "day", "week", "month")
TIME_GROUPS = ("day", "week", "month")


def _raw_counters():
    m, one = mentions.c, sa.literal(1)
    tagged = sa.and_(m.state == "tagged", m.sentiment.is_not(None))
    return [sa.func.count(), sa.func.count(m.nps), sa.func.sum(sa.case((m.nps >= 9, one), else_=0)),
            sa.func.sum(sa.case((m.nps <= 6, one), else_=0)), sa.func.count(m.rating),
            sa.func.sum(sa.case((m.rating >= 4, one), else_=0)), sa.func.sum(sa.case((tagged, one), else_=0)),
            sa.func.sum(sa.case((sa.and_(tagged, m.sentiment == "positive"), one), else_=0)),
            sa.func.sum(sa.case((sa.and_(tagged, m.sentiment == "negative"), one), else_=0))]


def counts(engine: sa.Engine | sa.Connection, start: datetime | None, end: datetime | None, group: str | None = None,
           channel: str | None = None, product: str | None = None, exact: bool = False,
           lang: str | None = None) -> list[MetricCounts]:
    """One MetricCounts per key of ``group`` ('day' for day / week / month: the caller buckets), or one with key
    None for the whole period."""
    key_name = "day" if group in TIME_GROUPS else group
    days, edges = split_days(start, end, exact)
    acc: dict[str | None, MetricCounts] = {}

    def add(key, vals):
        key = key if key != "" else None
        c = acc.setdefault(key, MetricCounts(key))
        c.add(MetricCounts(key, *[int(v or 0) for v in vals]))

    def run(c, table, keycol, counters, where) -> None:
        """One grouped sum over the rollup or the rows; the same filters either way."""
        q = sa.select(keycol, *counters).where(*where)
        if channel:
            q = q.where(table.channel == channel)
        if product:
            q = q.where(table.product == product)
        if lang:
            q = q.where(table.lang == lang)
        for row in c.execute(q.group_by(keycol) if key_name else q):
            if row[1]:
                add(row[0], row[1:])

    r, m = metric_rollup.c, mentions.c
    with connection(engine) as c:
        if days:
            run(c, r, r[key_name] if key_name else sa.literal(None), [sa.func.sum(r[x]) for x in METRIC_COUNTERS],
                [r.day >= days[0], r.day < days[1]])
        raw_key = (day_expr(m.created_at, c.dialect.name) if key_name == "day" else m[key_name]) if key_name \
            else sa.literal(None)
        for lo, hi in edges:
            run(c, m, raw_key, _raw_counters(), [m.created_at >= lo, m.created_at < hi])
    if not key_name and None not in acc:
        acc[None] = MetricCounts(None)
    return list(acc.values())
