"""Silence the spoken PII in a copy of the recording, using word timestamps to find where it was said."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from vocsvc.audio.transcribe import SR
from vocsvc.audio.types import Transcript, Utterance
from vocsvc.audio.wavio import write_wav

PAD = 0.15  # seconds around each redacted word: timestamps are approximate


def pii_time_spans(u: Utterance) -> list[tuple[float, float]]:
    """Time spans of the words that overlap the utterance's PII character spans."""
    if u.tags is None or not u.tags.pii or not u.words:
        return []
    # Whisper's words concatenate to the segment text (each word carries its leading space).
    joined = "".join(w.word for w in u.words)
    shift = len(joined) - len(joined.lstrip())
    offsets, pos = [], -shift
    for w in u.words:
        offsets.append((pos, pos + len(w.word)))
        pos += len(w.word)
    spans = []
    for p in u.tags.pii:
        hit = [w for w, (a, b) in zip(u.words, offsets) if a < p.end and b > p.start]
        if hit:
            spans.append((max(0.0, hit[0].start - PAD), hit[-1].end + PAD))
    return spans


def redact_audio(channels: list[np.ndarray], transcript: Transcript, out: Path) -> list[tuple[int, float, float]]:
    """Write a 16 kHz WAV with PII spans silenced in their channel; returns (channel, start, end) silenced."""
    chans = [c.copy() for c in channels]
    done = []
    for u in transcript.utterances:
        for s, e in pii_time_spans(u):
            a, b = int(s * SR), min(len(chans[u.channel]), int(e * SR) + 1)
            chans[u.channel][a:b] = 0.0
            done.append((u.channel, round(s, 2), round(e, 2)))
    write_wav(out, np.stack(chans, axis=1), SR)
    return done
