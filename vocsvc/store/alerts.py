"""Alerts, their mentions and their audit trail: SQL only (the rules are vocsvc.alerting, the flow
vocsvc.service.alerts)."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.rows import AlertEvent, AlertMentionRef, AlertRow, NewAlert
from vocsvc.store.schema import alert_events, alert_mentions, alerts, mentions

ACTIVE = ("open", "acknowledged")


def joinable(conn, author_key: str, since: datetime, until: datetime) -> AlertRow | None:
    r = conn.execute(sa.select(alerts).where(
        alerts.c.author_key == author_key, alerts.c.status != "closed", alerts.c.last_mention_at >= since,
        alerts.c.created_at <= until).order_by(alerts.c.created_at)).first()
    return AlertRow.from_row(r) if r else None


def insert(conn, a: NewAlert) -> None:
    conn.execute(alerts.insert().values(
        id=a.id, mention_id=a.mention_id, author_key=a.author_key, channel=a.channel, status="open",
        priority=a.priority, priority_score=a.priority_score, reasons=json.dumps(a.reasons), created_at=a.created_at,
        opened_at=a.opened_at, due_at=a.due_at, last_mention_at=a.created_at))
    conn.execute(alert_mentions.insert().values(alert_id=a.id, mention_id=a.mention_id))


def join(conn, alert: AlertRow, mention_id: str, mention_at: datetime, due_at: datetime, reasons: list[str],
         priority: str, priority_score: float) -> None:
    conn.execute(alert_mentions.insert().values(alert_id=alert.id, mention_id=mention_id))
    conn.execute(alerts.update().where(alerts.c.id == alert.id).values(
        last_mention_at=max(alert.last_mention_at, mention_at), due_at=min(alert.due_at, due_at),
        reasons=json.dumps(sorted(set(alert.reasons) | set(reasons))),
        priority_score=max(alert.priority_score, priority_score),
        priority=min(alert.priority, priority)))  # "p1" < "p2": the more urgent wins


def event(conn, alert_id: str, at: datetime, actor: str, action: str, detail: dict | None = None) -> None:
    conn.execute(alert_events.insert().values(alert_id=alert_id, at=at, actor=actor, action=action,
                                              detail=json.dumps(detail or {}, ensure_ascii=False)))


def get_for_update(conn, alert_id: str) -> AlertRow | None:
    r = conn.execute(sa.select(alerts).where(alerts.c.id == alert_id)).first()
    return AlertRow.from_row(r) if r else None


def update_if_status(conn, alert_id: str, status: str, values: dict) -> bool:
    """Conditional on the state read before: two concurrent actions cannot both pass the check."""
    return conn.execute(alerts.update().where(alerts.c.id == alert_id, alerts.c.status == status)
                        .values(**values)).rowcount == 1


def escalation_candidates(conn, horizon: datetime) -> list[tuple[str, datetime]]:
    return [(r.id, r.due_at) for r in conn.execute(sa.select(alerts.c.id, alerts.c.due_at).where(
        alerts.c.status.in_(ACTIVE), alerts.c.escalated_at.is_(None), alerts.c.due_at <= horizon))]


def mark_escalated(conn, alert_id: str, now: datetime) -> bool:
    return conn.execute(alerts.update().where(alerts.c.id == alert_id, alerts.c.escalated_at.is_(None))
                        .values(escalated_at=now)).rowcount == 1


def load(conn, alert_ids: list[str], with_events: bool = False) -> list[AlertRow]:
    """Alerts with their mentions, in the order given: two queries whatever the page size."""
    if not alert_ids:
        return []
    rows = {r.id: AlertRow.from_row(r) for r in conn.execute(sa.select(alerts).where(alerts.c.id.in_(alert_ids)))}
    for m in conn.execute(sa.select(alert_mentions.c.alert_id, mentions.c.id, mentions.c.source,
                                    mentions.c.external_id, mentions.c.url, mentions.c.author_handle,
                                    mentions.c.text_redacted, mentions.c.created_at, mentions.c.sentiment_score,
                                    mentions.c.author_followers, mentions.c.author_is_vip)
                          .join(mentions, alert_mentions.c.mention_id == mentions.c.id)
                          .where(alert_mentions.c.alert_id.in_(alert_ids)).order_by(mentions.c.created_at)):
        rows[m.alert_id].mentions.append(AlertMentionRef(m.id, m.source, m.external_id, m.url, m.author_handle,
                                                         m.text_redacted, m.created_at, m.sentiment_score,
                                                         m.author_followers, bool(m.author_is_vip)))
    if with_events:
        for a in rows.values():
            a.events = []
        for e in conn.execute(sa.select(alert_events).where(alert_events.c.alert_id.in_(alert_ids))
                              .order_by(alert_events.c.id)):
            rows[e.alert_id].events.append(AlertEvent(e.at, e.actor, e.action, json.loads(e.detail or "{}")))
    return [rows[i] for i in alert_ids if i in rows]


def page_ids(engine: sa.Engine, now: datetime, limit: int, offset: int, status: str | None = None,
             priority: str | None = None, channel: str | None = None, due_before: datetime | None = None,
             escalated: bool | None = None, overdue: bool | None = None, active: bool | None = None,
             order: str = "urgency") -> tuple[list[str], int]:
    """Ids of one page of alerts and the total: most urgent first (active, then priority, then due time), or with
    ``order="due"`` by due time alone (the social-care queue: the next deadline on top)."""
    a = alerts.c
    q = sa.select(a.id)
    for col, val in ((a.status, status), (a.priority, priority), (a.channel, channel)):
        if val is not None:
            q = q.where(col == val)
    if due_before is not None:
        q = q.where(a.due_at < due_before)
    if escalated is not None:
        q = q.where(a.escalated_at.is_not(None) if escalated else a.escalated_at.is_(None))
    is_active = a.status.in_(ACTIVE)
    if active is not None:
        q = q.where(is_active if active else sa.not_(is_active))
    if overdue is True:
        q = q.where(is_active, a.due_at <= now)
    elif overdue is False:
        q = q.where(sa.not_(sa.and_(is_active, a.due_at <= now)))
    with engine.connect() as c:
        if order == "due":
            total = c.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar()
            ids = c.execute(q.order_by(a.due_at, a.priority, a.id).limit(limit).offset(offset)).scalars().all()
            return list(ids), int(total)
        per_status = dict(c.execute(q.with_only_columns(a.status, sa.func.count()).group_by(a.status)).all())
        return _urgent_page(c, q, per_status, limit, offset), sum(per_status.values())


def _urgent_page(c, q: sa.Select, per_status: dict[str, int], limit: int, offset: int) -> list[str]:
    """Ids ``offset`` to ``offset + limit`` of ``q`` in the order (active first, priority, due_at, id), given how
    many alerts of each status match. Each status is its own range of ix_alerts_queue, already in (priority, due_at,
    id) order, so no query sorts more than offset + limit rows of a status (ordering by an "is active" expression
    sorted every match: all open alerts for a page of 50)."""
    a = alerts.c
    keys = (a.priority, a.due_at, a.id)
    ids: list[str] = []
    for group in ([s for s in ACTIVE if s in per_status], sorted(s for s in per_status if s not in ACTIVE)):
        n = sum(per_status[s] for s in group)
        if offset >= n:  # the page starts after this group
            offset -= n
            continue
        want = limit - len(ids)
        parts = [q.with_only_columns(*keys).where(a.status == s).order_by(*keys).limit(offset + want)
                 for s in group]
        if len(parts) == 1:
            page = parts[0].with_only_columns(a.id).offset(offset).limit(want)
        else:  # each status's first offset + want, merged by the database (its collation orders the ids)
            u = sa.union_all(*[sa.select(p.subquery()) for p in parts]).subquery()
            page = sa.select(u.c.id).order_by(u.c.priority, u.c.due_at, u.c.id).offset(offset).limit(want)
        ids += c.execute(page).scalars().all()
        offset = 0
        if len(ids) >= limit:
            break
    return ids


def exists(engine: sa.Engine, alert_id: str) -> bool:
    with engine.connect() as c:
        return c.execute(sa.select(alerts.c.id).where(alerts.c.id == alert_id)).first() is not None


def event_if_exists(conn, alert_id: str, at: datetime, actor: str, action: str, detail: dict | None = None) -> bool:
    """:func:`event` for an alert that may be gone since (deleted by retention): False, nothing written, if so."""
    if conn.execute(sa.select(alerts.c.id).where(alerts.c.id == alert_id)).first() is None:
        return False
    event(conn, alert_id, at, actor, action, detail)
    return True
