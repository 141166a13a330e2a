"""API latency and ingest throughput over a loaded store.

    python bench/api.py [--mentions 200000] [--db-url sqlite:///...|postgresql+psycopg://...] [--clients 8]

1. A fresh database (default: SQLite in ~/.cache/vocsvc/bench-api) is migrated and loaded directly with
   --mentions generated, already tagged mentions over 90 days (realistic mixes of channel, sentiment, rating,
   NPS, product, language), 40 themes, an alert for every negative public mention, and 2,000 calls with labels.
   (Loading through the pipeline would measure the encoder again; bench/analyze.py and bench/batch.py do that.)
2. `vocsvc serve` runs as its own process (uvicorn, one worker process, in-process tagging worker off so the
   backlog of ingested mentions does not compete with the measured requests).
3. Latency: --requests requests per endpoint from --clients concurrent clients; p50 / p99 in ms.
4. Ingest: --clients clients post bulk arrays of 100 new mentions for --seconds; accepted mentions/s. Then
   single-mention posts (one per request) for the same time.
"""
from __future__ import annotations

import argparse
import json
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


def seed(url: str, n: int, now: datetime) -> None:
    import sqlalchemy as sa

    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.schema import alert_mentions, alerts, call_labels, calls, mentions, themes

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
        rows, al, am = [], [], []
        for i in range(s, min(n, s + 5000)):
            ch = rng.choice(channels)
            sent = rng.choices(["negative", "neutral", "positive"], [0.3, 0.3, 0.4])[0]
            score = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[sent]
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 40)))
            mid = str(uuid.uuid4())
            rows.append({"id": mid, "source": rng.choice(["appstore", "twitter", "vk", "survey"]),
                         "external_id": f"seed{i}", "channel": ch, "created_at": created, "ingested_at": created,
                         "author_handle": f"@user{rng.randrange(n // 3)}", "author_followers": rng.randrange(10_000),
                         "author_is_vip": rng.random() < 0.01, "rating": rng.randint(1, 5) if ch == "review" else None,
                         "nps": rng.randint(0, 10) if ch == "survey" else None,
                         "product": rng.choice(["app", "card", "deposit", None]), "lang": rng.choice(["en", "ru"]),
                         "text_redacted": text, "text_sha256": f"{i:064d}", "state": "tagged",
                         "sentiment": sent, "sentiment_score": score, "emotion": "anger" if sent == "negative"
                         else "neutral", "intent": "other", "tags": json.dumps({"keywords": text.split()[:3]}),
                         "theme_id": rng.choice(theme_ids) if rng.random() < 0.9 else None})
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
        if eng.dialect.name == "postgresql":
            c.execute(sa.text("ANALYZE"))
    print(file=sys.stderr)


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs) * 1000, p)) if xs else float("nan")


def hammer(fn, clients: int, count: int | None = None, seconds: float | None = None) -> tuple[list[float], int]:
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + (seconds or 1e9)
    left = [count or 10**12]

    def worker():
        import httpx

        with httpx.Client(timeout=120) as cl:
            while time.perf_counter() < stop:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                t = time.perf_counter()
                ok = fn(cl)
                dt = time.perf_counter() - t
                with lock:
                    lat.append(dt)
                    errors[0] += not ok

    ths = [threading.Thread(target=worker) for _ in range(clients)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return lat, errors[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--db-url", default=None)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()

    work = Path.home() / ".cache" / "vocsvc" / "bench-api"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = args.db_url or f"sqlite:///{work / 'bench.db'}"
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    now = datetime(2026, 11, 1)
    t0 = time.perf_counter()
    seed(url, args.mentions, now)
    print(f"seeded {args.mentions} mentions in {time.perf_counter() - t0:.0f}s into {url.split('@')[-1]}")

    from vocsvc.store.db import engine_for
    from vocsvc.store.keys import create_key

    key = create_key(engine_for(url), "admin", "bench")[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"VOCSVC_DATABASE_URL": url, "VOCSVC_IN_PROCESS_WORKER": "false",
                        "VOCSVC_QUEUE_PATH": str(work / "q.db"), "VOCSVC_ENCODER": "usem3",
                        "VOCSVC_THEMES_EVERY_HOURS": "0"}
    srv = subprocess.Popen([sys.executable, "-m", "vocsvc.cli", "serve", "--port", str(port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    hdr = {"Authorization": f"Bearer {key}"}
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        per = "from=2026-10-02T00:00:00Z&to=2026-11-01T00:00:00Z"
        endpoints = {
            "GET /v1/themes (30 days)": f"/v1/themes?{per}",
            "GET /v1/themes?channel=social": f"/v1/themes?{per}&channel=social",
            "GET /v1/alerts?status=open": "/v1/alerts?status=open",
            "GET /v1/alerts?overdue=true": "/v1/alerts?overdue=true",
            "GET /v1/calls?intent=refund_request": "/v1/calls?intent=refund_request",
            "GET /v1/calls?has_pii=true&reviewed=false": "/v1/calls?has_pii=true&reviewed=false",
            "GET /v1/metrics?group_by=week": "/v1/metrics?group_by=week",
            "GET /v1/search?q=refund": "/v1/search?q=refund",
        }
        print(f"latency, {args.requests} requests each, {args.clients} concurrent clients:")
        for name, path in endpoints.items():
            lat, err = hammer(lambda cl, p=path: cl.get(base + p, headers=hdr).status_code == 200, args.clients,
                              count=args.requests)
            print(f"  {name:42s} p50 {pct(lat, 50):7.1f} ms  p99 {pct(lat, 99):7.1f} ms  errors {err}")

        counter = iter(range(10**9))
        lock = threading.Lock()

        def bulk(cl):
            with lock:
                start = next(counter) * 100
            body = [{"channel": "social", "source": "bench", "external_id": f"b{start + i}", "created_at":
                     "2026-10-31T12:00:00Z", "text": f"The delivery was late again, order {start + i}"}
                    for i in range(100)]
            return cl.post(base + "/v1/mentions", headers=hdr, json=body).status_code == 201

        lat, err = hammer(bulk, args.clients, seconds=args.seconds)
        print(f"ingest bulk(100): {100 * (len(lat) - err) / args.seconds:.0f} mentions/s accepted, request p50 "
              f"{pct(lat, 50):.0f} ms p99 {pct(lat, 99):.0f} ms, errors {err}")

        def single(cl):
            with lock:
                i = next(counter)
            return cl.post(base + "/v1/mentions", headers=hdr, json={
                "channel": "review", "source": "bench1", "external_id": f"s{i}", "created_at": "2026-10-31T12:00:00Z",
                "text": "Love the new app update"}).status_code == 201

        lat, err = hammer(single, args.clients, seconds=args.seconds)
        print(f"ingest single: {(len(lat) - err) / args.seconds:.0f} mentions/s, p50 {pct(lat, 50):.1f} ms "
              f"p99 {pct(lat, 99):.1f} ms, errors {err}")
    finally:
        srv.terminate()
        srv.wait(timeout=60)


if __name__ == "__main__":
    main()
