"""Alert pages, most urgent first: each status read from its own (status, priority, due_at, id) index range gives
exactly the page and total of one query ordered by (active first, priority, due_at, id), on SQLite and PostgreSQL,
for every filter, page size and offset (ties on priority and due time included)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

NOW = datetime(2026, 11, 1, 12, 0)


def _load(engine, n: int = 240) -> None:
    from vocsvc.store.schema import alerts, mentions

    rng = random.Random(7)
    ms, als = [], []
    for i in range(n):
        mid = f"m{i:04d}"
        ms.append({"id": mid, "source": "s", "external_id": str(i), "channel": "social", "created_at": NOW,
                   "ingested_at": NOW, "author_is_vip": False, "text_redacted": "x", "text_sha256": "0",
                   "state": "tagged"})
        due = NOW + timedelta(hours=rng.choice([-30, -5, -5, 0, 3, 3, 40]))  # many ties
        als.append({"id": f"a{rng.randrange(10**6):06d}-{i}", "mention_id": mid, "author_key": None,
                    "channel": rng.choice(["social", "review"]),
                    "status": rng.choice(["open", "open", "acknowledged", "replied", "closed"]),
                    "priority": rng.choice(["p1", "p2", "p3", "p4"]), "priority_score": 1.0, "reasons": "[]",
                    "created_at": NOW, "opened_at": NOW, "due_at": due, "last_mention_at": NOW,
                    "escalated_at": NOW if rng.random() < 0.2 else None})
    with engine.begin() as c:
        c.execute(mentions.insert(), ms)
        c.execute(alerts.insert(), als)


def _reference(engine, limit, offset, **f) -> tuple[list[str], int]:
    """The single query the pages replaced: every match sorted by (active first, priority, due_at, id)."""
    from vocsvc.store.alerts import ACTIVE
    from vocsvc.store.schema import alerts

    a = alerts.c
    q = sa.select(a.id)
    for col in ("status", "priority", "channel"):
        if f.get(col) is not None:
            q = q.where(a[col] == f[col])
    is_active = a.status.in_(ACTIVE)
    if f.get("escalated") is not None:
        q = q.where(a.escalated_at.is_not(None) if f["escalated"] else a.escalated_at.is_(None))
    if f.get("active") is not None:
        q = q.where(is_active if f["active"] else sa.not_(is_active))
    if f.get("overdue") is True:
        q = q.where(is_active, a.due_at <= NOW)
    elif f.get("overdue") is False:
        q = q.where(sa.not_(sa.and_(is_active, a.due_at <= NOW)))
    with engine.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar()
        ids = c.execute(q.order_by(sa.case((is_active, 0), else_=1), a.priority, a.due_at, a.id)
                        .limit(limit).offset(offset)).scalars().all()
    return list(ids), total


@pytest.mark.parametrize("filters", [{}, {"status": "open"}, {"status": "closed"}, {"overdue": True},
                                     {"overdue": False}, {"channel": "review"}, {"priority": "p2", "active": True},
                                     {"active": False, "escalated": False}, {"status": "replied", "channel": "x"}])
def test_urgent_pages_equal_one_sorted_query(db_url, filters):
    from vocsvc.store.alerts import page_ids
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    eng = engine_for(db_url)
    upgrade(eng)
    _load(eng)
    seen = 0
    for limit, offset in ((50, 0), (7, 0), (7, 7), (25, 60), (30, 100), (500, 0), (10, 235), (10, 400)):
        got = page_ids(eng, NOW, limit, offset, **filters)
        assert got == _reference(eng, limit, offset, **filters), (limit, offset)
        seen += len(got[0])
    assert seen or filters.get("channel") == "x"  # not vacuous


def test_due_order_is_unchanged(db_url):
    from vocsvc.store.alerts import page_ids
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.schema import alerts

    eng = engine_for(db_url)
    upgrade(eng)
    _load(eng, 60)
    a = alerts.c
    with eng.connect() as c:
        want = c.execute(sa.select(a.id).where(a.status.in_(["open", "acknowledged"]))
                         .order_by(a.due_at, a.priority, a.id).limit(20).offset(5)).scalars().all()
    assert page_ids(eng, NOW, 20, 5, active=True, order="due")[0] == list(want)
