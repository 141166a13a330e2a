"""Calls for QA: upload (or a server-side path for admins) -> job; filtered lists; one call with utterances;
redacted audio; review verdicts with corrected tags; the corrections exported for retraining."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from api.deps import require, svc
from api.pagination import decode_cursor, page
from api.problems import ApiError
from api.public import (
    AgentQaPublic,
    AgreementPublic,
    CallDetailPublic,
    CallSubmitted,
    CallSummary,
    JobPublic,
    Page,
    ReviewPublic,
)
from api.routes.common import csv_lines, period
from api.schemas import ReviewActionIn, ReviewIn
from vocsvc.clock import to_utc_naive
from vocsvc.service import calls as service
from vocsvc.service import keys as keys_service
from vocsvc.service import qa as qa_service

router = APIRouter(prefix="/v1", tags=["calls"])


@router.post("/calls", status_code=202, response_model=CallSubmitted,
             summary="Upload a call recording (multipart) -> transcription job")
def post_call(
    file: UploadFile | None = File(None, description="the recording (wav, mp3, flac, ogg, m4a ...)"),
    path: str | None = Form(None, description="admins: a recording already on the server"),
    agent_id: str | None = Form(None, max_length=200), customer_id: str | None = Form(None, max_length=200),
    started_at: datetime | None = Form(None),
    agent_channel: Literal["left", "right", "auto"] = Form("auto"),
    language: Literal["auto", "ru", "en"] = Form("auto"),
    s=Depends(svc), key=Depends(require("ingest")),
):
    keys_service.check_upload(s, key, file.size if file is not None else None)  # this key's own limits
    sub = service.submit(s, upload=(file.file, file.filename) if file is not None else None, server_path=path,
                         is_admin=key.role == "admin", agent_id=agent_id, customer_id=customer_id,
                         started_at=to_utc_naive(started_at) if started_at else None, agent_channel=agent_channel,
                         language=language)
    return CallSubmitted.model_validate(sub)


@router.get("/jobs/{job_id}", response_model=JobPublic, summary="A job's state, progress and error")
def get_job(job_id: str, s=Depends(svc), key=Depends(require("ingest", "qa"))):
    job = s.queue.store.get(job_id)
    if job is None:
        raise ApiError(404, f"no job {job_id}")
    err = job.error.splitlines()[0] if job.error else None  # the first line: no tracebacks to clients
    return JobPublic(id=job.id, kind=job.kind, state=job.state.value, progress=round(job.progress, 3),
                     attempts=job.attempts, max_attempts=job.max_attempts, error=err,
                     call_id=service.call_of_job(s.engine, job_id), created_at=job.created_at, started_at=job.started_at,
                     finished_at=job.finished_at)


def call_filters(
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    agent_id: str | None = Query(None, max_length=200), language: Literal["ru", "en"] | None = None,
    intent: str | None = Query(None, max_length=64), emotion: str | None = Query(None, max_length=32),
    category: str | None = Query(None, max_length=64),
    customer_sentiment: Literal["negative", "neutral", "positive"] | None = None,
    min_silence_share: float | None = Query(None, ge=0, le=1), overtalk: bool | None = None,
    has_pii: bool | None = None, reviewed: bool | None = None,
    state: Literal["processing", "ready", "failed"] | None = None,
    reason: str | None = Query(None, max_length=64, description="the customer's main intent"),
    outcome: Literal["resolved", "follow_up", "escalated", "unresolved"] | None = None,
    min_qa_score: float | None = Query(None, ge=0, le=100), max_qa_score: float | None = Query(None, ge=0, le=100),
) -> dict:
    """The calls filters, shared by the list, its CSV export and the console's calls page."""
    return dict(customer_sentiment=customer_sentiment, intent=intent, emotion=emotion, category=category,
                start=to_utc_naive(start) if start else None, end=to_utc_naive(end) if end else None,
                agent_id=agent_id, language=language, has_pii=has_pii, reviewed=reviewed, state=state,
                min_silence_share=min_silence_share, overtalk=overtalk, reason=reason, outcome=outcome,
                min_qa_score=min_qa_score, max_qa_score=max_qa_score)


@router.get("/calls", response_model=Page[CallSummary], summary="Calls for QA, filtered and paginated")
def list_calls(f: dict = Depends(call_filters), limit: int = Query(50, ge=1, le=500), cursor: str | None = None,
               s=Depends(svc), key=Depends(require("qa"))):
    off = decode_cursor(cursor)
    rows, total = service.page(s, limit, off, **f)
    return page([CallSummary.from_row(r) for r in rows], off, limit, total)


CALL_COLUMNS = ["id", "state", "started_at", "agent_id", "customer_id", "language", "duration", "channels",
                "silence_share", "overtalk_seconds", "customer_sentiment", "has_pii", "reviewed", "qa_score", "reason",
                "outcome"]


@router.get("/calls/export", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}},
            summary="The filtered calls as CSV (every page)")
def export_calls(f: dict = Depends(call_filters), s=Depends(svc), key=Depends(require("qa"))):
    return calls_csv(s, f)


def calls_csv(s, f: dict) -> StreamingResponse:
    """Every call the filters select, streamed as CSV (the API's export and the console's)."""
    rows = (CallSummary.from_row(r).model_dump(mode="json", include=set(CALL_COLUMNS))
            for r in service.export_rows(s, **f))
    return StreamingResponse(csv_lines(rows, CALL_COLUMNS), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="calls.csv"'})


@router.get("/calls/{call_id}", response_model=CallDetailPublic,
            summary="One call: metrics, role-attributed redacted utterances with tags, rollups")
def get_call(call_id: str, s=Depends(svc), key=Depends(require("qa"))):
    return CallDetailPublic.from_detail(service.detail(s, call_id), qa_service.history(s, call_id))


@router.get("/calls/{call_id}/audio", summary="The call's audio with PII silenced (WAV)", response_class=FileResponse,
            responses={200: {"content": {"audio/wav": {}}}})
def get_call_audio(call_id: str, s=Depends(svc), key=Depends(require("qa"))):
    return FileResponse(service.redacted_audio(s, call_id), media_type="audio/wav",
                        filename=f"{call_id}.redacted.wav")


@router.put("/calls/{call_id}/review", response_model=ReviewPublic,
            summary="A QA verdict: score, checklist, comment and corrected tags (a draft, or a disputed evaluation)")
def put_review(call_id: str, body: ReviewIn, s=Depends(svc), key=Depends(require("qa"))):
    service.review(s, call_id, key.name, body.score, body.checklist, body.comment,
                   [c.model_dump() for c in body.corrections])
    return ReviewPublic.from_detail(service.detail(s, call_id), qa_service.history(s, call_id))


@router.post("/calls/{call_id}/review/{action}", response_model=ReviewPublic,
             summary="The evaluation's workflow: submit, acknowledge, dispute (reasons per item) or resolve")
def review_action(call_id: str, action: Literal["submit", "acknowledge", "dispute", "resolve"],
                  body: ReviewActionIn | None = None, s=Depends(svc), key=Depends(require("qa"))):
    qa_service.act(s, call_id, action, key.name, body.reasons if body else None, body.comment if body else None)
    return ReviewPublic.from_detail(service.detail(s, call_id), qa_service.history(s, call_id))


@router.post("/calls/{call_id}/swap-roles", response_model=CallDetailPublic,
             summary="Swap agent and customer (detection was wrong); metrics, labels and QA are recomputed")
def swap_roles(call_id: str, s=Depends(svc), key=Depends(require("qa"))):
    return CallDetailPublic.from_detail(service.swap_roles(s, call_id, key.name), qa_service.history(s, call_id))


@router.get("/feedback/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
            summary="QA corrections (model value vs corrected value) for retraining heads")
def feedback_export(format: Literal["jsonl", "csv"] = "jsonl", s=Depends(svc), key=Depends(require("qa"))):
    rows = service.feedback_rows(s.engine)
    if format == "jsonl":
        return StreamingResponse((json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                 media_type="application/x-ndjson")
    cols = ["call_id", "utterance_index", "role", "text_redacted", "field", "model_value", "corrected_value",
            "reviewer", "reviewed_at"]
    flat = ({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in r.items()} for r in rows)
    return StreamingResponse(csv_lines(flat, cols), media_type="text/csv; charset=utf-8")


@router.get("/qa/agreement", response_model=AgreementPublic, responses={
    200: {"content": {"application/x-ndjson": {}}}},
    summary="Automatic QA answers against reviewers' verdicts, per scorecard item (for calibration)")
def qa_agreement(format: Literal["json", "jsonl"] = "json", s=Depends(svc), key=Depends(require("qa"))):
    got = qa_service.agreement(s)
    if format == "jsonl":  # one row per (call, item) with both answers
        from vocsvc.clock import iso_z

        return StreamingResponse((json.dumps(r | {"reviewed_at": iso_z(r["reviewed_at"])}, ensure_ascii=False) + "\n"
                                  for r in got["rows"]), media_type="application/x-ndjson")
    return AgreementPublic.model_validate(got)


@router.get("/agents/{agent_id}/qa", response_model=AgentQaPublic,
            summary="One agent's QA over time: scores, items failed most, talk ratio, silence, interruptions")
def agent_qa(agent_id: str, start: datetime | None = Query(None, alias="from"),
             end: datetime | None = Query(None, alias="to"), interval: Literal["day", "week", "month"] = "week",
             s=Depends(svc), key=Depends(require("qa"))):
    start_, end_ = period(s, start, end, default_days=90)
    return AgentQaPublic.model_validate(qa_service.agent(s, agent_id, start_, end_, interval))
