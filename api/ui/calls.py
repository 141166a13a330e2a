"""QA pages: the calls list (filters in the URL, sortable, paginated, CSV of what is filtered), one call (player
synced with the transcript, tags per turn with inline corrections, swap roles, sentiment by quarter, the scorecard
with the reviewer's overrides and the evaluation's workflow), and an agent's QA over time."""
from __future__ import annotations

import functools
import json
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse

from api.routes.calls import call_filters, calls_csv
from api.ui import auth, page
from vocsvc.errors import InvalidInput
from vocsvc.service import calls as service
from vocsvc.service import qa as qa_service

router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 25
SENTIMENTS = ("negative", "neutral", "positive")
EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")


@router.get("/calls")
def calls(request: Request, f: dict = Depends(call_filters), sort: str = Query("-started_at", max_length=40),
          offset: int = Query(0, ge=0, le=1_000_000), v: auth.Viewer = Depends(auth.need("calls"))):
    s = request.app.state.svc
    rows, total = service.page(s, PAGE, offset, sort=sort, **f)
    params = {k: val for k, val in request.query_params.items() if k not in ("offset",)}
    return page(request, "calls.html", v, rows=rows, total=total, offset=offset, size=PAGE, sort=sort,
                params=params, f=request.query_params, sorts=service.SORTS)


@router.get("/calls/export")
def export(request: Request, f: dict = Depends(call_filters), v: auth.Viewer = Depends(auth.need("calls"))):
    return calls_csv(request.app.state.svc, f)


def _corrections(review) -> dict[tuple[int, str], object]:
    return {(c["utterance_index"], c["field"]): c["value"] for c in (review.corrections if review else [])}


@router.get("/calls/{call_id}")
def call(request: Request, call_id: str, v: auth.Viewer = Depends(auth.need("calls"))):
    from api.public import CallDetailPublic

    s = request.app.state.svc
    d = service.detail(s, call_id)
    c = CallDetailPublic.from_detail(d, qa_service.history(s, call_id))
    card = qa_service.scorecard(s.settings)
    cats = sorted(_category_names(s.settings))
    return page(request, "call.html", v, c=c, corr=_corrections(d.review), card=card, sentiments=SENTIMENTS,
                qa_items={i.id: i for i in (c.qa.items if c.qa else [])},
                emotions=EMOTIONS, categories=cats,
                chart=json.dumps({"quarters": ["Q1", "Q2", "Q3", "Q4"], **c.sentiment_by_quarter}))


def _category_names(settings) -> list[str]:
    """The phrase categories of the lexicon the analyzer uses (choices for a correction)."""
    return _categories_of(settings.categories_lexicon or (settings.models_dir / "lexicons" / "categories.yaml"))


@functools.lru_cache(maxsize=4)
def _categories_of(path) -> list[str]:  # read once per lexicon file, not on every call page
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError):
        return []
    return list(data.get("categories") or {})


@router.get("/calls/{call_id}/audio")
def audio(request: Request, call_id: str, v: auth.Viewer = Depends(auth.need("calls"))):
    return FileResponse(service.redacted_audio(request.app.state.svc, call_id), media_type="audio/wav")


@router.post("/calls/{call_id}/swap")
async def swap(request: Request, call_id: str, v: auth.Viewer = Depends(auth.need("calls"))):
    await auth.check_csrf(request, v)
    service.swap_roles(request.app.state.svc, call_id, v.key.name)
    return RedirectResponse(f"/ui/calls/{call_id}?swapped=1", status_code=303)


def _save(s, call_id: str, reviewer: str, d, *, checklist=None, corrections=None, score=None, comment=None,
          keep_score=True) -> None:
    rv = d.review
    service.review(s, call_id, reviewer,
                   score if not keep_score else (rv.score if rv else None),
                   checklist if checklist is not None else (rv.checklist if rv else {}),
                   comment if comment is not None else (rv.comment if rv else None),
                   corrections if corrections is not None else (rv.corrections if rv else []))


@router.post("/calls/{call_id}/turns/{index}")
async def correct_turn(request: Request, call_id: str, index: int,
                       field: Literal["sentiment", "emotion", "intents", "categories"] = Form(...),
                       value: str = Form("", max_length=500), v: auth.Viewer = Depends(auth.need("calls"))):
    """Correct one tag of one turn; kept in the review's corrections (exported for retraining)."""
    await auth.check_csrf(request, v)
    s = request.app.state.svc
    d = service.detail(s, call_id)
    if not 0 <= index < len(d.utterances):
        raise InvalidInput(f"the call has no turn {index}")
    val: str | list[str] = value.strip()
    if field in ("intents", "categories"):
        val = [x.strip() for x in value.split(",") if x.strip()]
    elif field == "sentiment" and val not in SENTIMENTS:
        raise InvalidInput(f"sentiment: one of {', '.join(SENTIMENTS)}")
    elif field == "emotion" and val not in EMOTIONS:
        raise InvalidInput(f"emotion: one of {', '.join(EMOTIONS)}")
    kept = [c for c in (d.review.corrections if d.review else [])
            if not (c["utterance_index"] == index and c["field"] == field)]
    _save(s, call_id, v.key.name, d, corrections=kept + [{"utterance_index": index, "field": field, "value": val}])
    if request.headers.get("hx-request"):
        from api.public import CallDetailPublic

        d = service.detail(s, call_id)
        c = CallDetailPublic.from_detail(d)
        return page(request, "_turn.html", v, c=c, u=c.utterances[index], corr=_corrections(d.review),
                    sentiments=SENTIMENTS, emotions=EMOTIONS, categories=sorted(_category_names(s.settings)))
    return RedirectResponse(f"/ui/calls/{call_id}#turn-{index}", status_code=303)


@router.post("/calls/{call_id}/qa")
async def save_verdicts(request: Request, call_id: str, v: auth.Viewer = Depends(auth.need("calls"))):
    """The reviewer's answers over the automatic ones ("auto" keeps the automatic answer), score and comment."""
    await auth.check_csrf(request, v)
    s = request.app.state.svc
    form = await request.form()
    d = service.detail(s, call_id)
    card = qa_service.scorecard(s.settings)
    checklist = {k: val for k, val in (d.review.checklist if d.review else {}).items()}
    for sec in card.sections:
        for item in sec.items:
            got = form.get(f"item_{item.id}")
            if got in (None, "", "auto"):
                checklist.pop(item.id, None)
            else:
                checklist[item.id] = int(got) if item.type == "scale" and str(got).isdigit() else got
    raw_score = (form.get("score") or "").strip()
    try:
        score = float(raw_score) if raw_score else None
    except ValueError:
        raise InvalidInput("score: a number from 0 to 100") from None
    if score is not None and not 0 <= score <= 100:
        raise InvalidInput("score: a number from 0 to 100")
    comment = str(form.get("comment") or "")[:5000] or None
    _save(s, call_id, v.key.name, d, checklist=checklist, score=score, comment=comment, keep_score=False)
    return RedirectResponse(f"/ui/calls/{call_id}?saved=1#qa", status_code=303)


@router.post("/calls/{call_id}/qa/{action}")
async def qa_action(request: Request, call_id: str, action: Literal["submit", "acknowledge", "dispute", "resolve"],
                    v: auth.Viewer = Depends(auth.need("calls"))):
    await auth.check_csrf(request, v)
    form = await request.form()
    reasons = {k[len("reason_"):]: str(val)[:2000] for k, val in form.items()
               if k.startswith("reason_") and str(val).strip()}
    comment = str(form.get("comment") or "").strip()[:5000] or None
    qa_service.act(request.app.state.svc, call_id, action, v.key.name, reasons or None, comment)
    return RedirectResponse(f"/ui/calls/{call_id}#qa", status_code=303)


@router.get("/agents/{agent_id}")
def agent(request: Request, agent_id: str, days: int = Query(90, ge=7, le=3650),
          interval: Literal["day", "week", "month"] = "week", v: auth.Viewer = Depends(auth.need("calls"))):
    s = request.app.state.svc
    now = s.clock.now()
    a = qa_service.agent(s, agent_id, now - timedelta(days=days), now + timedelta(seconds=1), interval)
    chart = json.dumps({"x": [p["period"] for p in a["series"]], "score": [p["score"] for p in a["series"]],
                        "calls": [p["calls"] for p in a["series"]]})
    return page(request, "agent.html", v, a=a, agent_id=agent_id, days=days, interval=interval, chart=chart)
