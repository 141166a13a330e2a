"""Review dumps for the batch tests, in every input format, with bad rows at known places."""
import csv
import gzip
import json
from pathlib import Path


def bad_value(i: int):
    """Every 37th row is bad in a different way."""
    return ["", "   ", "x" * 30_000, "\x00\x01\x02binary\x00"][(i // 37) % 4]


def write_dump(path: Path, texts: list[str], fmt: str, bad_every: int = 37, start: int = 0) -> list[str]:
    """Write rows r<start+i> as CSV / JSONL (optionally .gz) / Parquet; returns the ids."""
    ids = [f"r{start + i}" for i in range(len(texts))]
    vals = [bad_value(i) if bad_every and i % bad_every == bad_every - 1 else t for i, t in enumerate(texts)]
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"review_id": ids, "body": vals}), path)
        return ids
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        if fmt == "csv":
            w = csv.writer(f)
            w.writerow(["review_id", "body"])
            w.writerows(zip(ids, vals))
        else:
            for i, v in zip(ids, vals):
                f.write(json.dumps({"review_id": i, "body": v}, ensure_ascii=False) + "\n")
    return ids
