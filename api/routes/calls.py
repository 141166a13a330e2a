"""Calls for QA: upload (or a server-side path for admins) -> job; filtered lists; one call with utterances;
redacted audio; review verdicts with corrected tags; the corrections exported for retraining."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from api.deps import require, svc
from api.pagination import decode_cursor, page
from api.problems import ApiError
from api.routes.common import csv_lines
from api.schemas import ReviewIn
from vocsvc.clock import to_utc_naive
from vocsvc.store.db import where_eq

router = APIRouter(prefix="/v1", tags=["calls"])
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac", ".wma", ".webm", ".mp4", ".amr", ".gsm"}


def _probe(path: Path) -> None:
    """Refuse what is not decodable audio now, with the reason, rather than as a failed job later."""
    import av

    try:
        with av.open(str(path)) as cont:
            if not cont.streams.audio:
                raise ApiError(422, "the file has no audio stream")
    except ApiError:
        raise
    except Exception as e:
        raise ApiError(422, f"not a readable audio file ({type(e).__name__})") from None


@router.post("/calls", status_code=202, summary="Upload a call recording (multipart) -> transcription job")
def post_call(
    file: UploadFile | None = File(None, description="the recording (wav, mp3, flac, ogg, m4a ...)"),
    path: str | None = Form(None, description="admins: a recording already on the server"),
    agent_id: str | None = Form(None, max_length=200), customer_id: str | None = Form(None, max_length=200),
    started_at: datetime | None = Form(None),
    agent_channel: Literal["left", "right", "auto"] = Form("auto"),
    language: Literal["auto", "ru", "en"] = Form("auto"),
    s=Depends(svc), key=Depends(require("ingest")),
):
    from vocsvc.store.calls import create_call

    if (file is None) == (path is None):
        raise ApiError(422, "send exactly one of `file` (multipart upload) or `path` (admins)")
    audio_dir = Path(s.settings.data_dir) / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    if path is not None:
        if key.role != "admin":
            raise ApiError(403, "only admin keys may submit a server-side path")
        src = Path(path)
        if not src.is_file():
            raise ApiError(422, f"no such file on the server: {path}")
        _probe(src)
        target, digest = src.resolve(), None
    else:
        suffix = Path(file.filename or "").suffix.lower()
        suffix = suffix if suffix in AUDIO_SUFFIXES else ".audio"
        tmp = audio_dir / f".upload-{os.getpid()}-{id(file)}.tmp"
        h = hashlib.sha256()
        n = 0
        with open(tmp, "wb") as f:
            while chunk := file.file.read(1 << 20):
                n += len(chunk)
                if n > s.settings.max_upload_bytes:
                    f.close()
                    tmp.unlink(missing_ok=True)
                    raise ApiError(413, f"recording too large (limit {s.settings.max_upload_bytes} bytes)")
                h.update(chunk)
                f.write(chunk)
        if n == 0:
            tmp.unlink(missing_ok=True)
            raise ApiError(422, "the uploaded file is empty")
        try:
            _probe(tmp)
        except ApiError:
            tmp.unlink(missing_ok=True)
            raise
        digest = h.hexdigest()
        target = audio_dir / f"{digest}{suffix}"
        tmp.replace(target)  # content-addressed: the same recording twice is one file
    now = s.clock.now()
    redacted = str(audio_dir / f"{digest or hashlib.sha256(str(target).encode()).hexdigest()}.redacted.wav")
    job, job_new = s.queue.submit(target, agent_channel, language,
                                  metadata={"agent_id": agent_id, "customer_id": customer_id},
                                  redact_audio_to=redacted, digest=digest)
    call_id, created = create_call(s.engine, job.id, str(target),
                                   to_utc_naive(started_at) if started_at else now, now, agent_id, customer_id)
    return {"call_id": call_id, "job_id": job.id, "state": job.state.value, "created": created}


@router.get("/jobs/{job_id}", summary="A job's state, progress and error")
def get_job(job_id: str, s=Depends(svc), key=Depends(require("ingest", "qa"))):
    from vocsvc.store.schema import calls

    job = s.queue.store.get(job_id)
    if job is None:
        raise ApiError(404, f"no job {job_id}")
    with s.engine.connect() as c:
        call_id = c.execute(sa.select(calls.c.id).where(calls.c.job_id == job_id)).scalar()
    err = job.error.splitlines()[0] if job.error else None  # the first line: no tracebacks to clients
    return {"id": job.id, "kind": job.kind, "state": job.state.value, "progress": round(job.progress, 3),
            "attempts": job.attempts, "max_attempts": job.max_attempts, "error": err, "call_id": call_id,
            "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at}


def _catch_up(s) -> None:
    """Fill calls whose job finished but whose rows were not written (a worker killed in between)."""
    from vocsvc.jobs import jobs
    from vocsvc.store.calls import materialize
    from vocsvc.store.schema import calls
    from vocsvc.store.themes import current_model

    with s.engine.connect() as c:
        rows = c.execute(sa.select(jobs.c.id, jobs.c.state, jobs.c.result, jobs.c.error)
                         .join(calls, calls.c.job_id == jobs.c.id)
                         .where(calls.c.state == "processing", jobs.c.state.in_(["done", "failed"]))).all()
    for r in rows:
        res = json.loads(r.result) if r.state == "done" and r.result else None
        materialize(s.engine, r.id, res, r.error, s.analyzer if res else None,
                    current_model(s.engine) if res else None)


@router.get("/calls", summary="Calls for QA, filtered and paginated")
def list_calls(
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    agent_id: str | None = None, language: Literal["ru", "en"] | None = None, intent: str | None = None,
    emotion: str | None = None, category: str | None = None,
    customer_sentiment: Literal["negative", "neutral", "positive"] | None = None,
    min_silence_share: float | None = Query(None, ge=0, le=1), overtalk: bool | None = None,
    has_pii: bool | None = None, reviewed: bool | None = None,
    state: Literal["processing", "ready", "failed"] | None = None,
    limit: int = Query(50, ge=1, le=500), cursor: str | None = None,
    s=Depends(svc), key=Depends(require("qa")),
):
    from vocsvc.store.calls import call_summary
    from vocsvc.store.schema import call_labels, calls

    _catch_up(s)
    q = sa.select(calls)
    if start:
        q = q.where(calls.c.started_at >= to_utc_naive(start))
    if end:
        q = q.where(calls.c.started_at < to_utc_naive(end))
    q = where_eq(q, [(calls.c.agent_id, agent_id), (calls.c.language, language), (calls.c.has_pii, has_pii),
                     (calls.c.reviewed, reviewed), (calls.c.state, state)])
    for kind, val in (("intent", intent), ("emotion", emotion), ("category", category)):
        if val:
            q = q.where(calls.c.id.in_(sa.select(call_labels.c.call_id).where(call_labels.c.kind == kind,
                                                                              call_labels.c.label == val)))
    if customer_sentiment == "negative":
        q = q.where(calls.c.customer_sentiment <= -0.1)
    elif customer_sentiment == "positive":
        q = q.where(calls.c.customer_sentiment >= 0.1)
    elif customer_sentiment == "neutral":
        q = q.where(calls.c.customer_sentiment > -0.1, calls.c.customer_sentiment < 0.1)
    if min_silence_share is not None:
        q = q.where(calls.c.silence_share >= min_silence_share)
    if overtalk is not None:
        q = q.where(calls.c.overtalk_seconds > 0 if overtalk else sa.func.coalesce(calls.c.overtalk_seconds, 0) == 0)
    off = decode_cursor(cursor)
    with s.engine.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar()
        rows = c.execute(q.order_by(calls.c.started_at.desc(), calls.c.id).limit(limit).offset(off)).all()
    return page([call_summary(r) for r in rows], off, limit, total)


def _call_or_404(s, call_id: str) -> dict:
    from vocsvc.store.calls import call_detail

    _catch_up(s)
    d = call_detail(s.engine, call_id)
    if d is None:
        raise ApiError(404, f"no call {call_id}")
    return d


@router.get("/calls/{call_id}", summary="One call: metrics, role-attributed redacted utterances with tags, rollups")
def get_call(call_id: str, s=Depends(svc), key=Depends(require("qa"))):
    return _call_or_404(s, call_id)


@router.get("/calls/{call_id}/audio", summary="The call's audio with PII silenced (WAV)",
            response_class=FileResponse)
def get_call_audio(call_id: str, s=Depends(svc), key=Depends(require("qa"))):
    from vocsvc.store.schema import calls

    _call_or_404(s, call_id)
    with s.engine.connect() as c:
        p = c.execute(sa.select(calls.c.redacted_audio_path).where(calls.c.id == call_id)).scalar()
    if not p or not Path(p).exists():
        raise ApiError(404, "no redacted audio for this call (not transcribed yet, or it failed)")
    return FileResponse(p, media_type="audio/wav", filename=f"{call_id}.redacted.wav")


@router.put("/calls/{call_id}/review", summary="A QA verdict: score, checklist, comment and corrected tags")
def put_review(call_id: str, body: ReviewIn, s=Depends(svc), key=Depends(require("qa"))):
    from vocsvc.store.calls import save_review

    d = _call_or_404(s, call_id)
    if d["state"] != "ready":
        raise ApiError(409, f"the call is {d['state']}; review it once it is ready")
    n = len(d["utterances"])
    for corr in body.corrections:
        if corr.utterance_index >= n:
            raise ApiError(422, f"corrections: utterance_index {corr.utterance_index} out of range (the call has {n})")
    save_review(s.engine, call_id, key.name, body.score, body.checklist, body.comment,
                [c.model_dump() for c in body.corrections], s.clock.now())
    return _call_or_404(s, call_id)["review"]


@router.get("/feedback/export", summary="QA corrections (model value vs corrected value) for retraining heads")
def feedback_export(format: Literal["jsonl", "csv"] = "jsonl", s=Depends(svc), key=Depends(require("qa"))):
    from vocsvc.store.calls import feedback_rows

    rows = feedback_rows(s.engine)
    if format == "jsonl":
        return StreamingResponse((json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                 media_type="application/x-ndjson")
    cols = ["call_id", "utterance_index", "role", "text_redacted", "field", "model_value", "corrected_value",
            "reviewer", "reviewed_at"]

    flat = ({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in r.items()} for r in rows)
    return StreamingResponse(csv_lines(flat, cols), media_type="text/csv; charset=utf-8")
