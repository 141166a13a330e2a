"""``vocsvc batch --engine ray``: the same stages on Ray Data (``pip install 'vocsvc[ray]'``).

Plan: a dataset of input files -> a read step (tasks) that yields one block per pending chunk, cut exactly as
the local engine cuts them -> ``map_batches`` with a callable class on an actor pool, ``batch_size=None`` so one
block (one chunk) is one call; each actor loads the models once and writes its chunk's shard with the local
engine's :func:`~vocsvc.batch.local.process_chunk`. So both engines write identical shards, and a Ray run resumes
like a local one. (Ray's own ``write_parquet`` names files per run and could not resume per chunk.)

On a 2-core machine actors reserve half a CPU each and read tasks a quarter: whole-CPU actors starve the read
tasks and the job hangs without a word. Ray's temp dir lives in the cache dir, not /tmp/ray.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from vocsvc.batch.local import (
    BatchError,
    BatchOptions,
    BatchReport,
    Chunk,
    _finish,
    default_workers,
    estimate_rows,
    iter_chunks,
    prepare,
)
from vocsvc.settings import Settings, get_settings


def _chunk_to_arrow(chunk: Chunk):
    """A chunk as an Arrow block. Bad cells (bytes, reader errors) travel as their error message."""
    import pyarrow as pa

    from vocsvc.analyzer import check_text

    texts, bad = [], []
    for t in chunk.texts:
        if t is None or isinstance(t, str):
            texts.append(t)
            bad.append(None)
        else:
            texts.append(None)
            bad.append(check_text(t, sys.maxsize) or f"unsupported value {type(t).__name__}")
    n = len(chunk.ids)
    return pa.table({
        "chunk": pa.array([chunk.name] * n, pa.string()),
        "chunk_rows": pa.array([n] * n, pa.int64()),
        "file_index": pa.array([chunk.file_index] * n, pa.int64()),
        "chunk_index": pa.array([chunk.index] * n, pa.int64()),
        "source": pa.array([chunk.source] * n, pa.string()),
        "first_row": pa.array([chunk.first_row] * n, pa.int64()),
        "id": pa.array(chunk.ids, pa.string()),
        "text": pa.array(texts, pa.string()),
        "bad": pa.array(bad, pa.string()),
    })


def _arrow_to_chunks(batch) -> list[Chunk]:
    rows = batch.to_pylist()
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["chunk"], []).append(r)
    out = []
    for name, rs in by.items():
        if len(rs) != rs[0]["chunk_rows"]:  # Ray split a block: writing part of a chunk would lose rows
            raise RuntimeError(f"chunk {name} arrived split ({len(rs)} of {rs[0]['chunk_rows']} rows)")
        texts = [ValueError(r["bad"]) if r["bad"] is not None else r["text"] for r in rs]
        r0 = rs[0]
        out.append(Chunk(r0["file_index"], r0["chunk_index"], r0["source"], r0["first_row"],
                         [r["id"] for r in rs], texts))
    return out


def _read_chunks(batch, files: list[str], opts: BatchOptions, done: set[str]):
    """A read task: one input file -> one block per chunk still to do (a generator, so memory stays flat)."""
    from dataclasses import replace

    for fi in batch["file_index"].to_pylist():
        # iter_chunks numbers files by position: read one file, then put back its index in the whole input list
        for chunk in iter_chunks([Path(files[fi])], opts):
            chunk = replace(chunk, file_index=fi)
            if chunk.name not in done:
                yield _chunk_to_arrow(chunk)


class _Analyze:
    """A Ray actor: models load once per actor, in ``__init__``."""

    def __init__(self, settings_json: str, out_dir: str, embeddings: bool):
        from vocsvc.analyzer import Analyzer

        self.analyzer = Analyzer(Settings.model_validate_json(settings_json))
        self.out_dir, self.embeddings = out_dir, embeddings

    def __call__(self, batch):
        import pyarrow as pa

        from vocsvc.batch.local import process_chunk

        names, rows, oks, errs = [], [], [], []
        for chunk in _arrow_to_chunks(batch):
            name, ok, err = process_chunk(chunk, self.out_dir, self.embeddings, self.analyzer)
            names.append(name)
            rows.append(len(chunk.ids))
            oks.append(ok)
            errs.append(err)
        return pa.table({"chunk": names, "rows": rows, "ok": oks, "errors": errs})


def run_ray(opts: BatchOptions, settings: Settings | None = None, address: str | None = None) -> BatchReport:
    try:
        import ray
    except ImportError as e:
        raise BatchError("the Ray engine needs Ray: pip install 'vocsvc[ray]'") from e
    from tqdm import tqdm

    settings = settings or get_settings()
    out, files, resuming, done = prepare(opts, settings)
    workers = opts.workers or default_workers()
    wsettings = settings.model_copy(update={"encoder_threads": 1})
    report = BatchReport(out, workers=workers, extra={"engine": "ray"})

    import logging

    for name in ("ray", "ray.data"):  # our progress bar and summary say what matters
        logging.getLogger(name).setLevel(logging.WARNING)
    started_here = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            tmp = settings.cache_dir / "ray"
            tmp.mkdir(parents=True, exist_ok=True)
            ray.init(num_cpus=default_workers(), include_dashboard=False, log_to_driver=False,
                     _temp_dir=str(tmp), configure_logging=False)
        started_here = True
    report.extra["ray_address"] = address or "local"
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.verbose_progress = False

    # Chunks already done are counted for the progress bar from the shards' metadata.
    import pyarrow.parquet as pq

    skipped_rows = sum(pq.ParquetFile(out / f"{d}.parquet").metadata.num_rows for d in done)
    skipped_rows += sum(pq.ParquetFile(out / "_errors" / f"{d}.parquet").metadata.num_rows for d in done
                        if (out / "_errors" / f"{d}.parquet").exists())
    bar = tqdm(total=estimate_rows(files), unit=" rows", file=sys.stderr, smoothing=0.1, mininterval=0.5,
               initial=skipped_rows, disable=None if opts.progress is None else not opts.progress,
               desc="ray resuming" if resuming else "ray batch")
    t0 = time.perf_counter()
    try:
        ds = ray.data.from_items([{"file_index": i} for i in range(len(files))], override_num_blocks=len(files))
        ds = ds.map_batches(_read_chunks, fn_kwargs={"files": [str(f) for f in files], "opts": opts, "done": done},
                            batch_size=1, batch_format="pyarrow", num_cpus=0.25)
        ds = ds.map_batches(_Analyze, fn_constructor_args=(wsettings.model_dump_json(), str(out), opts.embeddings),
                            batch_size=None, batch_format="pyarrow", num_cpus=0.5,
                            compute=ray.data.ActorPoolStrategy(size=workers))
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            n = sum(batch.column("rows").to_pylist())
            report.rows_this_run += n
            report.chunks += batch.num_rows
            bar.update(n)
    finally:
        bar.close()
        if started_here:
            ray.shutdown()
    report.seconds = time.perf_counter() - t0
    report.chunks_skipped = len(done)
    report.chunks += len(done)
    _finish(out, files, opts, settings, report)
    return report
