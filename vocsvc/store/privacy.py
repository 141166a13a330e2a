"""Removing a person's rows, or rows past their retention: SQL only (vocsvc.service.privacy removes the files).

Every delete uncounts what it removes from the rollups in the same transaction (the rows come back from
``DELETE ... RETURNING``, so a row tagged in between cannot be uncounted as it was before), so /metrics and /themes
stay exact. SQLite does not enforce foreign keys here: child rows are deleted explicitly, children first.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.rollups import Deltas
from vocsvc.store.schema import (
    alert_events,
    alert_mentions,
    alerts,
    call_labels,
    calls,
    jobs,
    mention_labels,
    mentions,
    review_events,
    reviews,
    utterances,
    webhook_deliveries,
)

CHUNK = 500


@dataclass(slots=True)
class Removed:
    """What a deletion removed: row counts per table and the recording files now unreferenced."""

    rows: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    def add(self, other: Removed) -> None:
        self.rows.update(other.rows)
        self.files.extend(other.files)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for s in range(0, len(ids), CHUNK):
        yield ids[s : s + CHUNK]


def mention_ids(conn, *, customer_id: str | None = None, author: str | None = None, source: str | None = None,
                before: datetime | None = None, limit: int | None = None) -> list[str]:
    m = mentions.c
    q = sa.select(m.id)
    if customer_id is not None:
        q = q.where(m.customer_id == customer_id)
    if author is not None:  # handles are matched case-insensitively, as the mention filter does
        q = q.where(sa.func.lower(m.author_handle) == author.lower())
    if source is not None:
        q = q.where(m.source == source)
    if before is not None:
        q = q.where(m.created_at < before).order_by(m.created_at)
    if limit is not None:
        q = q.limit(limit)
    return list(conn.execute(q).scalars())


def delete_mentions(conn, ids: list[str]) -> Removed:
    """Remove mentions with their labels, alert links (an alert left without mentions goes with its trail) and
    webhook messages that quote them."""
    out = Removed()
    if not ids:
        return out
    gone = set(ids)
    alert_ids: set[str] = set()
    for part in _chunks(ids):
        alert_ids |= set(conn.execute(sa.select(alert_mentions.c.alert_id)
                                      .where(alert_mentions.c.mention_id.in_(part))).scalars())
    dead_alerts: list[str] = []
    for aid in sorted(alert_ids):
        left = [r.mention_id for r in conn.execute(
            sa.select(alert_mentions.c.mention_id).join(mentions, mentions.c.id == alert_mentions.c.mention_id)
            .where(alert_mentions.c.alert_id == aid).order_by(mentions.c.created_at, mentions.c.id))
            if r.mention_id not in gone]
        if left:  # the alert stays for the author's other posts; it must not point at a deleted one
            first = conn.execute(sa.select(alerts.c.mention_id).where(alerts.c.id == aid)).scalar()
            if first in gone:
                conn.execute(alerts.update().where(alerts.c.id == aid).values(mention_id=left[0]))
        else:
            dead_alerts.append(aid)
    for part in _chunks(ids):
        out.rows["alert_mentions"] += conn.execute(
            alert_mentions.delete().where(alert_mentions.c.mention_id.in_(part))).rowcount
    for part in _chunks(dead_alerts):
        out.rows["alert_events"] += conn.execute(alert_events.delete().where(alert_events.c.alert_id.in_(part))).rowcount
        out.rows["alert_mentions"] += conn.execute(
            alert_mentions.delete().where(alert_mentions.c.alert_id.in_(part))).rowcount
        out.rows["alerts"] += conn.execute(alerts.delete().where(alerts.c.id.in_(part))).rowcount
    out.rows["webhook_deliveries"] += _delete_quoting(conn, dead_alerts + ids)
    deltas = Deltas()
    m = mentions.c
    for part in _chunks(ids):
        out.rows["mention_labels"] += conn.execute(
            mention_labels.delete().where(mention_labels.c.mention_id.in_(part))).rowcount
        for r in conn.execute(mentions.delete().where(m.id.in_(part)).returning(
                m.created_at, m.channel, m.source, m.product, m.lang, m.nps, m.rating, m.sentiment, m.state,
                m.theme_id, m.embedding)):
            out.rows["mentions"] += 1
            out.rows["embeddings"] += r.embedding is not None
            deltas.mention(created_at=r.created_at, channel=r.channel, source=r.source, product=r.product,
                           lang=r.lang, nps=r.nps, rating=r.rating, sentiment=r.sentiment, state=r.state,
                           theme_id=r.theme_id, sign=-1)
    deltas.apply(conn)
    return out


def _delete_quoting(conn, ids: list[str]) -> int:
    """Webhook bodies copy the alert and its mentions (text, handle): drop every message naming a removed id."""
    n = 0
    for i in ids:
        n += conn.execute(webhook_deliveries.delete().where(webhook_deliveries.c.body.contains(i))).rowcount
    return n


def call_ids(conn, *, customer_id: str | None = None, before: datetime | None = None,
             limit: int | None = None) -> list[str]:
    q = sa.select(calls.c.id)
    if customer_id is not None:
        q = q.where(calls.c.customer_id == customer_id)
    if before is not None:
        q = q.where(calls.c.started_at < before).order_by(calls.c.started_at)
    if limit is not None:
        q = q.limit(limit)
    return list(conn.execute(q).scalars())


def delete_calls(conn, ids: list[str]) -> Removed:
    """Remove calls with utterances (embeddings, themes, search rows by trigger/column), labels, reviews and the
    transcription job (its result holds the transcript); the recording files no other call uses are returned."""
    out = Removed()
    if not ids:
        return out
    deltas = Deltas()
    files: set[str] = set()
    job_ids: list[str] = []
    for part in _chunks(ids):
        lang = {r.id: r.language for r in conn.execute(sa.select(calls.c.id, calls.c.language)
                                                       .where(calls.c.id.in_(part)))}
        u = utterances.c
        for r in conn.execute(utterances.delete().where(u.call_id.in_(part)).returning(
                u.call_id, u.speaker, u.created_at, u.theme_id, u.sentiment, u.embedding)):
            out.rows["utterances"] += 1
            out.rows["embeddings"] += r.embedding is not None
            if r.speaker != "agent":  # what calls.fill counted as a theme document
                deltas.document(created_at=r.created_at, theme_id=r.theme_id, channel="call", lang=lang.get(r.call_id),
                                product=None, sentiment=r.sentiment, sign=-1)
        out.rows["call_labels"] += conn.execute(call_labels.delete().where(call_labels.c.call_id.in_(part))).rowcount
        out.rows["reviews"] += conn.execute(reviews.delete().where(reviews.c.call_id.in_(part))).rowcount
        conn.execute(review_events.delete().where(review_events.c.call_id.in_(part)))  # reviewers' names and notes
        for r in conn.execute(calls.delete().where(calls.c.id.in_(part)).returning(
                calls.c.job_id, calls.c.audio_path, calls.c.redacted_audio_path)):
            out.rows["calls"] += 1
            job_ids.append(r.job_id)
            files |= {p for p in (r.audio_path, r.redacted_audio_path) if p}
    for part in _chunks(job_ids):
        out.rows["jobs"] += conn.execute(jobs.delete().where(jobs.c.id.in_(part))).rowcount
    deltas.apply(conn)
    out.files = sorted(files - _referenced(conn, files))
    return out


def _referenced(conn, paths: set[str]) -> set[str]:
    """Recordings are content-addressed: the same file may belong to a call that stays."""
    used: set[str] = set()
    for part in _chunks(sorted(paths)):
        for r in conn.execute(sa.select(calls.c.audio_path, calls.c.redacted_audio_path).where(
                sa.or_(calls.c.audio_path.in_(part), calls.c.redacted_audio_path.in_(part)))):
            used |= {r.audio_path, r.redacted_audio_path}
    return used


def audio_expired(conn, before: datetime, limit: int) -> list[tuple[str, str, str | None]]:
    """(call id, recording, redacted copy) of calls older than ``before`` that still have their audio."""
    return [(r.id, r.audio_path, r.redacted_audio_path) for r in conn.execute(
        sa.select(calls.c.id, calls.c.audio_path, calls.c.redacted_audio_path)
        .where(calls.c.started_at < before, calls.c.audio_deleted_at.is_(None), calls.c.state != "processing")
        .order_by(calls.c.started_at).limit(limit))]


def mark_audio_deleted(conn, ids: list[str], now: datetime) -> list[str]:
    """Forget the audio of these calls; returns the files no call with audio still uses."""
    files: set[str] = set()
    for part in _chunks(ids):
        for r in conn.execute(sa.select(calls.c.audio_path, calls.c.redacted_audio_path).where(calls.c.id.in_(part))):
            files |= {p for p in (r.audio_path, r.redacted_audio_path) if p}
        conn.execute(calls.update().where(calls.c.id.in_(part)).values(audio_deleted_at=now, redacted_audio_path=None))
    used: set[str] = set()
    for part in _chunks(sorted(files)):
        for r in conn.execute(sa.select(calls.c.audio_path, calls.c.redacted_audio_path).where(
                calls.c.audio_deleted_at.is_(None),
                sa.or_(calls.c.audio_path.in_(part), calls.c.redacted_audio_path.in_(part)))):
            used |= {r.audio_path, r.redacted_audio_path}
    return sorted(files - used)
