"""Theme reads: migration 0010 counts NPS answers and ratings into theme_day_rollup (the numbers a rebuild gives,
also when the rows were counted by the code of 0009), and the examples statement, built once per shape, still
gives each theme's newest readable mentions of the period."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

T0 = datetime(2026, 3, 2, 9, 30)


def _mentions(n: int) -> list[dict]:
    return [{"id": f"m{i:03d}", "source": "s", "external_id": str(i), "channel": ["review", "survey", "social"][i % 3],
             "created_at": T0 - timedelta(hours=7 * i), "ingested_at": T0, "author_is_vip": False,
             "text_redacted": "short" if i % 5 == 0 else f"a readable mention number {i}", "text_sha256": "0",
             "state": "tagged", "sentiment": ["negative", "neutral", "positive"][i % 3],
             "nps": (i * 3) % 11 if i % 3 == 1 else None, "rating": 1 + i % 5 if i % 3 == 0 else None,
             "lang": "en", "theme_id": f"th{i % 3}" if i % 4 else None} for i in range(n)]


def _day_rollup(engine) -> list[tuple]:
    from vocsvc.store.schema import theme_day_rollup

    with engine.connect() as c:
        return sorted(tuple(r) for r in c.execute(sa.select(theme_day_rollup)))


def test_migration_0010_counts_day_scores(db_url):
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.rollups import SCORE_COUNTERS, rebuild, rebuild_themes
    from vocsvc.store.schema import mentions, theme_day_rollup

    eng = engine_for(db_url)
    upgrade(eng, "0009")
    with eng.begin() as c:
        c.execute(mentions.insert(), _mentions(60))
        rebuild_themes(c)  # today's code on a 0009 theme_day_rollup: n, pos, neg only
    upgrade(eng)
    migrated = _day_rollup(eng)
    t = theme_day_rollup.c
    with eng.connect() as c:
        sums = c.execute(sa.select(*[sa.func.sum(t[x]) for x in SCORE_COUNTERS])).one()
        nps_n = c.execute(sa.select(sa.func.count(mentions.c.nps))).scalar()
    assert sums[0] == nps_n > 0 and sums[3] > 0  # answers and ratings, not zeros
    rebuild(eng)
    assert _day_rollup(eng) == migrated


def test_examples_newest_readable_per_theme(db_url):
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.schema import mentions
    from vocsvc.store.themes import examples

    eng = engine_for(db_url)
    upgrade(eng)
    rows = _mentions(90)
    with eng.begin() as c:
        c.execute(mentions.insert(), rows)
    start, end = T0 - timedelta(days=15), T0 - timedelta(days=2)

    def want(tid, k):
        ok = [r for r in rows if r["theme_id"] == tid and start <= r["created_at"] < end
              and 20 <= len(r["text_redacted"]) <= 400]
        return [r["id"] for r in sorted(ok, key=lambda r: r["created_at"], reverse=True)[:k]]

    for ids, k in ((["th0", "th1", "th2"], 3), (["th1"], 2), (["th2", "th0", "th1"], 3), (["th0", "nope"], 5)):
        got = examples(eng, ids, start, end, k)
        assert {t: [e.id for e in v] for t, v in got.items()} == {t: want(t, k) for t in ids}, (ids, k)
    assert len(want("th0", 3)) == 3  # not vacuous
