"""Signed webhooks with retries, from an outbox table: enqueued in the same transaction as the event, delivered by
a background loop, so a slow or failing receiver never blocks ingestion and a restart loses nothing.

Receivers verify ``X-Vocsvc-Signature: sha256=<hex>``, the HMAC-SHA256 of ``<X-Vocsvc-Timestamp>.<raw body>``
with the shared ``VOCSVC_WEBHOOK_SECRET``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from vocsvc.store.schema import webhook_deliveries

log = logging.getLogger("vocsvc")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def enqueue(conn, settings, event: str, data: dict, now: datetime) -> int:
    body = json.dumps({"event": event, "at": now.isoformat(timespec="seconds") + "Z", "data": data},
                      ensure_ascii=False, default=str)
    for url in settings.webhook_urls:
        conn.execute(webhook_deliveries.insert().values(event=event, url=url, body=body, state="pending",
                                                        attempts=0, next_at=now, created_at=now))
    return len(settings.webhook_urls)


def deliver_due(engine: sa.Engine, settings, now: datetime, client=None, limit: int = 50) -> dict[str, int]:
    """Try every delivery that is due once; a failure is rescheduled by the backoff list, then given up."""
    import httpx

    own = client is None
    client = client or httpx.Client(timeout=settings.webhook_timeout)
    stats = {"delivered": 0, "retry": 0, "gave_up": 0}
    try:
        with engine.connect() as c:
            due = c.execute(sa.select(webhook_deliveries).where(
                webhook_deliveries.c.state == "pending", webhook_deliveries.c.next_at <= now)
                .order_by(webhook_deliveries.c.id).limit(limit)).all()
        for d in due:
            body = d.body.encode()
            ts = str(int(now.timestamp()))
            headers = {"Content-Type": "application/json", "X-Vocsvc-Event": d.event, "X-Vocsvc-Timestamp": ts,
                       "X-Vocsvc-Delivery": str(d.id), "X-Vocsvc-Signature": sign(settings.webhook_secret, ts, body)}
            try:
                r = client.post(d.url, content=body, headers=headers)
                ok, err = 200 <= r.status_code < 300, f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                ok, err = False, f"{type(e).__name__}: {e}"
            attempts = d.attempts + 1
            if ok:
                values = {"state": "delivered", "attempts": attempts, "last_error": None}
                stats["delivered"] += 1
            elif attempts > len(settings.webhook_backoff):
                values = {"state": "gave_up", "attempts": attempts, "last_error": err}
                stats["gave_up"] += 1
                log.warning("webhook %s to %s: gave up after %d attempts (%s)", d.event, d.url, attempts, err)
            else:
                values = {"attempts": attempts, "last_error": err,
                          "next_at": now + timedelta(seconds=settings.webhook_backoff[attempts - 1])}
                stats["retry"] += 1
            with engine.begin() as c:
                c.execute(webhook_deliveries.update().where(webhook_deliveries.c.id == d.id,
                                                            webhook_deliveries.c.state == "pending").values(**values))
    finally:
        if own:
            client.close()
    return stats
