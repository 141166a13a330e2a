"""Retag after a model change: every mention an older model tagged gets the current model's tags, labels, theme and
fingerprint; rollups stay exact; alerts open only where a reply is still due and never twice; a killed run loses
nothing and a rerun finishes it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

NOW = datetime(2026, 11, 20, 12, 0)
TEXTS = [
    "@AcmeTel no signal at home since Monday, when will you fix it?",
    "Thanks for sorting out my bill so quickly, great support",
    "I was charged twice for the same order, I want my money back",
    "How do I change the delivery address on my order?",
    "Your app logs me out every time, I'm done with this, cancelling tomorrow",
    "@ПочтаБанк третий день не могу войти в приложение, что происходит?",
    "Спасибо оператору Анне, всё объяснила и помогла",
    "Подскажите, как подключить роуминг?",
    "Курьер опоздал на два часа, заказ пришёл помятый",
    "Отличный сервис, пользуюсь пять лет",
]


def _heads_variant(settings, tmp_path: Path) -> Path:
    """The shipped heads with the sentiment head recalibrated to call every text negative: an extreme model change
    (the shipped head is too sure of these texts for a milder one to move them), so that every path runs."""
    src = settings.models_dir / "heads" / settings.encoder
    dst = tmp_path / "heads" / settings.encoder
    shutil.copytree(src, dst)
    meta = json.loads((dst / "sentiment.json").read_text(encoding="utf-8"))
    meta["thresholds"] = [0.0, 0.0, 1.0]
    (dst / "sentiment.json").write_text(json.dumps(meta), encoding="utf-8")
    return dst


def _setup(db_url, analyzer, settings, n=40):
    from vocsvc.service import mentions as service
    from vocsvc.store import themes
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.rows import ThemeRow

    eng = engine_for(db_url)
    upgrade(eng)
    X = analyzer.encoder([TEXTS[0], TEXTS[2], TEXTS[8]])
    themes.save_active(eng, [ThemeRow(f"th{i}", f"theme {i}", ["k"], np.asarray(x, np.float32).tobytes(), 0.80, 10,
                                      True, NOW, NOW) for i, x in enumerate(X)], NOW)
    # half of them recent (a reply still due within 72 h), half a month old
    items = [service.MentionIn(
        channel=("social", "review", "chat")[i % 3], source="twitter", external_id=f"r{i}",
        text=TEXTS[i % len(TEXTS)] + f" #{i}", created_at=NOW - timedelta(hours=2 if i % 2 else 24 * 30),
        rating=(None, 1, 5)[i % 3], author={"handle": f"@u{i}"}) for i in range(n)]
    service.ingest(eng, items, NOW)
    while service.tag(eng, analyzer, settings, NOW):
        pass
    return eng


def _rows(eng):
    from vocsvc.store.schema import mentions

    with eng.connect() as c:
        return {r.id: r for r in c.execute(sa.select(mentions).order_by(mentions.c.id))}


def _alerts(eng) -> dict[str, str]:
    from vocsvc.store.schema import alert_mentions

    with eng.connect() as c:
        return {r.mention_id: r.alert_id for r in c.execute(sa.select(alert_mentions))}


@pytest.mark.slow
def test_retag_moves_every_stale_mention_to_the_new_model(db_url, analyzer, settings, tmp_path,
                                                          assert_rebuild_equal):
    from vocsvc.analyzer import Analyzer
    from vocsvc.service.retag import count_stale, retag
    from vocsvc.store.schema import mention_labels

    s = settings.model_copy(update={"database_url": db_url, "batch_size": 4})  # several batches of 16
    eng = _setup(db_url, analyzer, s)
    before, alerts_before = _rows(eng), _alerts(eng)
    assert {r.model for r in before.values()} == {analyzer.fingerprint}
    assert count_stale(eng, analyzer) == 0

    new = Analyzer(s.model_copy(update={"heads_dir": _heads_variant(s, tmp_path)}))
    assert new.fingerprint != analyzer.fingerprint
    assert count_stale(eng, new) == len(before)

    rep = retag(eng, new, s, NOW)
    assert (rep.stale_before, rep.retagged, rep.errors, rep.skipped) == (40, 40, 0, 0)
    after = _rows(eng)
    expected = new.analyze([r.text_redacted for r in after.values()])
    for row, tags in zip(after.values(), expected):
        assert row.model == new.fingerprint and row.state == "tagged"
        assert row.sentiment == tags.sentiment.label
        assert json.loads(row.tags)["sentiment"]["label"] == tags.sentiment.label
        assert row.pii == before[row.id].pii  # the spans found at ingest stay
    moved = sum(before[i].sentiment != after[i].sentiment for i in after)
    assert moved == sum(rep.sentiment_moves.values()) == 40 - rep.unchanged_sentiment
    assert rep.sentiment_moves.get("positive->negative", 0) + rep.sentiment_moves.get("neutral->negative", 0) > 5

    # labels follow the new tags, one row each
    with eng.connect() as c:
        labels = sorted((r.mention_id, r.kind, r.label) for r in c.execute(sa.select(mention_labels)))
    want = sorted((i, "intent", x["label"]) for i, r in after.items() for x in json.loads(r.tags)["intents"])
    want += sorted((i, "category", x) for i, r in after.items() for x in json.loads(r.tags)["categories"])
    assert labels == sorted(want)
    assert_rebuild_equal(eng)  # counters moved with the rows

    # alerts: newly negative public posts whose reply is still due get one; old ones are counted; none twice
    alerts_after = _alerts(eng)
    assert {m: a for m, a in alerts_after.items() if m in alerts_before} == alerts_before
    opened = set(alerts_after) - set(alerts_before)
    assert rep.alerts_opened > 0 and len(opened) == rep.alerts_opened  # new alerts or joined: one mention each
    assert all(after[m].created_at > NOW - timedelta(hours=72) for m in opened)
    assert all(after[m].channel in ("social", "review") for m in opened)
    assert rep.needs_reply_past_sla > 0

    again = retag(eng, new, s, NOW)  # nothing left: a second run changes nothing
    assert (again.stale_before, again.retagged, again.alerts_opened) == (0, 0, 0)
    assert _alerts(eng) == alerts_after


def test_retag_writes_nothing_over_a_concurrent_change(analyzer, settings, tmp_path):
    """The update is conditional on what was read: a row another run retagged, or whose theme moved, meanwhile is
    skipped (and counted nowhere twice)."""
    from vocsvc.service.mentions import tag_update
    from vocsvc.store import mentions as store
    from vocsvc.store.rollups import Deltas

    url = f"sqlite:///{tmp_path / 'v.db'}"
    eng = _setup(url, analyzer, settings.model_copy(update={"database_url": url}), n=3)
    assert store.models_other_than(eng, "another-model") == [analyzer.fingerprint]
    assert store.models_other_than(eng, analyzer.fingerprint) == []
    row = store.tagged_by(eng, analyzer.fingerprint, limit=1)[0]
    res = analyzer.analyze([row.text_redacted])[0]
    update = tag_update(row, res, analyzer.encoder([row.text_redacted])[0], None, settings, "model-b")
    deltas = Deltas()
    with eng.begin() as c:
        assert store.retag(c, row, update, deltas)
    with eng.begin() as c:  # the same read again: its fingerprint is gone
        assert not store.retag(c, row, tag_update(row, res, np.zeros(384), None, settings, "model-c"), deltas)
    assert store.get(eng, row.id).model == "model-b"

    # a theme merge between the read and the write: the write would uncount the mention from the wrong theme
    from vocsvc.store.schema import mentions

    row = store.get(eng, row.id)
    with eng.begin() as c:
        c.execute(mentions.update().where(mentions.c.id == row.id).values(theme_id="merged-into"))
    with eng.begin() as c:
        assert not store.retag(c, row, tag_update(row, res, np.zeros(384), None, settings, "model-d"), deltas)
    assert store.get(eng, row.id).model == "model-b"  # still stale for the next run


@pytest.mark.slow
def test_killed_retag_loses_nothing_and_a_rerun_finishes(analyzer, settings, tmp_path, assert_rebuild_equal):
    """`vocsvc retag` killed (SIGKILL) after its first batches: committed batches carry the new model, the rest the
    old one; `vocsvc retag` again retags exactly the rest; counters and alerts stay consistent."""
    from vocsvc.store.db import engine_for

    url = f"sqlite:///{tmp_path / 'v.db'}"
    s = settings.model_copy(update={"database_url": url})
    eng = _setup(url, analyzer, s, n=400)
    heads = _heads_variant(s, tmp_path)
    env = dict(os.environ, VOCSVC_DATABASE_URL=url, VOCSVC_HEADS_DIR=str(heads), VOCSVC_CACHE_DIR=str(s.cache_dir),
               VOCSVC_BATCH_SIZE="4")
    cmd = [sys.executable, "-m", "vocsvc.cli", "-v", "retag"]
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    seen = []
    deadline = time.monotonic() + 240
    for line in p.stderr:  # progress lines: "vocsvc retag: done/total"
        if line.startswith("vocsvc retag:"):
            seen.append(line)
            if len(seen) == 3:
                p.send_signal(signal.SIGKILL)
                break
        assert time.monotonic() < deadline
    p.wait(60)
    assert p.returncode == -signal.SIGKILL and len(seen) == 3

    by_model = {}
    for r in _rows(eng).values():
        by_model[r.model] = by_model.get(r.model, 0) + 1
    assert len(by_model) == 2 and by_model[analyzer.fingerprint] in range(1, 400 - 3 * 16 + 1)
    left = by_model[analyzer.fingerprint]
    assert_rebuild_equal(eng)  # committed batches were counted whole, the killed one not at all

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rep = json.loads(done.stdout)
    assert rep["stale_before"] == rep["retagged"] == left
    check = subprocess.run([*cmd, "--check"], env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and json.loads(check.stdout)["stale"] == 0
    assert {r.model for r in _rows(eng).values()} == {json.loads(check.stdout)["model"]}
    assert_rebuild_equal(engine_for(url))


def test_a_service_on_a_new_model_says_to_retag(analyzer, settings, tmp_path, caplog):
    from vocsvc.analyzer import Analyzer
    from vocsvc.service.core import Service

    url = f"sqlite:///{tmp_path / 'v.db'}"
    s = settings.model_copy(update={"database_url": url})
    _setup(url, analyzer, s, n=3)
    for a, warned in ((analyzer, False), (Analyzer(s.model_copy(update={"heads_dir": _heads_variant(s, tmp_path)})),
                                          True)):
        caplog.clear()
        svc = Service(s, analyzer=a, run_workers=False)
        svc.start(warmup=False)
        svc.stop()
        assert ("vocsvc retag" in caplog.text) is warned
