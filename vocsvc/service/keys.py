"""API keys through the service: authenticate a request (expiry, revocation, last use), per-key rate and upload
limits, and the admin operations (create, list, revoke, rotate), each written to the audit log."""
from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta

from vocsvc.errors import InvalidInput, NotFound, RateLimited, TooLarge
from vocsvc.service.audit import record
from vocsvc.store import keys as store
from vocsvc.store.keys import ApiKey, KeyRow

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a "roughly when", not a write per request


def authenticate(svc, plain: str) -> ApiKey | None:
    now = svc.clock.now()
    key = store.verify_key(svc.engine, plain, now)
    if key is not None and (key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY):
        store.touch(svc.engine, key.id, now)
    return key


def session_key(svc, key_id: str) -> ApiKey | None:
    """A console session's key, if it still works (revoking or expiring a key ends its sessions)."""
    return store.active_key(svc.engine, key_id, svc.clock.now())


def ui_secret(settings) -> str:
    """The console's cookie-signing secret: the setting, else one generated once and kept beside the recordings."""
    import os
    import secrets
    from pathlib import Path

    if settings.ui_secret:
        return settings.ui_secret
    path = Path(settings.data_dir) / "ui-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # the first process to get here wins; the others read its secret
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_text().strip()


class RateLimiter:
    """A token bucket per key in this process: ``limit`` requests a minute, bursts up to ``limit``.

    Per process on purpose (no shared state to lose when Redis or the database is down); with N server processes
    a key gets up to N times its limit, which the README says.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, monotonic time)

    def check(self, key_id: str, limit: int) -> None:
        if limit <= 0:
            return
        rate = limit / 60.0
        with self._lock:
            now = time.monotonic()
            tokens, at = self._buckets.get(key_id, (float(limit), now))
            tokens = min(float(limit), tokens + (now - at) * rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                raise RateLimited(f"rate limit of this key exceeded ({limit} requests a minute)",
                                  retry_after=math.ceil((1.0 - tokens) / rate))
            self._buckets[key_id] = (tokens - 1.0, now)


def rate_limit(key: ApiKey, settings) -> int:
    return key.rate_limit_per_minute if key.rate_limit_per_minute is not None else settings.rate_limit_per_minute


def check_upload(svc, key: ApiKey, size: int | None) -> None:
    """A key's own upload size and per-UTC-day count limits (the global size limit is checked while reading)."""
    from vocsvc.store.audit import count

    if key.max_upload_bytes is not None and size is not None and size > key.max_upload_bytes:
        raise TooLarge(f"recording too large for this key (limit {key.max_upload_bytes} bytes)")
    per_day = key.uploads_per_day if key.uploads_per_day is not None else svc.settings.uploads_per_day
    if per_day > 0:
        now = svc.clock.now()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if count(svc.engine, key.id, "call.upload", day) >= per_day:
            left = math.ceil((day + timedelta(days=1) - now).total_seconds())
            raise RateLimited(f"this key may upload {per_day} recordings a day (UTC); the limit resets at midnight",
                              retry_after=left)


def create(svc, actor: ApiKey | None, role: str, name: str = "", expires_in_days: float | None = None,
           rate_limit_per_minute: int | None = None, uploads_per_day: int | None = None,
           max_upload_bytes: int | None = None) -> tuple[ApiKey, str]:
    now = svc.clock.now()
    try:
        key, plain = store.create_key(svc.engine, role, name, now,
                                      now + timedelta(days=expires_in_days) if expires_in_days else None,
                                      rate_limit_per_minute, uploads_per_day, max_upload_bytes)
    except ValueError as e:
        raise InvalidInput(str(e)) from None
    record(svc, actor.id if actor else None, "key.create", "key", key.id, detail={"role": role})
    return key, plain


def listing(svc) -> list[KeyRow]:
    return store.list_keys(svc.engine)


def revoke(svc, actor: ApiKey | None, key_id: str) -> None:
    if not store.revoke_key(svc.engine, key_id, svc.clock.now()):
        raise NotFound(f"no live key {key_id}")
    record(svc, actor.id if actor else None, "key.revoke", "key", key_id)


def rotate(svc, actor: ApiKey | None, key_id: str, grace_hours: float | None = None) -> tuple[ApiKey, str, datetime]:
    """A new key replacing ``key_id``, which stays valid for the grace period: (new key, plain, old valid until)."""
    from vocsvc.errors import Conflict

    now = svc.clock.now()
    grace = svc.settings.key_rotate_grace_hours if grace_hours is None else grace_hours
    until = now + timedelta(hours=grace)
    try:
        got = store.rotate_key(svc.engine, key_id, now, until)
    except RuntimeError:
        raise Conflict(f"key {key_id} was rotated concurrently") from None
    if got is None:
        raise NotFound(f"no live, unrotated key {key_id}")
    record(svc, actor.id if actor else None, "key.rotate", "key", key_id, detail={"new_key": got[0].id})
    old = next(k for k in store.list_keys(svc.engine) if k.id == key_id)
    return got[0], got[1], old.expires_at
