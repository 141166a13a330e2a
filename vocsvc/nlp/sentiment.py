"""CX sentiment from the sentiment head's probabilities: one rule, used by the pipeline and by the model cards.

The head is a softmax over (negative, neutral, positive). Its two calibrated thresholds decide the label:
negative if p(negative) >= t_neg, else positive if p(positive) >= t_pos, else neutral. Negative is tested first
on purpose: a complaint with a polite "thanks" is still a complaint. The score is p(positive) - p(negative) in
[-1, 1], moved just past zero when it disagrees with the label, so its sign never contradicts the label. One more
rule ties the CX intents to it: a negative text carries ``complaint`` (:func:`with_complaint`).

>>> decide(np.array([0.6, 0.3, 0.1]), np.array([0.5, 0.0, 0.5]))
('negative', -0.5)
"""
from __future__ import annotations

import numpy as np

LABELS = ("negative", "neutral", "positive")


def decide(p: np.ndarray, thresholds: np.ndarray) -> tuple[str, float]:
    """(label, score) for one row of probabilities."""
    neg, pos = float(p[0]), float(p[2])
    score = pos - neg
    if neg >= thresholds[0]:
        return "negative", round(min(score, -0.01), 3)
    if pos >= thresholds[2]:
        return "positive", round(max(score, 0.01), 3)
    return "neutral", round(score, 3)


def decide_all(P: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Label indices (0 negative, 1 neutral, 2 positive) for many rows."""
    return np.where(P[:, 0] >= thresholds[0], 0, np.where(P[:, 2] >= thresholds[2], 2, 1))


def with_complaint(chosen: np.ndarray, labels: list[str], negative: np.ndarray) -> np.ndarray:
    """Intent decisions (rows x labels, bool) with ``complaint`` set on every negative row.

    Our label rules define a negative text and a complaint by the same dissatisfaction (99.7% of the negative
    training rows carry ``complaint``, 99.2% of the test rows, every dev-probe one), but the two heads decide
    apart: short rude posts ("ну и говно этот ваш мегафон", "@SouthwestAir smh") came out negative with ``other``
    as their only intent. A taxonomy without ``complaint`` (your own intents) is left as it is.
    """
    if "complaint" not in labels:
        return chosen
    out = chosen.copy()
    out[np.asarray(negative, bool), labels.index("complaint")] = True
    return out
