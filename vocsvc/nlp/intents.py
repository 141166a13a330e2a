"""Intent heads: the shipped CX taxonomy, or your own intents trained in seconds from a YAML of examples.

A user intent file maps each label to example texts (any language the encoder knows), optionally per language::

    refund_request:
      - I want my money back
      - верните деньги
    loyalty_points:
      en: [where are my points, points missing]
      ru: [не начислили баллы]

``train_intent_head(examples, encoder)`` fits one-vs-rest logistic regressions on the examples' embeddings (numpy,
no sklearn; a second or two) and returns a sigmoid :class:`~vocsvc.nlp.heads.Head`: a text gets every intent whose
probability passes 0.5, highest first, so "cancel it, you charged me twice" can carry two of your intents.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import yaml

from vocsvc.nlp.heads import Head


def fit_sigmoid(
    X: np.ndarray, Y: np.ndarray, l2: float | None = None, epochs: int = 300, lr: float = 0.05, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regressions (``Y`` is n x labels, 0/1) by full-batch Adam; deterministic for a seed.

    Each label's positives and negatives weigh the same in total, so a label with few examples is still learnt;
    the default L2 strength shrinks with the number of examples (0.06 / n, at most 1e-3).
    """
    rng = np.random.default_rng(seed)
    n, d = X.shape
    k = Y.shape[1]
    if l2 is None:
        l2 = min(1e-3, 0.06 / max(n, 1))
    W = rng.normal(0, 0.01, (d, k)).astype(np.float32)
    b = np.zeros(k, np.float32)
    pos = np.maximum(Y.sum(0), 1)
    neg = np.maximum(n - Y.sum(0), 1)
    w = np.where(Y > 0, n / (2 * pos), n / (2 * neg)).astype(np.float32)
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ W + b, -30, 30)))
        g = (p - Y) * w / n
        gW = X.T @ g + l2 * W
        gb = g.sum(axis=0)
        mW = b1 * mW + (1 - b1) * gW
        vW = b2 * vW + (1 - b2) * gW * gW
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb * gb
        c1, c2 = 1 - b1**t, 1 - b2**t
        W -= lr * (mW / c1) / (np.sqrt(vW / c2) + eps)
        b -= lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
    return W, b


def load_intent_examples(path: Path) -> dict[str, list[str]]:
    """Read ``label: [examples]`` (or ``label: {lang: [examples]}``) into label -> examples."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping of intent label -> list of examples")
    out: dict[str, list[str]] = {}
    for label, ex in data.items():
        if isinstance(ex, dict):
            ex = [e for v in ex.values() for e in (v or [])]
        if not isinstance(ex, list) or not all(isinstance(e, str) and e.strip() for e in ex):
            raise ValueError(f"{path}: intent {label!r} needs a list of non-empty example strings")
        if len(ex) < 2:
            raise ValueError(f"{path}: intent {label!r} has {len(ex)} example(s); give at least 2")
        out[str(label)] = ex
    if len(out) < 2:
        raise ValueError(f"{path}: define at least two intents (add an 'other' intent for everything else)")
    return out


def train_intent_head(
    examples: dict[str, list[str]], encode, encoder_name: str, threshold: float = 0.5, name: str = "intent"
) -> Head:
    """Fit a multi-label head on the examples; ``encode(texts) -> (n, dim)`` is the pipeline's encoder.

    An example listed under two labels is a positive of both (write it twice for a two-intent example).
    """
    labels = list(examples)
    texts = list(dict.fromkeys(t for lab in labels for t in examples[lab]))
    Y = np.zeros((len(texts), len(labels)), np.float32)
    row = {t: i for i, t in enumerate(texts)}
    for j, lab in enumerate(labels):
        for t in examples[lab]:
            Y[row[t], j] = 1
    W, b = fit_sigmoid(encode(texts), Y)
    return Head(
        name=name,
        encoder=encoder_name,
        labels=labels,
        layers=[(W, b)],
        thresholds=np.full(len(labels), threshold, np.float32),
        activation="sigmoid",
        meta={"trained_on": f"{len(texts)} examples"},
    )


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
