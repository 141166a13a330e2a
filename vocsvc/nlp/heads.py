"""Small classifier heads over sentence embeddings, run in numpy.

A head is ``<name>.npz`` (weights: ``W0, b0, W1, b1 ...``; a ReLU between layers) plus ``<name>.json`` (format
version, the encoder it was trained on, labels, per-label thresholds, output activation). No pickle.

>>> head = Head.load(Path("models/heads/emotion"))   # doctest: +SKIP
>>> head.predict(embeddings)                         # (n, len(head.labels)) probabilities
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vocsvc.errors import ModelNotFoundError

FORMAT_VERSION = 1


@dataclass
class Head:
    name: str
    encoder: str
    labels: list[str]
    layers: list[tuple[np.ndarray, np.ndarray]]
    thresholds: np.ndarray
    activation: str = "sigmoid"  # or "softmax" (single-label)
    meta: dict = field(default_factory=dict)

    def predict(self, X: np.ndarray) -> np.ndarray:
        h = X.astype(np.float32, copy=False)
        for i, (W, b) in enumerate(self.layers):
            h = h @ W + b
            if i < len(self.layers) - 1:
                np.maximum(h, 0, out=h)
        if self.activation == "softmax":
            h = h - h.max(axis=1, keepdims=True)
            e = np.exp(h)
            return e / e.sum(axis=1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-np.clip(h, -30, 30)))

    # ------------------------------------------------------------------ persistence
    def save(self, base: Path) -> None:
        """Write ``base.npz`` and ``base.json`` atomically (temp file, then rename)."""
        base.parent.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for i, (W, b) in enumerate(self.layers):
            # float16 halves the committed size; the rounding moves probabilities by < 1e-3.
            arrays[f"W{i}"] = W.astype(np.float16)
            arrays[f"b{i}"] = b.astype(np.float32)
        meta = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "encoder": self.encoder,
            "labels": self.labels,
            "thresholds": [round(float(t), 4) for t in self.thresholds],
            "activation": self.activation,
            **self.meta,
        }
        _atomic_write(base.with_suffix(".npz"), lambda f: np.savez_compressed(f, **arrays), binary=True)
        _atomic_write(
            base.with_suffix(".json"),
            lambda f: f.write(json.dumps(meta, indent=1, ensure_ascii=False)),
            binary=False,
        )

    @classmethod
    def load(cls, base: Path, encoder: str | None = None) -> Head:
        npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
        if not npz.exists() or not js.exists():
            raise ModelNotFoundError(
                f"head {base.name!r} not found at {npz}: run `python models/train/train_heads.py` "
                "or set VOCSVC_HEADS_DIR to a folder that holds it"
            )
        meta = json.loads(js.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelNotFoundError(f"head {js} has format {meta.get('format_version')}, expected {FORMAT_VERSION}")
        if encoder is not None and meta["encoder"] != encoder:
            raise ModelNotFoundError(
                f"head {base.name!r} was trained on encoder {meta['encoder']!r} but VOCSVC_ENCODER is "
                f"{encoder!r}: retrain the heads (models/train/train_heads.py) for that encoder"
            )
        with np.load(npz, allow_pickle=False) as z:
            n = sum(1 for k in z.files if k.startswith("W"))
            layers = [(z[f"W{i}"].astype(np.float32), z[f"b{i}"].astype(np.float32)) for i in range(n)]
        known = {"format_version", "name", "encoder", "labels", "thresholds", "activation"}
        return cls(
            name=meta["name"],
            encoder=meta["encoder"],
            labels=list(meta["labels"]),
            layers=layers,
            thresholds=np.asarray(meta["thresholds"], np.float32),
            activation=meta.get("activation", "sigmoid"),
            meta={k: v for k, v in meta.items() if k not in known},
        )


def _atomic_write(path: Path, write, binary: bool) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; heads are read by other users (the Docker image's)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
