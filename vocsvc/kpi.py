"""Business figures from counts, one definition each: net sentiment, NPS, CSAT, and the change test themes use.

Pure functions of counters, so the rollup path and the full recomputation cannot disagree on a formula."""
from __future__ import annotations

import math


def pct(part: int | None, whole: int | None) -> float | None:
    return round(100 * (part or 0) / whole, 1) if whole else None


def net_sentiment(positive: int, negative: int, tagged: int) -> float | None:
    """% positive minus % negative of the tagged documents (-100 .. 100)."""
    return round(100 * ((positive or 0) - (negative or 0)) / tagged, 1) if tagged else None


def nps(promoters: int, detractors: int, answers: int) -> float | None:
    """% promoters (9-10) minus % detractors (0-6) of NPS answers."""
    return round(100 * ((promoters or 0) - (detractors or 0)) / answers, 1) if answers else None


def csat(satisfied: int, ratings: int) -> float | None:
    """% of 1-5 ratings that are 4 or 5."""
    return pct(satisfied, ratings)


def two_proportion_z(x1: int, n1: int, x0: int, n0: int) -> float:
    """z of the difference between two shares (x1/n1 now versus x0/n0 before)."""
    if n1 == 0 or n0 == 0:
        return 0.0
    p = (x1 + x0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    return (x1 / n1 - x0 / n0) / se if se > 0 else 0.0
