"""Marketing: themes (with series, change and emerging flags), business metrics, alerts, search."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from api.deps import require, svc
from api.pagination import decode_cursor, page
from api.problems import ApiError
from api.routes.common import period
from api.schemas import AssignIn, NoteIn, ReplyIn
from vocsvc.clock import to_utc_naive
from vocsvc.store.db import where_eq

router = APIRouter(prefix="/v1")
ChannelQ = Literal["review", "social", "call", "chat", "email", "survey"]


# ---------------------------------------------------------------------- themes
def _themes(s, start, end, channel, lang, product, interval):
    from vocsvc.store.themes import theme_stats

    start_, end_ = period(s, start, end)
    iv = interval or ("day" if (end_ - start_).days <= 31 else "week")
    return theme_stats(s.engine, start_, end_, channel, lang, product, iv), start_, end_, iv


@router.get("/themes", tags=["themes"], summary="Themes in a period: volume, share, net sentiment, series, change")
def list_themes(
    start: datetime | None = Query(None, alias="from", description="default: 30 days before `to`"),
    end: datetime | None = Query(None, alias="to", description="default: now"),
    channel: ChannelQ | None = None, lang: Literal["ru", "en"] | None = None, product: str | None = None,
    interval: Literal["day", "week"] | None = None, emerging: bool | None = None,
    limit: int = Query(20, ge=1, le=200), cursor: str | None = None,
    s=Depends(svc), key=Depends(require("marketing")),
):
    from vocsvc.store.themes import examples

    stats, start_, end_, iv = _themes(s, start, end, channel, lang, product, interval)
    items = [t for t in stats["themes"] if emerging is None or t["emerging"] == emerging]
    off = decode_cursor(cursor)
    chunk = items[off : off + limit]
    for t in chunk:
        t["examples"] = examples(s.engine, t["id"], start_, end_)
    return page(chunk, off, limit, len(items), period={"from": start_.isoformat() + "Z", "to": end_.isoformat() + "Z",
                                                        "interval": iv},
                documents=stats["total"], unthemed_share=stats["unthemed_share"])


@router.get("/themes/{theme_id}", tags=["themes"], summary="One theme's statistics in a period")
def get_theme(theme_id: str, start: datetime | None = Query(None, alias="from"),
              end: datetime | None = Query(None, alias="to"), channel: ChannelQ | None = None,
              lang: Literal["ru", "en"] | None = None, product: str | None = None,
              interval: Literal["day", "week"] | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    import json

    from vocsvc.store.schema import themes
    from vocsvc.store.themes import examples

    with s.engine.connect() as c:
        row = c.execute(sa.select(themes).where(themes.c.id == theme_id)).first()
    if row is None:
        raise ApiError(404, f"no theme {theme_id}")
    stats, start_, end_, iv = _themes(s, start, end, channel, lang, product, interval)
    found = next((t for t in stats["themes"] if t["id"] == theme_id), None) or {
        "id": theme_id, "label": row.label, "keyphrases": json.loads(row.keyphrases), "active": bool(row.active),
        "volume": 0, "share": 0.0, "net_sentiment": None, "series": [], "previous_volume": 0, "significant": False,
        "emerging": False}
    return found | {"examples": examples(s.engine, theme_id, start_, end_, k=5), "size_at_discovery": row.size,
                    "first_seen": row.first_seen.isoformat() + "Z", "interval": iv}


@router.get("/themes/{theme_id}/mentions", tags=["themes"], summary="Mentions and call utterances in a theme")
def theme_mentions(theme_id: str, start: datetime | None = Query(None, alias="from"),
                   end: datetime | None = Query(None, alias="to"), limit: int = Query(50, ge=1, le=500),
                   cursor: str | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    from vocsvc.store.mentions import iso
    from vocsvc.store.schema import mentions, themes, utterances

    start_, end_ = period(s, start, end, default_days=36500, max_days=None)
    with s.engine.connect() as c:
        if c.execute(sa.select(themes.c.id).where(themes.c.id == theme_id)).first() is None:
            raise ApiError(404, f"no theme {theme_id}")
        m = sa.select(sa.literal("mention").label("kind"), mentions.c.id, mentions.c.channel, mentions.c.created_at,
                      mentions.c.text_redacted, mentions.c.sentiment).where(
            mentions.c.theme_id == theme_id, mentions.c.created_at >= start_, mentions.c.created_at < end_)
        u = sa.select(sa.literal("utterance").label("kind"), utterances.c.id, sa.literal("call").label("channel"),
                      utterances.c.created_at, utterances.c.text_redacted, utterances.c.sentiment).where(
            utterances.c.theme_id == theme_id, utterances.c.created_at >= start_, utterances.c.created_at < end_)
        un = sa.union_all(m, u).subquery()
        off = decode_cursor(cursor)
        total = c.execute(sa.select(sa.func.count()).select_from(un)).scalar()
        rows = c.execute(sa.select(un).order_by(un.c.created_at.desc(), un.c.id).limit(limit).offset(off)).all()
    items = [{"kind": r.kind, "id": r.id, "channel": r.channel, "created_at": iso(r.created_at),
              "text_redacted": r.text_redacted, "sentiment": r.sentiment} for r in rows]
    return page(items, off, limit, total)


@router.post("/themes/discover", tags=["themes"], summary="Re-discover themes now (ids of matching themes stay)")
def discover_themes(s=Depends(svc), key=Depends(require("marketing"))):
    from vocsvc.store.themes import rediscover

    return rediscover(s.engine, s.settings, s.clock.now())


# ---------------------------------------------------------------------- metrics
@router.get("/metrics", tags=["metrics"], summary="Volume, NPS, CSAT and net sentiment, optionally grouped")
def get_metrics(
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    group_by: Literal["channel", "product", "source", "lang", "day", "week", "month"] | None = None,
    channel: ChannelQ | None = None, product: str | None = None,
    s=Depends(svc), key=Depends(require("marketing")),
):
    from vocsvc.store.metrics import metrics

    start_ = to_utc_naive(start) if start else None
    end_ = to_utc_naive(end) if end else None
    return metrics(s.engine, start_, end_, group_by, channel, product)


# ---------------------------------------------------------------------- alerts
@router.get("/alerts", tags=["alerts"], summary="Alerts, most urgent first")
def list_alerts(
    status: Literal["open", "acknowledged", "replied", "closed"] | None = None,
    priority: Literal["p1", "p2", "p3", "p4"] | None = None, overdue: bool | None = None,
    escalated: bool | None = None, due_before: datetime | None = None, channel: ChannelQ | None = None,
    limit: int = Query(50, ge=1, le=500), cursor: str | None = None,
    s=Depends(svc), key=Depends(require("marketing")),
):
    from vocsvc.alerts import alert_payloads
    from vocsvc.store.schema import alerts

    now = s.clock.now()
    q = where_eq(sa.select(alerts.c.id), [(alerts.c.status, status), (alerts.c.priority, priority),
                                          (alerts.c.channel, channel)])
    if due_before:
        q = q.where(alerts.c.due_at < to_utc_naive(due_before))
    if escalated is not None:
        q = q.where(alerts.c.escalated_at.is_not(None) if escalated else alerts.c.escalated_at.is_(None))
    active = alerts.c.status.in_(["open", "acknowledged"])
    if overdue is True:
        q = q.where(active, alerts.c.due_at <= now)
    elif overdue is False:
        q = q.where(sa.not_(sa.and_(active, alerts.c.due_at <= now)))
    off = decode_cursor(cursor)
    with s.engine.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar()
        ids = c.execute(q.order_by(sa.case((active, 0), else_=1), alerts.c.priority, alerts.c.due_at, alerts.c.id)
                        .limit(limit).offset(off)).scalars().all()
        items = alert_payloads(c, list(ids), now)
    return page(items, off, limit, total)


def _alert(s, alert_id):
    from vocsvc.alerts import get_alert

    d = get_alert(s.engine, alert_id, s.clock.now())
    if d is None:
        raise ApiError(404, f"no alert {alert_id}")
    return d


@router.get("/alerts/{alert_id}", tags=["alerts"], summary="One alert with its mentions and audit trail")
def get_alert_route(alert_id: str, s=Depends(svc), key=Depends(require("marketing"))):
    return _alert(s, alert_id)


def _act(s, alert_id, action, actor, detail):
    from vocsvc.alerts import AlertStateError, act

    _alert(s, alert_id)
    try:
        return act(s.engine, alert_id, action, actor, s.clock.now(), detail)
    except AlertStateError as e:
        raise ApiError(409, str(e)) from None


@router.post("/alerts/{alert_id}/ack", tags=["alerts"])
def ack_alert(alert_id: str, body: NoteIn | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "ack", key.name, {"comment": body.comment if body else None})


@router.post("/alerts/{alert_id}/reply", tags=["alerts"])
def reply_alert(alert_id: str, body: ReplyIn, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "reply", body.by or key.name, {"text": body.text})


@router.post("/alerts/{alert_id}/close", tags=["alerts"])
def close_alert(alert_id: str, body: NoteIn | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "close", key.name, {"comment": body.comment if body else None})


@router.post("/alerts/{alert_id}/assign", tags=["alerts"])
def assign_alert(alert_id: str, body: AssignIn, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "assign", key.name, {"assignee": body.assignee})


# ---------------------------------------------------------------------- search
@router.get("/search", tags=["search"], summary="Full-text or semantic search over mentions and call utterances")
def search(q: str = Query(..., min_length=1, max_length=500), mode: Literal["fulltext", "semantic"] = "fulltext",
           limit: int = Query(20, ge=1, le=200), cursor: str | None = None,
           s=Depends(svc), key=Depends(require("marketing", "qa"))):
    from vocsvc.store.search import full_text, hydrate

    off = decode_cursor(cursor)
    if off > 10_000:
        raise ApiError(422, "search pages stop at 10,000 results; narrow the query")
    if mode == "fulltext":
        hits, total = full_text(s.engine, q, limit, off)
    else:
        if not q.strip():
            raise ApiError(422, "q: empty query")
        qv = s.analyzer.embed([q])[0]
        hits, total = s.semantic.search(qv, limit, off)
    return page(hydrate(s.engine, hits), off, limit, total, mode=mode)
