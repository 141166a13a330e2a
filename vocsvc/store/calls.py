"""Calls: a row at upload (state ``processing``), filled once from the transcription job's result (utterances,
metrics, rollups, labels for filters), QA reviews. SQL only; vocsvc.service.calls decides what to write."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa

from vocsvc.store.db import insert_ignore
from vocsvc.store.rollups import Deltas
from vocsvc.store.rows import CallFill, CallRow, ReviewEvent, ReviewRow, UtteranceRow
from vocsvc.store.schema import call_labels, calls, jobs, review_events, reviews, utterances


def create(engine: sa.Engine, job_id: str, audio_path: str, started_at: datetime, now: datetime,
           agent_id: str | None = None, customer_id: str | None = None) -> tuple[str, bool]:
    """(call id, created); the same job (the same recording) is the same call."""
    cid = str(uuid.uuid4())
    with engine.begin() as c:
        c.execute(insert_ignore(c, calls), [{
            "id": cid, "job_id": job_id, "state": "processing", "agent_id": agent_id, "customer_id": customer_id,
            "started_at": started_at, "created_at": now, "audio_path": audio_path, "reviewed": False}])
        row = c.execute(sa.select(calls.c.id).where(calls.c.job_id == job_id)).one()
    return row.id, row.id == cid


def by_job(engine: sa.Engine, job_id: str) -> CallRow | None:
    with engine.connect() as c:
        r = c.execute(sa.select(calls).where(calls.c.job_id == job_id)).first()
    return CallRow.from_row(r) if r else None


def id_of_job(engine: sa.Engine, job_id: str) -> str | None:
    with engine.connect() as c:
        return c.execute(sa.select(calls.c.id).where(calls.c.job_id == job_id)).scalar()


def mark_failed(engine: sa.Engine, call_id: str, error: str | None) -> bool:
    with engine.begin() as c:
        return c.execute(calls.update().where(calls.c.id == call_id, calls.c.state == "processing")
                         .values(state="failed", metrics=json.dumps({"error": error}))).rowcount == 1


def fill(engine: sa.Engine, call: CallRow, f: CallFill) -> bool:
    """processing -> ready with everything of the transcript, once (False: another run filled it first)."""
    with engine.begin() as c:
        res = c.execute(calls.update().where(calls.c.id == call.id, calls.c.state == "processing").values(
            state="ready", duration=f.duration, language=f.language, channels=f.channels,
            silence_share=f.silence_share, overtalk_seconds=f.overtalk_seconds,
            customer_sentiment=f.customer_sentiment, has_pii=f.has_pii, metrics=json.dumps(f.metrics),
            rollups=json.dumps(f.rollups, ensure_ascii=False), redacted_audio_path=f.redacted_audio_path,
            qa=json.dumps(f.qa, ensure_ascii=False) if f.qa else None, qa_score=(f.qa or {}).get("score"),
            reason=((f.qa or {}).get("reason") or {}).get("intent"),
            outcome=((f.qa or {}).get("outcome") or {}).get("label")))
        if res.rowcount != 1:
            return False
        if f.utterances:
            deltas = Deltas()
            rows = []
            for k, u in enumerate(f.utterances):
                at = call.started_at + timedelta(seconds=float(u.start))
                rows.append({"id": f"{call.id}:{k}", "call_id": call.id, "idx": k, "speaker": u.role, "start": u.start,
                             "end": u.end, "text_redacted": u.text_redacted, "sentiment": u.sentiment,
                             "tags": json.dumps(u.tags, ensure_ascii=False) if u.tags else None,
                             "embedding": u.embedding, "theme_id": u.theme_id, "created_at": at})
                if u.role != "agent":
                    deltas.document(created_at=at, theme_id=u.theme_id, channel="call", lang=f.language,
                                    product=None, sentiment=u.sentiment)
            c.execute(utterances.insert(), rows)
            deltas.apply(c)
        if f.labels:
            c.execute(call_labels.insert(), [{"call_id": call.id, "kind": k, "label": v} for k, v in sorted(f.labels)])
    return True


def finished_unfilled(engine: sa.Engine) -> list[tuple[str, str, str | None, str | None]]:
    """(job id, job state, result JSON, error) of calls whose job finished but whose row was never filled."""
    with engine.connect() as c:
        return [(r.id, r.state, r.result, r.error) for r in c.execute(
            sa.select(jobs.c.id, jobs.c.state, jobs.c.result, jobs.c.error)
            .join(calls, calls.c.job_id == jobs.c.id)
            .where(calls.c.state == "processing", jobs.c.state.in_(["done", "failed"])))]


def query(engine: sa.Engine, limit: int, offset: int, start: datetime | None = None, end: datetime | None = None,
          agent_id: str | None = None, language: str | None = None, has_pii: bool | None = None,
          reviewed: bool | None = None, state: str | None = None, labels: dict[str, str] | None = None,
          sentiment_range: tuple[float | None, float | None] | None = None,
          min_silence_share: float | None = None, overtalk: bool | None = None, reason: str | None = None,
          outcome: str | None = None, min_qa_score: float | None = None,
          max_qa_score: float | None = None, sort: str = "-started_at") -> tuple[list[CallRow], int]:
    c_ = calls.c
    q = sa.select(calls)
    if start:
        q = q.where(c_.started_at >= start)
    if end:
        q = q.where(c_.started_at < end)
    for col, val in ((c_.agent_id, agent_id), (c_.language, language), (c_.has_pii, has_pii),
                     (c_.reviewed, reviewed), (c_.state, state), (c_.reason, reason), (c_.outcome, outcome)):
        if val is not None:
            q = q.where(col == val)
    for kind, val in (labels or {}).items():
        q = q.where(c_.id.in_(sa.select(call_labels.c.call_id).where(call_labels.c.kind == kind,
                                                                     call_labels.c.label == val)))
    if sentiment_range:
        lo, hi = sentiment_range
        if lo is not None:
            q = q.where(c_.customer_sentiment > lo)
        if hi is not None:
            q = q.where(c_.customer_sentiment < hi)
    if min_silence_share is not None:
        q = q.where(c_.silence_share >= min_silence_share)
    if min_qa_score is not None:
        q = q.where(c_.qa_score >= min_qa_score)
    if max_qa_score is not None:
        q = q.where(c_.qa_score <= max_qa_score)
    if overtalk is not None:
        q = q.where(c_.overtalk_seconds > 0 if overtalk else sa.func.coalesce(c_.overtalk_seconds, 0) == 0)
    with engine.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar()
        col = getattr(c_, sort.lstrip("-"))
        order = (col.desc() if sort.startswith("-") else col.asc()).nulls_last()
        rows = c.execute(q.order_by(order, c_.started_at.desc(), c_.id).limit(limit).offset(offset)).all()
    return [CallRow.from_row(r) for r in rows], int(total)


def get(engine: sa.Engine, call_id: str) -> tuple[CallRow, list[UtteranceRow], ReviewRow | None] | None:
    with engine.connect() as c:
        r = c.execute(sa.select(calls).where(calls.c.id == call_id)).first()
        if r is None:
            return None
        utts = [UtteranceRow(u.idx, u.speaker, u.start, u.end, u.text_redacted, u.theme_id,
                             json.loads(u.tags) if u.tags else None)
                for u in c.execute(sa.select(utterances).where(utterances.c.call_id == call_id)
                                   .order_by(utterances.c.idx))]
        rv = c.execute(sa.select(reviews).where(reviews.c.call_id == call_id)).first()
    return CallRow.from_row(r), utts, None if rv is None else ReviewRow.from_row(rv)


def save_review(engine: sa.Engine, call_id: str, reviewer: str, score: float | None, checklist: dict,
                comment: str | None, corrections: list[dict], now: datetime) -> None:
    with engine.begin() as c:
        existing = c.execute(sa.select(reviews.c.created_at).where(reviews.c.call_id == call_id)).first()
        vals = dict(reviewer=reviewer, score=score, checklist=json.dumps(checklist, ensure_ascii=False),
                    comment=comment, corrections=json.dumps(corrections, ensure_ascii=False), updated_at=now)
        if existing:
            c.execute(reviews.update().where(reviews.c.call_id == call_id).values(**vals))
        else:
            c.execute(reviews.insert().values(call_id=call_id, created_at=now, status="draft", **vals))
        c.execute(calls.update().where(calls.c.id == call_id).values(reviewed=True))
        _event(c, call_id, now, reviewer, "save", {"score": score, "items": len(checklist),
                                                   "corrections": len(corrections)})


def _event(c, call_id: str, now: datetime, actor: str, action: str, detail: dict) -> None:
    c.execute(review_events.insert().values(call_id=call_id, at=now, actor=actor, action=action,
                                            detail=json.dumps(detail, ensure_ascii=False)))


def review_status(engine: sa.Engine, call_id: str) -> str | None:
    with engine.connect() as c:
        return c.execute(sa.select(reviews.c.status).where(reviews.c.call_id == call_id)).scalar()


def transition_review(engine: sa.Engine, call_id: str, expect: str, status: str, actor: str, action: str,
                      now: datetime, detail: dict, disputes: dict | None = None,
                      resolution: str | None = None) -> bool:
    """Move the evaluation from ``expect`` to ``status`` (False when another request moved it first)."""
    vals: dict = {"status": status, "updated_at": now}
    if disputes is not None:
        vals["disputes"] = json.dumps(disputes, ensure_ascii=False)
    if resolution is not None:
        vals["resolution"] = resolution
    with engine.begin() as c:
        if c.execute(reviews.update().where(reviews.c.call_id == call_id, reviews.c.status == expect)
                     .values(**vals)).rowcount != 1:
            return False
        _event(c, call_id, now, actor, action, detail)
    return True


def review_history(engine: sa.Engine, call_id: str) -> list[ReviewEvent]:
    with engine.connect() as c:
        return [ReviewEvent(r.at, r.actor, r.action, json.loads(r.detail or "{}"))
                for r in c.execute(sa.select(review_events).where(review_events.c.call_id == call_id)
                                   .order_by(review_events.c.id))]


def swap_roles(engine: sa.Engine, call: CallRow, roles: list[str], fill: CallFill, old_roles: list[str],
               utts: list[UtteranceRow], actor: str, now: datetime) -> None:
    """Rewrite a ready call's utterance roles and everything derived from them, in one transaction: the call's
    figures, labels, QA, and the theme rollups (customer turns count as documents, agent turns do not)."""
    deltas = Deltas()
    with engine.begin() as c:
        for u, old, new in zip(utts, old_roles, roles):
            if old == new:
                continue
            c.execute(utterances.update().where(utterances.c.call_id == call.id, utterances.c.idx == u.index)
                      .values(speaker=new))
            if (old == "agent") != (new == "agent"):
                at = call.started_at + timedelta(seconds=float(u.start))
                sentiment = ((u.tags or {}).get("sentiment") or {}).get("label")
                deltas.document(created_at=at, theme_id=u.theme_id, channel="call", lang=call.language,
                                product=None, sentiment=sentiment, sign=-1 if new == "agent" else 1)
        deltas.apply(c)
        c.execute(calls.update().where(calls.c.id == call.id).values(
            customer_sentiment=fill.customer_sentiment, metrics=json.dumps(fill.metrics),
            rollups=json.dumps(fill.rollups, ensure_ascii=False),
            qa=json.dumps(fill.qa, ensure_ascii=False) if fill.qa else None, qa_score=(fill.qa or {}).get("score"),
            reason=((fill.qa or {}).get("reason") or {}).get("intent"),
            outcome=((fill.qa or {}).get("outcome") or {}).get("label")))
        c.execute(call_labels.delete().where(call_labels.c.call_id == call.id))
        if fill.labels:
            c.execute(call_labels.insert(), [{"call_id": call.id, "kind": k, "label": v}
                                             for k, v in sorted(fill.labels)])
        _event(c, call.id, now, actor, "swap_roles", {"roles_swapped": fill.metrics.get("roles_swapped")})


def reviews_with_utterances(engine: sa.Engine) -> Iterator[tuple[str, ReviewRow, dict[int, UtteranceRow]]]:
    with engine.connect() as c:
        for rv in c.execute(sa.select(reviews).order_by(reviews.c.updated_at)):
            utts = {u.idx: UtteranceRow(u.idx, u.speaker, u.start, u.end, u.text_redacted, u.theme_id,
                                        json.loads(u.tags) if u.tags else None)
                    for u in c.execute(sa.select(utterances).where(utterances.c.call_id == rv.call_id))}
            yield rv.call_id, ReviewRow.from_row(rv), utts


def redacted_audio_path(engine: sa.Engine, call_id: str) -> str | None:
    with engine.connect() as c:
        return c.execute(sa.select(calls.c.redacted_audio_path).where(calls.c.id == call_id)).scalar()


def qa_reviews(engine: sa.Engine) -> Iterator[tuple[str, dict, dict, str, datetime]]:
    """(call id, automatic QA, reviewer's checklist, reviewer, reviewed at) of every reviewed call with QA."""
    with engine.connect() as c:
        for r in c.execute(sa.select(calls.c.id, calls.c.qa, reviews.c.checklist, reviews.c.reviewer,
                                     reviews.c.updated_at).join(reviews, reviews.c.call_id == calls.c.id)
                           .where(calls.c.qa.is_not(None)).order_by(reviews.c.updated_at, calls.c.id)):
            yield r.id, json.loads(r.qa), json.loads(r.checklist or "{}"), r.reviewer, r.updated_at


def agent_calls(engine: sa.Engine, agent_id: str, start: datetime, end: datetime) -> list[tuple[CallRow, dict]]:
    """An agent's ready calls in [start, end) with their reviewer's checklist ({} when not reviewed)."""
    with engine.connect() as c:
        rows = c.execute(sa.select(calls, reviews.c.checklist.label("checklist"))
                         .outerjoin(reviews, reviews.c.call_id == calls.c.id)
                         .where(calls.c.agent_id == agent_id, calls.c.state == "ready", calls.c.started_at >= start,
                                calls.c.started_at < end).order_by(calls.c.started_at)).all()
    return [(CallRow.from_row(r), json.loads(r.checklist or "{}")) for r in rows]
