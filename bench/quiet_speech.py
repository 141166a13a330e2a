"""A quiet speaker after a long silence, under rising line noise: speech-time coverage, ours against plain
faster-whisper on the same audio in the same run.

    python bench/quiet_speech.py [--noise 0.0005 0.001 0.002]

The channel (tests/audio/synth.py QUIET_*): two turns at full level, then three at gain 0.02 (-34 dB) from minute 1
and after minute 2, 150 s in all, plus Gaussian line noise of the given RMS. Coverage is the share of the clean
speech's loud 20-ms frames that some utterance (ours) or segment (plain: beam 5, no VAD) spans; "quiet" counts
only the frames from minute 1 on. The transcripts of the quiet turns are printed beside it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "audio"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--noise", type=float, nargs="+", default=[0.0005, 0.001, 0.002])
    args = ap.parse_args()

    import numpy as np
    from faster_whisper import WhisperModel
    from synth import QUIET_LINES, QUIET_PLAN, SR, speak, speech_coverage

    from vocsvc.audio.transcribe import get_runner
    from vocsvc.audio.whisper_model import resolve_model
    from vocsvc.settings import get_settings

    s = get_settings()
    with tempfile.TemporaryDirectory() as td:
        clips = [speak(t, "customer", "en", Path(td)) for t in QUIET_LINES]
    clean = np.zeros(150 * SR, np.float32)
    for (start, gain), clip in zip(QUIET_PLAN, clips):
        a = int(start * SR)
        clean[a : a + len(clip)] += clip * 0.8 * gain
    plain = WhisperModel(resolve_model(s.whisper_model, s.cache_dir), device="cpu", compute_type="int8")
    runner = get_runner(s)
    q = 60 * SR

    def cov(spans):
        return (speech_coverage(spans, clean),
                speech_coverage([(a - 60, b - 60) for a, b in spans if b > 60], clean[q:]))

    for noise in args.noise:
        x = clean + np.random.default_rng(0).normal(0, noise, len(clean)).astype(np.float32)
        utts, _ = runner.segments(x, 1, "en")
        segs = list(plain.transcribe(x, language="en")[0])
        (o, oq), (p, pq) = cov([(u.start, u.end) for u in utts]), cov([(g.start, g.end) for g in segs])
        print(f"noise RMS {noise}: coverage ours {o:.3f} (quiet turns {oq:.3f}), plain {p:.3f} (quiet turns {pq:.3f})")
        print("   ours, quiet turns: ", " | ".join(u.text.strip() for u in utts if u.end > 60) or "-")
        print("   plain, quiet turns:", " | ".join(g.text.strip() for g in segs if g.end > 60) or "-")


if __name__ == "__main__":
    main()
