"""``vocsvc batch --themes``: theme discovery (:mod:`vocsvc.themes`) over a finished batch directory.

Discovery is fitted on up to ``fit_rows`` documents (an even spread over the shards, so memory stays bounded on
millions of rows), then every row is assigned shard by shard. Writes ``themes.json`` (themes with volume, share,
net sentiment, top keyphrases and examples), ``theme_assignments.parquet`` (id, source, row, theme_id, similarity)
and ``themes_model.json/.npz``; a re-run matches new themes to that model, so ids stay stable.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from vocsvc.batch.local import EMB_DIR, BatchError, _atomic_write_text
from vocsvc.kpi import net_sentiment
from vocsvc.service.themes import spread_sample
from vocsvc.settings import Settings
from vocsvc.themes import ThemeModel, ThemeOptions, discover


def _shards(out: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for p in sorted(out.glob("part-*.parquet")):
        e = out / EMB_DIR / f"{p.stem}.npy"
        if not e.exists():
            raise BatchError(f"{out} has no embeddings for {p.name}: run the batch with --themes from the start")
        pairs.append((p, e))
    return pairs


def batch_themes(out: Path, settings: Settings, fit_rows: int = 100_000,
                 options: ThemeOptions = ThemeOptions()) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pairs = _shards(out)
    total = sum(pq.ParquetFile(p).metadata.num_rows for p, _ in pairs)
    step = spread_sample(total, fit_rows)
    Xs, kws = [], []
    for p, e in pairs:  # every step-th row of every shard
        X = np.load(e)
        k = pq.read_table(p, columns=["keywords"]).column("keywords").to_pylist()
        Xs.append(X[::step].astype(np.float32))
        kws += k[::step]
    X = np.vstack(Xs) if Xs else np.zeros((0, 1), np.float32)
    model_path = out / "themes_model"
    previous = ThemeModel.load(model_path) if model_path.with_suffix(".json").exists() else None
    found = discover(X, kws, options, previous=previous, encoder=settings.encoder)
    model = found.model
    model.save(model_path)

    volume = Counter()
    sent = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    schema = pa.schema([("id", pa.string()), ("source", pa.string()), ("row", pa.int64()),
                        ("theme_id", pa.string()), ("similarity", pa.float32())])
    tmp = out / ".theme_assignments.parquet.tmp"
    unthemed = 0
    with pq.ParquetWriter(tmp, schema) as w:
        for p, e in pairs:
            t = pq.read_table(p, columns=["id", "source", "row", "sentiment", "text_redacted"])
            idx, sim = model.assign(np.load(e).astype(np.float32))
            ids = [model.themes[i].id if i >= 0 else None for i in idx]
            for tid, s, txt in zip(ids, t.column("sentiment").to_pylist(), t.column("text_redacted").to_pylist()):
                if tid is None:
                    unthemed += 1
                    continue
                volume[tid] += 1
                sent[tid][s] += 1
                if len(examples[tid]) < 3 and 20 <= len(txt) <= 300:
                    examples[tid].append(txt)
            w.write_table(pa.table({"id": t.column("id"), "source": t.column("source"), "row": t.column("row"),
                                    "theme_id": pa.array(ids, pa.string()), "similarity": pa.array(sim)},
                                   schema=schema))
    tmp.replace(out / "theme_assignments.parquet")
    themes = []
    for th in model.themes:
        v = volume[th.id]
        c = sent[th.id]
        themes.append(th.to_dict() | {
            "volume": v,
            "share": round(v / total, 4) if total else 0.0,
            "net_sentiment": net_sentiment(c["positive"], c["negative"], v) if v else 0.0,
            "examples": examples[th.id],
        })
    themes.sort(key=lambda d: -d["volume"])
    summary = {"themes": len(themes), "documents": total, "fitted_on": len(X),
               "unthemed_share": round(unthemed / total, 4) if total else 0.0}
    _atomic_write_text(out / "themes.json", json.dumps(summary | {"items": themes}, ensure_ascii=False, indent=1))
    return summary
