"""Redis crashes (no persistence: everything queued in it is gone) and comes back, with RedisHuey carrying the
work: meanwhile ingest and uploads are still accepted, and afterwards every accepted mention is tagged once and
every accepted call transcribed once, by the sweeps that find the work in the database."""
import time

import pytest
from faulthelp import assert_each_once, mention, pending_count, wait_for


@pytest.mark.slow
def test_redis_crash_loses_no_queued_work(private_redis, make_app, clock, call_wav):
    app = make_app(run_workers=True, redis_url=private_redis.url)
    url = app.svc.settings.database_url
    sent: set[str] = set()
    for b in range(8):  # a backlog: more arrays than the worker tags before the crash
        body = [mention(f"r{b}-{i}", i) for i in range(25)]
        assert app.post("/v1/mentions", "ingest", json=body).status_code == 201
        sent |= {m["external_id"] for m in body}
    private_redis.stop()
    assert pending_count(url) > 0  # tagging tasks were lost with Redis

    body = [mention(f"down-{i}", i) for i in range(10)]
    t = time.perf_counter()
    r = app.post("/v1/mentions", "ingest", json=body)
    assert r.status_code == 201 and time.perf_counter() - t < 5, r.text  # stored as pending; not kept waiting
    sent |= {m["external_id"] for m in body}
    r = app.post("/v1/calls", "ingest", files={"file": ("call.wav", call_wav(1), "audio/wav")},
                 data={"agent_channel": "left"})
    assert r.status_code == 202, r.text  # the job is in the jobs table: the sweep enqueues it when Redis is back
    job_id, call_id = r.json()["job_id"], r.json()["call_id"]

    private_redis.start()  # empty
    clock.advance(seconds=31)  # the maintenance loop re-enqueues mentions pending for 30 s
    assert wait_for(lambda: pending_count(url) == 0, 120, 0.5), f"{pending_count(url)} still pending"
    store = app.svc.queue.store
    assert wait_for(lambda: store.get(job_id).state.value == "done", 120, 0.5), store.get(job_id)
    assert store.get(job_id).completions == 1
    assert app.get(f"/v1/calls/{call_id}", "admin").json()["state"] == "ready"
    assert_each_once(url, sent)
