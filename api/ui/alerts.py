"""Social care: the alert queue by due time with a live countdown to the reply deadline (amber under 12 hours, red
overdue), and one alert with its mentions, actions (acknowledge, assign, reply, close) and audit trail."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse

from api.ui import auth, page
from vocsvc.alerting import AlertStateError
from vocsvc.errors import Conflict, NotFound
from vocsvc.service import alerts as alert_service

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 50


@router.get("/alerts")
def alerts(request: Request, status: Literal["active", "open", "acknowledged", "replied", "closed", "all"] = "active",
           priority: Literal["p1", "p2", "p3", "p4"] | None = None, offset: int = Query(0, ge=0),
           v: auth.Viewer = Depends(auth.need("alerts"))):
    from api.public import AlertPublic

    s = request.app.state.svc
    now = s.clock.now()
    if status == "active":  # what still needs someone: open and acknowledged, most urgent first
        rows, total = alert_service.page(s.engine, now, PAGE, offset, priority=priority, active=True, order="due")
    else:
        rows, total = alert_service.page(s.engine, now, PAGE, offset, priority=priority, order="due",
                                         status=None if status == "all" else status)
    items = [AlertPublic.from_row(a, now) for a in rows]
    return page(request, "alerts.html", v, items=items, total=total, offset=offset, size=PAGE, status=status,
                priority=priority, params=dict(request.query_params),
                warn_hours=s.settings.alert_escalate_within_hours)


def _one(s, alert_id: str):
    from api.public import AlertDetail

    a = alert_service.get(s.engine, alert_id)
    if a is None:
        raise NotFound(f"no alert {alert_id}")
    return AlertDetail.from_row(a, s.clock.now())


@router.get("/alerts/{alert_id}")
def alert(request: Request, alert_id: str, v: auth.Viewer = Depends(auth.need("alerts"))):
    s = request.app.state.svc
    return page(request, "alert.html", v, a=_one(s, alert_id), warn_hours=s.settings.alert_escalate_within_hours)


@router.post("/alerts/{alert_id}/{action}")
async def act(request: Request, alert_id: str, action: Literal["ack", "assign", "reply", "close"],
              text: str = Form("", max_length=10_000), v: auth.Viewer = Depends(auth.need("alerts"))):
    await auth.check_csrf(request, v)
    s = request.app.state.svc
    _one(s, alert_id)
    text = text.strip()
    detail = {"ack": {"comment": text or None}, "close": {"comment": text or None},
              "assign": {"assignee": text or v.key.name}, "reply": {"text": text}}[action]
    if action == "reply" and not text:
        from vocsvc.errors import InvalidInput

        raise InvalidInput("a reply needs its text")
    try:
        alert_service.act(s.engine, alert_id, action, v.key.name, s.clock.now(), detail)
    except AlertStateError as e:
        raise Conflict(str(e)) from None
    if request.headers.get("hx-request"):
        return page(request, "_alert_panel.html", v, a=_one(s, alert_id),
                    warn_hours=s.settings.alert_escalate_within_hours)
    return RedirectResponse(f"/ui/alerts/{alert_id}", status_code=303)
