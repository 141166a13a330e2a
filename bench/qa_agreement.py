"""Automatic QA against hand-set answers: synthetic calls rendered with the test voices, transcribed and tagged
by the real pipeline, scored with the default scorecard; agreement per item, reason and outcome.

    python bench/qa_agreement.py [--corpus tests/audio/qa_calls.yaml] [--mono] [--only en01,ru03] [-v]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "audio"))

# The synthetic contact centres' brands, configured as a deployment would configure its own (the scorecard's
# company_names); everything else is the default scorecard.
COMPANIES = ["ShopCo", "NetLine", "Банк Восток", "Интернет Плюс"]
ITEMS = ("greeting", "verification", "empathy", "interruptions", "hold", "resolution", "further_help", "closing",
         "forbidden", "pii_readback")


def score_calls(calls: list[dict], mono: bool = False, settings=None, analyzer=None, workdir: Path | None = None):
    """[(call, qa dict, transcript)] through transcription, tagging and scoring, as the worker does it."""
    from synth import Turn, build_call

    from vocsvc.analyzer import Analyzer
    from vocsvc.audio.call import transcribe_call
    from vocsvc.settings import Settings

    if settings is None:
        import yaml as _yaml

        from vocsvc.qa.template import default_path

        base = Settings()
        card = _yaml.safe_load(default_path(base.models_dir).read_text(encoding="utf-8"))
        card["company_names"] = COMPANIES
        path = Path(tempfile.mkdtemp()) / "scorecard.yaml"
        path.write_text(_yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
        settings = base.model_copy(update={"qa_scorecard": path})
    analyzer = analyzer or Analyzer(settings)
    workdir = workdir or Path(tempfile.mkdtemp())
    out = []
    for c in calls:
        turns = [Turn(t["role"], t["text"], float(t.get("gap", 0.0))) for t in c["turns"]]
        stereo, mono_wav, _truth = build_call(turns, c["lang"], workdir, c["id"])
        tr = transcribe_call(mono_wav if mono else stereo, agent_channel="auto" if mono else "left",
                             settings=settings, analyzer=analyzer)
        out.append((c, tr.qa or {"items": [], "reason": None, "outcome": {"label": None}}, tr))
    return out


def agreement(results) -> dict[str, tuple[int, int]]:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c, qa, _tr in results:
        got = {a["id"]: a["answer"] for a in qa["items"]}
        got["reason"] = (qa["reason"] or {}).get("intent")
        got["outcome"] = qa["outcome"]["label"]
        for k, want in c["expect"].items():
            per[k][0] += got.get(k) == want
            per[k][1] += 1
    return {k: (v[0], v[1]) for k, v in per.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT / "tests" / "audio" / "qa_calls.yaml"))
    ap.add_argument("--mono", action="store_true", help="the two voices mixed into one channel (diarized)")
    ap.add_argument("--only", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    calls = yaml.safe_load(Path(args.corpus).read_text(encoding="utf-8"))
    if args.only:
        calls = [c for c in calls if c["id"] in args.only.split(",")]
    t0 = time.perf_counter()
    results = score_calls(calls, args.mono)
    el = time.perf_counter() - t0
    if args.verbose:
        for c, qa, tr in results:
            got = {a["id"]: a["answer"] for a in qa["items"]}
            bad = [k for k in ITEMS if k in c["expect"] and got.get(k) != c["expect"][k]]
            print(f"{c['id']}: score {qa.get('score')} reason {(qa['reason'] or {}).get('intent')} "
                  f"(want {c['expect'].get('reason')}) outcome {qa['outcome']['label']} "
                  f"(want {c['expect'].get('outcome')}) wrong: " + ", ".join(f"{k}={got.get(k)}/{c['expect'][k]}"
                                                                             for k in bad))
            if bad:
                for u in tr.utterances:
                    print(f"    {u.role:8s} {u.start:6.1f}-{u.end:6.1f} {u.text_redacted[:110]}")
    per = agreement(results)
    items = [k for k in per if k in ITEMS]
    ok = sum(per[k][0] for k in items)
    n = sum(per[k][1] for k in items)
    print(f"{len(calls)} calls ({'mono' if args.mono else 'stereo'}), {el:.0f} s")
    for k, (a, b) in per.items():
        print(f"  {k:14s} {a}/{b} = {a / b:.2f}")
    print(f"items agreement: {ok}/{n} = {ok / max(1, n):.3f}")


if __name__ == "__main__":
    main()
