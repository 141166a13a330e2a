"""API keys: ``vk_<id>_<secret>``; only a SHA-256 of the whole key is stored (keys are random, so a slow hash adds
nothing), and the plain key is shown once, at creation."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from vocsvc.clock import utcnow
from vocsvc.store.schema import ROLES, api_keys


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    role: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(engine: sa.Engine, role: str, name: str = "") -> tuple[ApiKey, str]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    kid = secrets.token_hex(4)
    key = f"vk_{kid}_{secrets.token_urlsafe(32)}"
    with engine.begin() as c:
        c.execute(api_keys.insert().values(id=kid, name=name or f"{role}-{kid}", role=role, key_hash=hash_key(key),
                                           created_at=utcnow()))
    return ApiKey(kid, name or f"{role}-{kid}", role), key


def verify_key(engine: sa.Engine, key: str) -> ApiKey | None:
    if not key.startswith("vk_") or len(key) > 200:
        return None
    with engine.connect() as c:
        row = c.execute(sa.select(api_keys).where(api_keys.c.key_hash == hash_key(key),
                                                  api_keys.c.revoked_at.is_(None))).first()
    return ApiKey(row.id, row.name, row.role) if row else None


def revoke_key(engine: sa.Engine, key_id: str) -> bool:
    with engine.begin() as c:
        res = c.execute(api_keys.update().where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
    return res.rowcount == 1


@dataclass(frozen=True, slots=True)
class KeyRow:
    id: str
    name: str
    role: str
    created_at: datetime
    revoked: bool


def list_keys(engine: sa.Engine) -> list[KeyRow]:
    with engine.connect() as c:
        return [KeyRow(r.id, r.name, r.role, r.created_at, r.revoked_at is not None)
                for r in c.execute(sa.select(api_keys).order_by(api_keys.c.created_at))]
