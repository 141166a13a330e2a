"""The Ray engine on a local Ray cluster: same shards as the local engine, row for row; resumes the same way."""
import pyarrow.parquet as pq
import pytest
from dumps import write_dump

from vocsvc.batch.local import BatchOptions, run_local

ray = pytest.importorskip("ray", reason="the Ray engine is an optional extra: pip install 'vocsvc[ray]'")


@pytest.mark.slow
def test_ray_matches_local_row_for_row_and_resumes(tmp_path, review_texts, fast_settings):
    from vocsvc.batch.ray_engine import run_ray

    d = tmp_path / "shards"
    write_dump(d / "a.csv.gz", review_texts[:90], "csv")
    write_dump(d / "b.parquet", review_texts[90:150], "parquet", start=90)

    def o(out):
        return BatchOptions((str(d),), out, "body", "review_id", chunk_rows=30, workers=2, progress=False)

    run_local(o(tmp_path / "local"), fast_settings)
    # a Ray run that stopped after two chunks: the next one does the rest
    partial = tmp_path / "ray"
    run_local(o(partial), fast_settings)
    for p in sorted(partial.glob("part-*.parquet"))[2:]:
        p.unlink()
    (partial / "_manifest.json").unlink()
    rep = run_ray(o(partial), fast_settings)
    assert rep.chunks_skipped == 2 and rep.rows_this_run == 150 - 60
    a = pq.read_table(tmp_path / "local").sort_by([("source", "ascending"), ("row", "ascending")])
    b = pq.read_table(partial).sort_by([("source", "ascending"), ("row", "ascending")])
    assert a.num_rows == b.num_rows > 140
    assert a.equals(b)

    fresh = tmp_path / "ray2"
    rep = run_ray(o(fresh), fast_settings)
    assert rep.rows == 150 and rep.extra["engine"] == "ray"
    c = pq.read_table(fresh).sort_by([("source", "ascending"), ("row", "ascending")])
    assert a.equals(c)
    assert (fresh / "_errors.jsonl").read_text() == (tmp_path / "local" / "_errors.jsonl").read_text()
