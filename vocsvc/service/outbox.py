"""Signed webhooks from an outbox: enqueued in the transaction of the event, delivered by the maintenance loop,
so a slow or failing receiver never blocks ingestion and a restart loses nothing."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from vocsvc.clock import backoff_delay
from vocsvc.store import outbox
from vocsvc.webhooks import body, headers

log = logging.getLogger("vocsvc")


def enqueue(conn, settings, event: str, data: dict, now: datetime) -> int:
    return outbox.add(conn, event, body(event, data, now), list(settings.webhook_urls), now)


def deliver_due(engine: sa.Engine, settings, now: datetime, client=None, limit: int = 50) -> dict[str, int]:
    """Try every delivery that is due once; a failure is retried by ``webhook_backoff``, then given up."""
    import httpx

    own = client is None
    client = client or httpx.Client(timeout=settings.webhook_timeout)
    stats = {"delivered": 0, "retry": 0, "gave_up": 0}
    try:
        for d in outbox.due(engine, now, limit):
            raw = d.body.encode()
            try:
                r = client.post(d.url, content=raw, headers=headers(settings.webhook_secret, d.event, d.id, raw, now))
                ok, err = 200 <= r.status_code < 300, f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                ok, err = False, f"{type(e).__name__}: {e}"
            attempts = d.attempts + 1
            delay = backoff_delay(settings.webhook_backoff, attempts)
            if ok:
                values = {"state": "delivered", "attempts": attempts, "last_error": None}
                stats["delivered"] += 1
            elif delay is None:
                values = {"state": "gave_up", "attempts": attempts, "last_error": err}
                stats["gave_up"] += 1
                log.warning("webhook %s to %s: gave up after %d attempts (%s)", d.event, d.url, attempts, err)
            else:
                values = {"attempts": attempts, "last_error": err, "next_at": now + timedelta(seconds=delay)}
                stats["retry"] += 1
            outbox.record(engine, d.id, values)
    finally:
        if own:
            client.close()
    return stats
