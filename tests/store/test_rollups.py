"""Rollups are exact: every /metrics grouping and every theme statistic answered from them equals a full
recount of the rows, on SQLite and PostgreSQL, after ingest, tagging, calls, re-discovery and more tagging; and
the counters kept incrementally equal a rebuild from scratch."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

T0 = datetime(2026, 3, 2, 9, 30)
TEXTS = ["The courier was late again and the parcel was damaged", "Great app, the new update is fast",
         "I want a refund for the double charge on my card", "Доставка опять опоздала, коробка мятая",
         "Спасибо поддержке, быстро решили вопрос", "Верните деньги, списали дважды", "Login fails after the update",
         "Приложение не открывается после обновления", "ok", "Where is my order? Three weeks of waiting"]


def _seed(engine, analyzer, settings, n: int, seed: int, now: datetime):
    from vocsvc.service import mentions as service

    rng = random.Random(seed)
    items = [service.MentionIn(
        channel=rng.choice(["review", "social", "survey", "chat", "email", "call"]),
        source=rng.choice(["appstore", "twitter", "survey"]), external_id=f"s{seed}-{i}",
        text=rng.choice(TEXTS) + f" #{i}", created_at=T0 - timedelta(hours=rng.randrange(0, 24 * 20)),
        rating=rng.choice([None, 1, 2, 3, 4, 5]), nps=rng.choice([None, 0, 3, 6, 7, 8, 9, 10]),
        product=rng.choice([None, "app", "card"]), lang=rng.choice([None, None, "en"]),
        author={"handle": f"@u{rng.randrange(8)}", "followers": rng.randrange(1000)}) for i in range(n)]
    service.ingest(engine, items, now)
    service.ingest(engine, items[: n // 4], now)  # repeats count once
    return items


def _tag_some(engine, analyzer, settings, now, k=None):
    from vocsvc.service import mentions as service
    from vocsvc.store.mentions import pending

    ids = [m.id for m in pending(engine, None, 10_000)]
    ids = ids[:k] if k else ids
    for s in range(0, len(ids), 64):
        service.tag(engine, analyzer, settings, now, ids[s : s + 64])


def _add_call(engine, analyzer, n: int, started: datetime):
    from vocsvc.service.calls import materialize
    from vocsvc.store.calls import create

    create(engine, f"job-{n}", "/x.wav", started, started)
    utts = [{"role": "customer" if k % 2 else "agent", "start": 5.0 * k, "end": 5.0 * k + 4,
             "text_redacted": TEXTS[(n + k) % len(TEXTS)],
             "tags": {"sentiment": {"label": ["negative", "neutral", "positive"][k % 3], "score": 0.0},
                      "intents": [], "categories": [], "emotion": None}} for k in range(6)]
    assert materialize(engine, f"job-{n}", {"utterances": utts, "duration": 30.0, "language": "en", "channels": 2,
                                            "metrics": {}, "rollups": {}}, analyzer=analyzer)


def _set_themes(engine, analyzer, now):
    """Three themes with centroids from real embeddings (as a discovery would leave them)."""
    from vocsvc.store import themes
    from vocsvc.store.rows import ThemeRow

    X = analyzer.encoder([TEXTS[0], TEXTS[2], TEXTS[6]])
    themes.save_active(engine, [ThemeRow(f"th{i}", f"theme {i}", ["k"], np.asarray(x, np.float32).tobytes(), 0.80, 10,
                                         True, now, now) for i, x in enumerate(X)], now)


def _assert_exact(engine, now):
    from vocsvc.service.metrics import metrics
    from vocsvc.service.themes import stats
    from vocsvc.store.metrics import GROUPS

    periods = [(None, None), (T0 - timedelta(days=7), T0), (T0 - timedelta(days=9, hours=5), T0 + timedelta(hours=3)),
               (datetime(2026, 2, 20), datetime(2026, 2, 21)), (T0 - timedelta(hours=30), T0 - timedelta(hours=2))]
    for start, end in periods:
        for group in (None, *GROUPS):
            for ch, prod in ((None, None), ("review", None), (None, "card")):
                fast = metrics(engine, start, end, group, ch, prod)
                assert fast == metrics(engine, start, end, group, ch, prod, exact=True), (start, end, group, ch)
        if start is None:
            continue
        for f in ({}, {"channel": "call"}, {"channel": "social", "lang": "en"}, {"product": "app"}, {"lang": "ru"}):
            for iv in ("day", "week"):
                assert stats(engine, start, end, interval=iv, **f) == \
                    stats(engine, start, end, interval=iv, exact=True, **f), (start, end, f, iv)
        from vocsvc.store.themes import channel_counts

        ids = [t.id for t in stats(engine, start, end).themes][:3]
        for some in ([ids[0]], ids) if ids else ():  # a theme page's channel split
            assert channel_counts(engine, some, start, end) == channel_counts(engine, some, start, end, exact=True)
    nonempty = metrics(engine, None, None, "channel")
    assert nonempty.overall.volume > 0 and len(nonempty.groups) > 1  # not vacuous


@pytest.mark.slow
def test_rollups_equal_a_full_recount(db_url, analyzer, settings, assert_rebuild_equal):
    from vocsvc.service.themes import rediscover, stats
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    eng = engine_for(db_url)
    upgrade(eng)
    s = settings.model_copy(update={"database_url": db_url, "themes_fit_max": 1000})
    now = T0 + timedelta(days=1)
    _set_themes(eng, analyzer, now)
    _seed(eng, analyzer, s, 120, 1, now)
    _assert_exact(eng, now)  # all pending
    _tag_some(eng, analyzer, s, now, k=70)
    _add_call(eng, analyzer, 1, T0 - timedelta(days=2, hours=3))
    _assert_exact(eng, now)
    assert_rebuild_equal(eng)
    themed = stats(eng, T0 - timedelta(days=30), T0 + timedelta(days=1))
    assert themed.themes and themed.total > themed.unthemed  # theme counters are really exercised
    rediscover(eng, s, now)
    _seed(eng, analyzer, s, 60, 2, now)
    _tag_some(eng, analyzer, s, now)
    _add_call(eng, analyzer, 2, T0 - timedelta(hours=5))
    _assert_exact(eng, now)
    assert_rebuild_equal(eng)


def test_migration_counts_existing_rows(db_url):
    """A database filled before the rollups existed gets them counted by the migration."""
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.schema import mentions, metric_rollup

    eng = engine_for(db_url)
    upgrade(eng, "0003")
    with eng.begin() as c:
        c.execute(mentions.insert(), [{
            "id": f"m{i}", "source": "s", "external_id": str(i), "channel": "review", "created_at": T0,
            "ingested_at": T0, "author_is_vip": False, "text_redacted": "x", "text_sha256": "0", "state": "tagged",
            "sentiment": "negative" if i % 2 else "positive", "nps": 10, "tags": '{"intents": [{"label": "refund", '
            '"score": 0.9}], "categories": ["churn_threat"]}'} for i in range(5)])
    upgrade(eng)
    with eng.connect() as c:
        r = c.execute(sa.select(metric_rollup)).one()
        assert (r.volume, r.tagged, r.neg, r.pos, r.promoters) == (5, 5, 2, 3, 5)
        assert c.execute(sa.text("SELECT count(*) FROM mention_labels")).scalar() == 10
