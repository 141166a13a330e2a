"""Full-text search ranks the newest RANK_CANDIDATES matches (all of them for a rarer word), on SQLite and
PostgreSQL: a word in most documents costs a bounded page, not a score per match."""
from __future__ import annotations

from datetime import datetime, timedelta

T0 = datetime(2026, 11, 1, 12, 0)


def _load(engine) -> None:
    from vocsvc.store.schema import mentions

    rows = []
    for i in range(12):  # oldest first; the old ones say the word most often (bm25 would rank them first)
        word = " ".join(["refund"] * (6 if i < 7 else 1))
        extra = " chargeback" if i in (1, 4, 10) else ""
        rows.append({"id": f"m{i:02d}", "source": "s", "external_id": str(i), "channel": "social",
                     "created_at": T0 + timedelta(minutes=i), "ingested_at": T0, "author_is_vip": False,
                     "text_redacted": f"{word} please for order {i}{extra} and some other words here",
                     "text_sha256": "0", "state": "tagged"})
    with engine.begin() as c:
        for r in rows:  # one by one: insertion order is age order, as in production
            c.execute(mentions.insert(), r)


def test_common_word_ranks_only_the_newest_matches(db_url, monkeypatch):
    from vocsvc.store import search
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    eng = engine_for(db_url)
    upgrade(eng)
    _load(eng)
    monkeypatch.setattr(search, "RANK_CANDIDATES", 5)
    hits, total = search.full_text(eng, "refund", 3, 0)
    assert total == 12
    assert len(hits) == 3 and {h[1] for h in hits} <= {f"m{i:02d}" for i in range(7, 12)}  # the newest five
    hits, _ = search.full_text(eng, "refund", 3, 4)  # a page past the candidates widens them
    assert len(hits) == 3
    # a rarer word: every match ranked, best first (m01 and m04 say "refund" six times, m10 once)
    hits, total = search.full_text(eng, "chargeback", 20, 0)
    assert total == 3 and {h[1] for h in hits} == {"m01", "m04", "m10"}
    scores = [h[2] for h in hits]
    assert scores == sorted(scores, reverse=True)
    monkeypatch.setattr(search, "RANK_CANDIDATES", 2000)
    hits, _ = search.full_text(eng, "refund", 3, 0)
    assert {h[1] for h in hits} <= {f"m{i:02d}" for i in range(7)}  # all ranked: the six-times texts win
