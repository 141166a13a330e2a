"""Business metrics: volume, NPS, CSAT and net sentiment for a period, optionally grouped (formulas: vocsvc.kpi)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from vocsvc.kpi import csat, net_sentiment, nps
from vocsvc.service.themes import bucket
from vocsvc.store import metrics as store
from vocsvc.store.rows import MetricCounts


@dataclass(slots=True)
class MetricFigures:
    volume: int
    nps: float | None
    nps_responses: int
    csat: float | None
    ratings: int
    net_sentiment: float | None
    tagged: int
    key: str | None = None


@dataclass(slots=True)
class Metrics:
    overall: MetricFigures
    group_by: str | None = None
    groups: list[MetricFigures] = field(default_factory=list)


def figures(c: MetricCounts) -> MetricFigures:
    return MetricFigures(c.volume, nps(c.promoters, c.detractors, c.nps_n), c.nps_n, csat(c.satisfied, c.rating_n),
                         c.rating_n, net_sentiment(c.pos, c.neg, c.tagged), c.tagged, c.key)


def metrics(engine: sa.Engine, start: datetime | None, end: datetime | None, group_by: str | None = None,
            channel: str | None = None, product: str | None = None, exact: bool = False) -> Metrics:
    total = MetricCounts(None)
    if not group_by:
        for c in store.counts(engine, start, end, None, channel, product, exact):
            total.add(c)
        return Metrics(figures(total))
    acc: dict = {}
    for c in store.counts(engine, start, end, group_by, channel, product, exact):
        key = bucket(c.key, group_by) if group_by in store.TIME_GROUPS and c.key else c.key
        acc.setdefault(key, MetricCounts(key)).add(c)
        total.add(c)  # the groups partition the period (no value is a group too): one query, not two
    groups = [figures(acc[k]) for k in sorted(acc, key=lambda k: (k is None, k or ""))]
    return Metrics(figures(total), group_by, groups)
