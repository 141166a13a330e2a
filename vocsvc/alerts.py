"""The 72-hour rule: negative or threatening public mentions open alerts that are tracked to a reply.

* A mention on a public channel (review, social) opens an alert when its sentiment score is at or below
  ``-alert_negative_threshold``, when it carries a threat category (churn, legal, public escalation), or when it is
  a 1-2 star review that the text does not contradict. ``due_at = created_at + SLA``.
* Negative posts by one author within ``alert_join_hours`` join the open alert (the earliest due time stands).
* Priority (p1 highest .. p4) from severity (how negative, anger/disgust, threat categories), reach (followers,
  log scale) and VIP status.
* open -> acknowledged -> replied -> closed; every action lands in ``alert_events`` (the audit trail).
* An alert not yet replied to and due within ``alert_escalate_within_hours`` (or overdue) is escalated once,
  which raises an ``alert.escalated`` webhook; a new alert raises ``alert.created``.
"""
from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from vocsvc.store.schema import PUBLIC_CHANNELS, alert_events, alert_mentions, alerts, mentions

TRANSITIONS = {
    "ack": ({"open"}, "acknowledged"),
    "reply": ({"open", "acknowledged", "replied"}, "replied"),
    "close": ({"open", "acknowledged", "replied"}, "closed"),
    "assign": ({"open", "acknowledged", "replied"}, None),
}


class AlertStateError(ValueError):
    """The action is not allowed in the alert's current state."""


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


def consider_mention(conn, row, tags: dict, settings, now: datetime) -> str | None:
    """Open or join an alert for a freshly tagged mention (inside the tagging transaction)."""
    reasons = reasons_for(row.channel, tags, row.rating, settings)
    if not reasons:
        return None
    score, prio = priority_for(tags, reasons, row.author_followers, bool(row.author_is_vip))
    author_key = f"{row.source}:{row.author_handle.lower()}" if row.author_handle else None
    due = row.created_at + timedelta(hours=settings.alert_sla_hours)
    if author_key:
        since = row.created_at - timedelta(hours=settings.alert_join_hours)
        until = row.created_at + timedelta(hours=settings.alert_join_hours)
        open_ = conn.execute(sa.select(alerts).where(
            alerts.c.author_key == author_key, alerts.c.status != "closed",
            alerts.c.last_mention_at >= since, alerts.c.created_at <= until).order_by(alerts.c.created_at)).first()
        if open_ is not None:
            conn.execute(alert_mentions.insert().values(alert_id=open_.id, mention_id=row.id))
            old = json.loads(open_.reasons)
            conn.execute(alerts.update().where(alerts.c.id == open_.id).values(
                last_mention_at=max(open_.last_mention_at, row.created_at), due_at=min(open_.due_at, due),
                reasons=json.dumps(sorted(set(old) | set(reasons))),
                priority_score=max(open_.priority_score, score),
                priority=min(open_.priority, prio)))  # "p1" < "p2": the more urgent wins
            _event(conn, open_.id, now, "system", "mention_joined", {"mention_id": row.id})
            return open_.id
    aid = str(uuid.uuid4())
    conn.execute(alerts.insert().values(
        id=aid, mention_id=row.id, author_key=author_key, channel=row.channel, status="open", priority=prio,
        priority_score=score, reasons=json.dumps(reasons), created_at=row.created_at, opened_at=now, due_at=due,
        last_mention_at=row.created_at))
    conn.execute(alert_mentions.insert().values(alert_id=aid, mention_id=row.id))
    _event(conn, aid, now, "system", "opened", {"mention_id": row.id, "reasons": reasons})
    from vocsvc.webhooks import enqueue

    enqueue(conn, settings, "alert.created", alert_payload(conn, aid), now)
    return aid


def _event(conn, alert_id: str, now: datetime, actor: str, action: str, detail: dict | None = None) -> None:
    conn.execute(alert_events.insert().values(alert_id=alert_id, at=now, actor=actor, action=action,
                                              detail=json.dumps(detail or {}, ensure_ascii=False)))


def act(engine: sa.Engine, alert_id: str, action: str, actor: str, now: datetime, detail: dict | None = None):
    """ack / reply (detail: text) / close / assign (detail: assignee), recorded in the audit trail."""
    allowed, target = TRANSITIONS[action]
    with engine.begin() as c:
        row = c.execute(sa.select(alerts).where(alerts.c.id == alert_id)).first()
        if row is None:
            return None
        if row.status not in allowed:
            raise AlertStateError(f"cannot {action} an alert that is {row.status}")
        values: dict = {}
        if target:
            values["status"] = target
        if action == "close":
            values["closed_at"] = now
        if action == "assign":
            values["assignee"] = (detail or {}).get("assignee")
        if values:
            # conditional on the state read above: two concurrent actions cannot both pass the check
            res = c.execute(alerts.update().where(alerts.c.id == alert_id, alerts.c.status == row.status)
                            .values(**values))
            if res.rowcount != 1:
                raise AlertStateError("the alert changed meanwhile; reload and try again")
        _event(c, alert_id, now, actor, {"ack": "acknowledged", "reply": "replied", "close": "closed",
                                         "assign": "assigned"}[action], detail)
    return get_alert(engine, alert_id, now)


def escalate_due(engine: sa.Engine, settings, now: datetime) -> list[str]:
    """Escalate (once) every alert not yet replied to that is due within the window or overdue."""
    from vocsvc.webhooks import enqueue

    horizon = now + timedelta(hours=settings.alert_escalate_within_hours)
    out = []
    with engine.begin() as c:
        rows = c.execute(sa.select(alerts.c.id, alerts.c.due_at).where(
            alerts.c.status.in_(["open", "acknowledged"]), alerts.c.escalated_at.is_(None),
            alerts.c.due_at <= horizon)).all()
        for r in rows:
            res = c.execute(alerts.update().where(alerts.c.id == r.id, alerts.c.escalated_at.is_(None))
                            .values(escalated_at=now))
            if res.rowcount == 1:
                _event(c, r.id, now, "system", "escalated", {"overdue": r.due_at <= now})
                enqueue(c, settings, "alert.escalated", alert_payload(c, r.id), now)
                out.append(r.id)
    return out


def alert_payloads(conn, alert_ids: list[str], now: datetime | None = None) -> list[dict]:
    """Alerts with their mentions, in the order given: two queries whatever the page size."""
    from vocsvc.store.mentions import iso

    if not alert_ids:
        return []
    rows = {a.id: a for a in conn.execute(sa.select(alerts).where(alerts.c.id.in_(alert_ids)))}
    by_alert: dict[str, list] = {i: [] for i in alert_ids}
    for m in conn.execute(sa.select(alert_mentions.c.alert_id, mentions.c.id, mentions.c.source,
                                    mentions.c.external_id, mentions.c.url, mentions.c.author_handle,
                                    mentions.c.text_redacted, mentions.c.created_at, mentions.c.sentiment_score)
                          .join(mentions, alert_mentions.c.mention_id == mentions.c.id)
                          .where(alert_mentions.c.alert_id.in_(alert_ids)).order_by(mentions.c.created_at)):
        by_alert[m.alert_id].append({"id": m.id, "source": m.source, "external_id": m.external_id, "url": m.url,
                                     "author": m.author_handle, "text_redacted": m.text_redacted,
                                     "created_at": iso(m.created_at), "sentiment_score": m.sentiment_score})
    out = []
    for i in alert_ids:
        a = rows[i]
        d = {
            "id": a.id, "status": a.status, "priority": a.priority, "priority_score": a.priority_score,
            "channel": a.channel, "reasons": json.loads(a.reasons), "created_at": iso(a.created_at),
            "opened_at": iso(a.opened_at), "due_at": iso(a.due_at), "escalated": a.escalated_at is not None,
            "escalated_at": iso(a.escalated_at), "assignee": a.assignee, "closed_at": iso(a.closed_at),
            "mentions": by_alert[i],
        }
        if now is not None:
            d["overdue"] = a.status in ("open", "acknowledged") and a.due_at <= now
            d["hours_left"] = round((a.due_at - now).total_seconds() / 3600, 2)
        out.append(d)
    return out


def alert_payload(conn, alert_id: str, now: datetime | None = None) -> dict:
    return alert_payloads(conn, [alert_id], now)[0]


def get_alert(engine: sa.Engine, alert_id: str, now: datetime) -> dict | None:
    from vocsvc.store.mentions import iso

    with engine.connect() as c:
        if c.execute(sa.select(alerts.c.id).where(alerts.c.id == alert_id)).first() is None:
            return None
        d = alert_payload(c, alert_id, now)
        d["events"] = [{"at": iso(e.at), "actor": e.actor, "action": e.action, "detail": json.loads(e.detail or "{}")}
                       for e in c.execute(sa.select(alert_events).where(alert_events.c.alert_id == alert_id)
                                          .order_by(alert_events.c.id))]
    return d
