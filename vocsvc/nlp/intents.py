"""Intent heads: the shipped CX taxonomy, or your own intents trained in seconds from a YAML of examples.

A user intent file maps each label to example texts (any language the encoder knows), optionally per language::

    refund_request:
      - I want my money back
      - верните деньги
    loyalty_points:
      en: [where are my points, points missing]
      ru: [не начислили баллы]

``train_intent_head(path, encoder)`` fits a softmax head on the examples' embeddings (numpy, no sklearn) and returns
a :class:`~vocsvc.nlp.heads.Head`; labels whose probability passes the threshold are returned, highest first.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import yaml

from vocsvc.nlp.heads import Head


def fit_softmax(
    X: np.ndarray, y: np.ndarray, n_classes: int, l2: float | None = None, epochs: int = 300, lr: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam; deterministic for a given seed.

    The default L2 strength shrinks with the number of examples (0.06 / n, at most 1e-3): a handful of user
    examples needs a strong prior, Banking77's 10k rows almost none.
    """
    rng = np.random.default_rng(seed)
    n, d = X.shape
    if l2 is None:
        l2 = min(1e-3, 0.06 / max(n, 1))
    W = rng.normal(0, 0.01, (d, n_classes)).astype(np.float32)
    b = np.zeros(n_classes, np.float32)
    Y = np.zeros((n, n_classes), np.float32)
    Y[np.arange(n), y] = 1
    # class-balanced weights so a label with few examples still counts
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    w = (n / (n_classes * np.maximum(counts, 1)))[y][:, None]
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        z = X @ W + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
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
    examples: dict[str, list[str]], encode, encoder_name: str, threshold: float = 0.35, name: str = "intent"
) -> Head:
    """Fit a softmax head on the examples; ``encode(texts) -> (n, dim)`` is the pipeline's encoder."""
    labels = list(examples)
    texts = [t for lab in labels for t in examples[lab]]
    y = np.array([i for i, lab in enumerate(labels) for _ in examples[lab]])
    X = encode(texts)
    W, b = fit_softmax(X, y, len(labels))
    return Head(
        name=name,
        encoder=encoder_name,
        labels=labels,
        layers=[(W, b)],
        thresholds=np.full(len(labels), threshold, np.float32),
        activation="softmax",
        meta={"trained_on": f"{len(texts)} examples"},
    )


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
