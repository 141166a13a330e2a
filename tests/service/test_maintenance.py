"""The maintenance loop hands malloc's free pages back: a server's RSS must not creep up under steady load."""
import sys
import time
from pathlib import Path

import pytest

from vocsvc.clock import SystemClock
from vocsvc.service import maintenance
from vocsvc.service.maintenance import Maintenance, release_free_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or maintenance._libc() is None,
                                reason="malloc_trim is glibc's")


def _anon_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


def _fragment(mib: int = 96) -> list[bytes]:
    """What a busy server leaves behind: many freed chunks, each page still holding one live chunk somewhere, so
    free() can hand nothing back (it only returns the top of a heap). 1-KiB bytes go to malloc, not pymalloc."""
    chunks = [bytes(1024) for _ in range(mib * 1024)]
    live = chunks[::64]  # one live chunk in every 64 KiB
    chunks.clear()
    return live


def _held_after(step) -> float:
    """MiB of resident memory that ``step`` gave back after a fragmenting burst (the burst's own pages are held)."""
    live = _fragment()
    held = _anon_mib()
    step()
    freed = held - _anon_mib()
    del live
    return freed


def test_release_free_memory_returns_the_pages_free_leaves():
    assert _held_after(lambda: None) < 16  # the premise: without a trim, the freed 90 MiB stay resident
    assert _held_after(release_free_memory) > 48


def test_tick_trims_now_and_then(monkeypatch):
    # no database or queue here: those steps fail and are logged, and each step is isolated from the trim
    m = Maintenance(settings=None, engine=None, clock=SystemClock(), queue=None)
    freed = {}
    assert _held_after(lambda: freed.setdefault("first", m.tick())) > 48
    assert freed["first"]["memory_trimmed"] is True
    assert m.tick()["memory_trimmed"] is False  # not again within TRIM_EVERY_S
    monkeypatch.setattr(maintenance, "TRIM_EVERY_S", 0.0)
    time.sleep(0.01)
    assert m.tick()["memory_trimmed"] is True


def test_service_without_its_worker_still_trims(tmp_path, monkeypatch):
    """`vocsvc serve` with the in-process worker off runs no maintenance loop: it trims on its own, until stopped."""
    from vocsvc.service.core import Service
    from vocsvc.settings import Settings
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    s = Settings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", queue_path=tmp_path / "queue.db",
                 data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    upgrade(engine_for(s.database_url))
    trims = []
    real = maintenance.release_free_memory
    monkeypatch.setattr(maintenance, "release_free_memory", lambda: trims.append(1) or real())
    monkeypatch.setattr(maintenance, "TRIM_EVERY_S", 0.05)
    svc = Service(s, run_workers=False)
    svc.start(warmup=False)
    try:
        end = time.monotonic() + 10
        while len(trims) < 3 and time.monotonic() < end:
            time.sleep(0.02)
        assert svc.maintenance is None and len(trims) >= 3
    finally:
        svc.stop()
    n = len(trims)
    time.sleep(0.2)
    assert len(trims) <= n + 1  # a stopped service stops trimming (one trim may have been under way)
