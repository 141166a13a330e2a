"""Mentions through the service: ingest keeps the PII spans -> analyze -> theme -> save -> alert rules -> outbox.

``MentionIn`` is the one input shape (the API validates requests with it; batch loads build the same rows through
:func:`new_mention`), so every writer hashes the original text and stores only the redacted one.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from vocsvc.analyzer import check_text
from vocsvc.clock import to_utc_naive
from vocsvc.service import alerts
from vocsvc.service.themes import current_model
from vocsvc.store import mentions as store
from vocsvc.store.db import pack_vector
from vocsvc.store.mentions import MentionFilter
from vocsvc.store.rollups import Deltas
from vocsvc.store.rows import ExportRow, Ingested, MentionRow, NewMention, TagUpdate
from vocsvc.types import CHANNELS, RowError, Tags

__all__ = ["Author", "MentionIn", "MentionFilter", "ingest", "tag", "new_mention", "get", "page", "export"]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]  # the one channel list, as a request type
MAX_TEXT_CHARS = 20_000  # the pipeline's default; the settings value is enforced again at ingest


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Author(_Strict):
    handle: str | None = Field(None, max_length=300)
    followers: int | None = Field(None, ge=0, le=10**10)
    is_vip: bool = False


class MentionIn(_Strict):
    """One mention as a client sends it (unknown fields, wrong types and unknown values are refused)."""

    channel: Channel
    source: str = Field(..., min_length=1, max_length=100, examples=["twitter"])
    external_id: str = Field(..., min_length=1, max_length=300)
    text: str
    created_at: datetime = Field(..., description="ISO 8601; without a zone it is taken as UTC")
    author: Author | None = None
    rating: int | None = Field(None, ge=1, le=5)
    nps: int | None = Field(None, ge=0, le=10)
    product: str | None = Field(None, max_length=200)
    customer_id: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=2000)
    lang: Literal["ru", "en"] | None = None

    @field_validator("text")
    @classmethod
    def _text_ok(cls, v: str) -> str:
        why = check_text(v, MAX_TEXT_CHARS)
        if why:
            raise ValueError(why)
        return v

    @field_validator("created_at")
    @classmethod
    def _sane_date(cls, v: datetime) -> datetime:
        if not 1990 <= v.year <= 2100:
            raise ValueError("created_at must be between 1990 and 2100")
        return v


def new_mention(*, source: str, external_id: str, channel: str, created_at: datetime, now: datetime,
                text_redacted: str, text_sha256: str, pii: list[dict], **fields) -> NewMention:
    """The one constructor of stored mentions (API ingest and batch loads)."""
    return NewMention(id=str(uuid.uuid4()), source=source, external_id=external_id, channel=channel,
                      created_at=to_utc_naive(created_at), ingested_at=now, text_redacted=text_redacted,
                      text_sha256=text_sha256, pii=pii, **fields)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def ingest(engine: sa.Engine, items: list[MentionIn], now: datetime) -> list[Ingested]:
    """Redact, keep the spans (tagging sees only the redacted text and could not find them again), insert."""
    from vocsvc.nlp.pii import redact

    rows = []
    for m in items:
        red = redact(m.text)
        rows.append(new_mention(
            source=m.source, external_id=m.external_id, channel=m.channel, created_at=m.created_at, now=now,
            text_redacted=red.text, text_sha256=sha256_text(m.text),
            pii=[{"type": p.type, "start": p.start, "end": p.end} for p in red.spans],
            author_handle=m.author.handle if m.author else None,
            author_followers=m.author.followers if m.author else None,
            author_is_vip=bool(m.author and m.author.is_vip), rating=m.rating, nps=m.nps, product=m.product,
            customer_id=m.customer_id, url=m.url, lang_hint=m.lang))
    return store.insert(engine, rows)


def tag_update(row: MentionRow, res: Tags, embedding, theme_id: str | None, settings, model: str) -> TagUpdate:
    """What tagging (and retagging) writes for one analysed mention."""
    tags = res.to_dict()
    tags["pii"] = row.pii or tags["pii"]  # found at ingest, in the original text
    return TagUpdate(
        lang=row.lang_hint if row.lang_hint in settings.languages else res.lang,
        sentiment=res.sentiment.label if res.sentiment else None,
        sentiment_score=res.sentiment.score if res.sentiment else None, emotion=res.emotion,
        intent=res.intents[0].label if res.intents else None, tags=tags, embedding=pack_vector(embedding),
        theme_id=theme_id, model=model)


def tag(engine: sa.Engine, analyzer, settings, now: datetime, ids: list[str] | None = None) -> int:
    """Tag pending mentions (these ids, or the oldest pending ones); returns how many this call tagged.
    Alerts, their webhooks and the rollups change in the same transaction as the tags, so a tagged negative post
    always has its alert and every count matches the rows."""
    rows = store.pending(engine, ids, settings.batch_size * 4)
    if not rows:
        return 0
    analysis = analyzer.analyze_full([r.text_redacted for r in rows], [r.id for r in rows])
    model = current_model(engine)
    theme_ids = model.assign_ids(analysis.embeddings) if model.themes else [None] * len(rows)
    done = 0
    deltas = Deltas()
    with engine.begin() as c:
        for k, (row, res) in enumerate(zip(rows, analysis.results)):
            if isinstance(res, RowError):
                store.mark_failed(c, row.id, res.error)
                continue
            update = tag_update(row, res, analysis.embeddings[k], theme_ids[k], settings, analyzer.fingerprint)
            if not store.save_tags(c, row, update, deltas):
                continue  # tagged by a concurrent run
            done += 1
            alerts.consider(c, row, update.tags, settings, now)
        deltas.apply(c)
    return done


def get(engine: sa.Engine, mention_id: str) -> MentionRow | None:
    return store.get(engine, mention_id)


def page(engine: sa.Engine, f: MentionFilter, limit: int, after: tuple[datetime, str] | None = None,
         with_tags: bool = True) -> tuple[list[MentionRow], tuple[datetime, str] | None]:
    """One page, newest first, and the key of its last row when there may be more (``with_tags=False``: rows
    without their tags)."""
    rows = store.query(engine, f, limit + 1, after, with_tags=with_tags)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].created_at, rows[-1].id) if more and rows else None)


def export(engine: sa.Engine, start: datetime, end: datetime, channel: str | None) -> Iterator[ExportRow]:
    return store.export(engine, start, end, channel)
