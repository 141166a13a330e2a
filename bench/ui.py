"""Console page timings over a loaded store (the issue's goal: p95 server time < 300 ms per page at 200k mentions).

    python bench/ui.py [--mentions 200000] [--dbs sqlite,postgresql] [--requests 40]

For each database: the store is loaded as bench/api.py does (generated, already tagged mentions over 90 days, 40
themes, alerts, 2,000 calls; one call gets 80 tagged turns so its page has a transcript), `vocsvc serve` starts,
an admin key signs in to /ui like a browser, and every page is fetched --requests times one after another (one
client: this is page cost, not load). Prints p50 / p95 / max in ms per page, and the same for GET /v1/themes as
a baseline from the same run. The client is on the same machine, so times include a loopback round trip.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")  # not `api`: the package
bench_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_api)


def add_turns(url: str, now: datetime) -> str:
    """80 tagged turns on one seeded call (the seed's calls have none)."""
    import sqlalchemy as sa

    from vocsvc.store.db import engine_for
    from vocsvc.store.schema import calls, utterances

    eng = engine_for(url)
    with eng.begin() as c:
        call_id = c.execute(sa.select(calls.c.id).order_by(calls.c.id).limit(1)).scalar()
        c.execute(calls.update().where(calls.c.id == call_id).values(duration=480.0, metrics=json.dumps(
            {"talk_time": {"agent": 200.0, "customer": 180.0}, "interruptions": {"agent": 1, "customer": 2}})))
        c.execute(utterances.insert(), [{
            "id": f"{call_id}:{k}", "call_id": call_id, "idx": k, "speaker": "agent" if k % 2 else "customer",
            "start": 6.0 * k, "end": 6.0 * k + 5.0, "text_redacted": f"turn {k}: the card [CARD] was charged twice",
            "sentiment": "negative", "tags": json.dumps({"sentiment": {"label": "negative", "score": -0.5},
                                                         "emotion": "anger", "intents": [{"label": "billing",
                                                                                          "score": 0.8}],
                                                         "categories": ["dissatisfaction"]}),
            "created_at": now} for k in range(80)])
    return call_id


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--requests", type=int, default=40)
    a = ap.parse_args()
    import httpx

    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    table = []
    for db in a.dbs.split(","):
        work = Path.home() / ".cache" / "vocsvc" / f"bench-ui-{db}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        if db == "sqlite":
            url = f"sqlite:///{work / 'vocsvc.db'}"
        else:
            import sqlalchemy as sa

            admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(sa.text("DROP DATABASE IF EXISTS vocsvc_bench_ui WITH (FORCE)"))
                c.execute(sa.text("CREATE DATABASE vocsvc_bench_ui"))
            url = "postgresql+psycopg://postgres@127.0.0.1:5432/vocsvc_bench_ui"
        t0 = time.perf_counter()
        bench_api.seed(url, a.mentions, now)
        call_id = add_turns(url, now)
        print(f"{db}: seeded {a.mentions} mentions in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        env_url = {"VOCSVC_DATABASE_URL": url, "VOCSVC_DATA_DIR": str(work / "data")}
        key = subprocess.run([sys.executable, "-m", "vocsvc.cli", "keys", "create", "--role", "admin"],
                             env={**__import__("os").environ, **env_url}, capture_output=True, text=True,
                             check=True).stdout.strip()
        srv, base = bench_api.serve(url, work, rollups=True)
        try:
            cl = httpx.Client(base_url=base, timeout=60)
            assert cl.post("/ui/login", data={"key": key}).status_code in (200, 303)
            alerts = cl.get("/ui/alerts").text
            alert_id = re.search(r'href="/ui/alerts/([0-9a-f-]{36})"', alerts).group(1)
            pages = {
                "overview (30 days)": "/ui/overview", "calls": "/ui/calls",
                "calls filtered + sorted": "/ui/calls?language=en&customer_sentiment=negative&sort=-qa_score",
                "call (80 turns)": f"/ui/calls/{call_id}", "agent": "/ui/agents/agent1",
                "themes (30 days)": "/ui/themes", "themes (90 days, social)": "/ui/themes?days=90&channel=social",
                "theme": "/ui/themes/th_bench0001", "alerts": "/ui/alerts", "alert": f"/ui/alerts/{alert_id}",
                "search (full text)": "/ui/search?q=refund", "search (semantic)": "/ui/search?q=refund&mode=semantic",
                "baseline GET /v1/themes": "/v1/themes",
            }
            hdr = {"Authorization": f"Bearer {key}"}
            for name, path in pages.items():
                lat = []
                for _ in range(a.requests):
                    t = time.perf_counter()
                    r = cl.get(path, headers=hdr if path.startswith("/v1") else None)
                    lat.append(time.perf_counter() - t)
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                ms = np.array(lat) * 1000
                table.append((db, name, np.percentile(ms, 50), np.percentile(ms, 95), ms.max()))
                print(f"  {db:10s} {name:28s} p50 {table[-1][2]:7.1f}  p95 {table[-1][3]:7.1f}  max {table[-1][4]:7.1f}",
                      file=sys.stderr)
        finally:
            srv.terminate()
            srv.wait()
    print(f"\nconsole pages at {a.mentions:,} mentions, {a.requests} sequential requests each (ms)")
    print(f"{'database':10s} {'page':28s} {'p50':>8s} {'p95':>8s} {'max':>8s}")
    for db, name, p50, p95, mx in table:
        print(f"{db:10s} {name:28s} {p50:8.1f} {p95:8.1f} {mx:8.1f}{'  > 300 ms' if p95 > 300 else ''}")


if __name__ == "__main__":
    main()
