"""Admin: API keys (create, list, revoke, rotate), the audit log, and data-subject deletion."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body, Depends, Query

from api.deps import require, svc
from api.public import AuditEntryPublic, DeletionReceipt, KeyCreated, KeyPublic, Page
from api.schemas import KeyIn, RotateIn
from vocsvc.clock import to_utc_naive
from vocsvc.errors import InvalidInput
from vocsvc.service import audit, keys, privacy

router = APIRouter(prefix="/v1", tags=["admin"])


@router.get("/keys", response_model=list[KeyPublic], summary="Every API key (never the secret)")
def list_keys(s=Depends(svc), key=Depends(require())):
    return [KeyPublic.model_validate(k) for k in keys.listing(s)]


@router.post("/keys", status_code=201, response_model=KeyCreated, summary="A new key (shown once)")
def create_key(body: KeyIn, s=Depends(svc), key=Depends(require())):
    new, plain = keys.create(s, key, body.role, body.name, body.expires_in_days, body.rate_limit_per_minute,
                             body.uploads_per_day, body.max_upload_bytes)
    return KeyCreated(**KeyPublic.model_validate(new).model_dump(), key=plain).model_copy(
        update={"created_at": s.clock.now()})


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke a key now")
def revoke_key(key_id: str, s=Depends(svc), key=Depends(require())):
    keys.revoke(s, key, key_id)


@router.post("/keys/{key_id}/rotate", status_code=201, response_model=KeyCreated,
             summary="A new key replacing this one; the old one works for a grace period")
def rotate_key(key_id: str, body: RotateIn | None = Body(None), s=Depends(svc), key=Depends(require())):
    new, plain, until = keys.rotate(s, key, key_id, body.grace_hours if body else None)
    return KeyCreated(**KeyPublic.model_validate(new).model_dump(), key=plain, old_key_valid_until=until).model_copy(
        update={"created_at": s.clock.now()})


@router.get("/audit", response_model=Page[AuditEntryPublic], summary="The audit log, newest first")
def get_audit(key_id: str | None = None,
              action: str | None = Query(None, max_length=40, description="e.g. call.read, or call for call.*"),
              object_type: str | None = Query(None, max_length=24), object_id: str | None = Query(None, max_length=64),
              start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
              limit: int = Query(100, ge=1, le=1000), cursor: str | None = Query(None, max_length=20),
              s=Depends(svc), key=Depends(require())):
    before = None
    if cursor is not None:
        if not cursor.isdigit():
            raise InvalidInput("cursor: not a cursor from this endpoint")
        before = int(cursor)
    rows = audit.query(s, limit + 1, before, key_id=key_id, action=action, object_type=object_type,
                       object_id=object_id, start=to_utc_naive(start) if start else None,
                       end=to_utc_naive(end) if end else None)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[AuditEntryPublic](items=[AuditEntryPublic.model_validate(r) for r in rows],
                                  next_cursor=str(rows[-1].id) if more else None)


@router.delete("/customers/{customer_id}", response_model=DeletionReceipt,
               summary="Delete every mention, call, recording and derived row of one customer id")
def delete_customer(customer_id: str, s=Depends(svc), key=Depends(require())):
    return DeletionReceipt.model_validate(privacy.delete_subject(s, key.id, customer_id=customer_id))


@router.delete("/authors/{handle}", response_model=DeletionReceipt,
               summary="Delete every mention (and alert link) of one author handle, in every source or one")
def delete_author(handle: str, source: str | None = Query(None, max_length=100), s=Depends(svc),
                  key=Depends(require())):
    return DeletionReceipt.model_validate(privacy.delete_subject(s, key.id, author=handle, source=source))
