"""Data loading, embedding cache and metrics shared by train_heads.py and evaluate.py.

Reads the public data sets in ``../shared/data`` (never copied into the repository).
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = Path(os.environ.get("VOCSVC_SHARED_DATA", ROOT.parent / "shared" / "data"))
MODELS = ROOT / "models"
SEED = 0

GO_LABELS = [ln.strip() for ln in open(DATA / "goemotions" / "labels.txt", encoding="utf-8")] if (
    DATA / "goemotions" / "labels.txt"
).exists() else []
# Groupings from the GoEmotions paper (see ../shared/data/README.md)
EKMAN = {
    "anger": ["anger", "annoyance", "disapproval"],
    "disgust": ["disgust"],
    "fear": ["fear", "nervousness"],
    "joy": ["joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"],
    "sadness": ["sadness", "disappointment", "embarrassment", "grief", "remorse"],
    "surprise": ["surprise", "realization", "confusion", "curiosity"],
    "neutral": ["neutral"],
}
SENTIMENT = {
    "positive": ["amusement", "excitement", "joy", "love", "desire", "optimism", "caring", "pride", "admiration",
                 "gratitude", "relief", "approval"],
    "negative": ["fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness", "grief", "disgust",
                 "anger", "annoyance", "disapproval"],
    "ambiguous": ["realization", "surprise", "curiosity", "confusion"],
    "neutral": ["neutral"],
}
CX_INTENTS = ["complaint", "refund_request", "cancellation", "billing", "delivery", "technical_issue",
              "account_access", "question", "praise", "suggestion", "other"]


# ------------------------------------------------------------------------------------------- data
def _onehot(ids_list: list[list[int]]) -> np.ndarray:
    Y = np.zeros((len(ids_list), 28), np.float32)
    for r, ids in enumerate(ids_list):
        Y[r, ids] = 1
    return Y


def goemotions(split: str) -> tuple[list[str], np.ndarray]:
    """English GoEmotions: split in train/dev/test -> (texts, Y[n, 28])."""
    texts, ids = [], []
    with open(DATA / "goemotions" / f"{split}.tsv", encoding="utf-8") as f:
        for line in f:
            t, labs, _ = line.rstrip("\n").split("\t")
            texts.append(t)
            ids.append([int(x) for x in labs.split(",")])
    return texts, _onehot(ids)


def ru_goemotions(split: str) -> tuple[list[str], np.ndarray]:
    """Russian GoEmotions (machine-translated dev/test): split in dev/test."""
    fname = {"dev": "validation.csv", "test": "test.csv"}[split]
    texts, ids = [], []
    with open(DATA / "ru_goemotions" / fname, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            texts.append(r["ru_text"])
            ids.append([int(x) for x in re.findall(r"\d+", r["labels"])])
    return texts, _onehot(ids)


def group(Y: np.ndarray, groups: dict[str, list[str]]) -> np.ndarray:
    out = np.zeros((len(Y), len(groups)), np.float32)
    for j, members in enumerate(groups.values()):
        out[:, j] = Y[:, [GO_LABELS.index(m) for m in members]].max(axis=1)
    return out


def emotion_targets(Y: np.ndarray) -> np.ndarray:
    """28 labels + Ekman 7 + sentiment 4: the emotion head's 39 outputs."""
    return np.hstack([Y, group(Y, EKMAN), group(Y, SENTIMENT)])


def emotion_labels() -> tuple[list[str], dict[str, tuple[int, int]]]:
    labels = GO_LABELS + [f"ekman:{k}" for k in EKMAN] + [f"sentiment:{k}" for k in SENTIMENT]
    blocks = {"emotion": (0, 28), "ekman": (28, 35), "sentiment": (35, 39)}
    return labels, blocks


def dev_split(n: int, holdout: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Fixed split of the dev rows: the larger part trains, the rest calibrates thresholds."""
    perm = np.random.RandomState(SEED).permutation(n)
    k = int(n * (1 - holdout))
    return np.sort(perm[:k]), np.sort(perm[k:])


def banking77(split: str) -> tuple[list[str], list[str]]:
    with open(DATA / "banking77" / f"{split}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def cx_intents(lang: str, part: str) -> tuple[list[str], list[str]]:
    """The CX seed set: part 'train' or 'heldout' (every 4th example of each intent)."""
    data = yaml.safe_load((MODELS / "data" / f"cx_intents_{lang}.yaml").read_text(encoding="utf-8"))
    texts, labels = [], []
    for label in CX_INTENTS:
        for k, t in enumerate(data[label]):
            if (k % 4 == 3) == (part == "heldout"):
                texts.append(t)
                labels.append(label)
    return texts, labels


# ------------------------------------------------------------------------------------------- embeddings
def embed_cached(encoder, texts: list[str], tag: str) -> np.ndarray:
    """Encode with the pipeline's encoder, cached under the cache dir by encoder + content hash.

    Rows already embedded under the same tag (an earlier version of the list: a corpus file added) are reused by
    their text's hash, so adding 600 rows to 100k re-encodes 600, not 100k."""
    from vocsvc.settings import get_settings

    h = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:16]
    path = get_settings().cache_dir / "embeddings" / getattr(encoder, "cache_tag", encoder.name) / f"{tag}-{h}.npy"
    if path.exists():
        return np.load(path)
    if not texts:
        return encoder(texts)
    keys = np.array([int(hashlib.sha1(t.encode("utf-8")).hexdigest()[:15], 16) for t in texts], np.int64)
    # One list per tag is kept (older ones are pruned below), so the newest is the only one worth reading.
    earlier = sorted(path.parent.glob(f"{tag}-*.keys.npy"), key=lambda p: p.stat().st_mtime) if path.parent.exists() else []
    known: dict[int, np.ndarray] = {}
    if earlier and (vecs := _vectors_of(earlier[-1])).exists():
        known.update(zip(np.load(earlier[-1]).tolist(), np.load(vecs)))
    todo = [i for i, k in enumerate(keys.tolist()) if k not in known]
    new = encoder([texts[i] for i in todo]) if todo else None
    X = np.zeros((len(texts), new.shape[1] if new is not None else len(known[int(keys[0])])), np.float32)
    for i, k in enumerate(keys.tolist()):
        if k in known:
            X[i] = known[k]
    if todo:
        X[todo] = new
    path.parent.mkdir(parents=True, exist_ok=True)
    for arr, dest in ((keys, path.with_name(path.stem + ".keys.npy")), (X, path)):
        tmp = dest.with_suffix(".tmp.npy")
        np.save(tmp, arr)
        os.replace(tmp, dest)
    for stale in earlier:  # ~160 MB each for the training rows; the new file holds every row still in use
        for f in (stale, _vectors_of(stale)):
            f.unlink(missing_ok=True)
    return X


def _vectors_of(keys_file: Path) -> Path:
    return keys_file.with_name(keys_file.name.removesuffix(".keys.npy") + ".npy")


# ------------------------------------------------------------------------------------------- metrics
def f1_per_class(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    Y, P = Y > 0, P > 0
    tp = (Y & P).sum(0)
    fp = (~Y & P).sum(0)
    fn = (Y & ~P).sum(0)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def macro_f1(Y: np.ndarray, P: np.ndarray) -> float:
    return float(f1_per_class(Y, P).mean())


INTENT_BETA = 1.5  # intent thresholds maximise F-1.5, not F1 (why: finetune._calibrate_intents)


def tune_thresholds(Y: np.ndarray, S: np.ndarray, grid=np.arange(0.02, 0.96, 0.01), beta: float = 1.0) -> np.ndarray:
    """Per-label threshold maximising F-beta (beta > 1 weighs recall higher) on held-out rows."""
    thr = np.full(Y.shape[1], 0.5, np.float32)
    b2 = beta * beta
    for j in range(Y.shape[1]):
        y = Y[:, j] > 0
        best = -1.0
        for t in grid:
            p = S[:, j] >= t
            tp = (p & y).sum()
            f = (1 + b2) * tp / max(1, b2 * y.sum() + p.sum())
            if f > best:
                best, thr[j] = f, t
    return thr


def macro_f1_cls(y: np.ndarray, p: np.ndarray, k: int = 3) -> float:
    """Macro-F1 of single-label predictions ``p`` against ``y`` over classes ``0..k-1``."""
    f = []
    for c in range(k):
        tp = np.sum((p == c) & (y == c))
        d = np.sum(p == c) + np.sum(y == c)
        f.append(2 * tp / d if d else 0.0)
    return float(np.mean(f))
