"""The audit log: who (a key id) read, downloaded, exported, changed or deleted what (ids and counts only).

Nothing written here may identify a customer: a deletion is recorded with its receipt id and counts but not whose
data it was (even a hash of a handle can be reversed by guessing handles; the caller keeps the receipt), and
query filters are recorded by name, with values only for the non-personal ones."""
from __future__ import annotations

import logging
from datetime import datetime

from vocsvc.store import audit as store
from vocsvc.store.audit import AuditEntry

log = logging.getLogger("vocsvc")

READS = ("call.read", "call.audio", "mention.read", "calls.export", "mentions.export", "feedback.export",
         "qa.export", "agent.qa", "audit.read")
#: query parameters whose values say nothing about a person (the others are recorded by name only)
SAFE_FILTERS = {"channel", "source", "lang", "language", "sentiment", "customer_sentiment", "emotion", "intent",
                "category", "theme", "product", "state", "from", "to", "format", "has_alert", "alert_status",
                "with_tags", "reviewed", "has_pii", "mode", "limit"}


def safe_params(params: dict[str, str]) -> dict[str, str]:
    return {k: (v if k in SAFE_FILTERS else "<set>") for k, v in sorted(params.items()) if k != "cursor"}


def record(svc, key_id: str | None, action: str, object_type: str | None = None, object_id: str | None = None,
           status: int | None = None, detail: dict | None = None, at: datetime | None = None) -> None:
    if action in READS and not svc.settings.audit_reads:
        return
    store.append(svc.engine, at or svc.clock.now(), key_id, action, object_type, object_id, status, detail)


def query(svc, limit: int, before_id: int | None = None, **filters) -> list[AuditEntry]:
    return store.query(svc.engine, limit, before_id, **filters)
