"""Start-up recovery: a recording a killed server stored but never referenced (it died between renaming the upload
into place and writing its job) is removed; a recording any job or call uses, a young one (an upload in flight in
another process), a redacted copy and files that are not ours stay. Both databases."""
import os
import time
from datetime import datetime

from vocsvc.service.recovery import sweep_orphan_recordings
from vocsvc.store import calls as call_store
from vocsvc.store.db import engine_for
from vocsvc.store.jobs import JobStore
from vocsvc.store.migrate import upgrade

OLD = time.time() - 3600


def _file(d, name, old=True):
    p = d / name
    p.write_bytes(b"RIFF....WAVE")
    if old:
        os.utime(p, (OLD, OLD))
    return p


def test_orphan_recordings_are_removed_and_nothing_else(db_url, tmp_path):
    eng = engine_for(db_url)
    upgrade(eng)
    audio = tmp_path / "audio"
    audio.mkdir()
    a, b, c, d = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
    orphan = _file(audio, f"{a}.wav")
    job_only = _file(audio, f"{b}.mp3")  # died after the job insert, before the call row: a retry finds the job
    with_call = _file(audio, f"{c}.ogg")
    young = _file(audio, f"{d}.wav", old=False)
    redacted = _file(audio, f"{a}.redacted.wav")
    foreign = _file(audio, "notes.txt")
    jobs = JobStore(eng)
    jobs.submit("transcribe", f"transcribe:{b}:auto:auto", {"path": str(job_only)})
    job, _ = jobs.submit("transcribe", f"transcribe:{c}:left:en", {"path": str(with_call)})
    call_store.create(eng, job.id, str(with_call), datetime(2026, 3, 1), datetime(2026, 3, 1))

    assert sweep_orphan_recordings(eng, audio, time.time()) == 1
    assert not orphan.exists()
    assert all(p.exists() for p in (job_only, with_call, young, redacted, foreign))
    assert sweep_orphan_recordings(eng, audio, time.time()) == 0  # nothing more
    assert sweep_orphan_recordings(eng, tmp_path / "missing", time.time()) == 0
