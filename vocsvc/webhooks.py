"""Webhook messages: the body and its signature (pure; vocsvc.service.outbox stores and delivers them).

Receivers verify ``X-Vocsvc-Signature: sha256=<hex>``, the HMAC-SHA256 of ``<X-Vocsvc-Timestamp>.<raw body>``
with the shared ``VOCSVC_WEBHOOK_SECRET``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from vocsvc.clock import iso_z


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def body(event: str, data: dict, now: datetime) -> str:
    return json.dumps({"event": event, "at": iso_z(now), "data": data}, ensure_ascii=False, default=str)


def headers(secret: str, event: str, delivery_id: int, body_bytes: bytes, now: datetime) -> dict[str, str]:
    ts = str(int(now.timestamp()))
    return {"Content-Type": "application/json", "X-Vocsvc-Event": event, "X-Vocsvc-Timestamp": ts,
            "X-Vocsvc-Delivery": str(delivery_id), "X-Vocsvc-Signature": sign(secret, ts, body_bytes)}
