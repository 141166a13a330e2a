"""Automatic QA through the service: a call's answers with the reviewer's verdicts over them, the agreement between
automatic and human answers (for calibrating the scorecard), and an agent's QA over time."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from vocsvc.errors import InvalidInput
from vocsvc.qa.score import apply_verdicts, normalize_verdict
from vocsvc.qa.template import Scorecard, default_path, load
from vocsvc.store import calls as store
from vocsvc.store.rows import CallRow, ReviewRow


def scorecard(settings) -> Scorecard:
    return load(settings.qa_scorecard or default_path(settings.models_dir))


def check_verdicts(settings, checklist: dict) -> None:
    """Verdicts on scorecard items must be answers that item can have; other keys are a free checklist."""
    card = scorecard(settings)
    for s in card.sections:
        for i in s.items:
            if i.id not in checklist:
                continue
            v = normalize_verdict(checklist[i.id])
            ok = (isinstance(v, int) and i.min <= v <= i.max) if i.type == "scale" else v in ("yes", "no", "na")
            if not ok:
                want = f"an integer {i.min}-{i.max}" if i.type == "scale" else "yes, no or na (or true/false)"
                raise InvalidInput(f"checklist.{i.id}: {checklist[i.id]!r} is not an answer; give {want}")


def view(settings, call: CallRow, review: ReviewRow | None) -> dict | None:
    if not call.qa:
        return None
    return apply_verdicts(call.qa, scorecard(settings), review.checklist if review else {})


def agreement(svc) -> dict:
    """Per item: calls where both answered, how many agree, the rate, and the confusion (auto -> human)."""
    per: dict[str, Counter] = defaultdict(Counter)
    rows = []
    for call_id, qa, checklist, reviewer, at in store.qa_reviews(svc.engine):
        auto = {a["id"]: a["answer"] for a in qa.get("items", [])}
        for item, v in checklist.items():
            human = normalize_verdict(v)
            if item not in auto or human is None:
                continue
            same = human == auto[item]
            per[item]["n"] += 1
            per[item]["agree"] += same
            per[item][f"{auto[item]}->{human}"] += 1
            rows.append({"call_id": call_id, "item": item, "auto": auto[item], "human": human, "agree": same,
                         "reviewer": reviewer, "reviewed_at": at})
    items = {k: {"n": c["n"], "agree": c["agree"], "rate": round(c["agree"] / c["n"], 3),
                 "confusion": {x: n for x, n in sorted(c.items()) if "->" in x}} for k, c in sorted(per.items())}
    n = sum(c["n"] for c in per.values())
    return {"items": items, "overall": round(sum(c["agree"] for c in per.values()) / n, 3) if n else None,
            "rows": rows}


def agent(svc, agent_id: str, start: datetime, end: datetime, interval: str = "week") -> dict:
    """Scores over time, the items failed most (final answers, reviewers' verdicts included), talk ratio, silence
    and interruptions of one agent's ready calls in the period."""
    card = scorecard(svc.settings)
    calls = store.agent_calls(svc.engine, agent_id, start, end)
    series: dict[str, list[float]] = defaultdict(list)
    failed, answered = Counter(), Counter()
    ratios, silence, interrupts, outcomes, reasons, scores = [], [], [], Counter(), Counter(), []
    for call, checklist in calls:
        v = apply_verdicts(call.qa, card, checklist) if call.qa else None
        score = v["final_score"] if v else None
        if score is not None:
            scores.append(score)
            series[_bucket(call.started_at, interval)].append(score)
        for a in (v or {}).get("items", []):
            if a["type"] == "yes_no" and a["final"] in ("yes", "no"):
                answered[a["id"]] += 1
                failed[a["id"]] += a["final"] == "no"
        m = call.metrics or {}
        if m.get("agent_customer_talk_ratio") is not None:
            ratios.append(m["agent_customer_talk_ratio"])
        if call.silence_share is not None:
            silence.append(call.silence_share)
        interrupts.append((m.get("interruptions") or {}).get("agent", 0))
        outcomes[call.outcome or "unknown"] += 1
        if call.reason:
            reasons[call.reason] += 1
    titles = {i.id: i.title for s in card.sections for i in s.items}

    def mean(xs):
        return round(sum(xs) / len(xs), 3) if xs else None

    return {
        "agent_id": agent_id, "calls": len(calls), "score": mean(scores),
        "series": [{"period": k, "calls": len(v), "score": mean(v)} for k, v in sorted(series.items())],
        "failed_most": [{"item": k, "title": titles.get(k, k), "failed": failed[k], "answered": answered[k],
                         "rate": round(failed[k] / answered[k], 3)}
                        for k in sorted(answered, key=lambda k: (-failed[k] / answered[k], k)) if failed[k]],
        "talk_ratio": mean(ratios), "silence_share": mean(silence), "interruptions_per_call": mean(interrupts),
        "outcomes": dict(outcomes), "reasons": dict(reasons.most_common()),
    }


def _bucket(t: datetime, interval: str) -> str:
    if interval == "day":
        return t.strftime("%Y-%m-%d")
    if interval == "month":
        return t.strftime("%Y-%m")
    y, w, _ = t.isocalendar()
    return f"{y}-W{w:02d}"


def act(svc, call_id: str, action: str, actor: str, reasons: dict[str, str] | None = None,
        comment: str | None = None) -> None:
    """One step of the evaluation's workflow (vocsvc.qa.workflow); a dispute names the items and why."""
    from vocsvc.errors import Conflict, NotFound
    from vocsvc.qa.workflow import next_status

    status = store.review_status(svc.engine, call_id)
    if status is None:
        raise NotFound(f"call {call_id} has no evaluation yet: save one (PUT /v1/calls/{call_id}/review) first")
    target = next_status(status, action)
    detail: dict = {}
    if action == "dispute":
        card = {i.id for s in scorecard(svc.settings).sections for i in s.items}
        reasons = {k: (v or "").strip() for k, v in (reasons or {}).items()}
        if not reasons or any(not v for v in reasons.values()):
            raise InvalidInput("a dispute names at least one scorecard item, each with a reason")
        unknown = sorted(set(reasons) - card)
        if unknown:
            raise InvalidInput(f"reasons: not items of the scorecard: {', '.join(unknown)}")
        detail["reasons"] = reasons
    if comment:
        detail["comment"] = comment
    if not store.transition_review(svc.engine, call_id, status, target, actor, action, svc.clock.now(), detail,
                                   disputes=detail.get("reasons"), resolution=comment if action == "resolve" else None):
        raise Conflict("the evaluation changed meanwhile; reload it")


def history(svc, call_id: str) -> list:
    return store.review_history(svc.engine, call_id)
