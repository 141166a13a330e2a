"""The audit log: append and query. SQL only; what is worth recording (and that it holds no PII) is decided in
vocsvc.service.audit."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.schema import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    key_id: str | None
    action: str
    object_type: str | None
    object_id: str | None
    status: int | None
    detail: dict


def append(engine_or_conn, at: datetime, key_id: str | None, action: str, object_type: str | None = None,
           object_id: str | None = None, status: int | None = None, detail: dict | None = None) -> None:
    stmt = audit_log.insert().values(at=at, key_id=key_id, action=action, object_type=object_type,
                                     object_id=object_id, status=status,
                                     detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None)
    if isinstance(engine_or_conn, sa.Engine):
        with engine_or_conn.begin() as c:
            c.execute(stmt)
    else:
        engine_or_conn.execute(stmt)


def query(engine: sa.Engine, limit: int, before_id: int | None = None, key_id: str | None = None,
          action: str | None = None, object_type: str | None = None, object_id: str | None = None,
          start: datetime | None = None, end: datetime | None = None) -> list[AuditEntry]:
    """Newest first; ``before_id`` is the keyset cursor (ids only grow)."""
    a = audit_log.c
    q = sa.select(audit_log).order_by(a.id.desc()).limit(limit)
    for col, val in ((a.key_id, key_id), (a.object_type, object_type), (a.object_id, object_id)):
        if val is not None:
            q = q.where(col == val)
    if action is not None:  # "call" matches every call.* action
        q = q.where(a.action.like(f"{action}.%") | (a.action == action)) if "." not in action else q.where(
            a.action == action)
    if before_id is not None:
        q = q.where(a.id < before_id)
    if start is not None:
        q = q.where(a.at >= start)
    if end is not None:
        q = q.where(a.at < end)
    with engine.connect() as c:
        return [AuditEntry(r.id, r.at, r.key_id, r.action, r.object_type, r.object_id, r.status,
                           json.loads(r.detail) if r.detail else {}) for r in c.execute(q)]


def count(engine: sa.Engine, key_id: str, action: str, since: datetime) -> int:
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.key_id == key_id, audit_log.c.action == action, audit_log.c.at >= since,
            sa.or_(audit_log.c.status.is_(None), audit_log.c.status < 400))).scalar() or 0
