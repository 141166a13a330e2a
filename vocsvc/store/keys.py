"""API keys: ``vk_<id>_<secret>``; only a SHA-256 of the whole key is stored (keys are random, so a slow hash adds
nothing), and the plain key is shown once, at creation or rotation."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.schema import ROLES, api_keys


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as a request sees it: who, what role, and its own limits (None: the settings' defaults)."""

    id: str
    name: str
    role: str
    expires_at: datetime | None = None
    rate_limit_per_minute: int | None = None
    uploads_per_day: int | None = None
    max_upload_bytes: int | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class KeyRow:
    id: str
    name: str
    role: str
    created_at: datetime
    revoked: bool
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    rotated_to: str | None = None
    rate_limit_per_minute: int | None = None
    uploads_per_day: int | None = None
    max_upload_bytes: int | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(engine_or_conn, role: str, name: str = "", now: datetime | None = None,
               expires_at: datetime | None = None, rate_limit_per_minute: int | None = None,
               uploads_per_day: int | None = None, max_upload_bytes: int | None = None) -> tuple[ApiKey, str]:
    from vocsvc.clock import utcnow

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    kid = secrets.token_hex(4)
    key = f"vk_{kid}_{secrets.token_urlsafe(32)}"
    name = name or f"{role}-{kid}"
    stmt = api_keys.insert().values(id=kid, name=name, role=role, key_hash=hash_key(key), created_at=now or utcnow(),
                                    expires_at=expires_at, rate_limit_per_minute=rate_limit_per_minute,
                                    uploads_per_day=uploads_per_day, max_upload_bytes=max_upload_bytes)
    if isinstance(engine_or_conn, sa.Engine):
        with engine_or_conn.begin() as c:
            c.execute(stmt)
    else:
        engine_or_conn.execute(stmt)
    return ApiKey(kid, name, role, expires_at, rate_limit_per_minute, uploads_per_day, max_upload_bytes), key


def verify_key(engine: sa.Engine, key: str, now: datetime | None = None) -> ApiKey | None:
    """The key if it exists, is not revoked and (given ``now``) has not expired."""
    if not key.startswith("vk_") or len(key) > 200:
        return None
    k = api_keys.c
    q = sa.select(api_keys).where(k.key_hash == hash_key(key), k.revoked_at.is_(None))
    if now is not None:
        q = q.where(sa.or_(k.expires_at.is_(None), k.expires_at > now))
    with engine.connect() as c:
        r = c.execute(q).first()
    return ApiKey(r.id, r.name, r.role, r.expires_at, r.rate_limit_per_minute, r.uploads_per_day,
                  r.max_upload_bytes, r.last_used_at) if r else None


def active_key(engine: sa.Engine, key_id: str, now: datetime) -> ApiKey | None:
    """The key with this id if it is neither revoked nor expired (a console session's key, checked per request)."""
    k = api_keys.c
    with engine.connect() as c:
        r = c.execute(sa.select(api_keys).where(k.id == key_id, k.revoked_at.is_(None),
                                                sa.or_(k.expires_at.is_(None), k.expires_at > now))).first()
    return ApiKey(r.id, r.name, r.role, r.expires_at, r.rate_limit_per_minute, r.uploads_per_day,
                  r.max_upload_bytes, r.last_used_at) if r else None


def touch(engine: sa.Engine, key_id: str, now: datetime) -> None:
    with engine.begin() as c:
        c.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=now))


def revoke_key(engine: sa.Engine, key_id: str, now: datetime | None = None) -> bool:
    from vocsvc.clock import utcnow

    with engine.begin() as c:
        res = c.execute(api_keys.update().where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                        .values(revoked_at=now or utcnow()))
    return res.rowcount == 1


def rotate_key(engine: sa.Engine, key_id: str, now: datetime, old_valid_until: datetime) -> tuple[ApiKey, str] | None:
    """A new key with the same name, role and limits; the old one keeps working until ``old_valid_until`` (or its
    own earlier expiry). None if there is no such live key."""
    k = api_keys.c
    with engine.begin() as c:
        old = c.execute(sa.select(api_keys).where(k.id == key_id, k.revoked_at.is_(None), k.rotated_to.is_(None),
                                                  sa.or_(k.expires_at.is_(None), k.expires_at > now))).first()
        if old is None:
            return None
        new, plain = create_key(c, old.role, old.name, now, old.expires_at, old.rate_limit_per_minute,
                                old.uploads_per_day, old.max_upload_bytes)
        until = min(old_valid_until, old.expires_at) if old.expires_at else old_valid_until
        # conditional: of two concurrent rotations only one finds rotated_to still empty
        if c.execute(api_keys.update().where(k.id == key_id, k.rotated_to.is_(None))
                     .values(rotated_to=new.id, expires_at=until)).rowcount != 1:
            raise RuntimeError("rotated concurrently")
    return new, plain


def list_keys(engine: sa.Engine) -> list[KeyRow]:
    with engine.connect() as c:
        return [KeyRow(r.id, r.name, r.role, r.created_at, r.revoked_at is not None, r.expires_at, r.last_used_at,
                       r.rotated_to, r.rate_limit_per_minute, r.uploads_per_day, r.max_upload_bytes)
                for r in c.execute(sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id))]
