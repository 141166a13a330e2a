"""The service's housekeeping loop (runs inside ``vocsvc serve``): nothing waits for a request to happen.

Every ``period`` seconds: re-enqueue mentions left pending (a lost queue message, a killed worker), escalate
alerts near or past their due time, deliver due webhooks, re-discover themes when they are older than
``themes_every_hours``, once a day apply the retention settings, and every 30 s hand the memory malloc holds
free back to the system (see :func:`release_free_memory`). Each step is isolated: one failing never stops the others.

A process without this loop (``vocsvc worker``, a ``vocsvc serve`` without its in-process worker) still trims:
:func:`start_trimming`.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from functools import lru_cache

log = logging.getLogger("vocsvc")

TRIM_EVERY_S = 30.0  # one trim took 3-38 ms under 50 clients; RSS regrows ~70 MiB a minute between trims


def release_free_memory() -> bool:
    """Hand the pages that glibc's malloc holds free back to the system (``malloc_trim(0)``); False where there is
    no glibc (musl, macOS).

    A server's requests allocate and free all the time, from many threads; a freed chunk between live ones stays
    in malloc's heap, so resident memory creeps up under steady load though nothing leaks. bench/load.py, 50
    clients, --steady 5000, 390 s: malloc's bytes in use 2,265 -> 2,267 MiB, its free bytes 46 -> 91 MiB, anonymous
    RSS 1,030 -> 1,083 MiB; one ``malloc_trim(0)`` then took it to 1,001 MiB in 3 ms. ``free()`` only returns the
    top of a heap; ``malloc_trim`` returns every free page inside it.

    >>> release_free_memory()  # doctest: +SKIP
    True
    """
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def start_trimming() -> threading.Event:
    """Call :func:`release_free_memory` every ``TRIM_EVERY_S`` in a daemon thread, for a long-running process that
    has no maintenance loop; set the returned event to stop.

    A worker's jobs (tagging arrays, transcriptions) fragment malloc's heap like a server's requests do, and an idle
    worker after a burst would otherwise keep the burst's free pages for ever. A trim while a job runs is safe:
    ``malloc_trim`` takes malloc's own locks, as the maintenance loop's trim does next to the server's requests.

    >>> stop = start_trimming()  # doctest: +SKIP
    >>> stop.set()  # doctest: +SKIP
    """
    stop = threading.Event()

    def loop():
        while not stop.wait(TRIM_EVERY_S):  # read each time: a test shortens it
            try:
                release_free_memory()
            except Exception:  # a failed trim must not end the trims
                log.exception("malloc_trim failed")

    threading.Thread(target=loop, daemon=True, name="vocsvc-trim").start()
    return stop


@lru_cache(maxsize=1)
def _libc():
    """glibc, loaded once; None without it (musl may ship a libc.so.6 without malloc_trim)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL("libc.so.6")
        lib.malloc_trim.argtypes, lib.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        return lib
    except (OSError, AttributeError):
        return None


class Maintenance:
    def __init__(self, settings, engine, clock, queue, period: float = 5.0):
        self.settings, self.engine, self.clock, self.queue, self.period = settings, engine, clock, queue, period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._themes_lock = threading.Lock()
        self._purged_at = None
        self._trimmed_at: float | None = None  # monotonic: a test's fake clock must not stop (or flood) the trims

    def tick(self) -> dict:
        from vocsvc.service.alerts import escalate_due
        from vocsvc.service.outbox import deliver_due

        now = self.clock.now()
        out: dict = {}
        steps = {
            "requeued_mentions": lambda: self._requeue_pending(now),
            "escalated": lambda: len(escalate_due(self.engine, self.settings, now)),
            "webhooks": lambda: deliver_due(self.engine, self.settings, now),
            "themes": lambda: self._themes_if_due(now),
            "retention": lambda: self._purge_if_due(now),
            "memory_trimmed": self._trim_if_due,
        }
        for name, fn in steps.items():
            try:
                out[name] = fn()
            except Exception:
                log.exception("maintenance step %s failed", name)
        return out

    def _requeue_pending(self, now) -> int:
        from vocsvc.store.mentions import pending_ids_before

        if self.queue.backlog() > 0:
            # the queue still has work: mentions pending now are most likely in it; a lost message shows once it
            # drains (re-sending a backlog every tick would only fill the queue with copies)
            return 0
        ids = pending_ids_before(self.engine, now - timedelta(seconds=30))
        for s in range(0, len(ids), 256):
            self.queue.tag_task(ids[s : s + 256])
        return len(ids)

    def _trim_if_due(self) -> bool:
        t = time.monotonic()
        if self._trimmed_at is not None and t - self._trimmed_at < TRIM_EVERY_S:
            return False
        self._trimmed_at = t
        return release_free_memory()

    def _purge_if_due(self, now):
        from vocsvc.service.privacy import purge

        s = self.settings
        if not (s.retention_days_audio or s.retention_days_transcripts or s.retention_days_mentions):
            return None
        if self._purged_at is not None and now - self._purged_at < timedelta(days=1):
            return None
        self._purged_at = now
        # this object has the engine, settings and clock purge needs; the API's semantic index has a 30-s TTL
        return purge(self, now)

    def _themes_if_due(self, now):
        from vocsvc.store.mentions import count_by_state
        from vocsvc.store.themes import last_update

        if self.settings.themes_every_hours <= 0 or not self._themes_lock.acquire(blocking=False):
            return None
        try:
            last = last_update(self.engine)
            tagged = count_by_state(self.engine, "tagged")
            if tagged < 50 or (last is not None and now - last < timedelta(hours=self.settings.themes_every_hours)):
                self._themes_lock.release()
                return None
        except Exception:
            self._themes_lock.release()
            raise
        # Discovery can take minutes on big stores: its own thread, so escalations and webhooks keep their pace.
        threading.Thread(target=self._discover, args=(now,), daemon=True, name="vocsvc-themes").start()
        return "started"

    def _discover(self, now) -> None:
        from vocsvc.service.themes import rediscover

        try:
            log.info("themes: %s", rediscover(self.engine, self.settings, now))
        except Exception:
            log.exception("theme discovery failed")
        finally:
            self._themes_lock.release()

    def start(self) -> None:
        def loop():
            while not self._stop.wait(self.period):
                self.tick()

        self._thread = threading.Thread(target=loop, daemon=True, name="vocsvc-maintenance")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
