"""Themes in the service: the active model (cached until its rows change), re-discovery over stored embeddings
(ids of matching themes stay; every document is reassigned and the theme rollups recounted), per-period
statistics (volume, share, net sentiment, series, change against the previous period of equal length, impact on
NPS and CSAT), and people's edits: a label of their own and merges, both kept across re-discovery.

A merged theme keeps its discovered row (and its centroid in the model, so re-discovery can still match it) but
answers with the id it was merged into: every document that lands on it, now, at tagging time or after a
re-discovery, goes to that theme instead (chains followed: A -> B, B -> C sends A's documents to C)."""
from __future__ import annotations

import logging
import math
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from vocsvc.errors import Conflict, InvalidInput, NotFound
from vocsvc.kpi import csat_impact, net_sentiment, nps_impact, two_proportion_z
from vocsvc.store import metrics as metric_store
from vocsvc.store import themes as store
from vocsvc.store.db import connection, unpack_vectors
from vocsvc.store.rollups import SCORE_COUNTERS
from vocsvc.store.rows import ExampleRow, MetricCounts, ThemeRow
from vocsvc.themes import Theme, ThemeModel, ThemeOptions, discover, resolve_merges

log = logging.getLogger("vocsvc")
_CACHE: dict[str, tuple[tuple, ThemeModel, ThemeModel, dict[str, str]]] = {}
_LOCK = threading.Lock()
LABEL_MAX = 80


def _models(engine: sa.Engine | sa.Connection) -> tuple[ThemeModel, ThemeModel, dict[str, str]]:
    """(the discovered model, the model new documents are assigned with, merged id -> final id), cached per
    database until the active themes or the merges change."""
    sig = store.active_signature(engine)
    key = str(engine.engine.url)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] == sig:
            return hit[1], hit[2], hit[3]
    rows = store.active(engine)
    final = resolve_merges(store.merges(engine))
    raw = ThemeModel([Theme(r.id, r.label, r.keyphrases, r.size, np.frombuffer(r.centroid, np.float32).copy(),
                            r.floor) for r in rows])
    # the same centroids; a merged theme answers with the theme it went into
    assigning = ThemeModel([Theme(final.get(t.id, t.id), t.label, t.keyphrases, t.size, t.centroid, t.floor)
                            for t in raw.themes])
    with _LOCK:
        _CACHE[key] = (sig, raw, assigning, final)
    return raw, assigning, final


def current_model(engine: sa.Engine) -> ThemeModel:
    """The active themes as new documents are assigned to them (tagging, calls, batch loads): merges applied, so
    ``assign_ids`` never answers with a merged theme's id. Cached per database until the themes or merges change.
    Not for re-discovery's ``previous`` (ids are not unique there once themes are merged)."""
    return _models(engine)[1]


def merged_map(engine: sa.Engine) -> dict[str, str]:
    """{merged theme id: the theme its documents go to}, chains resolved."""
    return _models(engine)[2]


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
    previous, _, _ = _models(engine)  # merged themes too: a theme matching one keeps its id, and so its merge
    model = discover(X, kws, options, previous=previous, encoder=settings.encoder).model
    store.save_active(engine, [ThemeRow(t.id, t.label, t.keyphrases, store.centroid_bytes(t.centroid), t.floor,
                                        t.size, True, now, now) for t in model.themes], now)
    final = resolve_merges(store.merges(engine))
    assigned = 0
    for table, ids, embs in store.embedding_chunks(engine):
        theme_ids = [final.get(t, t) if t else t for t in model.assign_ids(unpack_vectors(embs))]
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
    auto_label: str | None = None  # the discovered label, where ``label`` is a person's
    nps_impact: float | None = None  # NPS of the period's mentions minus NPS without this theme's (kpi.nps_impact)
    csat_impact: float | None = None


@dataclass(slots=True)
class ThemeStats:
    total: int
    unthemed: int
    unthemed_share: float
    themes: list[ThemeStat]


def stats(engine: sa.Engine | sa.Connection, start: datetime, end: datetime, channel: str | None = None,
          lang: str | None = None, product: str | None = None, interval: str = "day", exact: bool = False,
          only: str | None = None) -> ThemeStats:
    """Every theme's figures in [start, end) against the period of equal length before it, largest first
    (``only``: just that theme's, figured the same way, shares of the same totals: one theme's page).

    >>> stats(engine, start, end, only="th_0a1b2c3d4e5f").themes[0].volume  # doctest: +SKIP
    412
    """
    with connection(engine) as c:  # one checkout for the request's half a dozen queries
        return _stats(c, start, end, channel, lang, product, interval, exact, only)


def _stats(engine: sa.Connection, start: datetime, end: datetime, channel: str | None, lang: str | None,
           product: str | None, interval: str, exact: bool, only: str | None) -> ThemeStats:
    prev_start = start - (end - start)
    cur = store.day_counts(engine, start, end, channel, lang, product, exact, scores=True)
    prev = store.day_counts(engine, prev_start, start, channel, lang, product, exact, per_day=False)
    total = sum(r.n for r in cur)
    prev_total = sum(r.n for r in prev)
    raw, _, final = _models(engine)
    # documents a merged theme still holds (written by a process that had not yet seen the merge) count where
    # the merge sends them
    prev_vol: Counter = Counter()
    for r in prev:
        prev_vol[final.get(r.theme_id, r.theme_id)] += r.n
    vol, pos, neg, series = Counter(), Counter(), Counter(), defaultdict(Counter)
    scores: dict[str, MetricCounts] = {}
    buckets: dict[str, str] = {}  # a day's bucket once per day, not once per (theme, day)
    for r in cur:
        tid = final.get(r.theme_id, r.theme_id)
        vol[tid] += r.n
        if only is not None and tid != only:  # the totals need every theme, the rest only this one
            continue
        pos[tid] += r.pos
        neg[tid] += r.neg
        b = buckets.get(r.day)
        if b is None:
            b = buckets[r.day] = bucket(r.day, interval)
        series[tid][b] += r.n
        if tid is not None and (r.nps_n or r.rating_n):
            sc = scores.setdefault(tid, MetricCounts(tid))
            for f in SCORE_COUNTERS:
                setattr(sc, f, getattr(sc, f) + getattr(r, f))
    all_scores = MetricCounts(None)  # every scored mention of the period, themed or not, tagged or not
    for c in metric_store.counts(engine, start, end, None, channel, product, exact, lang=lang):
        all_scores.add(c)
    live = {final.get(i, i) for i in raw.ids}  # active: discovered now, itself or through a theme merged into it
    meta = store.by_ids(engine, [t for t in vol if t is not None and (only is None or t == only)])
    out = []
    for tid, v in vol.items():
        if tid is None or tid not in meta or v == 0 or tid in final or (only is not None and tid != only):
            continue
        m = meta[tid]
        sc = scores.get(tid) or MetricCounts(None)
        p0 = prev_vol.get(tid, 0)
        z = two_proportion_z(v, total, p0, prev_total)
        share, pshare = v / total if total else 0.0, p0 / prev_total if prev_total else 0.0
        significant = abs(z) >= 1.96
        out.append(ThemeStat(
            id=tid, label=m.shown_label, keyphrases=m.keyphrases, active=tid in live, volume=v, share=round(share, 4),
            net_sentiment=net_sentiment(pos[tid], neg[tid], v),
            series=[{"period": k, "volume": series[tid][k]} for k in sorted(series[tid]) if series[tid][k]],
            previous_volume=p0, previous_share=round(pshare, 4),
            change_pct=round(100 * (v - p0) / p0, 1) if p0 else None, z=round(z, 2), significant=significant,
            emerging=bool(significant and share > pshare and v >= 5 and
                          (p0 == 0 or v >= 2 * p0 * max(1, total) / max(1, prev_total))),
            auto_label=m.label,
            nps_impact=nps_impact(all_scores.promoters, all_scores.detractors, all_scores.nps_n, sc.promoters,
                                  sc.detractors, sc.nps_n),
            csat_impact=csat_impact(all_scores.satisfied, all_scores.rating_n, sc.satisfied, sc.rating_n)))
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
    """One theme's row with its edit (``shown_label``, ``merged_into``); NotFound (404) for an unknown id."""
    row = store.get(engine, theme_id) if _plausible_id(theme_id) else None
    if row is None:
        raise NotFound(f"no theme {theme_id!r}: GET /v1/themes lists them")
    return row


def _plausible_id(theme_id: str) -> bool:
    """Ids are short printable ASCII (``th_`` + hex): anything else cannot exist, and a NUL or a lone surrogate
    would make PostgreSQL refuse the query."""
    return 0 < len(theme_id) <= 32 and theme_id.isascii() and theme_id.isprintable()


def clean_label(label: str) -> str:
    """A person's theme label: surrounding space stripped, 1 to 80 characters, no control characters.

    >>> clean_label("  Card delivery  ")
    'Card delivery'
    """
    out = label.strip()
    if not 1 <= len(out) <= LABEL_MAX:
        raise InvalidInput(f"a theme label has 1 to {LABEL_MAX} characters (without surrounding space), "
                           f"not {len(out)}")
    bad = next((ch for ch in out if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")), None)
    if bad is not None:
        raise InvalidInput(f"a theme label cannot hold control characters (found U+{ord(bad):04X})")
    return out


def rename(engine: sa.Engine, theme_id: str, label: str | None, actor: str, now: datetime) -> ThemeRow:
    """Show ``label`` instead of the discovered label, everywhere and after re-discovery (None: the discovered
    label again). NotFound for an unknown theme, InvalidInput for a bad label, Conflict for a merged theme.

    >>> rename(engine, "th_0a1b2c3d4e5f", "Card delivery", "console", now).shown_label  # doctest: +SKIP
    'Card delivery'
    """
    row = theme(engine, theme_id)
    if row.merged_into:
        raise Conflict(f"theme {theme_id} is merged into {row.merged_into}: rename that one")
    store.rename(engine, theme_id, clean_label(label) if label is not None else None, actor, now)
    return theme(engine, theme_id)


def merge(engine: sa.Engine, theme_id: str, into_id: str, actor: str, now: datetime) -> ThemeRow:
    """Move every document of ``theme_id`` to ``into_id`` (or where ``into_id`` was merged in turn), recount, and
    hide ``theme_id``: from now on, and after re-discovery, whatever lands on it goes there. Returns the theme
    that received the documents. InvalidInput (422) for a merge into itself or one that would close a loop,
    NotFound (404) for an unknown id, Conflict (409) when ``theme_id`` is merged already.

    >>> merge(engine, "th_a", "th_b", "console", now).id  # doctest: +SKIP
    'th_b'
    """
    if theme_id == into_id:
        raise InvalidInput("a theme cannot be merged into itself")
    src, dst = theme(engine, theme_id), theme(engine, into_id)
    final = resolve_merges(store.merges(engine))
    if src.merged_into:
        raise Conflict(f"theme {theme_id} is merged into {final.get(theme_id, src.merged_into)} already")
    target = final.get(dst.id, dst.id)
    if target == theme_id:
        raise InvalidInput(f"theme {into_id} is merged into {theme_id}: merging {theme_id} into it would make a loop")
    sources = [theme_id, *(k for k, v in final.items() if v == theme_id)]
    moved = store.merge(engine, theme_id, into_id, sources, target, actor, now)
    log.info("theme %s merged into %s (%d documents moved to %s)", theme_id, into_id, moved, target)
    return theme(engine, target)


def channel_split(engine: sa.Engine, theme_id: str, start: datetime, end: datetime,
                  exact: bool = False) -> list[tuple[str, int, float | None]]:
    """(channel, documents, net sentiment) of one theme in the period, largest first (themes merged into it
    count here, as in ``stats``)."""
    got = store.channel_counts(engine, [theme_id, *merged_from(engine, theme_id)], start, end, exact)
    return sorted(((ch, n, net_sentiment(pos, neg, n)) for ch, (n, pos, neg) in got.items()), key=lambda x: -x[1])


def merged_from(engine: sa.Engine, theme_id: str) -> list[str]:
    """The themes whose documents go to ``theme_id`` (merged into it, directly or through a chain)."""
    return sorted(k for k, v in merged_map(engine).items() if v == theme_id)


def documents(engine: sa.Engine, theme_id: str, start: datetime, end: datetime, limit: int, offset: int):
    """A theme's mentions and customer utterances in the period, newest first, and their total (with any a theme
    merged into it still holds: written by a process that had not seen the merge yet; a merged theme has none)."""
    theme(engine, theme_id)
    final = merged_map(engine)
    if theme_id in final:
        return [], 0
    return store.theme_documents(engine, [theme_id, *merged_from(engine, theme_id)], start, end, limit, offset)
