"""Jobs on Huey: SqliteHuey by default (no broker), RedisHuey when VOCSVC_REDIS_URL is set.

Two tasks: ``vocsvc.transcribe`` (a call recording -> transcript, then the call's rows in the service database)
and ``vocsvc.tag_mentions`` (pending mentions -> tags, theme, alerts; see vocsvc.service.mentions).

The queue only carries job ids; the job's truth is the ``jobs`` table (see vocsvc.store.jobs). A task claims its job,
heartbeats while it runs, and writes the transcript once. A worker that is killed loses nothing: the sweep (at
every worker start and every minute) puts its job back. Huey's own retries are not used: they live in the queue,
which is what loses a killed worker's job; ours are in the jobs table (attempts, backoff, heartbeat) and survive.

Outages: a queue that is down (Redis restarting) never fails an upload, since the job is already in the jobs table
and the sweep enqueues it; a database that is down makes a task put itself back on the queue (after the error's
Retry-After) instead of dying, so work resumes when the database does, without a restart. No task result is
stored: nothing reads them, and each would stay in Redis (or the SQLite queue file) for ever.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import traceback
from functools import lru_cache
from pathlib import Path

from vocsvc.clock import backoff_delay
from vocsvc.settings import Settings, get_settings
from vocsvc.store.db import engine_for, unavailable
from vocsvc.store.jobs import JobStore, new_claim

log = logging.getLogger("vocsvc")
KIND = "transcribe"


def build_huey(settings: Settings):
    from huey import RedisHuey, SqliteHuey

    if settings.redis_url:
        return RedisHuey("vocsvc", url=settings.redis_url, results=False)
    settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("vocsvc", filename=str(settings.queue_path), results=False)


@lru_cache(maxsize=4)
def _store(url: str, stale: float) -> JobStore:
    return JobStore(engine_for(url), stale_after=stale)  # the service's engine: one pool per database


def store_for(settings: Settings) -> JobStore:
    return _store(settings.database_url, settings.job_stale_seconds)


_ANALYZERS: dict[str, object] = {}
_ANALYZERS_LOCK = threading.Lock()


def _analyzer(settings: Settings):
    """One Analyzer per process and settings: models load once, on the first job."""
    from vocsvc.analyzer import Analyzer

    key = settings.model_dump_json()
    with _ANALYZERS_LOCK:
        if key not in _ANALYZERS:
            _ANALYZERS[key] = Analyzer(settings)
        return _ANALYZERS[key]


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Queue:
    """The producer and consumer sides of transcription jobs for one Settings."""

    def __init__(self, settings: Settings | None = None, clock=None, analyzer=None):
        from vocsvc.clock import SystemClock

        self.settings = settings or get_settings()
        self.clock = clock or SystemClock()
        self._analyzer_override = analyzer
        self.huey = build_huey(self.settings)
        self.store = store_for(self.settings)
        self.task = self.huey.task(name="vocsvc.transcribe")(self._run)
        self.tag_task = self.huey.task(name="vocsvc.tag_mentions")(self._tag)
        self._unsent: set[str] = set()  # jobs stored while the queue was down: the next sweep sends them
        self._unsent_lock = threading.Lock()

    @property
    def analyzer(self):
        return self._analyzer_override or _analyzer(self.settings)

    def backlog(self) -> int:
        """Tasks waiting in the queue (0 when the queue cannot say: Redis down)."""
        try:
            return int(self.huey.pending_count())
        except Exception:  # noqa: BLE001 - the caller treats "unknown" as "empty" and re-sends: harmless
            return 0

    # ------------------------------------------------------------------ mentions
    def _tag(self, ids: list[str] | None = None) -> int:
        from vocsvc.service.mentions import tag

        try:
            return tag(self.store.engine, self.analyzer, self.settings, self.clock.now(), ids)
        except Exception as e:
            if not self._later(e, self.tag_task, ids):
                raise
            return 0

    def _later(self, exc: Exception, task, arg) -> bool:
        """Put a task that met a database outage back on the queue; False if ``exc`` is not an outage."""
        err = unavailable(exc)
        if err is None:
            return False
        log.warning("%s: %s; again in %d s", task.name, err.detail, err.retry_after)
        try:
            task.schedule((arg,), delay=err.retry_after)
        except Exception:  # noqa: BLE001 - the queue is down too: the sweeps find the work
            log.warning("%s: could not re-enqueue (queue down); left to the sweep", task.name)
        return True

    def _call_done(self, job_id: str, result: dict | None, error: str | None = None) -> None:
        """Fill the service's call row, if this job came from POST /v1/calls (a plain job has none)."""
        from vocsvc.service.calls import materialize

        try:
            materialize(self.store.engine, job_id, result, error, self.analyzer if result else None)
        except Exception:  # e.g. a database without the service schema: the job result itself is safe
            log.exception("job %s: could not fill its call row (it will be filled when the call is read)", job_id)

    # ------------------------------------------------------------------ producer
    def submit(self, path: str | Path, agent_channel: str = "auto", language: str = "auto",
               metadata: dict | None = None, redact_audio_to: str | None = None, digest: str | None = None):
        """One job per (audio content, options): the same recording submitted twice is the same job."""
        p = Path(path).resolve()
        digest = digest or file_sha256(p)
        key = f"{KIND}:{digest}:{agent_channel}:{language}"
        payload = {"path": str(p), "sha256": digest, "agent_channel": agent_channel, "language": language,
                   "metadata": metadata or {}}
        if redact_audio_to:
            payload["redact_audio_to"] = redact_audio_to
        job, created = self.store.submit(KIND, key, payload, max_attempts=self.settings.job_max_attempts)
        if created:
            try:
                self.task(job.id)
            except Exception as e:  # noqa: BLE001 - Redis down: the job is in the jobs table, the sweep enqueues it
                log.warning("job %s: not enqueued (%s); the sweep will", job.id, type(e).__name__)
                with self._unsent_lock:
                    self._unsent.add(job.id)
        return job, created

    # ------------------------------------------------------------------ consumer
    def sweep(self) -> int:
        """Put back stale jobs, enqueue again the ones the queue may have lost (after 30 s at the least, so a long
        queue is not flooded with copies), and at once the ones this process could not enqueue."""
        stale, again = self.store.sweep(requeue_after=max(30.0, self.settings.job_stale_seconds))
        with self._unsent_lock:
            again = list(dict.fromkeys(again + sorted(self._unsent)))
            self._unsent.clear()
        for k, jid in enumerate(again):
            try:
                self.task(jid)
            except Exception:  # still down: keep what is left for the next sweep, which runs in a moment
                with self._unsent_lock:
                    self._unsent.update(again[k:])
                raise
        if again:
            log.info("sweep: %d stale, %d re-enqueued", len(stale), len(again))
        return len(again)

    def _run(self, job_id: str) -> None:
        from vocsvc.audio.call import transcribe_call
        from vocsvc.audio.transcribe import AudioError

        s = self.settings
        claim = new_claim()
        try:
            job = self.store.claim(job_id, claim)
        except Exception as e:
            if not self._later(e, self.task, job_id):
                raise
            return
        if job is None:
            return  # done, failed, running elsewhere, or a duplicate delivery
        stop = threading.Event()
        done = {"p": 0.0}

        def beat():
            while not stop.wait(s.job_heartbeat_seconds):
                try:
                    self.store.heartbeat(job_id, claim, done["p"])
                except Exception as e:  # noqa: BLE001 - a database blip must not end the beats (the job looks dead)
                    log.warning("job %s: heartbeat failed (%s)", job_id, type(e).__name__)

        hb = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{job_id[:8]}")
        hb.start()
        try:
            opts = s if job.payload["language"] == "auto" else s.model_copy(
                update={"transcribe_language": job.payload["language"]})
            redacted = job.payload.get("redact_audio_to")
            tr = transcribe_call(job.payload["path"], job.payload["agent_channel"], opts, self.analyzer,
                                 progress=lambda f: done.__setitem__("p", f), redact_audio_to=redacted)
            result = tr.to_dict()
            if not self.store.complete(job_id, claim, result):
                log.warning("job %s: result discarded (the job was reclaimed)", job_id)
            else:
                self._call_done(job_id, result)
        except AudioError as e:  # permanent: the input is bad, retrying will not help
            if self.store.fail(job_id, claim, f"permanent: {e}", retry_in=None) is not None:
                self._call_done(job_id, None, f"permanent: {e}")
        except Exception as e:  # noqa: BLE001 - transient until attempts run out
            # the schedule's last step repeats until max_attempts runs out
            backoff = backoff_delay(s.job_retry_backoff, min(job.attempts, len(s.job_retry_backoff)))
            state = self.store.fail(job_id, claim, f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}",
                                    retry_in=backoff)
            if state is not None and state.value == "queued":
                self.task.schedule((job_id,), delay=backoff)
            elif state is not None:
                self._call_done(job_id, None, f"{type(e).__name__}: {e}")
        finally:
            stop.set()

    def consumer(self, workers: int | None = None):
        from huey.consumer import Consumer

        return Consumer(self.huey, workers=workers or self.settings.worker_threads, worker_type="thread",
                        periodic=False, check_worker_health=True)

    def start_sweeper(self) -> threading.Event:
        """Sweep now and then every half stale-period, in a daemon thread; set the returned event to stop."""
        stop = threading.Event()
        period = max(0.5, self.settings.job_stale_seconds / 2)

        def loop():
            while True:
                try:
                    self.sweep()
                except Exception:  # a database hiccup must not kill the sweeper
                    log.exception("sweep failed")
                if stop.wait(period):
                    return

        threading.Thread(target=loop, daemon=True, name="vocsvc-sweeper").start()
        return stop


def run_worker(settings: Settings | None = None) -> None:
    """``vocsvc worker``: sweep (a restarted worker picks up what a killed one left), then consume; every 30 s hand
    malloc's free pages back (this process has no maintenance loop to do it)."""
    from vocsvc.service.maintenance import start_trimming

    q = Queue(settings)
    loops = [q.start_sweeper(), start_trimming()]
    log.info("worker consuming from %s", "redis" if q.settings.redis_url else q.settings.queue_path)
    try:
        q.consumer().run()  # until SIGTERM / SIGINT
    finally:
        for stop in loops:
            stop.set()
