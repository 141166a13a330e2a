"""Query parameters shared by several routes."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from api.problems import ApiError
from vocsvc.clock import to_utc_naive
from vocsvc.service.mentions import Channel as ChannelQ  # noqa: F401 (the one channel list, as a query type)


def period(svc, start: datetime | None, end: datetime | None, default_days: int = 30,
           max_days: int | None = 3660) -> tuple[datetime, datetime]:
    for name, t in (("from", start), ("to", end)):
        if t is not None and not 1900 <= t.year <= 2200:  # and the default window before `to` stays a date
            raise ApiError(422, f"`{name}`: a date between 1900 and 2200")
    end_ = to_utc_naive(end) if end else svc.clock.now() + timedelta(seconds=1)
    start_ = to_utc_naive(start) if start else end_ - timedelta(days=default_days)
    if start_ >= end_:
        raise ApiError(422, "`from` must be before `to`")
    if max_days is not None and end_ - start_ > timedelta(days=max_days):
        raise ApiError(422, "period too long (at most 10 years)")
    return start_, end_


def csv_lines(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    """Stream dict rows as CSV text (header first), one row at a time: exports never sit whole in memory."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns)
    w.writeheader()
    for r in rows:
        w.writerow(r)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()
