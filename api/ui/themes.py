"""Marketing pages: every theme in a period (volume, share, net sentiment, trend, change with significance,
emerging, impact on NPS and CSAT) and one theme (series, keyphrases, channel split, verbatims), with rename and
merge (kept across re-discovery)."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Literal, get_args

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse

from api.ui import auth, page
from vocsvc.service import themes as theme_service
from vocsvc.service.mentions import Channel

router = APIRouter(prefix="/ui", include_in_schema=False)
CHANNELS = get_args(Channel)
Lang = Literal["ru", "en"]


def _period(s, days: int):
    now = s.clock.now()
    end = now + timedelta(seconds=1)
    return end - timedelta(days=days), end, "day" if days <= 31 else "week"


@router.get("/themes")
def themes(request: Request, days: int = Query(30, ge=1, le=3650), channel: Channel | None = None,
           lang: Lang | None = None, product: str | None = Query(None, max_length=200),
           v: auth.Viewer = Depends(auth.need("insights"))):
    s = request.app.state.svc
    start, end, iv = _period(s, days)
    stats = theme_service.stats(s.engine, start, end, channel, lang, product or None, iv, exact=not s.settings.rollups)
    items = [t for t in stats.themes if t.volume or t.previous_volume]
    return page(request, "themes.html", v, items=items, stats=stats, days=days, channel=channel, lang=lang,
                product=product or "", channels=CHANNELS, params=dict(request.query_params))


@router.get("/themes/{theme_id}")
def theme(request: Request, theme_id: str, days: int = Query(30, ge=1, le=3650), offset: int = Query(0, ge=0),
          v: auth.Viewer = Depends(auth.need("insights"))):
    s = request.app.state.svc
    row = theme_service.theme(s.engine, theme_id)
    start, end, iv = _period(s, days)
    exact = not s.settings.rollups
    stats = theme_service.stats(s.engine, start, end, interval=iv, exact=exact)
    t = next((x for x in stats.themes if x.id == theme_id), None)
    split = theme_service.channel_split(s.engine, theme_id, start, end, exact)
    docs, total = theme_service.documents(s.engine, theme_id, start, end, 20, offset)
    if not v.can("calls"):  # call turns belong to QA: marketing sees the public mentions
        docs = [d for d in docs if d.kind == "mention"]
    merge_targets = [x for x in stats.themes if x.id != theme_id and x.active]
    chart = json.dumps({"x": [p["period"] for p in (t.series if t else [])],
                        "volume": [p["volume"] for p in (t.series if t else [])]})
    return page(request, "theme.html", v, row=row, t=t, split=split, docs=docs, total=total, offset=offset,
                days=days, chart=chart, merge_targets=merge_targets,
                merged_from=theme_service.merged_from(s.engine, theme_id),
                merged_into=theme_service.merged_map(s.engine).get(theme_id))


@router.post("/themes/{theme_id}/rename")
async def rename(request: Request, theme_id: str, label: str = Form("", max_length=300),
                 days: int = Form(30, ge=1, le=3650), v: auth.Viewer = Depends(auth.need("insights"))):
    await auth.check_csrf(request, v)
    s = request.app.state.svc
    theme_service.rename(s.engine, theme_id, label.strip() or None, v.key.name, s.clock.now())
    return RedirectResponse(f"/ui/themes/{theme_id}?days={days}&renamed=1", status_code=303)


@router.post("/themes/{theme_id}/merge")
async def merge(request: Request, theme_id: str, into: str = Form(..., max_length=64),
                days: int = Form(30, ge=1, le=3650), v: auth.Viewer = Depends(auth.need("insights"))):
    await auth.check_csrf(request, v)
    s = request.app.state.svc
    target = theme_service.merge(s.engine, theme_id, into, v.key.name, s.clock.now())
    return RedirectResponse(f"/ui/themes/{target.id}?days={days}&merged=1", status_code=303)
