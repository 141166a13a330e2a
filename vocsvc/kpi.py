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


def _without(score, part: tuple[int, ...], whole: tuple[int, ...]) -> float | None:
    """``score`` of ``whole`` minus ``score`` of ``whole`` without ``part`` (counters in the same order), unrounded
    until the end; None when the part has no answers or nothing is left without it."""
    if not part[-1] or whole[-1] - part[-1] <= 0:
        return None
    rest = tuple((w or 0) - (p or 0) for w, p in zip(whole, part))
    return round(score(*whole) - score(*rest), 1)


def _nps_raw(promoters: int, detractors: int, answers: int) -> float:
    return 100 * ((promoters or 0) - (detractors or 0)) / answers


def _csat_raw(satisfied: int, ratings: int) -> float:
    return 100 * (satisfied or 0) / ratings


def nps_impact(promoters: int, detractors: int, answers: int, of_promoters: int, of_detractors: int,
               of_answers: int) -> float | None:
    """NPS points that a group's answers (``of_*``, a part of all answers) add to the NPS of all answers: the NPS
    of all minus the NPS without the group. Negative: the group drags the score down; None: the group has no
    answers, or no answers are left without it.

    >>> nps_impact(3, 2, 6, 0, 2, 2)  # all: 3 promoters, 2 detractors of 6 (NPS 16.7); without 2 detractors: 75
    -58.3
    """
    return _without(_nps_raw, (of_promoters, of_detractors, of_answers), (promoters, detractors, answers))


def csat_impact(satisfied: int, ratings: int, of_satisfied: int, of_ratings: int) -> float | None:
    """CSAT points (% of ratings that are 4-5) that a group's ratings add: CSAT of all minus CSAT without them.

    >>> csat_impact(3, 4, 0, 1)  # 75% of all; 100% without the group's one low rating
    -25.0
    """
    return _without(_csat_raw, (of_satisfied, of_ratings), (satisfied, ratings))
