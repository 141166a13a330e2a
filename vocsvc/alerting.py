"""The 72-hour rule, as pure decisions over a mention's tags (no database: vocsvc.service.alerts applies them).

* A mention on a public channel (review, social) opens an alert when its sentiment score is at or below
  ``-alert_negative_threshold``, when it carries a threat category (churn, legal, public escalation), or when it is
  a 1-2 star review that the text does not contradict. ``due_at = created_at + SLA``.
* Negative posts by one author within ``alert_join_hours`` join the open alert (the earliest due time stands).
* Priority (p1 highest .. p4) from severity (how negative, anger/disgust, threat categories), reach (followers,
  log scale) and VIP status.
* open -> acknowledged -> replied -> closed (:data:`TRANSITIONS`); an alert not yet replied to and due within
  ``alert_escalate_within_hours`` (or overdue) is escalated once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from vocsvc.types import PUBLIC_CHANNELS

TRANSITIONS = {  # action: (states it is allowed in, the state it leads to; None = unchanged)
    "ack": ({"open"}, "acknowledged"),
    "reply": ({"open", "acknowledged", "replied"}, "replied"),
    "close": ({"open", "acknowledged", "replied"}, "closed"),
    "assign": ({"open", "acknowledged", "replied"}, None),
}
EVENT_OF = {"ack": "acknowledged", "reply": "replied", "close": "closed", "assign": "assigned"}
ACTIVE = ("open", "acknowledged")  # states in which an alert can be overdue or escalated


class AlertStateError(ValueError):
    """The action is not allowed in the alert's current state."""


@dataclass(frozen=True, slots=True)
class AlertDecision:
    reasons: list[str]
    priority: str
    priority_score: float
    author_key: str | None
    due_at: datetime
    join_since: datetime  # an open alert of the same author last mentioned in this window takes the mention
    join_until: datetime


def reasons_for(channel: str, tags: dict, rating: int | None, settings) -> list[str]:
    if channel not in PUBLIC_CHANNELS:
        return []
    out = []
    s = tags.get("sentiment") or {}
    score = s.get("score")
    # The calibrated label decides; a threshold above 0 only asks for a stronger score as well.
    if s.get("label") == "negative" and score is not None and score <= -settings.alert_negative_threshold:
        out.append("negative")
    out += [f"category:{c}" for c in tags.get("categories", []) if c in settings.alert_threat_categories]
    if rating is not None and rating <= 2 and "negative" not in out and (score is None or score < 0.3):
        out.append(f"rating:{rating}")
    return out


def priority_for(tags: dict, reasons: list[str], followers: int | None, is_vip: bool) -> tuple[float, str]:
    score = 0.0
    s = (tags.get("sentiment") or {}).get("score") or 0.0
    score += max(0.0, -s) * 2  # 0..2
    if tags.get("emotion") in ("anger", "disgust"):
        score += 0.5
    threats = [r for r in reasons if r.startswith("category:")]
    score += 1.0 * len(threats)
    if any("legal" in r for r in threats):
        score += 0.5
    score += min(2.0, math.log10(max(1, followers or 0)) / 2.5)  # 100k followers -> 2.0
    if is_vip:
        score += 1.5
    label = "p1" if score >= 4 else "p2" if score >= 2.5 else "p3" if score >= 1.2 else "p4"
    return round(score, 3), label


def decide(mention, tags: dict, settings) -> AlertDecision | None:
    """Does this freshly tagged mention need a reply within the SLA? ``mention`` is a stored mention row."""
    reasons = reasons_for(mention.channel, tags, mention.rating, settings)
    if not reasons:
        return None
    score, prio = priority_for(tags, reasons, mention.author_followers, bool(mention.author_is_vip))
    join = timedelta(hours=settings.alert_join_hours)
    return AlertDecision(
        reasons=reasons, priority=prio, priority_score=score,
        author_key=f"{mention.source}:{mention.author_handle.lower()}" if mention.author_handle else None,
        due_at=mention.created_at + timedelta(hours=settings.alert_sla_hours),
        join_since=mention.created_at - join, join_until=mention.created_at + join)


def check_transition(action: str, status: str) -> str | None:
    """The state ``action`` leads to from ``status`` (None: unchanged); AlertStateError if not allowed."""
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        raise AlertStateError(f"cannot {action} an alert that is {status}")
    return target
