"""The demo data (examples/demo) loads through the service, idempotently, on SQLite and PostgreSQL; tagged in
process it gets languages, alerts and themes; a demo call transcribes end to end (real models)."""
import json
import os
import stat
from datetime import datetime, timedelta

import pytest

from vocsvc.clock import FixedClock
from vocsvc.service import demo

T0 = datetime(2026, 3, 2, 9, 0, 0)
DEMO = demo.default_dir()
N_MENTIONS = sum(1 for line in (DEMO / "mentions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())


def make_service(db_url, tmp_path, settings, analyzer):
    from vocsvc.service.core import Service
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    s = settings.model_copy(update={
        "database_url": db_url, "queue_path": tmp_path / "queue.db", "data_dir": tmp_path / "data",
        "redis_url": None, "themes_every_hours": 0.0, "webhook_urls": []})
    upgrade(engine_for(db_url))
    return Service(s, clock=FixedClock(T0), analyzer=analyzer, run_workers=False)


@pytest.fixture
def svc(db_url, tmp_path, settings, analyzer):
    return make_service(db_url, tmp_path, settings, analyzer)


def test_the_demo_files_are_valid():
    mentions = demo.read_mentions(DEMO, T0)
    assert 300 <= len(mentions) <= 400
    assert len({m.external_id for m in mentions}) == len(mentions)
    assert {m.source for m in mentions} == {"demo"}
    assert all(T0 - timedelta(days=60) <= m.created_at <= T0 for m in mentions)
    intended = [json.loads(line)["demo"] for line in (DEMO / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]
    langs = [d["lang"] for d in intended]
    assert 0.4 < langs.count("ru") / len(langs) < 0.6
    calls = demo.read_calls(DEMO)
    assert len(calls) == 4 and {c.language for c in calls} == {"en", "ru"}
    assert sum(c.path.stat().st_size for c in calls) < 1.5 * 2**20


def test_load_twice_is_idempotent(svc):
    from vocsvc.store.jobs import JobState

    first = demo.load(svc, DEMO, T0)
    assert first == {"mentions_created": N_MENTIONS, "mentions_existing": 0, "calls_submitted": 4, "calls_existing": 0}
    again = demo.load(svc, DEMO, T0 + timedelta(days=1))
    assert again == {"mentions_created": 0, "mentions_existing": N_MENTIONS, "calls_submitted": 0, "calls_existing": 4}

    jobs = svc.queue.store.all()
    assert len(jobs) == 4 and all(j.state == JobState.queued for j in jobs)
    assert {j.payload["metadata"]["agent_id"] for j in jobs} == {"agent-sarah", "agent-kevin", "agent-olga",
                                                                 "agent-irina"}
    assert {(j.payload["language"], j.payload["agent_channel"]) for j in jobs} == {
        ("en", "left"), ("en", "auto"), ("ru", "left"), ("ru", "auto")}
    assert len(list((svc.settings.data_dir / "audio").glob("*.ogg"))) == 4  # one stored copy per recording
    assert svc.queue.huey.pending_count() == 4 + -(-N_MENTIONS // 256)  # the calls and the first load's tag tasks


def test_settle_tags_both_languages_opens_alerts_and_finds_themes(db_url, tmp_path, settings, analyzer):
    if not db_url.startswith("sqlite"):
        pytest.skip("tagging is the same on PostgreSQL (tests/api); once is enough for the demo data")
    import sqlalchemy as sa

    from vocsvc.store.schema import alerts, mentions

    svc = make_service(db_url, tmp_path, settings, analyzer)
    demo.load(svc, DEMO, T0)
    seen = []
    out = demo.settle(svc, progress=seen.append)
    assert out["tagged"] == N_MENTIONS and out["pending_left"] == 0
    assert out["themes"]["themes"] >= 5 and out["themes"]["unthemed_share"] < 0.2
    assert seen[0].startswith("tagging") and "themes" in seen[-1]
    with svc.engine.connect() as c:
        langs = dict(c.execute(sa.select(mentions.c.lang, sa.func.count()).group_by(mentions.c.lang)).all())
        sentiments = dict(c.execute(sa.select(mentions.c.sentiment, sa.func.count())
                                    .group_by(mentions.c.sentiment)).all())
        themed = c.execute(sa.select(sa.func.count()).where(mentions.c.theme_id.is_not(None))).scalar()
        n_alerts = c.execute(sa.select(sa.func.count()).select_from(alerts)).scalar()
        redacted = c.execute(sa.select(mentions.c.text_redacted)
                             .where(mentions.c.text_redacted.like("%[CARD]%"))).scalars().all()
    assert langs.get("en", 0) > 150 and langs.get("ru", 0) > 150
    assert set(sentiments) == {"negative", "neutral", "positive"}
    assert sentiments["negative"] > sentiments["positive"] > sentiments["neutral"]
    assert themed > 0.8 * N_MENTIONS
    assert n_alerts > 30  # negative public reviews and posts, churn threats
    assert len(redacted) == 2

    again = demo.settle(svc)  # nothing new: no tagging, no re-discovery
    assert again == {"tagged": 0, "pending_left": 0, "themes": None}


def test_admin_key_is_kept_in_a_private_file_and_replaced_when_it_stops_working(svc, tmp_path):
    from vocsvc.service import keys

    path = tmp_path / "data" / "demo-admin.key"
    plain, created = demo.admin_key(svc, path)
    assert created and plain.startswith("vk_")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert demo.admin_key(svc, path) == (plain, False)
    listed = [k for k in keys.listing(svc) if k.name == "demo-admin"]
    assert len(listed) == 1 and listed[0].role == "admin"

    keys.revoke(svc, None, listed[0].id)
    plain2, created2 = demo.admin_key(svc, path)
    assert created2 and plain2 != plain and path.read_text().strip() == plain2


def test_a_missing_recording_is_named(tmp_path):
    from vocsvc.errors import InvalidInput

    (tmp_path / "calls.yaml").write_text("calls:\n  - file: calls/none.ogg\n    language: en\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="none.ogg"):
        demo.read_calls(tmp_path)


@pytest.mark.slow
def test_a_demo_call_transcribes_end_to_end(db_url, tmp_path, settings, analyzer):
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the transcription itself")
    from vocsvc.service import calls

    svc = make_service(db_url, tmp_path, settings, analyzer)
    demo.load(svc, DEMO, T0)
    job = next(j for j in svc.queue.store.all() if j.payload["metadata"]["agent_id"] == "agent-sarah")
    svc.queue.task.call_local(job.id)  # what the worker runs for this job
    call = calls.detail(svc, calls.call_of_job(svc.engine, job.id))
    assert call.call.state == "ready" and call.call.language == "en"
    assert call.call.started_at == T0 - timedelta(days=1.4)
    text = " ".join(u.text_redacted for u in call.utterances).lower()
    assert "northwind" in text and "refunded" in text
    assert call.qa["score"] > 80  # the good call: greeting, verification, empathy, resolution, closing
