"""Marketing: themes (with series, change and emerging flags), business metrics, alerts, search."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query

from api.deps import require, svc
from api.pagination import decode_cursor, page
from api.problems import ApiError
from api.public import (AlertDetail, AlertPublic, DiscoverResult, MetricFiguresPublic, MetricGroup, MetricsPublic, Page, SearchHitPublic, SearchPage,
                        ThemeDetail, ThemeDocPublic, ThemePublic, ThemesPage)
from api.routes.common import ChannelQ, period
from api.schemas import AssignIn, NoteIn, ReplyIn, ThemeMergeIn, ThemeRenameIn
from vocsvc.alerting import AlertStateError
from vocsvc.clock import iso_z, to_utc_naive
from vocsvc.service import alerts as alert_service
from vocsvc.service import themes as theme_service
from vocsvc.service.metrics import metrics as compute_metrics

router = APIRouter(prefix="/v1")
Lang = Literal["ru", "en"]


# ---------------------------------------------------------------------- themes
def _themes(s, start, end, channel, lang, product, interval, only=None):
    start_, end_ = period(s, start, end)
    iv = interval or ("day" if (end_ - start_).days <= 31 else "week")
    return theme_service.stats(s.engine, start_, end_, channel, lang, product, iv, exact=not s.settings.rollups,
                               only=only), start_, end_, iv


@router.get("/themes", tags=["themes"], response_model=ThemesPage,
            summary="Themes in a period: volume, share, net sentiment, series, change")
def list_themes(
    start: datetime | None = Query(None, alias="from", description="default: 30 days before `to`"),
    end: datetime | None = Query(None, alias="to", description="default: now"),
    channel: ChannelQ | None = None, lang: Lang | None = None, product: str | None = None,
    interval: Literal["day", "week"] | None = None, emerging: bool | None = None,
    limit: int = Query(20, ge=1, le=200), cursor: str | None = None,
    s=Depends(svc), key=Depends(require("marketing")),
):
    stats, start_, end_, iv = _themes(s, start, end, channel, lang, product, interval)
    items = [t for t in stats.themes if emerging is None or t.emerging == emerging]
    off = decode_cursor(cursor)
    chunk = items[off : off + limit]
    theme_service.with_examples(s.engine, chunk, start_, end_)
    return page([ThemePublic.model_validate(t) for t in chunk], off, limit, len(items),
                period={"from": iso_z(start_), "to": iso_z(end_), "interval": iv}, documents=stats.total,
                unthemed_share=stats.unthemed_share)


@router.get("/themes/{theme_id}", tags=["themes"], response_model=ThemeDetail,
            summary="One theme's statistics in a period")
def get_theme(theme_id: str, start: datetime | None = Query(None, alias="from"),
              end: datetime | None = Query(None, alias="to"), channel: ChannelQ | None = None,
              lang: Lang | None = None, product: str | None = None,
              interval: Literal["day", "week"] | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    return _detail(s, theme_id, start, end, channel, lang, product, interval)


def _detail(s, theme_id, start=None, end=None, channel=None, lang=None, product=None, interval=None) -> ThemeDetail:
    row = theme_service.theme(s.engine, theme_id)
    stats, start_, end_, iv = _themes(s, start, end, channel, lang, product, interval, only=theme_id)
    merged = theme_service.merged_map(s.engine)
    found = next((t for t in stats.themes if t.id == theme_id), None) or theme_service.ThemeStat(
        id=theme_id, label=row.shown_label, keyphrases=row.keyphrases, active=row.active and theme_id not in merged,
        volume=0, share=0.0, net_sentiment=None, series=[], previous_volume=0, previous_share=0.0, change_pct=None,
        z=0.0, significant=False, emerging=False, auto_label=row.label)
    theme_service.with_examples(s.engine, [found], start_, end_, k=5)
    return ThemeDetail(**ThemePublic.model_validate(found).model_dump(), size_at_discovery=row.size,
                       first_seen=row.first_seen, interval=iv,
                       merged_into=merged.get(theme_id, row.merged_into) if row.merged_into else None,
                       merged_from=sorted(k for k, v in merged.items() if v == theme_id))


@router.patch("/themes/{theme_id}", tags=["themes"], response_model=ThemeDetail,
              summary="Rename a theme (kept across re-discovery; null: the discovered label again)")
def rename_theme(theme_id: str, body: ThemeRenameIn, s=Depends(svc), key=Depends(require("marketing"))):
    theme_service.rename(s.engine, theme_id, body.label, key.name, s.clock.now())
    return _detail(s, theme_id)


@router.post("/themes/{theme_id}/merge", tags=["themes"], response_model=ThemeDetail,
             summary="Merge a theme into another: its documents move there, now and after re-discovery")
def merge_theme(theme_id: str, body: ThemeMergeIn, s=Depends(svc), key=Depends(require("marketing"))):
    into = theme_service.merge(s.engine, theme_id, body.into, key.name, s.clock.now())
    return _detail(s, into.id)


@router.get("/themes/{theme_id}/mentions", tags=["themes"], response_model=Page[ThemeDocPublic],
            summary="Mentions and call utterances in a theme")
def theme_mentions(theme_id: str, start: datetime | None = Query(None, alias="from"),
                   end: datetime | None = Query(None, alias="to"), limit: int = Query(50, ge=1, le=500),
                   cursor: str | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    start_, end_ = period(s, start, end, default_days=36500, max_days=None)
    off = decode_cursor(cursor)
    rows, total = theme_service.documents(s.engine, theme_id, start_, end_, limit, off)
    return page([ThemeDocPublic.model_validate(r) for r in rows], off, limit, total)


@router.post("/themes/discover", tags=["themes"], response_model=DiscoverResult,
             summary="Re-discover themes now (ids of matching themes stay)")
def discover_themes(s=Depends(svc), key=Depends(require("marketing"))):
    return theme_service.rediscover(s.engine, s.settings, s.clock.now())


# ---------------------------------------------------------------------- metrics
@router.get("/metrics", tags=["metrics"], response_model=MetricsPublic,
            summary="Volume, NPS, CSAT and net sentiment, optionally grouped")
def get_metrics(
    start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
    group_by: Literal["channel", "product", "source", "lang", "day", "week", "month"] | None = None,
    channel: ChannelQ | None = None, product: str | None = None,
    s=Depends(svc), key=Depends(require("marketing")),
):
    m = compute_metrics(s.engine, to_utc_naive(start) if start else None, to_utc_naive(end) if end else None,
                        group_by, channel, product, exact=not s.settings.rollups)
    return MetricsPublic(**MetricFiguresPublic.model_validate(m.overall).model_dump(), group_by=m.group_by,
                         groups=[MetricGroup.model_validate(g) for g in m.groups])


# ---------------------------------------------------------------------- alerts
@router.get("/alerts", tags=["alerts"], response_model=Page[AlertPublic], summary="Alerts, most urgent first")
def list_alerts(
    status: Literal["open", "acknowledged", "replied", "closed"] | None = None,
    priority: Literal["p1", "p2", "p3", "p4"] | None = None, overdue: bool | None = None,
    escalated: bool | None = None, due_before: datetime | None = None, channel: ChannelQ | None = None,
    limit: int = Query(50, ge=1, le=500), cursor: str | None = None,
    s=Depends(svc), key=Depends(require("marketing")),
):
    now = s.clock.now()
    off = decode_cursor(cursor)
    rows, total = alert_service.page(s.engine, now, limit, off, status=status, priority=priority, channel=channel,
                                     due_before=to_utc_naive(due_before) if due_before else None,
                                     escalated=escalated, overdue=overdue)
    return page([AlertPublic.from_row(a, now) for a in rows], off, limit, total)


def _alert(s, alert_id) -> AlertDetail:
    a = alert_service.get(s.engine, alert_id)
    if a is None:
        raise ApiError(404, f"no alert {alert_id}")
    return AlertDetail.from_row(a, s.clock.now())


@router.get("/alerts/{alert_id}", tags=["alerts"], response_model=AlertDetail,
            summary="One alert with its mentions and audit trail")
def get_alert_route(alert_id: str, s=Depends(svc), key=Depends(require("marketing"))):
    return _alert(s, alert_id)


def _act(s, alert_id, action, actor, detail) -> AlertDetail:
    _alert(s, alert_id)
    try:
        a = alert_service.act(s.engine, alert_id, action, actor, s.clock.now(), detail)
    except AlertStateError as e:
        raise ApiError(409, str(e)) from None
    return AlertDetail.from_row(a, s.clock.now())


@router.post("/alerts/{alert_id}/ack", tags=["alerts"], response_model=AlertDetail)
def ack_alert(alert_id: str, body: NoteIn | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "ack", key.name, {"comment": body.comment if body else None})


@router.post("/alerts/{alert_id}/reply", tags=["alerts"], response_model=AlertDetail)
def reply_alert(alert_id: str, body: ReplyIn, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "reply", body.by or key.name, {"text": body.text})


@router.post("/alerts/{alert_id}/close", tags=["alerts"], response_model=AlertDetail)
def close_alert(alert_id: str, body: NoteIn | None = None, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "close", key.name, {"comment": body.comment if body else None})


@router.post("/alerts/{alert_id}/assign", tags=["alerts"], response_model=AlertDetail)
def assign_alert(alert_id: str, body: AssignIn, s=Depends(svc), key=Depends(require("marketing"))):
    return _act(s, alert_id, "assign", key.name, {"assignee": body.assignee})


# ---------------------------------------------------------------------- search
@router.get("/search", tags=["search"], response_model=SearchPage,
            summary="Full-text or semantic search over mentions and call utterances")
def search(q: str = Query(..., min_length=1, max_length=500), mode: Literal["fulltext", "semantic"] = "fulltext",
           limit: int = Query(20, ge=1, le=200), cursor: str | None = None,
           s=Depends(svc), key=Depends(require("marketing", "qa"))):
    from vocsvc.service.search import search as run_search

    off = decode_cursor(cursor)
    if off > 10_000:
        raise ApiError(422, "search pages stop at 10,000 results; narrow the query")
    hits, total = run_search(s, q, mode, limit, off)
    return page([SearchHitPublic.model_validate(h) for h in hits], off, limit, total, mode=mode)
