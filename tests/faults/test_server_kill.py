"""`vocsvc serve` SIGKILLed while clients bulk-ingest, the worker tags and a large recording is being stored:
after a restart nothing is half-written (no upload temp file, no recording without its job), everything
accepted is tagged exactly once, and what did not get a 2xx can be sent again without doubling anything."""
import os
import threading
import time
import wave

import httpx
import pytest
import sqlalchemy as sa
from faulthelp import Server, assert_each_once, mention, pending_count, wait_for


class Clients:
    """Threads posting arrays of new mentions back to back until the server goes away (so one is nearly always in
    flight); every array is kept with its outcome."""

    def __init__(self, base: str, hdr: dict, threads: int = 2, size: int = 8):
        self.base, self.hdr, self.size = base, hdr, size
        self.accepted: list[list[dict]] = []
        self.unanswered: list[list[dict]] = []  # no 2xx: the client does not know, and may send them again
        self.inflight = 0  # requests sent and not answered yet
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in range(threads)]

    def _run(self, t: int) -> None:
        with httpx.Client(base_url=self.base, headers=self.hdr, timeout=30) as cl:
            for b in range(1000):
                body = [mention(f"k{t}-{b}-{i}", i) for i in range(self.size)]
                with self.lock:
                    self.inflight += 1
                try:
                    ok = cl.post("/v1/mentions", json=body).status_code in (200, 201)
                except httpx.HTTPError:
                    ok = False
                with self.lock:
                    self.inflight -= 1
                    (self.accepted if ok else self.unanswered).append(body)
                if not ok:
                    return  # the server is gone

    def start(self):
        for th in self.threads:
            th.start()

    def join(self):
        for th in self.threads:
            th.join(30)


def big_wav(path, seconds: int = 540) -> None:
    """~100 MB of 48 kHz stereo silence: long enough to copy that a kill can land in the middle of storing it."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        chunk = b"\0" * (48000 * 4)
        for _ in range(seconds):
            w.writeframes(chunk)


def referenced_audio(url: str) -> set[str]:
    import json

    from vocsvc.store.db import engine_for
    from vocsvc.store.schema import jobs

    with engine_for(url).connect() as c:
        payloads = [json.loads(p) for p in c.execute(sa.select(jobs.c.payload)).scalars()]
    return {os.path.basename(p[k]) for p in payloads for k in ("path", "redact_audio_to") if p.get(k)}


@pytest.mark.slow
def test_sigkill_during_bulk_ingest_tagging_and_upload(db_url, tmp_path, settings, warm_analyzer, call_wav):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCSVC_")} | {
        "VOCSVC_DATABASE_URL": db_url, "VOCSVC_QUEUE_PATH": str(tmp_path / "queue.db"),
        "VOCSVC_DATA_DIR": str(tmp_path / "data"), "VOCSVC_CACHE_DIR": str(settings.cache_dir),
        "VOCSVC_RATE_LIMIT_PER_MINUTE": "0", "VOCSVC_THEMES_EVERY_HOURS": "0",
        "VOCSVC_JOB_STALE_SECONDS": "3", "VOCSVC_JOB_HEARTBEAT_SECONDS": "0.5"}
    audio = tmp_path / "data" / "audio"
    big = tmp_path / "big.wav"
    big_wav(big)
    srv = Server(env, tmp_path / "server.log")
    srv.cli("db", "upgrade")
    hdr = {"Authorization": f"Bearer {srv.cli('keys', 'create', '--role', 'admin')}"}
    srv.start()
    try:
        r = httpx.post(srv.base + "/v1/calls", headers=hdr, files={"file": ("small.wav", call_wav(2), "audio/wav")},
                       data={"agent_channel": "left"}, timeout=30)
        assert r.status_code == 202, r.text
        small_job = r.json()["job_id"]
        clients = Clients(srv.base, hdr)
        clients.start()
        time.sleep(1.0)

        def upload():
            try:
                with open(big, "rb") as f:
                    httpx.post(srv.base + "/v1/calls", headers=hdr, files={"file": ("big.wav", f, "audio/wav")},
                               timeout=120)
            except httpx.HTTPError:
                pass  # killed under it: no 2xx, the client would send it again (this one does not)

        up = threading.Thread(target=upload, daemon=True)
        up.start()
        # SIGKILL while the recording is being stored and an array is on its way (the worker is tagging)
        assert wait_for(lambda: any(audio.glob(".upload-*.tmp")) and clients.inflight > 0, 60, 0.002), \
            "the upload never reached the disk with an array in flight"
        srv.kill()
        assert any(audio.glob(".upload-*.tmp"))  # what the kill left: half a recording
        up.join(30)
        clients.join()
        assert pending_count(db_url) > 0  # accepted, not yet tagged: their tagging tasks died with the server

        srv.start()  # a new process on the same database, queue file and data folder
        assert not list(audio.glob(".upload-*.tmp")), "the half-written upload survived the restart"
        with httpx.Client(base_url=srv.base, headers=hdr, timeout=30) as cl:
            for body in clients.unanswered + clients.accepted[:2]:  # the lost ones, and two duplicates
                assert cl.post("/v1/mentions", json=body).status_code in (200, 201)
        sent = {m["external_id"] for body in clients.accepted + clients.unanswered for m in body}
        assert wait_for(lambda: pending_count(db_url) == 0, 120, 0.5), f"{pending_count(db_url)} still pending"
        from vocsvc.store.db import engine_for
        from vocsvc.store.jobs import JobStore

        jobs = JobStore(engine_for(db_url))
        assert wait_for(lambda: jobs.get(small_job).state.value == "done", 120, 0.5), jobs.get(small_job)
        assert jobs.get(small_job).completions == 1
        assert_each_once(db_url, sent)
        left = {p.name for p in audio.iterdir()}
        assert left <= referenced_audio(db_url), f"recordings no job knows: {left - referenced_audio(db_url)}"
    finally:
        srv.stop()


def test_restart_enqueues_what_a_lost_task_left_pending(make_app):
    """A task taken from the queue by a worker that was then killed is gone from the queue; the next start finds
    its mentions pending and enqueues them at once (not half a minute later, when the maintenance loop would)."""
    first = make_app()
    body = [mention(f"lost-{i}", i) for i in range(5)]
    assert first.post("/v1/mentions", "ingest", json=body).status_code == 201
    assert first.svc.queue.huey.dequeue() is not None  # taken by a worker that dies before it tags anything
    url = first.svc.settings.database_url
    assert pending_count(url) == 5 and first.svc.queue.huey.pending_count() == 0

    again = make_app()  # the restart (same database and queue; the clock is frozen, so no maintenance re-enqueue)
    huey = again.svc.queue.huey
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    assert_each_once(url, {m["external_id"] for m in body})
