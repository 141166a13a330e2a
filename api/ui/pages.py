"""Sign in and out, the overview (volume, NPS, CSAT and net sentiment by channel over time; alerts; rising themes)
and search (full-text and semantic over mentions and call turns)."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Literal, get_args

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse

from api.ui import auth, page
from vocsvc.service import alerts as alert_service
from vocsvc.service import keys as keys_service
from vocsvc.service import themes as theme_service
from vocsvc.service.mentions import Channel
from vocsvc.service.metrics import metrics as compute_metrics

router = APIRouter(prefix="/ui", include_in_schema=False)
CHANNELS = get_args(Channel)


@router.get("")
@router.get("/")
def root():
    return RedirectResponse("/ui/overview", status_code=303)


def _safe_next(nxt: str | None) -> str:
    # only a path inside the console: never another site (an open redirect) or a protocol-relative URL
    if nxt and nxt.startswith("/ui/") and not nxt.startswith("//") and "\\" not in nxt:
        return nxt
    return "/ui/overview"


@router.get("/login")
def login_form(request: Request, next: str | None = Query(None, max_length=2000)):
    return page(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login")
def login(request: Request, key: str = Form(..., max_length=200), next: str | None = Form(None, max_length=2000)):
    s = request.app.state.svc
    k = keys_service.authenticate(s, key.strip())
    if k is None:
        return page(request, "login.html", None, http_status=401, next=_safe_next(next),
                    error="That key is not valid (unknown, expired or revoked).")
    if k.role == "ingest":
        return page(request, "login.html", None, http_status=403, next=_safe_next(next),
                    error="An ingest key only sends data; sign in with an admin, qa or marketing key.")
    request.state.key = k
    target = _safe_next(next)
    if target == "/ui/overview" and k.role == "qa":
        target = "/ui/calls"
    resp = RedirectResponse(target, status_code=303)
    auth.start_session(request, resp, k)
    return resp


@router.post("/logout")
async def logout(request: Request, v: auth.Viewer = Depends(auth.viewer)):
    await auth.check_csrf(request, v)
    resp = RedirectResponse("/ui/login", status_code=303)
    auth.end_session(resp)
    return resp


@router.get("/overview")
def overview(request: Request, days: int = Query(30, ge=7, le=365), v: auth.Viewer = Depends(auth.need("overview"))):
    s = request.app.state.svc
    now = s.clock.now()
    start, end = now - timedelta(days=days), now + timedelta(seconds=1)
    ctx: dict = {"days": days}
    if v.can("insights"):
        exact = not s.settings.rollups
        iv = "day" if days <= 31 else "week"
        ctx["overall"] = compute_metrics(s.engine, start, end, exact=exact).overall
        ctx["by_channel"] = compute_metrics(s.engine, start, end, "channel", exact=exact).groups
        series: dict = {}
        for ch in [g.key for g in ctx["by_channel"] if g.key]:
            for g in compute_metrics(s.engine, start, end, iv, ch, exact=exact).groups:
                series.setdefault(g.key, {})[ch] = {"volume": g.volume, "net": g.net_sentiment}
        scores = compute_metrics(s.engine, start, end, iv, exact=exact).groups
        ctx["chart"] = json.dumps({
            "x": sorted(series), "channels": sorted({c for d in series.values() for c in d}),
            "volume": {c: [series[k].get(c, {}).get("volume", 0) for k in sorted(series)]
                       for c in sorted({c for d in series.values() for c in d})},
            "net": {c: [series[k].get(c, {}).get("net") for k in sorted(series)]
                    for c in sorted({c for d in series.values() for c in d})},
            "scores": {"x": [g.key for g in scores], "nps": [g.nps for g in scores], "csat": [g.csat for g in scores]},
        })
        stats = theme_service.stats(s.engine, start, end, interval=iv, exact=exact)
        rising = [t for t in stats.themes if t.emerging or (t.significant and (t.change_pct or 0) > 0)]
        ctx["rising"] = sorted(rising, key=lambda t: (not t.emerging, -(t.change_pct or 0)))[:6]
        from api.public import AlertPublic

        rows, ctx["open_alerts"] = alert_service.page(s.engine, now, 5, 0, status="open")

        ctx["alerts"] = [AlertPublic.from_row(a, now) for a in rows]
    if v.can("calls"):
        from vocsvc.service import calls as call_service

        ready, n_calls = call_service.page(s, 5, 0, start=start, end=end, state="ready", sort="qa_score")
        ctx["calls_n"], ctx["low_qa"] = n_calls, ready
    return page(request, "overview.html", v, **ctx)


@router.get("/search")
def search(request: Request, q: str | None = Query(None, max_length=500),
           mode: Literal["fulltext", "semantic"] = "fulltext", offset: int = Query(0, ge=0, le=10_000),
           v: auth.Viewer = Depends(auth.need("search"))):
    from vocsvc.service.search import search as run_search

    s = request.app.state.svc
    hits, total, error = [], 0, None
    if q and q.strip():
        from vocsvc.errors import InvalidInput

        try:
            hits, total = run_search(s, q, mode, 20, offset)
        except InvalidInput as e:
            error = e.detail
    if not v.can("calls"):  # call turns are QA's: a marketing key sees mentions only
        hits = [h for h in hits if h.kind != "utterance"]
    return page(request, "search.html", v, q=q or "", mode=mode, hits=hits, total=total, offset=offset, error=error,
                params={"q": q, "mode": mode})
