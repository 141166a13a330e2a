"""Tag N GoEmotions sentences end to end and print texts/s and peak RSS.

    python bench/analyze.py [--n 10000] [--lang en|ru|mix] [--no-entities] [--stages] [--cpu-isa auto|default|...]

Baseline in the same run: the encoder alone on the same texts (the floor any pipeline pays), so the ratio
pipeline/encoder says what the other stages cost on this machine today. ``--cpu-isa default`` against the default
``auto`` (two runs) shows what forcing AVX-512 in text-only processes gives on this CPU (vocsvc/nlp/isa.py).
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def load(n: int, lang: str) -> list[str]:
    en = [ln.split("\t")[0] for ln in open(DATA / "goemotions" / "test.tsv", encoding="utf-8")]
    en += [ln.split("\t")[0] for ln in open(DATA / "goemotions" / "dev.tsv", encoding="utf-8")]
    with open(DATA / "ru_goemotions" / "test.csv", encoding="utf-8", newline="") as f:
        ru = [r["ru_text"] for r in csv.DictReader(f)]
    pool = {"en": en, "ru": ru, "mix": [t for pair in zip(en, ru) for t in pair]}[lang]
    return [pool[i % len(pool)] for i in range(n)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--lang", choices=["en", "ru", "mix"], default="en")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--no-entities", action="store_true")
    ap.add_argument("--stages", action="store_true", help="also print each stage's CPU cost per text")
    ap.add_argument("--cpu-isa", default="auto", help="text_cpu_isa as `vocsvc analyze` applies it ('default': "
                    "CTranslate2's own choice; run both to compare on one machine)")
    args = ap.parse_args()

    from vocsvc.analyzer import Analyzer
    from vocsvc.nlp.isa import ENV, for_text_only
    from vocsvc.settings import Settings

    texts = load(args.n, args.lang)
    settings = Settings(entities=not args.no_entities, batch_size=args.batch_size, text_cpu_isa=args.cpu_isa)
    for_text_only(settings.text_cpu_isa)
    a = Analyzer(settings)
    t0 = time.perf_counter()
    a.warmup()
    load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    a.encoder(texts)
    enc_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    n = 0
    for i in range(0, len(texts), args.batch_size):
        n += len(a.analyze(texts[i : i + args.batch_size]))
    total_s = time.perf_counter() - t0
    print(f"texts: {n} ({args.lang}), encoder {settings.encoder}, entities {'on' if settings.entities else 'off'}, "
          f"CTranslate2 ISA {os.environ.get(ENV, 'its own choice')}")
    print(f"model load + warm-up: {load_s:.1f}s")
    print(f"baseline, encoder alone: {n / enc_s:.0f} texts/s")
    print(f"end to end:              {n / total_s:.0f} texts/s  ({total_s:.1f}s; {enc_s / total_s:.2f} of the "
          f"encoder-alone rate)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    if args.stages:
        stage_costs(a, texts[: min(len(texts), 3000)])


def stage_costs(a, texts: list[str]) -> None:
    """CPU milliseconds per text of each stage run alone (the budget: 2 cores / target rate)."""
    from vocsvc.nlp.pii import find_pii, redact

    costs = {}

    def cpu(name, fn):
        t0 = time.process_time()
        out = fn()
        costs[name] = (time.process_time() - t0) / len(texts) * 1000
        return out

    langs = cpu("language", lambda: a.language(texts))
    clean = cpu("pii", lambda: [redact(t, find_pii(t)).text for t in texts])
    X = cpu("encoder", lambda: a.encoder(clean))
    cpu("heads", lambda: (a.sentiment_head.predict(X), a.emotion_head.predict(X), a.intent_head.predict(X)))
    docs = cpu("lemmas (+ English NER)", lambda: a.lemmatizer(clean, [lr.lang for lr in langs]))
    cpu("keywords", lambda: a.keywords(docs))
    cpu("categories", lambda: a.categories(docs))
    cpu("entities (Russian NER, products)", lambda: a.entities(clean, docs))
    print("CPU ms per text by stage:", ", ".join(f"{k} {v:.2f}" for k, v in costs.items()),
          f"| sum {sum(costs.values()):.2f} ms = {2000 / sum(costs.values()):.0f} texts/s on 2 busy cores")


if __name__ == "__main__":
    main()
