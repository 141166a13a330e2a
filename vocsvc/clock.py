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


def iso_z(dt: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with a ``Z``: the one format every response and payload uses."""
    return to_utc_naive(dt).isoformat(timespec="seconds") + "Z" if dt is not None else None


def backoff_delay(schedule: list[float] | tuple[float, ...], attempt: int) -> float | None:
    """Seconds to wait before retry number ``attempt`` (1-based) by a schedule; None once the schedule is used up.

    Jobs and webhook deliveries share this one policy (each with its own schedule from the settings)."""
    return float(schedule[attempt - 1]) if 1 <= attempt <= len(schedule) else None
