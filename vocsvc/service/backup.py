"""Backup and restore of the service: the database (vocsvc.store.backup does the database work) and, on request,
the recordings under ``<data_dir>/audio``.

Recordings are copied *after* the database: an upload is on disk before its call row is written, so every
recording the dump names is already there when the copy starts (the copy may hold a few newer ones too).

    >>> s = backup("sqlite:///vocsvc.db", Path("vocsvc-2024-05-01.db"))   # doctest: +SKIP
    >>> restore("sqlite:///restored.db", s.path)                          # doctest: +SKIP
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from vocsvc.store import backup as store
from vocsvc.store.backup import BackupError
from vocsvc.store.db import engine_for
from vocsvc.store.migrate import current_revision, head_revision

log = logging.getLogger("vocsvc")

__all__ = ["AudioCopy", "BackupError", "BackupSummary", "RestoreSummary", "audio_dir_of", "backup", "restore"]


@dataclass(frozen=True, slots=True)
class AudioCopy:
    path: str  # the folder the recordings were copied to
    files: int  # copied this run (a restore skips recordings already there)
    bytes: int
    repointed: int = 0  # restore: calls whose recording paths now name the copy in this folder


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: str
    bytes: int
    dialect: str
    tables: dict[str, int]  # rows per table in the backup (its snapshot, not the live database)
    seconds: float
    audio: AudioCopy | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    path: str
    database: str  # the target URL, password hidden
    dialect: str
    tables: dict[str, int]
    revision: str | None  # the schema revision restored; `vocsvc db upgrade` if it is not ``head``
    head: str
    seconds: float
    audio: AudioCopy | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def audio_dir_of(backup_path: Path) -> Path:
    """Where ``--with-audio`` keeps the recordings of a backup: ``<PATH>.audio/`` beside it."""
    return backup_path.with_name(backup_path.name + ".audio")


def backup(database_url: str, path: Path, *, force: bool = False, audio_dir: Path | None = None) -> BackupSummary:
    """A consistent copy of the database at ``path`` while the service runs (and of ``audio_dir``, if given, in
    ``<path>.audio/``). Refuses to overwrite an existing backup unless ``force``."""
    path = Path(path)
    copy_to = audio_dir_of(path) if audio_dir is not None else None
    for p in (path, copy_to):
        if p is not None and p.exists() and not force:
            raise BackupError(f"{p} already exists: choose another path, or pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    d = store.dump(engine_for(database_url), path)
    audio = _copy_audio(Path(audio_dir), copy_to, replace=True) if copy_to is not None else None
    s = BackupSummary(str(path), d.bytes, d.dialect, d.tables, round(time.perf_counter() - t0, 3), audio)
    log.info("backup: %s, %d bytes, %d rows", path, d.bytes, sum(d.tables.values()))
    return s


def restore(database_url: str, path: Path, *, force: bool = False, audio_dir: Path | None = None) -> RestoreSummary:
    """Load a backup into an empty database (``force``: over what is there) and, if ``audio_dir`` is given, put
    the backup's recordings there."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    eng = engine_for(database_url)
    where = eng.url.render_as_string(hide_password=True)
    kind = store.dump_dialect(path)
    if kind != eng.dialect.name:
        raise BackupError(f"{path} is a {kind} backup and {where} is a {eng.dialect.name} database: restore it "
                          f"into a {kind} database (--database-url)")
    src_audio = audio_dir_of(path) if audio_dir is not None else None
    if src_audio is not None and not src_audio.is_dir():
        raise BackupError(f"no recordings beside the backup ({src_audio} is missing): it was made without "
                          "--with-audio; restore without --with-audio")
    if not force:
        present = store.existing_tables(eng)
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            raise BackupError(f"{where} is not empty ({len(present)} tables: {shown}): restore into an empty "
                              "database, or pass --force to replace its contents")
    t0 = time.perf_counter()
    tables = store.load(eng, path, clean=force)
    audio = _copy_audio(src_audio, Path(audio_dir), replace=False) if src_audio is not None else None
    if audio is not None:
        audio = AudioCopy(audio.path, audio.files, audio.bytes, _repoint_calls(eng, Path(audio_dir)))
    s = RestoreSummary(str(path), where, kind, tables, current_revision(eng), head_revision(),
                       round(time.perf_counter() - t0, 3), audio)
    log.info("restore: %s -> %s, %d rows", path, where, sum(tables.values()))
    return s


def _repoint_calls(eng, audio_dir: Path) -> int:
    """The restored calls name their recordings where the backed-up service kept them (another machine or
    data_dir): point each at its copy under ``audio_dir``, found by the path's tail (file names are the
    recording's sha256). Paths with no copy there are left as they are."""
    changed = []
    for cid, a, r in store.call_audio_paths(eng):
        na, nr = _in(audio_dir, a), _in(audio_dir, r) if r else r
        if (na, nr) != (a, r):
            changed.append((cid, na, nr))
    return store.set_call_audio_paths(eng, changed)


def _in(audio_dir: Path, stored: str) -> str:
    parts = Path(stored).parts
    for k in (2, 1):  # "<sub>/<name>" before "<name>"
        if len(parts) >= k:
            cand = audio_dir.joinpath(*parts[-k:])
            if cand.is_file():
                return str(cand)
    return stored


def _copy_audio(src: Path, dst: Path, replace: bool) -> AudioCopy:
    """Copy the recordings of ``src`` into ``dst``. ``replace``: ``dst`` becomes exactly this copy (written beside
    it and renamed, so an interrupted run leaves the old one); otherwise files already in ``dst`` are kept (names
    are the recording's sha256, so a file of the same name and size is the same recording)."""
    target = dst.with_name(f".{dst.name}.partial") if replace else dst
    if replace and target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    files = size = 0
    if src.is_dir():
        for f in sorted(src.rglob("*")):
            # .upload-*.tmp: an upload still being written, not yet a recording
            if not f.is_file() or (f.name.startswith(".upload-") and f.name.endswith(".tmp")):
                continue
            out = target / f.relative_to(src)
            if out.exists() and out.stat().st_size == f.stat().st_size:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, out)
            files += 1
            size += out.stat().st_size
    if replace:
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(target, dst)
    return AudioCopy(str(dst), files, size)
