"""The ingest path without HTTP: service.mentions.ingest (redaction + one insert transaction with rollup deltas)
in batches of 100 into a fresh PostgreSQL database (or --db-url).

    python bench/ingest.py [--mentions 2000] [--db-url postgresql+psycopg://postgres@127.0.0.1:5432/vocsvc_ingest]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mentions", type=int, default=2000)
    ap.add_argument("--db-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/vocsvc_ingest")
    args = ap.parse_args()
    import sqlalchemy as sa

    from vocsvc.service.mentions import MentionIn, ingest
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    url = sa.engine.make_url(args.db_url)
    if url.get_backend_name() == "postgresql":
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            c.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    eng = engine_for(args.db_url)
    upgrade(eng)
    now = datetime(2026, 11, 1)
    items = [MentionIn(channel="social", source="bench", external_id=f"x{i}", created_at=datetime(2026, 10, 31, 12),
                       text=f"The delivery was late again, order {i}, call me at +7 916 123-45-67")
             for i in range(args.mentions + 100)]
    ingest(eng, items[:100], now)  # warm up
    t = time.perf_counter()
    for s in range(100, len(items), 100):
        ingest(eng, items[s : s + 100], now)
    print(f"{args.mentions / (time.perf_counter() - t):.0f} mentions/s ({eng.dialect.name}, batches of 100, no HTTP)")


if __name__ == "__main__":
    main()
