"""Theme statistics read through one connection, and for one theme (a theme's page), equal the full computation
and the recount from rows, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

T0 = datetime(2026, 3, 2, 9, 30)


def _mentions(n: int) -> list[dict]:
    """Tagged mentions over ~17 days: three themes and none, three channels, NPS answers and ratings."""
    return [{"id": f"m{i:03d}", "source": "s", "external_id": str(i), "channel": ["review", "survey", "social"][i % 3],
             "created_at": T0 - timedelta(hours=7 * i), "ingested_at": T0, "author_is_vip": False,
             "text_redacted": f"a readable mention number {i}", "text_sha256": "0", "state": "tagged",
             "sentiment": ["negative", "neutral", "positive"][i % 3], "nps": (i * 3) % 11 if i % 3 == 1 else None,
             "rating": 1 + i % 5 if i % 3 == 0 else None, "lang": "en", "theme_id": f"th{i % 3}" if i % 4 else None}
            for i in range(n)]


@pytest.fixture
def loaded(db_url):
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.rollups import rebuild
    from vocsvc.store.schema import mentions, themes

    eng = engine_for(db_url)
    upgrade(eng)
    with eng.begin() as c:
        c.execute(mentions.insert(), _mentions(60))
        c.execute(themes.insert(), [{"id": f"th{i}", "label": f"theme {i}", "keyphrases": "[]", "centroid": b"",
                                     "floor": 0.0, "size": 1, "active": True, "first_seen": T0, "updated_at": T0}
                                    for i in range(3)])
    rebuild(eng)
    return eng


def test_stats_on_a_shared_connection(loaded):
    from vocsvc.service.themes import stats

    start, end = T0 - timedelta(days=10, hours=3), T0
    with loaded.connect() as c:
        shared = stats(c, start, end)
    assert shared == stats(loaded, start, end) == stats(loaded, start, end, exact=True)
    assert len(shared.themes) == 3 and any(t.nps_impact is not None for t in shared.themes)


def test_one_theme_is_its_row_of_all(loaded):
    from vocsvc.service.themes import stats

    start, end = T0 - timedelta(days=10, hours=3), T0 - timedelta(hours=5)
    for f in ({}, {"channel": "survey"}, {"interval": "week"}):
        every = stats(loaded, start, end, **f)
        assert every.themes, f
        for t in every.themes:
            one = stats(loaded, start, end, only=t.id, **f)
            assert one.themes == [t] and (one.total, one.unthemed, one.unthemed_share) == \
                (every.total, every.unthemed, every.unthemed_share)
            assert stats(loaded, start, end, only=t.id, exact=True, **f) == one
    assert stats(loaded, start, end, only="th_none").themes == []
