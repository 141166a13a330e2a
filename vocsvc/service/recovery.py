"""What a killed server leaves behind, put right when the next one starts (``Service.start``).

A SIGKILL can land anywhere. The database is safe by itself (every write is one transaction, every repeat
idempotent), but two things live outside it:

* an upload being copied: ``<data_dir>/audio/.upload-<pid>-<n>.tmp`` stays on disk, a half recording nobody will
  ever read (and one that may hold a customer's voice): removed when its process is gone;
* a recording stored but never referenced: the process died after the upload was renamed into place and before
  its job was written (the client got no answer and sends it again, or never does): removed when no job and no
  call names its digest and it is older than ``ORPHAN_MIN_AGE`` (a live upload in another process is younger);
* mentions stored but whose tagging task was lost (the process died between the commit and the enqueue, or its
  worker had taken the task from the queue): they are enqueued again now, not only when the maintenance loop
  next finds them pending for half a minute. Tagging is conditional (only a pending mention is tagged), so a task
  that was not lost after all tags nothing twice.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger("vocsvc")
TAG_CHUNK = 256  # ids per tagging task, as the ingest route enqueues them
ORPHAN_MIN_AGE = 600.0  # seconds; an upload's rename-to-job-insert window is milliseconds


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own pid on a leftover: a previous process had it (containers reuse pid 1)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def sweep_upload_temps(audio_dir: Path) -> int:
    """Remove upload temp files whose writer is dead; a live process (another server on this folder) keeps its own.

    >>> sweep_upload_temps(Path("/nonexistent"))
    0
    """
    n = 0
    for p in audio_dir.glob(".upload-*.tmp") if audio_dir.is_dir() else ():
        try:
            pid = int(p.name.split("-")[1])
        except (IndexError, ValueError):
            pid = 0  # not a name we write: an unknown writer is treated as gone
        if pid and pid_alive(pid):
            continue
        p.unlink(missing_ok=True)
        n += 1
    return n


def sweep_orphan_recordings(engine, audio_dir: Path, now_ts: float, min_age: float = ORPHAN_MIN_AGE) -> int:
    """Remove recordings (``<sha256><suffix>`` under the audio folder) that no job and no call refers to."""
    import re

    from vocsvc.store.jobs import referenced_digests

    if not audio_dir.is_dir():
        return 0
    files = {}
    for p in audio_dir.iterdir():
        m = re.fullmatch(r"([0-9a-f]{64})(\.[a-z0-9]+)", p.name)  # never a .redacted.wav or a temp file
        if m and p.is_file() and now_ts - p.stat().st_mtime >= min_age:
            files[m.group(1)] = p
    used = referenced_digests(engine, sorted(files))
    n = 0
    for digest, p in files.items():
        if digest not in used:
            p.unlink(missing_ok=True)
            n += 1
    return n


def requeue_pending(engine, queue, now: datetime, limit: int = 10_000) -> int:
    """Enqueue tagging for mentions still pending (at most ``limit`` now; the maintenance loop finds the rest)."""
    from vocsvc.store.mentions import pending_ids_before

    ids = pending_ids_before(engine, now + timedelta(seconds=1), limit)  # every one stored before this start
    for s in range(0, len(ids), TAG_CHUNK):
        queue.tag_task(ids[s : s + TAG_CHUNK])
    return len(ids)


def recover(settings, engine, queue, now: datetime) -> dict[str, int]:
    """Both steps; a queue that is down leaves the pending mentions to the maintenance loop, not a failed start."""
    audio = Path(settings.data_dir) / "audio"
    out = {"upload_temps": sweep_upload_temps(audio), "orphan_recordings": 0, "requeued_mentions": 0}
    try:
        import time

        out["orphan_recordings"] = sweep_orphan_recordings(engine, audio, time.time())  # file times are wall time
    except Exception as e:  # noqa: BLE001 - the database down at start: the next start sweeps
        log.warning("start: could not sweep orphan recordings (%s)", type(e).__name__)
    try:
        out["requeued_mentions"] = requeue_pending(engine, queue, now)
    except Exception as e:  # noqa: BLE001 - e.g. Redis down at start: the mentions stay pending, found later
        log.warning("start: could not enqueue pending mentions (%s); the maintenance loop will", type(e).__name__)
    if any(out.values()):
        log.info("recovered at start: %s", out)
    return out
