"""Retag speed: mentions tagged by one model, re-tagged by another (`vocsvc retag`'s service call).

    python bench/retag.py [--n 5000] [--db sqlite|postgresql]

Ingests N short mentions (GoEmotions sentences, English and Russian alternating) into a fresh database, tags them
with the shipped model (the baseline: first tagging of the same rows, in this run), then retags them with the
shipped heads recalibrated (a changed fingerprint), and prints both rates, their ratio and peak RSS.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = ap.parse_args()

    from analyze import load

    from vocsvc.analyzer import Analyzer
    from vocsvc.service import mentions as service
    from vocsvc.service.retag import retag
    from vocsvc.settings import Settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="vocsvc-retag-"))
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'v.db'}"
    else:
        import sqlalchemy as sa

        url = "postgresql+psycopg://postgres@127.0.0.1:5432/vocsvc_bench_retag"
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text("DROP DATABASE IF EXISTS vocsvc_bench_retag WITH (FORCE)"))
            c.execute(sa.text("CREATE DATABASE vocsvc_bench_retag"))
    s = Settings(database_url=url)
    eng = engine_for(url)
    upgrade(eng)
    now = datetime(2026, 11, 20, 12)
    texts = load(args.n, "mix")
    items = [service.MentionIn(channel="social", source="bench", external_id=str(i), text=t,
                               created_at=now - timedelta(days=10)) for i, t in enumerate(texts)]
    for k in range(0, len(items), 1000):
        service.ingest(eng, items[k : k + 1000], now)

    old = Analyzer(s)
    old.warmup()
    t0 = time.perf_counter()
    tagged = 0
    while n := service.tag(eng, old, s, now):
        tagged += n
    tag_s = time.perf_counter() - t0

    heads = tmp / "heads"
    shutil.copytree(s.models_dir / "heads" / s.encoder, heads)
    meta = json.loads((heads / "sentiment.json").read_text(encoding="utf-8"))
    meta["thresholds"] = [round(meta["thresholds"][0] + 0.05, 4), 0.0, meta["thresholds"][2]]
    (heads / "sentiment.json").write_text(json.dumps(meta), encoding="utf-8")
    new = Analyzer(s.model_copy(update={"heads_dir": heads}))
    new.warmup()
    t0 = time.perf_counter()
    rep = retag(eng, new, s, now)
    retag_s = time.perf_counter() - t0

    print(f"{args.n} mentions on {args.db}, encoder {s.encoder}")
    print(f"baseline, first tagging: {tagged / tag_s:.0f} mentions/s ({tag_s:.1f}s)")
    print(f"retag:                   {rep.retagged / retag_s:.0f} mentions/s ({retag_s:.1f}s; "
          f"{tag_s / retag_s:.2f} of the tagging rate); sentiment moves {dict(rep.sentiment_moves)}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
