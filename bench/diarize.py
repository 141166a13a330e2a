"""Two voices on one channel: time-weighted role accuracy on synthetic quick-turn dialogues, en and ru.

    python bench/diarize.py

For each of the four dialogues in tests/audio/synth.py (replies 0.1-0.2 s after the question, one overtalk), mixed
to mono and decoded once by Whisper:
- quick turns: Whisper's own utterances, diarized;
- merged turns: every question joined with its answer into one utterance (what Whisper does when nobody pauses),
  diarized; and the baseline in the same run, the same diarizer with in-utterance splitting turned off (speaker
  per utterance only, as before issue 12).
Role accuracy is weighted by time over the speech the transcript covers. SWITCH and MIN_PART_SECONDS were chosen
on the *_dev dialogues, so en and ru are the held-out pair.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "audio"))


def main() -> None:
    from synth import EN_DEV, EN_QUICK, RU_DEV, RU_QUICK, build_call, covered_role_accuracy, have_tools, merge_pairs

    from vocsvc.audio import diarize as dz
    from vocsvc.audio.roles import assign_roles, choose_agent
    from vocsvc.audio.transcribe import get_runner, load_audio
    from vocsvc.audio.types import Utterance
    from vocsvc.settings import get_settings

    def roles(utts):
        speakers = {k: [u for u in utts if u.speaker == k] for k in {u.speaker for u in utts}}
        assign_roles(utts, choose_agent(speakers) if len(speakers) == 2 else None, key=lambda u: u.speaker)
        return utts

    def copy(utts):
        return [Utterance("unknown", 0, u.start, u.end, u.text, words=list(u.words)) for u in utts]

    runner = get_runner(get_settings())
    print(f"{'dialogue':8s} {'speech s':>8s} {'quick':>6s} {'merged':>7s} {'merged, no split (baseline)':>28s}")
    with tempfile.TemporaryDirectory() as td:
        for name, lang, turns in (("en", "en", EN_QUICK), ("ru", "ru", RU_QUICK), ("en_dev", "en", EN_DEV),
                                  ("ru_dev", "ru", RU_DEV)):
            if not have_tools(lang):
                print(f"{name}: speech synthesis tools missing (make deps-apt)")
                continue
            _stereo, mono, truth = build_call(turns, lang, Path(td) / name, name)
            audio = load_audio(mono, 600)[0]
            utts, _ = runner.segments(audio, 0, lang)
            quick = covered_role_accuracy(roles(dz.diarize(audio, copy(utts))), truth)
            merged = covered_role_accuracy(roles(dz.diarize(audio, merge_pairs(utts))), truth)
            scan, dz.SCAN_SECONDS = dz.SCAN_SECONDS, float("inf")  # no utterance is long enough to be split
            try:
                base = covered_role_accuracy(roles(dz.diarize(audio, merge_pairs(utts))), truth)
            finally:
                dz.SCAN_SECONDS = scan
            speech = sum(t.end - t.start for t in truth)
            print(f"{name:8s} {speech:8.1f} {quick:6.3f} {merged:7.3f} {base:28.3f}")


if __name__ == "__main__":
    main()
