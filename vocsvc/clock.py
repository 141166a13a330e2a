"""Time as a dependency: the service asks a clock, so tests can move time (72-hour SLAs, escalation)."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Naive UTC, as every DateTime column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc_naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime):
        self._now = to_utc_naive(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **kw) -> datetime:
        with self._lock:
            self._now += timedelta(**kw)
            return self._now

    def set(self, dt: datetime) -> None:
        with self._lock:
            self._now = to_utc_naive(dt)
