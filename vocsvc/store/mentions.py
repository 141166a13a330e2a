"""Mentions: idempotent ingestion (one row per source + external_id), tagging through the pipeline, reads.

Only the redacted text is stored. A mention is ``pending`` until a tagging run (the job queue, or ``wait=true``)
moves it to ``tagged`` (or ``failed`` with the reason) with a conditional UPDATE, so a duplicate delivery of the
same job does nothing and a worker killed mid-run leaves its mentions pending for the next sweep.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.db import insert_ignore, pack_vector
from vocsvc.store.schema import mentions


@dataclass(slots=True)
class MentionIn:
    channel: str
    source: str
    external_id: str
    text: str
    created_at: datetime  # naive UTC
    author_handle: str | None = None
    author_followers: int | None = None
    author_is_vip: bool = False
    rating: int | None = None
    nps: int | None = None
    product: str | None = None
    customer_id: str | None = None
    url: str | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    id: str
    source: str
    external_id: str
    created: bool
    state: str


def ingest(engine: sa.Engine, items: list[MentionIn], now: datetime) -> list[Ingested]:
    """Insert what is new, in one transaction; a repeat of (source, external_id) returns the stored mention."""
    from vocsvc.nlp.pii import redact

    if not items:
        return []
    new_ids = {}
    rows = []
    for m in items:
        red = redact(m.text)
        mid = str(uuid.uuid4())
        new_ids[(m.source, m.external_id)] = new_ids.get((m.source, m.external_id), mid)
        rows.append({
            "id": new_ids[(m.source, m.external_id)], "source": m.source, "external_id": m.external_id,
            "channel": m.channel, "created_at": m.created_at, "ingested_at": now,
            "author_handle": m.author_handle, "author_followers": m.author_followers,
            "author_is_vip": bool(m.author_is_vip), "rating": m.rating, "nps": m.nps, "product": m.product,
            "customer_id": m.customer_id, "url": m.url, "lang_hint": m.lang,
            "text_redacted": red.text, "text_sha256": hashlib.sha256(m.text.encode()).hexdigest(),
            # the spans, not the values: tagging sees only the redacted text and could not find them again
            "pii": json.dumps([{"type": p.type, "start": p.start, "end": p.end} for p in red.spans]),
            "state": "pending",
        })
    keys = list(new_ids)
    with engine.begin() as c:
        c.execute(insert_ignore(c, mentions), rows)
        found = {}
        for s in range(0, len(keys), 400):  # bounded IN lists
            part = keys[s : s + 400]
            q = sa.select(mentions.c.id, mentions.c.source, mentions.c.external_id, mentions.c.state).where(
                sa.tuple_(mentions.c.source, mentions.c.external_id).in_(part))
            for r in c.execute(q):
                found[(r.source, r.external_id)] = r
    out, seen = [], set()
    for m in items:
        k = (m.source, m.external_id)
        r = found[k]
        out.append(Ingested(r.id, r.source, r.external_id, r.id == new_ids[k] and k not in seen, r.state))
        seen.add(k)
    return out


def pending_ids(engine: sa.Engine, limit: int = 1000) -> list[str]:
    with engine.connect() as c:
        return [r.id for r in c.execute(sa.select(mentions.c.id).where(mentions.c.state == "pending")
                                        .order_by(mentions.c.ingested_at).limit(limit))]


def tag_mentions(engine: sa.Engine, analyzer, settings, now: datetime, ids: list[str] | None = None,
                 theme_model=None) -> int:
    """Tag pending mentions (these ids, or the oldest pending ones); returns how many this call tagged.
    Alerts are decided in the same transaction as the tags, so a tagged negative post always has its alert."""
    from vocsvc.alerts import consider_mention
    from vocsvc.types import RowError

    with engine.connect() as c:
        q = sa.select(mentions).where(mentions.c.state == "pending")
        q = q.where(mentions.c.id.in_(ids)) if ids is not None else q.order_by(mentions.c.ingested_at).limit(
            settings.batch_size * 4)
        rows = list(c.execute(q))
    if not rows:
        return 0
    analysis = analyzer.analyze_full([r.text_redacted for r in rows], [r.id for r in rows])
    theme_ids = theme_model.assign_ids(analysis.embeddings) if theme_model is not None and theme_model.themes \
        else [None] * len(rows)
    done = 0
    with engine.begin() as c:
        for k, (row, res) in enumerate(zip(rows, analysis.results)):
            if isinstance(res, RowError):
                c.execute(mentions.update().where(mentions.c.id == row.id, mentions.c.state == "pending")
                          .values(state="failed", error=res.error))
                continue
            tags = res.to_dict()
            tags["pii"] = json.loads(row.pii) if row.pii else tags["pii"]  # found at ingest, in the original text
            lang = row.lang_hint if row.lang_hint in settings.languages else res.lang
            upd = c.execute(mentions.update().where(mentions.c.id == row.id, mentions.c.state == "pending").values(
                state="tagged", lang=lang, sentiment=res.sentiment.label if res.sentiment else None,
                sentiment_score=res.sentiment.score if res.sentiment else None, emotion=res.emotion,
                intent=res.intents[0].label if res.intents else None, tags=json.dumps(tags, ensure_ascii=False),
                embedding=pack_vector(analysis.embeddings[k]), theme_id=theme_ids[k]))
            if upd.rowcount != 1:
                continue  # tagged by a concurrent run
            done += 1
            consider_mention(c, row, tags, settings, now)
    return done


def mention_dict(r, with_tags: bool = True) -> dict:
    d = {
        "id": r.id, "source": r.source, "external_id": r.external_id, "channel": r.channel,
        "created_at": iso(r.created_at), "ingested_at": iso(r.ingested_at),
        "author": {"handle": r.author_handle, "followers": r.author_followers, "is_vip": bool(r.author_is_vip)},
        "rating": r.rating, "nps": r.nps, "product": r.product, "customer_id": r.customer_id, "url": r.url,
        "text_redacted": r.text_redacted, "state": r.state, "error": r.error, "lang": r.lang,
        "sentiment": r.sentiment, "sentiment_score": r.sentiment_score, "emotion": r.emotion, "intent": r.intent,
        "theme_id": r.theme_id,
    }
    if with_tags:
        d["tags"] = json.loads(r.tags) if r.tags else None
    return d


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None
