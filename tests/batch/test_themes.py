"""`vocsvc batch --themes` on real data: themes over the shards, assignments for every row, stable ids."""
import json

import pyarrow.parquet as pq
from dumps import write_dump

from vocsvc.batch.local import BatchOptions, run_local
from vocsvc.batch.themes import batch_themes


def test_batch_themes(tmp_path, shared_data, fast_settings):
    import csv

    with open(shared_data / "banking77" / "test.csv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)][:600]
    src = tmp_path / "b77.csv"
    write_dump(src, texts, "csv", bad_every=0)
    out = tmp_path / "out"
    run_local(BatchOptions((str(src),), out, "body", "review_id", chunk_rows=200, workers=1, embeddings=True,
                           progress=False), fast_settings)
    s1 = batch_themes(out, fast_settings)
    assert s1["documents"] == 600 and s1["themes"] >= 5 and s1["unthemed_share"] <= 0.2
    th = json.loads((out / "themes.json").read_text())
    top = th["items"][0]
    assert top["volume"] > 0 and top["keyphrases"] and top["examples"] and -100 <= top["net_sentiment"] <= 100
    a = pq.read_table(out / "theme_assignments.parquet")
    assert a.num_rows == 600
    assert set(x for x in a.column("theme_id").to_pylist() if x) <= {t["id"] for t in th["items"]}
    # re-discovery over the same data keeps every id
    batch_themes(out, fast_settings)
    th2 = json.loads((out / "themes.json").read_text())
    assert {t["id"] for t in th2["items"]} == {t["id"] for t in th["items"]}
