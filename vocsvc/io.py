"""Read texts from CSV, JSONL, Parquet, TXT or stdin as a stream of ``(id, text)`` rows, memory kept flat.

Encodings: UTF-8 (with or without BOM) and UTF-16 with a BOM; a file whose first 256 KB decode as Cyrillic in
cp1251 or KOI8-R (Excel exports) is read in that encoding. A line that still fails to decode becomes a row whose
text is ``bytes``, which the analyzer reports as a bad row.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from vocsvc.errors import InputError

Row = tuple[str | None, object]
FORMATS = (".csv", ".jsonl", ".ndjson", ".parquet", ".txt", ".tsv")


def input_format(p: Path) -> tuple[str, bool]:
    """(format suffix, gzip-compressed?) of ``reviews.csv.gz`` -> ('.csv', True)."""
    suffixes = [s.lower() for s in p.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def _open(p: Path, gz: bool) -> BinaryIO:
    return gzip.open(p, "rb") if gz else p.open("rb")  # type: ignore[return-value]


def guess_encoding(sample: bytes) -> str:
    """UTF-8 unless the bytes are clearly a legacy Cyrillic encoding (cp1251 or KOI8-R) or carry a UTF-16 BOM.

    A UTF-8 file with a few broken lines stays UTF-8 (those lines become bad rows); only when the non-UTF-8 bytes
    decode to Cyrillic letters is the whole file read as cp1251/KOI8-R.
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start > len(sample) - 4:  # a character cut at the sample's end
            return "utf-8"
    best, best_score = "utf-8", 0.0
    for enc in ("cp1251", "koi8_r"):
        high = [c for c in sample.decode(enc, errors="replace") if ord(c) > 127]
        cyr = [c for c in high if "\u0400" <= c <= "\u04ff"]
        if not high or len(cyr) / len(high) < 0.9:
            continue
        score = sum(c.islower() for c in cyr) / len(cyr)  # running text is mostly lower case
        if score > best_score:
            best, best_score = enc, score
    return best


def _lines(f: BinaryIO, encoding: str) -> Iterator[str | bytes]:
    if encoding.startswith("utf-16"):
        for line in io.TextIOWrapper(f, encoding=encoding, errors="replace", newline=None):
            yield line.rstrip("\r\n")
        return
    for raw in f:
        raw = raw.rstrip(b"\r\n")
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError:
            yield raw


def read_rows(
    path: str | Path, text_col: str = "text", id_col: str = "id", stdin: BinaryIO | None = None
) -> Iterator[Row]:
    """Yield ``(id, text)``; ids default to the 1-based row number. Raises InputError if the input can't be read."""
    if str(path) == "-":
        f = stdin or sys.stdin.buffer
        sample = f.peek(262_144)[:262_144] if hasattr(f, "peek") else b""
        enc = guess_encoding(sample)
        for n, line in enumerate(_lines(f, enc), 1):
            yield str(n), line
        return
    p = Path(path)
    if not p.exists():
        raise InputError(f"input not found: {p}")
    if p.is_dir():
        raise InputError(f"input is a directory: {p} (give a file; `vocsvc batch` reads folders of shards)")
    suffix, gz = input_format(p)
    if suffix not in FORMATS:
        raise InputError(
            f"unsupported input {p.name}: use one of {', '.join(FORMATS)} (optionally .gz) or '-' for stdin"
        )
    if suffix == ".parquet":
        yield from _parquet(p, text_col, id_col)
        return
    try:
        with _open(p, gz) as fb:
            enc = guess_encoding(fb.read(262_144))
    except (OSError, EOFError) as e:
        raise InputError(f"{p.name}: cannot read ({e})") from e
    if suffix == ".txt":
        with _open(p, gz) as f:
            for n, line in enumerate(_lines(f, enc), 1):
                yield str(n), line
    elif suffix in (".jsonl", ".ndjson"):
        with _open(p, gz) as f:
            for n, line in enumerate(_lines(f, enc), 1):
                if isinstance(line, bytes):
                    yield str(n), line
                    continue
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    yield str(n), ValueError(f"invalid JSON on line {n}: {e.msg}")
                    continue
                if not isinstance(obj, dict):
                    yield str(n), ValueError(f"line {n} is not a JSON object")
                    continue
                rid = obj.get(id_col)
                yield (str(rid) if rid is not None else str(n)), obj.get(text_col)
    else:
        yield from _csv(p, gz, enc, text_col, id_col, "\t" if suffix == ".tsv" else None)


def _csv(p: Path, gz: bool, enc: str, text_col: str, id_col: str, delimiter: str | None) -> Iterator[Row]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with io.TextIOWrapper(_open(p, gz), encoding=enc, errors="surrogateescape", newline="") as f:
        head = f.read(65_536)
        f.seek(0)
        if delimiter is None:
            try:
                delimiter = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
            except csv.Error:
                delimiter = ","
        reader = csv.DictReader(f, delimiter=delimiter)
        if reader.fieldnames is None:
            return
        if text_col not in reader.fieldnames:
            raise InputError(f"{p.name}: no column {text_col!r} (columns: {reader.fieldnames}); use --text-col")
        for n, rec in enumerate(reader, 1):
            rid = rec.get(id_col) or str(n)
            text = rec.get(text_col)
            if isinstance(text, str) and any("\udc80" <= c <= "\udcff" for c in text):
                text = text.encode(enc, errors="surrogateescape")  # undecodable bytes in this cell
            yield rid, text


def _parquet(p: Path, text_col: str, id_col: str) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(p)
    except Exception as e:
        raise InputError(f"{p.name}: not a readable Parquet file ({e})") from e
    names = pf.schema_arrow.names
    if text_col not in names:
        raise InputError(f"{p.name}: no column {text_col!r} (columns: {names}); use --text-col")
    cols = [text_col] + ([id_col] if id_col in names else [])
    n = 0
    for batch in pf.iter_batches(batch_size=4096, columns=cols):
        texts = batch.column(text_col).to_pylist()
        ids = batch.column(id_col).to_pylist() if id_col in names else [None] * len(texts)
        for rid, text in zip(ids, texts):
            n += 1
            yield (str(rid) if rid is not None else str(n)), text


def open_text_output(path: str | None) -> io.TextIOBase:
    if path in (None, "-"):
        return sys.stdout  # type: ignore[return-value]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller
