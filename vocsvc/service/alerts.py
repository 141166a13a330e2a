"""The alert workflow: apply the rules' decision for a freshly tagged mention (inside the tagging transaction),
act on alerts (ack / reply / close / assign, each in the audit trail), escalate what is about to breach."""
from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from vocsvc.alerting import EVENT_OF, AlertStateError, check_transition, decide
from vocsvc.clock import iso_z
from vocsvc.service.outbox import enqueue
from vocsvc.store import alerts as store
from vocsvc.store.rows import AlertRow, MentionRow, NewAlert

__all__ = ["AlertStateError", "consider", "act", "escalate_due", "page", "get", "webhook_data"]


def consider(conn, mention: MentionRow, tags: dict, settings, now: datetime) -> str | None:
    """Open or join an alert for a freshly tagged mention; the id, or None when the rules see no need."""
    d = decide(mention, tags, settings)
    if d is None:
        return None
    if d.author_key:
        open_ = store.joinable(conn, d.author_key, d.join_since, d.join_until)
        if open_ is not None:
            store.join(conn, open_, mention.id, mention.created_at, d.due_at, d.reasons, d.priority, d.priority_score)
            store.event(conn, open_.id, now, "system", "mention_joined", {"mention_id": mention.id})
            return open_.id
    aid = str(uuid.uuid4())
    store.insert(conn, NewAlert(aid, mention.id, d.author_key, mention.channel, d.priority, d.priority_score,
                                d.reasons, mention.created_at, now, d.due_at))
    store.event(conn, aid, now, "system", "opened", {"mention_id": mention.id, "reasons": d.reasons})
    enqueue(conn, settings, "alert.created", webhook_data(store.load(conn, [aid])[0]), now)
    return aid


def webhook_data(a: AlertRow) -> dict:
    """An alert as a webhook's ``data`` (times as ISO 'Z' strings)."""
    d = {k: v for k, v in asdict(a).items() if k not in ("events", "author_key", "mention_id", "last_mention_at")}
    for k in ("created_at", "opened_at", "due_at", "escalated_at", "closed_at"):
        d[k] = iso_z(d[k])
    d["escalated"] = a.escalated_at is not None
    d["mentions"] = [m | {"created_at": iso_z(m["created_at"])} for m in d["mentions"]]
    return d


def act(engine: sa.Engine, alert_id: str, action: str, actor: str, now: datetime, detail: dict | None = None
        ) -> AlertRow | None:
    """ack / reply (detail: text) / close / assign (detail: assignee), recorded in the audit trail."""
    with engine.begin() as c:
        row = store.get_for_update(c, alert_id)
        if row is None:
            return None
        target = check_transition(action, row.status)
        values: dict = {}
        if target:
            values["status"] = target
        if action == "close":
            values["closed_at"] = now
        if action == "assign":
            values["assignee"] = (detail or {}).get("assignee")
        if values and not store.update_if_status(c, alert_id, row.status, values):
            raise AlertStateError("the alert changed meanwhile; reload and try again")
        store.event(c, alert_id, now, actor, EVENT_OF[action], detail)
    return get(engine, alert_id)


def escalate_due(engine: sa.Engine, settings, now: datetime) -> list[str]:
    """Escalate (once) every alert not yet replied to that is due within the window or overdue."""
    horizon = now + timedelta(hours=settings.alert_escalate_within_hours)
    out = []
    with engine.begin() as c:
        for aid, due in store.escalation_candidates(c, horizon):
            if store.mark_escalated(c, aid, now):
                store.event(c, aid, now, "system", "escalated", {"overdue": due <= now})
                enqueue(c, settings, "alert.escalated", webhook_data(store.load(c, [aid])[0]), now)
                out.append(aid)
    return out


def page(engine: sa.Engine, now: datetime, limit: int, offset: int, **filters) -> tuple[list[AlertRow], int]:
    ids, total = store.page_ids(engine, now, limit, offset, **filters)
    with engine.connect() as c:
        return store.load(c, ids), total


def get(engine: sa.Engine, alert_id: str) -> AlertRow | None:
    with engine.connect() as c:
        rows = store.load(c, [alert_id], with_events=True)
    return rows[0] if rows else None
