"""The app's composition root: settings, database, clock, models, queue and background loops, built once in the
lifespan handler and shared by every request through ``app.state.svc``."""
from __future__ import annotations

import logging
import threading
from functools import cached_property

from vocsvc.clock import SystemClock
from vocsvc.settings import Settings

log = logging.getLogger("vocsvc.api")


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
        self.models_ready = False

    @cached_property
    def analyzer(self):
        if self._analyzer is not None:
            return self._analyzer
        from vocsvc.analyzer import Analyzer

        return Analyzer(self.settings)

    @cached_property
    def queue(self):
        from workers.transcription import Queue

        return Queue(self.settings, clock=self.clock, analyzer=self.analyzer)

    @cached_property
    def semantic(self):
        from vocsvc.store.search import SemanticIndex

        return SemanticIndex(self.engine)

    def start(self, warmup: bool = True) -> None:
        from vocsvc.store.migrate import check_migrated

        check_migrated(self.engine)  # refuse an unmigrated database, with the command that fixes it
        if warmup:
            self.analyzer.warmup()
        self.models_ready = True
        if self.run_workers:
            from workers.maintenance import Maintenance

            import signal

            self._consumer = self.queue.consumer(workers=max(1, self.settings.worker_threads))
            # Huey's start() takes over SIGTERM/SIGINT/SIGHUP for its own run() loop, which we do not use: give
            # them back so uvicorn still shuts down (and runs our lifespan exit) on a signal.
            saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
            self._consumer.start()
            if threading.current_thread() is threading.main_thread():
                for sig, handler in saved.items():
                    signal.signal(sig, handler)
            self._sweeper_stop = self.queue.start_sweeper()
            self.maintenance = Maintenance(self.settings, self.engine, self.clock, self.queue)
            self.maintenance.start()

    def stop(self) -> None:
        if self.maintenance:
            self.maintenance.stop()
        if self._sweeper_stop:
            self._sweeper_stop.set()
        if self._consumer is not None:
            try:
                self._consumer.stop(graceful=False)
            except Exception:  # shutting down anyway
                log.debug("consumer stop", exc_info=True)

    def tag_now(self, ids: list[str]) -> int:
        from vocsvc.store.mentions import tag_mentions
        from vocsvc.store.themes import current_model

        return tag_mentions(self.engine, self.analyzer, self.settings, self.clock.now(), ids,
                            current_model(self.engine))
