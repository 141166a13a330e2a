"""The webhook outbox: deliveries written in the transaction of the event they announce; SQL only."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.rows import Delivery
from vocsvc.store.schema import webhook_deliveries as wd


def add(conn, event: str, body: str, urls: list[str], now: datetime) -> int:
    for url in urls:
        conn.execute(wd.insert().values(event=event, url=url, body=body, state="pending", attempts=0, next_at=now,
                                        created_at=now))
    return len(urls)


def due(engine: sa.Engine, now: datetime, limit: int) -> list[Delivery]:
    with engine.connect() as c:
        return [Delivery(r.id, r.event, r.url, r.body, r.attempts) for r in c.execute(
            sa.select(wd).where(wd.c.state == "pending", wd.c.next_at <= now).order_by(wd.c.id).limit(limit))]


def record(conn, delivery_id: int, values: dict) -> bool:
    """One attempt's outcome, in the caller's transaction; False if the delivery was no longer pending."""
    return conn.execute(wd.update().where(wd.c.id == delivery_id, wd.c.state == "pending")
                        .values(**values)).rowcount == 1


def pending_count(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(wd).where(wd.c.state == "pending")).scalar()
