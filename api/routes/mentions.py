"""POST /v1/mentions (one or up to max_bulk, idempotent on source + external_id), GET one, export."""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from api.deps import require, svc
from api.problems import ApiError
from api.routes.common import csv_lines, period
from api.schemas import MentionIn
from vocsvc.clock import to_utc_naive

router = APIRouter(prefix="/v1", tags=["mentions"])


@router.post("/mentions", status_code=201, summary="Ingest one mention or an array of up to 1,000",
             responses={200: {"description": "every mention already existed"}, 413: {}, 422: {}})
def post_mentions(
    response: Response,
    body: Annotated[MentionIn | list[MentionIn], Body()],
    wait: bool = Query(False, description="tag a single mention before answering"),
    s=Depends(svc), key=Depends(require("ingest")),
):
    from vocsvc.store.mentions import MentionIn as M
    from vocsvc.store.mentions import ingest, mention_dict
    from vocsvc.store.schema import mentions

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
    now = s.clock.now()
    rows = [M(m.channel, m.source, m.external_id, m.text, to_utc_naive(m.created_at),
              m.author.handle if m.author else None, m.author.followers if m.author else None,
              bool(m.author and m.author.is_vip), m.rating, m.nps, m.product, m.customer_id, m.url, m.lang)
            for m in items]
    result = ingest(s.engine, rows, now)
    new = [r.id for r in result if r.created]
    if wait:
        s.tag_now([result[0].id])
        with s.engine.connect() as c:
            row = c.execute(sa.select(mentions).where(mentions.c.id == result[0].id)).one()
        out = [mention_dict(row) | {"created": result[0].created}]
    else:
        for k in range(0, len(new), 256):
            try:
                s.queue.tag_task(new[k : k + 256])
            except Exception:  # the queue is down: the mentions are stored as pending and the sweep tags them
                pass
        out = [{"id": r.id, "source": r.source, "external_id": r.external_id, "state": r.state,
                "created": r.created} for r in result]
    response.status_code = 201 if new else 200
    return {"items": out, "created": len(new), "existing": len(result) - len(new)}


@router.get("/mentions/export", summary="All mentions with tags, theme and alert state, as CSV or Parquet")
def export_mentions(
    format: Literal["csv", "parquet"] = "csv",
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    channel: str | None = None, s=Depends(svc), key=Depends(require("marketing", "qa")),
):
    start_, end_ = period(s, start, end, default_days=36500, max_days=None)
    rows = _export_rows(s.engine, start_, end_, channel)
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


def _export_rows(engine, start, end, channel):
    from vocsvc.store.mentions import iso
    from vocsvc.store.schema import alert_mentions, alerts, mentions, themes

    q = (sa.select(mentions, themes.c.label.label("theme_label"), alerts.c.id.label("alert_id"),
                   alerts.c.status.label("alert_status"), alerts.c.priority.label("alert_priority"),
                   alerts.c.due_at.label("alert_due_at"))
         .outerjoin(themes, themes.c.id == mentions.c.theme_id)
         .outerjoin(alert_mentions, alert_mentions.c.mention_id == mentions.c.id)
         .outerjoin(alerts, alerts.c.id == alert_mentions.c.alert_id)
         .where(mentions.c.created_at >= start, mentions.c.created_at < end)
         .order_by(mentions.c.created_at, mentions.c.id))
    if channel:
        q = q.where(mentions.c.channel == channel)
    with engine.connect() as c:
        for r in c.execution_options(yield_per=2000).execute(q):
            t = json.loads(r.tags) if r.tags else {}
            yield {
                "id": r.id, "source": r.source, "external_id": r.external_id, "channel": r.channel,
                "created_at": iso(r.created_at), "author_handle": r.author_handle,
                "author_followers": r.author_followers, "author_is_vip": bool(r.author_is_vip), "rating": r.rating,
                "nps": r.nps, "product": r.product, "customer_id": r.customer_id, "url": r.url, "lang": r.lang,
                "text_redacted": r.text_redacted, "state": r.state, "sentiment": r.sentiment,
                "sentiment_score": r.sentiment_score, "emotion": r.emotion, "intent": r.intent,
                "intents": "|".join(x["label"] for x in t.get("intents", [])),
                "categories": "|".join(t.get("categories", [])), "keywords": "|".join(t.get("keywords", [])),
                "entities": "|".join(f"{e['label']}:{e['text']}" for e in t.get("entities", [])),
                "pii_types": "|".join(sorted({p["type"] for p in t.get("pii", [])})),
                "theme_id": r.theme_id, "theme_label": r.theme_label, "alert_id": r.alert_id,
                "alert_status": r.alert_status, "alert_priority": r.alert_priority,
                "alert_due_at": iso(r.alert_due_at),
            }


@router.get("/mentions/{mention_id}", summary="One mention with its tags")
def get_mention(mention_id: str, s=Depends(svc), key=Depends(require("marketing", "qa", "ingest"))):
    from vocsvc.store.mentions import mention_dict
    from vocsvc.store.schema import mentions

    with s.engine.connect() as c:
        row = c.execute(sa.select(mentions).where(mentions.c.id == mention_id)).first()
    if row is None:
        raise ApiError(404, f"no mention {mention_id}")
    return mention_dict(row)
