"""Themes in the service: the active model (cached until its rows change), re-discovery over stored embeddings
(ids of matching themes stay; every document is reassigned and the theme rollups recounted), and per-period
statistics (volume, share, net sentiment, series, change against the previous period of equal length)."""
from __future__ import annotations

import logging
import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from vocsvc.errors import NotFound
from vocsvc.kpi import net_sentiment, two_proportion_z
from vocsvc.store import themes as store
from vocsvc.store.db import unpack_vectors
from vocsvc.store.rows import ExampleRow, ThemeRow
from vocsvc.themes import Theme, ThemeModel, ThemeOptions, discover

log = logging.getLogger("vocsvc")
_CACHE: dict[str, tuple[tuple, ThemeModel]] = {}
_LOCK = threading.Lock()


def current_model(engine: sa.Engine) -> ThemeModel:
    """The active themes, cached per database until the table changes."""
    sig = store.active_signature(engine)
    key = str(engine.url)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] == sig:
            return hit[1]
    model = ThemeModel([Theme(r.id, r.label, r.keyphrases, r.size, np.frombuffer(r.centroid, np.float32).copy(),
                              r.floor) for r in store.active(engine)])
    with _LOCK:
        _CACHE[key] = (sig, model)
    return model


def spread_sample(total: int, fit_max: int) -> int:
    """The step of an even spread of at most ``fit_max`` of ``total`` documents (shared with ``batch --themes``)."""
    return max(1, math.ceil(total / max(1, fit_max)))


def rediscover(engine: sa.Engine, settings, now: datetime, options: ThemeOptions = ThemeOptions()) -> dict:
    """Fit themes on (a spread sample of) all documents, keep matching ids, reassign every document, recount."""
    n = store.document_count(engine)
    step = spread_sample(n, settings.themes_fit_max)
    blobs, kws = [], []
    for i, (blob, kw) in enumerate(store.documents(engine)):
        if i % step == 0:
            blobs.append(blob)
            kws.append(kw)
    X = unpack_vectors(blobs)
    previous = current_model(engine)
    model = discover(X, kws, options, previous=previous, encoder=settings.encoder).model
    store.save_active(engine, [ThemeRow(t.id, t.label, t.keyphrases, store.centroid_bytes(t.centroid), t.floor,
                                        t.size, True, now, now) for t in model.themes], now)
    assigned = 0
    for table, ids, embs in store.embedding_chunks(engine):
        theme_ids = model.assign_ids(unpack_vectors(embs))
        assigned += sum(t is not None for t in theme_ids)
        store.set_theme_ids(engine, table, list(zip(ids, theme_ids)))
    store.recount(engine)
    old_ids = set(previous.ids)
    return {"themes": len(model.themes), "documents": n, "fitted_on": len(X), "kept_ids": len(old_ids & set(model.ids)),
            "new_ids": len(set(model.ids) - old_ids), "unthemed_share": round(1 - assigned / n, 4) if n else 0.0}


@dataclass(slots=True)
class ThemeStat:
    id: str
    label: str
    keyphrases: list[str]
    active: bool
    volume: int
    share: float
    net_sentiment: float | None
    series: list[dict]
    previous_volume: int
    previous_share: float
    change_pct: float | None
    z: float
    significant: bool
    emerging: bool
    examples: list[ExampleRow] = field(default_factory=list)


@dataclass(slots=True)
class ThemeStats:
    total: int
    unthemed: int
    unthemed_share: float
    themes: list[ThemeStat]


def stats(engine: sa.Engine, start: datetime, end: datetime, channel: str | None = None, lang: str | None = None,
          product: str | None = None, interval: str = "day", exact: bool = False) -> ThemeStats:
    prev_start = start - (end - start)
    cur = store.day_counts(engine, start, end, channel, lang, product, exact)
    prev = store.day_counts(engine, prev_start, start, channel, lang, product, exact, per_day=False)
    total = sum(r.n for r in cur)
    prev_total = sum(r.n for r in prev)
    prev_vol: Counter = Counter()
    for r in prev:
        prev_vol[r.theme_id] += r.n
    vol, pos, neg, series = Counter(), Counter(), Counter(), defaultdict(Counter)
    for r in cur:
        vol[r.theme_id] += r.n
        pos[r.theme_id] += r.pos
        neg[r.theme_id] += r.neg
        series[r.theme_id][bucket(r.day, interval)] += r.n
    meta = store.by_ids(engine, [t for t in vol if t is not None])
    out = []
    for tid, v in vol.items():
        if tid is None or tid not in meta or v == 0:
            continue
        m = meta[tid]
        p0 = prev_vol.get(tid, 0)
        z = two_proportion_z(v, total, p0, prev_total)
        share, pshare = v / total if total else 0.0, p0 / prev_total if prev_total else 0.0
        significant = abs(z) >= 1.96
        out.append(ThemeStat(
            id=tid, label=m.label, keyphrases=m.keyphrases, active=m.active, volume=v, share=round(share, 4),
            net_sentiment=net_sentiment(pos[tid], neg[tid], v),
            series=[{"period": k, "volume": series[tid][k]} for k in sorted(series[tid]) if series[tid][k]],
            previous_volume=p0, previous_share=round(pshare, 4),
            change_pct=round(100 * (v - p0) / p0, 1) if p0 else None, z=round(z, 2), significant=significant,
            emerging=bool(significant and share > pshare and v >= 5 and
                          (p0 == 0 or v >= 2 * p0 * max(1, total) / max(1, prev_total)))))
    out.sort(key=lambda d: (-d.volume, d.id))
    unthemed = vol.get(None, 0)
    return ThemeStats(total, unthemed, round(unthemed / total, 4) if total else 0.0, out)


def with_examples(engine: sa.Engine, items: list[ThemeStat], start: datetime, end: datetime, k: int = 3) -> None:
    ex = store.examples(engine, [t.id for t in items], start, end, k)
    for t in items:
        t.examples = ex.get(t.id, [])


def bucket(day: str, interval: str) -> str:
    if interval == "week":  # ISO week starting Monday, as the date of that Monday
        d = datetime.strptime(day, "%Y-%m-%d")
        return (d - timedelta(days=d.weekday())).strftime("%Y-%m-%d")
    if interval == "month":
        return day[:7]
    return day


def theme(engine: sa.Engine, theme_id: str) -> ThemeRow:
    row = store.get(engine, theme_id)
    if row is None:
        raise NotFound(f"no theme {theme_id}")
    return row


def documents(engine: sa.Engine, theme_id: str, start: datetime, end: datetime, limit: int, offset: int):
    """A theme's mentions and customer utterances in the period, newest first, and their total."""
    theme(engine, theme_id)
    return store.theme_documents(engine, theme_id, start, end, limit, offset)
