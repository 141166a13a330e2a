"""16-bit PCM WAV writing (redacted copies, test fixtures), written under a temporary name then renamed."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_wav(path: str | Path, samples: np.ndarray, sr: int = 16_000) -> Path:
    """``samples``: float in [-1, 1], shape (n,) for mono or (n, channels)."""
    path = Path(path)
    data = samples[:, None] if samples.ndim == 1 else samples
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)
    return path
