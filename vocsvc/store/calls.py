"""Calls in the service database: a row at upload (state ``processing``), filled from the transcription job's
result (utterances with roles, times, redacted text, tags and embeddings; metrics; rollups; labels for filters).

Filling is idempotent and happens twice on purpose: the worker does it when the job finishes, and any read of a
call whose job is done but whose row is not filled does it again, so a worker killed between the two writes
loses nothing.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from vocsvc.store.db import insert_ignore, pack_vector
from vocsvc.store.schema import call_labels, calls, reviews, utterances


def create_call(engine: sa.Engine, job_id: str, audio_path: str, started_at: datetime, now: datetime,
                agent_id: str | None = None, customer_id: str | None = None) -> tuple[str, bool]:
    """(call id, created); the same job (the same recording) is the same call."""
    cid = str(uuid.uuid4())
    with engine.begin() as c:
        c.execute(insert_ignore(c, calls), [{
            "id": cid, "job_id": job_id, "state": "processing", "agent_id": agent_id, "customer_id": customer_id,
            "started_at": started_at, "created_at": now, "audio_path": audio_path, "reviewed": False}])
        row = c.execute(sa.select(calls.c.id).where(calls.c.job_id == job_id)).one()
    return row.id, row.id == cid


def materialize(engine: sa.Engine, job_id: str, result: dict | None, error: str | None = None,
                analyzer=None, theme_model=None) -> bool:
    """Fill the call of ``job_id`` from its transcript (or mark it failed). True if this call filled it."""
    with engine.connect() as c:
        call = c.execute(sa.select(calls).where(calls.c.job_id == job_id)).first()
    if call is None or call.state != "processing":
        return False
    if result is None:
        with engine.begin() as c:
            c.execute(calls.update().where(calls.c.id == call.id, calls.c.state == "processing")
                      .values(state="failed", metrics=json.dumps({"error": error})))
        return True
    utts = result.get("utterances", [])
    texts = [u.get("text_redacted") or "" for u in utts]
    X = None
    if analyzer is not None and texts:
        X = analyzer.encoder([t or " " for t in texts])  # already redacted: embed as is
    theme_ids = theme_model.assign_ids(X) if (X is not None and theme_model is not None and theme_model.themes) \
        else [None] * len(utts)
    m = result.get("metrics", {})
    r = result.get("rollups", {})
    cust = [u for u in utts if u.get("role") in ("customer", "unknown") and u.get("tags")]
    scores = [u["tags"]["sentiment"]["score"] for u in cust if u["tags"].get("sentiment")]
    labels = set()
    for u in cust:
        t = u["tags"]
        labels |= {("intent", i["label"]) for i in t.get("intents", [])}  # every calibrated intent, multi-label
        if t.get("emotion"):
            labels.add(("emotion", t["emotion"]))
    for u in utts:
        labels |= {("category", cat) for cat in (u.get("tags") or {}).get("categories", [])}
    duration = float(result.get("duration") or 0.0)
    with engine.begin() as c:
        res = c.execute(calls.update().where(calls.c.id == call.id, calls.c.state == "processing").values(
            state="ready", duration=duration, language=result.get("language"), channels=result.get("channels"),
            silence_share=round(m.get("silence_total", 0.0) / duration, 4) if duration else None,
            overtalk_seconds=m.get("overtalk_seconds"),
            customer_sentiment=round(float(np.mean(scores)), 3) if scores else None,
            has_pii=bool(r.get("pii_found")), metrics=json.dumps(m), rollups=json.dumps(r, ensure_ascii=False),
            redacted_audio_path=result.get("redacted_audio")))
        if res.rowcount != 1:
            return False
        if utts:
            c.execute(utterances.insert(), [{
                "id": f"{call.id}:{k}", "call_id": call.id, "idx": k, "speaker": u.get("role", "unknown"),
                "start": u.get("start", 0.0), "end": u.get("end", 0.0), "text_redacted": u.get("text_redacted") or "",
                "sentiment": ((u.get("tags") or {}).get("sentiment") or {}).get("label"),
                "tags": json.dumps(u.get("tags"), ensure_ascii=False) if u.get("tags") else None,
                "embedding": pack_vector(X[k]) if X is not None else None, "theme_id": theme_ids[k],
                "created_at": call.started_at + timedelta(seconds=float(u.get("start", 0.0))),
            } for k, u in enumerate(utts)])
        if labels:
            c.execute(call_labels.insert(), [{"call_id": call.id, "kind": k, "label": v} for k, v in sorted(labels)])
    return True


def call_summary(r) -> dict:
    from vocsvc.store.mentions import iso

    return {"id": r.id, "job_id": r.job_id, "state": r.state, "agent_id": r.agent_id, "customer_id": r.customer_id,
            "started_at": iso(r.started_at), "duration": r.duration, "language": r.language, "channels": r.channels,
            "silence_share": r.silence_share, "overtalk_seconds": r.overtalk_seconds,
            "customer_sentiment": r.customer_sentiment, "has_pii": r.has_pii, "reviewed": bool(r.reviewed),
            "has_redacted_audio": bool(r.redacted_audio_path)}


def call_detail(engine: sa.Engine, call_id: str) -> dict | None:
    from vocsvc.store.mentions import iso

    with engine.connect() as c:
        r = c.execute(sa.select(calls).where(calls.c.id == call_id)).first()
        if r is None:
            return None
        d = call_summary(r)
        metrics = json.loads(r.metrics) if r.metrics else None
        d["metrics"] = metrics
        d["error"] = metrics.get("error") if r.state == "failed" and metrics else None
        d["rollups"] = json.loads(r.rollups) if r.rollups else None
        d["utterances"] = [{"index": u.idx, "role": u.speaker, "start": u.start, "end": u.end,
                            "text_redacted": u.text_redacted, "theme_id": u.theme_id,
                            "tags": json.loads(u.tags) if u.tags else None}
                           for u in c.execute(sa.select(utterances).where(utterances.c.call_id == call_id)
                                              .order_by(utterances.c.idx))]
        rv = c.execute(sa.select(reviews).where(reviews.c.call_id == call_id)).first()
        d["review"] = None if rv is None else {
            "reviewer": rv.reviewer, "score": rv.score, "checklist": json.loads(rv.checklist or "{}"),
            "comment": rv.comment, "corrections": json.loads(rv.corrections or "[]"),
            "created_at": iso(rv.created_at), "updated_at": iso(rv.updated_at)}
    return d


def save_review(engine: sa.Engine, call_id: str, reviewer: str, score: float | None, checklist: dict,
                comment: str | None, corrections: list[dict], now: datetime) -> None:
    with engine.begin() as c:
        existing = c.execute(sa.select(reviews.c.created_at).where(reviews.c.call_id == call_id)).first()
        vals = dict(reviewer=reviewer, score=score, checklist=json.dumps(checklist, ensure_ascii=False),
                    comment=comment, corrections=json.dumps(corrections, ensure_ascii=False), updated_at=now)
        if existing:
            c.execute(reviews.update().where(reviews.c.call_id == call_id).values(**vals))
        else:
            c.execute(reviews.insert().values(call_id=call_id, created_at=now, **vals))
        c.execute(calls.update().where(calls.c.id == call_id).values(reviewed=True))


def feedback_rows(engine: sa.Engine):
    """One row per corrected tag: what the model said, what QA says, and the text, for retraining heads."""
    with engine.connect() as c:
        for rv in c.execute(sa.select(reviews).order_by(reviews.c.updated_at)):
            utts = {u.idx: u for u in c.execute(sa.select(utterances).where(utterances.c.call_id == rv.call_id))}
            for corr in json.loads(rv.corrections or "[]"):
                u = utts.get(corr["utterance_index"])
                tags = json.loads(u.tags) if u is not None and u.tags else {}
                field = corr["field"]
                model = tags.get(field)
                if field == "sentiment" and isinstance(model, dict):
                    model = model.get("label")
                if field == "intents" and isinstance(model, list):
                    model = [x["label"] for x in model]
                yield {"call_id": rv.call_id, "utterance_index": corr["utterance_index"],
                       "text_redacted": u.text_redacted if u is not None else None, "role": u.speaker if u else None,
                       "field": field, "model_value": model, "corrected_value": corr["value"],
                       "reviewer": rv.reviewer, "reviewed_at": rv.updated_at.isoformat(timespec="seconds") + "Z"}
