"""Periods over daily rollups: whole UTC days come from the rollup, the partial days at either end from rows."""
from __future__ import annotations

from datetime import datetime, time, timedelta

_MIN, _MAX = "0000-00-00", "9999-99-99"


def split_days(start: datetime | None, end: datetime | None, exact: bool = False
               ) -> tuple[tuple[str, str] | None, list[tuple[datetime, datetime]]]:
    """([first whole day, day after the last whole day) as 'YYYY-MM-DD' or None, [row windows]) for [start, end).
    ``exact``: no rollup at all, one row window for the whole period."""
    lo_all, hi_all = start or datetime(1900, 1, 1), end or datetime(2200, 1, 1)
    if exact:
        return None, [(lo_all, hi_all)]
    first = None if start is None else (start if start.time() == time(0) else
                                        datetime.combine(start.date() + timedelta(days=1), time(0)))
    last = None if end is None else datetime.combine(end.date(), time(0))
    if first is not None and last is not None and first >= last:
        return None, [(lo_all, hi_all)]
    days = (first.strftime("%Y-%m-%d") if first else _MIN, last.strftime("%Y-%m-%d") if last else _MAX)
    edges = []
    if first is not None and start < first:
        edges.append((start, first))
    if last is not None and last < end:
        edges.append((last, end))
    return days, edges
