"""A ~5-minute synthetic two-party stereo call: real-time factor end to end and WER, next to plain faster-whisper.

    python bench/transcribe.py [--minutes 5] [--lang en|ru]

Ours: vocsvc's transcribe_call (VAD, guards, both channels, roles, redaction, tagging) plus storing the result
in the jobs database. Baseline, same audio, same run: faster-whisper's defaults (beam 5, no VAD) on each channel.
Both use the bundled Whisper base, int8, all cores.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "audio"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--lang", choices=["en", "ru"], default="en")
    ap.add_argument("--mono", action="store_true", help="the two parties mixed into one channel (diarized)")
    args = ap.parse_args()

    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio
    from synth import EN_CALL, RU_CALL, build_call, covered_role_accuracy, speech_coverage

    from vocsvc.analyzer import Analyzer
    from vocsvc.audio.call import transcribe_call
    from vocsvc.audio.transcribe import get_runner
    from vocsvc.audio.wer import wer
    from vocsvc.store.db import make_engine
    from vocsvc.store.jobs import JobStore, new_claim
    from vocsvc.settings import get_settings

    base = EN_CALL if args.lang == "en" else RU_CALL
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        stereo, _mono, truth = build_call(base, args.lang, td, "one")
        one = truth[-1].end + 1.0
        reps = max(1, round(args.minutes * 60 / one))
        stereo, mono, truth = build_call(base * reps, args.lang, td, "call")
        if args.mono:
            stereo = mono
        ref = " ".join(t.text for t in truth)
        s = get_settings()
        analyzer, runner = Analyzer(s), get_runner(s)
        analyzer.warmup()
        runner.model  # noqa: B018 - load outside the timing
        if args.mono:
            from vocsvc.audio.diarize import warmup

            warmup()  # the voice encoder too: a worker loads it once, not per call
        store = JobStore(make_engine(f"sqlite:///{td / 'jobs.db'}"))

        t0 = time.perf_counter()
        tr = transcribe_call(stereo, settings=s, analyzer=analyzer, runner=runner)
        job, _ = store.submit("transcribe", "bench", {"path": str(stereo)})
        claim = new_claim()
        store.claim(job.id, claim)
        store.complete(job.id, claim, tr.to_dict())
        ours_s = time.perf_counter() - t0
        ours_wer = wer(ref, " ".join(u.text for u in tr.utterances))

        from vocsvc.audio.whisper_model import resolve_model

        model = WhisperModel(resolve_model(s.whisper_model, s.cache_dir),
                             device="cpu", compute_type="int8")
        chans = [decode_audio(str(stereo), sampling_rate=16000)] if args.mono else decode_audio(
            str(stereo), sampling_rate=16000, split_stereo=True)
        t0 = time.perf_counter()
        hyp, plain_spans = [], []
        for ch in chans:
            segs, _ = model.transcribe(ch)  # defaults: beam 5, no VAD
            segs = list(segs)
            hyp += [(seg.start, seg.text) for seg in segs]
            plain_spans.append([(seg.start, seg.end) for seg in segs])
        base_s = time.perf_counter() - t0
        # speech-time coverage per channel (loudness frames inside some utterance), ours against plain's
        cov = [(speech_coverage([(u.start, u.end) for u in tr.utterances if u.channel == k], ch),
                speech_coverage(plain_spans[k], ch)) for k, ch in enumerate(chans)]
        base_wer = wer(ref, " ".join(t for _, t in sorted(hyp)))

    dur = tr.duration
    print(json.dumps({"audio_seconds": round(dur, 1), "lang": args.lang, "mono": args.mono}))
    print(f"ours (VAD, beam {s.whisper_beam_size}, guards, roles, tags, stored): {ours_s:.1f}s, "
          f"RTF {ours_s / dur:.3f} ({dur / ours_s:.1f}x real time), WER {ours_wer:.3f}")
    print(f"baseline faster-whisper defaults (beam 5, no VAD):            {base_s:.1f}s, "
          f"RTF {base_s / dur:.3f} ({dur / base_s:.1f}x real time), WER {base_wer:.3f}")
    roles = [u.role for u in tr.utterances]
    ok = sum(max(truth, key=lambda t: min(u.end, t.end) - max(u.start, t.start)).role == u.role for u in tr.utterances)
    print(f"speed-up vs baseline: {base_s / ours_s:.2f}x; role accuracy {ok / max(1, len(roles)):.3f} of utterances, "
          f"{covered_role_accuracy(tr.utterances, truth):.3f} of covered speech time; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for k, (ours_c, plain_c) in enumerate(cov):
        name = "mono" if args.mono else ("agent", "customer")[k]
        print(f"speech-time coverage, {name} channel: ours {ours_c:.3f}, plain {plain_c:.3f} "
              f"({ours_c / max(plain_c, 1e-9):.1%} of plain)")


if __name__ == "__main__":
    main()
