"""POST /v1/mentions (one or up to max_bulk, idempotent on source + external_id), the filtered list, one, export."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from api.deps import require, svc
from api.pagination import decode_key, encode_key
from api.problems import ApiError
from api.public import IngestedPublic, IngestResult, MentionCreated, MentionPublic, Page
from api.routes.common import ChannelQ, csv_lines, period
from api.schemas import MentionIn
from vocsvc.clock import iso_z, to_utc_naive
from vocsvc.service import mentions as service

router = APIRouter(prefix="/v1", tags=["mentions"])


@router.post("/mentions", status_code=201, response_model=IngestResult,
             summary="Ingest one mention or an array of up to 1,000",
             responses={200: {"description": "every mention already existed", "model": IngestResult}, 413: {},
                        422: {}})
def post_mentions(
    response: Response,
    body: Annotated[MentionIn | list[MentionIn], Body()],
    wait: bool = Query(False, description="tag a single mention before answering"),
    s=Depends(svc), key=Depends(require("ingest")),
):
    items = body if isinstance(body, list) else [body]
    if not items:
        raise ApiError(422, "empty array: send at least one mention")
    if len(items) > s.settings.max_bulk:
        raise ApiError(422, f"too many mentions in one request ({len(items)}; at most {s.settings.max_bulk})")
    if wait and isinstance(body, list):
        raise ApiError(422, "wait=true tags a single mention; send arrays without it (they are tagged by the queue)")
    for i, m in enumerate(items):
        if len(m.text) > s.settings.max_text_chars:
            raise ApiError(422, f"[{i}].text: too long ({len(m.text)} characters; the limit is "
                                f"{s.settings.max_text_chars})")
    result = service.ingest(s.engine, items, s.clock.now())
    new = [r.id for r in result if r.created]
    if wait:
        s.tag_now([result[0].id])
        out = [MentionCreated.from_row(service.get(s.engine, result[0].id), created=result[0].created)]
    else:
        for k in range(0, len(new), 256):
            try:
                s.queue.tag_task(new[k : k + 256])
            except Exception:  # the queue is down: the mentions are stored as pending and the sweep tags them
                pass
        out = [IngestedPublic.model_validate(r) for r in result]
    response.status_code = 201 if new else 200
    return IngestResult(items=out, created=len(new), existing=len(result) - len(new))


@router.get("/mentions", response_model=Page[MentionPublic], summary="Mentions, newest first, filtered")
def list_mentions(
    channel: ChannelQ | None = None, source: str | None = Query(None, max_length=100),
    lang: Literal["ru", "en"] | None = None, sentiment: Literal["negative", "neutral", "positive"] | None = None,
    emotion: str | None = Query(None, max_length=32), intent: str | None = Query(None, max_length=64),
    category: str | None = Query(None, max_length=64), theme: str | None = Query(None, max_length=32),
    product: str | None = Query(None, max_length=200), author: str | None = Query(None, max_length=300),
    state: Literal["pending", "tagged", "failed"] | None = None,
    has_alert: bool | None = None, alert_status: Literal["open", "acknowledged", "replied", "closed"] | None = None,
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    q: str | None = Query(None, min_length=1, max_length=500, description="words the text must all contain"),
    with_tags: bool = Query(False, description="include each mention's full tags"),
    limit: int = Query(50, ge=1, le=500), cursor: str | None = None,
    s=Depends(svc), key=Depends(require("marketing", "qa")),
):
    f = service.MentionFilter(channel=channel, source=source, lang=lang, sentiment=sentiment, emotion=emotion,
                              intent=intent, category=category, theme_id=theme, product=product, author=author,
                              state=state, has_alert=has_alert, alert_status=alert_status,
                              start=to_utc_naive(start) if start else None, end=to_utc_naive(end) if end else None,
                              q=q)
    rows, nxt = service.page(s.engine, f, limit, decode_key(cursor), with_tags=with_tags)
    items = [MentionPublic.from_row(r) for r in rows]
    return Page[MentionPublic](items=items, next_cursor=encode_key(*nxt) if nxt else None, total=None)


@router.get("/mentions/export", summary="All mentions with tags, theme and alert state, as CSV or Parquet",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}}})
def export_mentions(
    format: Literal["csv", "parquet"] = "csv",
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    channel: ChannelQ | None = None, s=Depends(svc), key=Depends(require("marketing", "qa")),
):
    start_, end_ = period(s, start, end, default_days=36500, max_days=None)
    rows = (_export_dict(r) for r in service.export(s.engine, start_, end_, channel))
    if format == "csv":
        return StreamingResponse(csv_lines(rows, EXPORT_COLUMNS), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="mentions.csv"'})
    import pyarrow as pa
    import pyarrow.parquet as pq

    fd, path = tempfile.mkstemp(suffix=".parquet")
    os.close(fd)
    schema = pa.schema([(c, pa.int64() if c in ("rating", "nps", "author_followers") else
                         pa.float64() if c == "sentiment_score" else pa.bool_() if c == "author_is_vip" else
                         pa.string()) for c in EXPORT_COLUMNS])
    with pq.ParquetWriter(path, schema) as w:
        batch = []
        for r in rows:
            batch.append(r)
            if len(batch) == 5000:
                w.write_table(pa.Table.from_pylist(batch, schema))
                batch = []
        w.write_table(pa.Table.from_pylist(batch, schema))
    return FileResponse(path, media_type="application/vnd.apache.parquet", filename="mentions.parquet",
                        background=BackgroundTask(os.unlink, path))


EXPORT_COLUMNS = ["id", "source", "external_id", "channel", "created_at", "author_handle", "author_followers",
                  "author_is_vip", "rating", "nps", "product", "customer_id", "url", "lang", "text_redacted", "state",
                  "sentiment", "sentiment_score", "emotion", "intent", "intents", "categories", "keywords",
                  "entities", "pii_types", "theme_id", "theme_label", "alert_id", "alert_status", "alert_priority",
                  "alert_due_at"]


def _export_dict(e) -> dict:
    r, t = e.mention, e.mention.tags or {}
    return {
        "id": r.id, "source": r.source, "external_id": r.external_id, "channel": r.channel,
        "created_at": iso_z(r.created_at), "author_handle": r.author_handle, "author_followers": r.author_followers,
        "author_is_vip": r.author_is_vip, "rating": r.rating, "nps": r.nps, "product": r.product,
        "customer_id": r.customer_id, "url": r.url, "lang": r.lang, "text_redacted": r.text_redacted,
        "state": r.state, "sentiment": r.sentiment, "sentiment_score": r.sentiment_score, "emotion": r.emotion,
        "intent": r.intent, "intents": "|".join(x["label"] for x in t.get("intents", [])),
        "categories": "|".join(t.get("categories", [])), "keywords": "|".join(t.get("keywords", [])),
        "entities": "|".join(f"{x['label']}:{x['text']}" for x in t.get("entities", [])),
        "pii_types": "|".join(sorted({p["type"] for p in t.get("pii", [])})),
        "theme_id": r.theme_id, "theme_label": e.theme_label, "alert_id": e.alert_id,
        "alert_status": e.alert_status, "alert_priority": e.alert_priority, "alert_due_at": iso_z(e.alert_due_at),
    }


@router.get("/mentions/{mention_id}", response_model=MentionPublic, summary="One mention with its tags")
def get_mention(mention_id: str, s=Depends(svc), key=Depends(require("marketing", "qa", "ingest"))):
    row = service.get(s.engine, mention_id)
    if row is None:
        raise ApiError(404, f"no mention {mention_id}")
    return MentionPublic.from_row(row)
