"""Themes in the service database: discovery over stored embeddings (no re-encoding), stable ids, assignment of
new documents, and the per-period statistics marketing reads (volume, share, net sentiment, series, change).

Documents are tagged mentions of every channel plus the customer's utterances in calls.
"""
from __future__ import annotations

import json
import math
import threading
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from vocsvc.store.db import day_expr, unpack_vectors, where_eq
from vocsvc.store.schema import calls, mentions, themes, utterances
from vocsvc.themes import Theme, ThemeModel, ThemeOptions, discover

_CACHE: dict[str, tuple[tuple, ThemeModel]] = {}
_LOCK = threading.Lock()


def current_model(engine: sa.Engine) -> ThemeModel:
    """The active themes, cached per engine until the table changes."""
    with engine.connect() as c:
        sig = tuple(c.execute(sa.select(sa.func.count(), sa.func.max(themes.c.updated_at))
                              .where(themes.c.active.is_(True))).one())
        key = str(engine.url)
        with _LOCK:
            hit = _CACHE.get(key)
            if hit and hit[0] == sig:
                return hit[1]
        rows = c.execute(sa.select(themes).where(themes.c.active.is_(True)).order_by(themes.c.size.desc())).all()
    model = ThemeModel([Theme(r.id, r.label, json.loads(r.keyphrases), r.size,
                              np.frombuffer(r.centroid, np.float32).copy(), r.floor) for r in rows])
    with _LOCK:
        _CACHE[key] = (sig, model)
    return model


def _documents(c, limit: int | None = None):
    """(kind, id, embedding blob, keywords) of every themable document, oldest first."""
    q1 = sa.select(sa.literal("m").label("kind"), mentions.c.id, mentions.c.embedding, mentions.c.tags,
                   mentions.c.created_at).where(mentions.c.state == "tagged", mentions.c.embedding.is_not(None))
    q2 = sa.select(sa.literal("u").label("kind"), utterances.c.id, utterances.c.embedding, utterances.c.tags,
                   utterances.c.created_at).where(utterances.c.speaker != "agent",
                                                  utterances.c.embedding.is_not(None))
    u = sa.union_all(q1, q2).subquery()
    q = sa.select(u).order_by(u.c.created_at, u.c.id)
    return c.execution_options(yield_per=5000).execute(q)


def rediscover(engine: sa.Engine, settings, now: datetime, options: ThemeOptions = ThemeOptions()) -> dict:
    """Fit themes on (a spread sample of) all documents, keep matching ids, reassign every document."""
    with engine.connect() as c:
        n = c.execute(sa.select(sa.func.count()).select_from(mentions).where(mentions.c.state == "tagged")).scalar()
        n += c.execute(sa.select(sa.func.count()).select_from(utterances)
                       .where(utterances.c.speaker != "agent")).scalar()
        step = max(1, math.ceil(n / settings.themes_fit_max))
        blobs, kws = [], []
        for i, r in enumerate(_documents(c)):
            if i % step == 0:
                blobs.append(r.embedding)
                kws.append((json.loads(r.tags) if r.tags else {}).get("keywords", []))
    X = unpack_vectors(blobs)
    previous = current_model(engine)
    found = discover(X, kws, options, previous=previous, encoder=settings.encoder)
    model = found.model
    old_ids = set(previous.ids)
    with engine.begin() as c:
        first_seen = dict(c.execute(sa.select(themes.c.id, themes.c.first_seen)).all())
        c.execute(themes.update().values(active=False, updated_at=now))
        for t in model.themes:
            vals = dict(label=t.label, keyphrases=json.dumps(t.keyphrases, ensure_ascii=False),
                        centroid=np.asarray(t.centroid, np.float32).tobytes(), floor=t.floor, size=t.size,
                        active=True, updated_at=now)
            if t.id in first_seen:
                c.execute(themes.update().where(themes.c.id == t.id).values(**vals))
            else:
                c.execute(themes.insert().values(id=t.id, first_seen=now, **vals))
    assigned = reassign_all(engine, model)
    return {"themes": len(model.themes), "documents": n, "fitted_on": len(X), "kept_ids": len(old_ids & set(model.ids)),
            "new_ids": len(set(model.ids) - old_ids), "unthemed_share": round(1 - assigned / n, 4) if n else 0.0}


def reassign_all(engine: sa.Engine, model: ThemeModel, chunk: int = 5000) -> int:
    assigned = 0
    for table, cond in ((mentions, mentions.c.state == "tagged"), (utterances, utterances.c.speaker != "agent")):
        last = ""
        while True:
            with engine.connect() as c:
                rows = c.execute(sa.select(table.c.id, table.c.embedding).where(cond, table.c.id > last,
                                                                                table.c.embedding.is_not(None))
                                 .order_by(table.c.id).limit(chunk)).all()
            if not rows:
                break
            last = rows[-1].id
            ids = model.assign_ids(unpack_vectors([r.embedding for r in rows]))
            assigned += sum(t is not None for t in ids)
            with engine.begin() as c:
                c.execute(table.update().where(table.c.id == sa.bindparam("_id")).values(theme_id=sa.bindparam("_t")),
                          [{"_id": r.id, "_t": t} for r, t in zip(rows, ids)])
    return assigned


# ---------------------------------------------------------------------- statistics
def _filtered_docs(dialect: str, start: datetime, end: datetime, channel: str | None, lang: str | None,
                   product: str | None):
    """One selectable of (theme_id, bucket, sentiment) over mentions and customer utterances in [start, end)."""
    m = sa.select(mentions.c.theme_id, day_expr(mentions.c.created_at, dialect).label("day"),
                  mentions.c.sentiment).where(
        mentions.c.state == "tagged", mentions.c.created_at >= start, mentions.c.created_at < end)
    m = where_eq(m, [(mentions.c.channel, channel), (mentions.c.lang, lang), (mentions.c.product, product)])
    parts = [m]
    if channel in (None, "call") and not product:
        u = sa.select(utterances.c.theme_id, day_expr(utterances.c.created_at, dialect).label("day"),
                      utterances.c.sentiment) \
            .join(calls, calls.c.id == utterances.c.call_id).where(
                utterances.c.speaker != "agent", utterances.c.created_at >= start, utterances.c.created_at < end)
        if lang:
            u = u.where(calls.c.language == lang)
        parts.append(u)
    return sa.union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def theme_stats(engine: sa.Engine, start: datetime, end: datetime, channel: str | None = None,
                lang: str | None = None, product: str | None = None, interval: str = "day") -> dict:
    """Per theme: volume, share, net sentiment, series, change versus the previous period of equal length."""
    prev_start = start - (end - start)
    dialect = engine.dialect.name
    with engine.connect() as c:
        cur = _filtered_docs(dialect, start, end, channel, lang, product)
        rows = c.execute(sa.select(cur.c.theme_id, cur.c.day, cur.c.sentiment, sa.func.count())
                         .group_by(cur.c.theme_id, cur.c.day, cur.c.sentiment)).all()
        prev = _filtered_docs(dialect, prev_start, start, channel, lang, product)
        prow = c.execute(sa.select(prev.c.theme_id, sa.func.count()).group_by(prev.c.theme_id)).all()
        meta = {r.id: r for r in c.execute(sa.select(themes))}
    total = sum(r[3] for r in rows)
    prev_total = sum(r[1] for r in prow)
    prev_vol = {r[0]: r[1] for r in prow}
    vol, sent, series = Counter(), defaultdict(Counter), defaultdict(Counter)
    for tid, day, s, n in rows:
        vol[tid] += n
        sent[tid][s] += n
        series[tid][_bucket(str(day), interval)] += n
    out = []
    for tid, v in vol.items():
        if tid is None or tid not in meta:
            continue
        m = meta[tid]
        p0 = prev_vol.get(tid, 0)
        z = _two_proportion_z(v, total, p0, prev_total)
        share, pshare = v / total if total else 0.0, p0 / prev_total if prev_total else 0.0
        significant = abs(z) >= 1.96
        out.append({
            "id": tid, "label": m.label, "keyphrases": json.loads(m.keyphrases), "active": bool(m.active),
            "volume": v, "share": round(share, 4),
            "net_sentiment": round(100 * (sent[tid]["positive"] - sent[tid]["negative"]) / v, 1),
            "series": [{"period": k, "volume": series[tid][k]} for k in sorted(series[tid])],
            "previous_volume": p0, "previous_share": round(pshare, 4),
            "change_pct": round(100 * (v - p0) / p0, 1) if p0 else None,
            "z": round(z, 2), "significant": significant,
            "emerging": bool(significant and share > pshare and v >= 5 and (p0 == 0 or v >= 2 * p0 * max(1, total) /
                                                                          max(1, prev_total))),
        })
    out.sort(key=lambda d: (-d["volume"], d["id"]))
    unthemed = vol.get(None, 0)
    return {"total": total, "unthemed": unthemed, "unthemed_share": round(unthemed / total, 4) if total else 0.0,
            "themes": out}


def examples(engine: sa.Engine, theme_id: str, start: datetime, end: datetime, k: int = 3) -> list[dict]:
    with engine.connect() as c:
        rows = c.execute(sa.select(mentions.c.id, mentions.c.channel, mentions.c.text_redacted, mentions.c.sentiment)
                         .where(mentions.c.theme_id == theme_id, mentions.c.created_at >= start,
                                mentions.c.created_at < end, sa.func.length(mentions.c.text_redacted).between(20, 400))
                         .order_by(mentions.c.created_at.desc()).limit(k)).all()
    return [{"id": r.id, "channel": r.channel, "text_redacted": r.text_redacted, "sentiment": r.sentiment}
            for r in rows]


def _bucket(day: str, interval: str) -> str:
    if interval == "week":
        d = datetime.strptime(day, "%Y-%m-%d")
        return (d - timedelta(days=d.weekday())).strftime("%Y-%m-%d")
    return day


def _two_proportion_z(x1: int, n1: int, x0: int, n0: int) -> float:
    if n1 == 0 or n0 == 0:
        return 0.0
    p = (x1 + x0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    return (x1 / n1 - x0 / n0) / se if se > 0 else 0.0
