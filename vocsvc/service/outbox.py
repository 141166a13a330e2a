"""Signed webhooks from an outbox: enqueued in the transaction of the event, delivered by the maintenance loop,
so a slow or failing receiver never blocks ingestion and a restart loses nothing."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from vocsvc.clock import backoff_delay
from vocsvc.store import alerts as alert_store
from vocsvc.store import outbox
from vocsvc.store.rows import Delivery
from vocsvc.webhooks import body, headers

log = logging.getLogger("vocsvc")


def enqueue(conn, settings, event: str, data: dict, now: datetime) -> int:
    return outbox.add(conn, event, body(event, data, now), list(settings.webhook_urls), now)


def deliver_due(engine: sa.Engine, settings, now: datetime, client=None, limit: int = 50) -> dict[str, int]:
    """Try every delivery that is due once; a failure is retried by ``webhook_backoff``, then given up (the first
    try and one per backoff step), and the alert's trail says so.

    A receiver that does not answer costs one ``webhook_timeout`` per round, not one per delivery: after a timeout
    or a refused connection, its other deliveries wait for the next round untouched (no attempt counted), so a
    dead receiver cannot hold the maintenance loop (escalations, re-enqueued mentions) for minutes."""
    import httpx

    own = client is None
    client = client or httpx.Client(timeout=settings.webhook_timeout)
    stats = {"delivered": 0, "retry": 0, "gave_up": 0}
    unreachable: set[str] = set()
    try:
        for d in outbox.due(engine, now, limit):
            if d.url in unreachable:
                continue
            raw = d.body.encode()
            try:
                r = client.post(d.url, content=raw, headers=headers(settings.webhook_secret, d.event, d.id, raw, now))
                ok, err = 200 <= r.status_code < 300, f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                ok, err = False, f"{type(e).__name__}: {e}"
                unreachable.add(d.url)
            attempts = d.attempts + 1
            delay = backoff_delay(settings.webhook_backoff, attempts)
            if ok:
                values = {"state": "delivered", "attempts": attempts, "last_error": None}
                stats["delivered"] += 1
            elif delay is None:
                values = {"state": "gave_up", "attempts": attempts, "last_error": err}
                stats["gave_up"] += 1
                log.warning("webhook %s to %s: gave up after %d attempts (%s)", d.event, _where(d.url), attempts,
                            err)
            else:
                values = {"attempts": attempts, "last_error": err, "next_at": now + timedelta(seconds=delay)}
                stats["retry"] += 1
            with engine.begin() as c:  # the give-up and its trail entry: one transaction
                if outbox.record(c, d.id, values) and values.get("state") == "gave_up":
                    _trail_gave_up(c, d, attempts, err, now)
    finally:
        if own:
            client.close()
    return stats


def _trail_gave_up(conn, d: Delivery, attempts: int, err: str, now: datetime) -> None:
    """An alert's webhook given up is written in the alert's trail (GET /v1/alerts/{id}): whoever reads the
    alert learns that the receiver never heard of it."""
    if not d.event.startswith("alert."):
        return
    alert_id = (json.loads(d.body).get("data") or {}).get("id")
    if alert_id:
        detail = {"event": d.event, "receiver": _where(d.url), "attempts": attempts, "error": err}
        alert_store.event_if_exists(conn, alert_id, now, "system", "webhook_gave_up", detail)


def _where(url: str) -> str:
    """A receiver URL without credentials or query (either may hold a token) for logs and the trail."""
    u = urlsplit(url)
    return f"{u.scheme}://{u.hostname or ''}{f':{u.port}' if u.port else ''}{u.path}"
