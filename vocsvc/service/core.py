"""The composition root: settings, database, clock, models, queue and background loops, built once (the API's
lifespan handler, a CLI command) and handed to every service function that needs them."""
from __future__ import annotations

import logging
import threading
from functools import cached_property

from vocsvc.clock import SystemClock
from vocsvc.settings import Settings

log = logging.getLogger("vocsvc")


class Service:
    def __init__(self, settings: Settings, clock=None, analyzer=None, run_workers: bool | None = None):
        from vocsvc.store.db import engine_for

        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = engine_for(settings.database_url)
        self._analyzer = analyzer
        self.run_workers = settings.in_process_worker if run_workers is None else run_workers
        self._consumer = None
        self.maintenance = None
        self._sweeper_stop: threading.Event | None = None
        self._trim_stop: threading.Event | None = None
        self.models_ready = False

    @cached_property
    def analyzer(self):
        if self._analyzer is not None:
            return self._analyzer
        from vocsvc.analyzer import Analyzer

        return Analyzer(self.settings)

    @cached_property
    def queue(self):
        from vocsvc.service.queue import Queue

        return Queue(self.settings, clock=self.clock, analyzer=self.analyzer)

    @cached_property
    def semantic(self):
        from vocsvc.store.search import SemanticIndex

        return SemanticIndex(self.engine)

    def start(self, warmup: bool = True) -> None:
        from vocsvc.service.recovery import recover
        from vocsvc.store.mentions import models_other_than
        from vocsvc.store.migrate import check_migrated

        limit_malloc_arenas()  # before the models' and the server's threads exist
        check_migrated(self.engine)  # refuse an unmigrated database, with the command that fixes it
        recover(self.settings, self.engine, self.queue, self.clock.now())  # what a killed predecessor left
        if models_other_than(self.engine, self.analyzer.fingerprint):  # a few index seeks, not a count
            log.warning("some mentions were tagged by another model than this one; `vocsvc retag` re-tags them")
        if warmup:
            self.analyzer.warmup()
        self.models_ready = True
        if self.run_workers:
            from vocsvc.service.maintenance import Maintenance

            self._consumer = self.queue.consumer(workers=max(1, self.settings.worker_threads))
            # Huey's start() takes over SIGTERM/SIGINT/SIGHUP for its own run() loop, which we do not use: uvicorn
            # keeps them (and runs our lifespan exit on a signal), and a start outside the main thread (a test
            # client's lifespan) does not fail on signal.signal.
            self._consumer._set_signal_handlers = lambda: None
            self._consumer.start()
            self._sweeper_stop = self.queue.start_sweeper()
            self.maintenance = Maintenance(self.settings, self.engine, self.clock, self.queue)
            self.maintenance.start()
        else:
            from vocsvc.service.maintenance import start_trimming

            self._trim_stop = start_trimming()  # no maintenance loop here to hand malloc's free pages back

    def stop(self) -> None:
        if self.maintenance:
            self.maintenance.stop()
        if self._sweeper_stop:
            self._sweeper_stop.set()
        if self._trim_stop:
            self._trim_stop.set()
        if self._consumer is not None:
            try:
                self._consumer.stop(graceful=False)
            except Exception:  # shutting down anyway
                log.debug("consumer stop", exc_info=True)

    def health(self) -> dict:
        from vocsvc.store.migrate import current_revision, head_revision

        db: dict = {"ok": False}
        try:
            rev = current_revision(self.engine)
            db = {"ok": rev == head_revision(), "dialect": self.engine.dialect.name, "revision": rev}
        except Exception as e:  # noqa: BLE001 - whatever it is, health reports it rather than failing
            db["error"] = type(e).__name__
        models = {"ok": self.models_ready, "encoder": self.settings.encoder}
        ok = db["ok"] and models["ok"]
        return {"status": "ok" if ok else "unavailable", "database": db, "models": models,
                "worker": {"in_process": self.run_workers}}

    def queue_depths(self) -> dict[str, int]:
        from vocsvc.store.jobs import active_count
        from vocsvc.store.mentions import count_by_state
        from vocsvc.store.outbox import pending_count

        return {"mentions_pending": count_by_state(self.engine, "pending"),
                "jobs_queued": active_count(self.engine), "webhooks_pending": pending_count(self.engine)}

    def tag_now(self, ids: list[str]) -> int:
        from vocsvc.service.mentions import tag

        return tag(self.engine, self.analyzer, self.settings, self.clock.now(), ids)


def limit_malloc_arenas(n: int = 2) -> bool:
    """Cap glibc's malloc arenas at ``n`` for this process (``MALLOC_ARENA_MAX`` in the environment wins).

    glibc gives each thread that allocates at the same time as another its own arena, up to 8 per core, and seldom
    hands their freed pages back: a server with a 40-thread request pool then grows with traffic though nothing
    leaks (bench/load.py, 20 clients for 300 s: +81 MiB per 10,000 requests; with 2 arenas +11 MiB, and 100 MiB
    less to begin with). Python allocates under the GIL anyway, so fewer arenas cost nothing measurable."""
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return ctypes.CDLL("libc.so.6").mallopt(-8, n) == 1  # -8: M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc (musl has no arenas to cap)
        return False


def storage_errors() -> tuple[type[Exception], ...]:
    """The database errors :func:`as_unavailable` sorts out, for the API's error handlers."""
    from vocsvc.store.db import DB_ERRORS

    return DB_ERRORS


def as_unavailable(exc: BaseException):
    """A database error as ``Unavailable`` (503 + Retry-After: down, restarting, locked), or None (a real bug)."""
    from vocsvc.store.db import unavailable

    return unavailable(exc)
