"""The service's housekeeping loop (runs inside ``vocsvc serve``): nothing waits for a request to happen.

Every ``period`` seconds: re-enqueue mentions left pending (a lost queue message, a killed worker), escalate
alerts near or past their due time, deliver due webhooks, and re-discover themes when they are older than
``themes_every_hours``. Each step is isolated: one failing never stops the others.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa

log = logging.getLogger("vocsvc")


class Maintenance:
    def __init__(self, settings, engine: sa.Engine, clock, queue, period: float = 5.0):
        self.settings, self.engine, self.clock, self.queue, self.period = settings, engine, clock, queue, period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._themes_lock = threading.Lock()

    def tick(self) -> dict:
        from vocsvc.alerts import escalate_due
        from vocsvc.store.schema import mentions, themes
        from vocsvc.webhooks import deliver_due

        now = self.clock.now()
        out: dict = {}
        steps = {
            "requeued_mentions": lambda: self._requeue_pending(now),
            "escalated": lambda: len(escalate_due(self.engine, self.settings, now)),
            "webhooks": lambda: deliver_due(self.engine, self.settings, now),
            "themes": lambda: self._themes_if_due(now, mentions, themes),
        }
        for name, fn in steps.items():
            try:
                out[name] = fn()
            except Exception:
                log.exception("maintenance step %s failed", name)
        return out

    def _requeue_pending(self, now) -> int:
        from vocsvc.store.schema import mentions

        with self.engine.connect() as c:
            ids = [r.id for r in c.execute(sa.select(mentions.c.id).where(
                mentions.c.state == "pending", mentions.c.ingested_at < now - timedelta(seconds=30)).limit(1000))]
        for s in range(0, len(ids), 256):
            self.queue.tag_task(ids[s : s + 256])
        return len(ids)

    def _themes_if_due(self, now, mentions, themes):
        if self.settings.themes_every_hours <= 0 or not self._themes_lock.acquire(blocking=False):
            return None
        try:
            with self.engine.connect() as c:
                last = c.execute(sa.select(sa.func.max(themes.c.updated_at))).scalar()
                tagged = c.execute(sa.select(sa.func.count()).select_from(mentions)
                                   .where(mentions.c.state == "tagged")).scalar()
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
        from vocsvc.store.themes import rediscover

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
