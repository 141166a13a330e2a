"""Backups of the service database: SQLite through the online backup API, PostgreSQL through pg_dump / pg_restore.

Database work only: the service (vocsvc.service.backup) decides whether a file may be written or a database
overwritten, and copies the recordings. A backup is written beside its target and renamed into place, so a failed
run never leaves a half file under the name a later run would then refuse to overwrite.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from vocsvc.errors import VocsvcError
from vocsvc.store.schema import metadata

log = logging.getLogger("vocsvc")

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # pg_dump's custom format (-Fc)
# the tables a summary counts: ours and Alembic's, the same names on both databases (SQLite's FTS shadow tables
# and PostgreSQL's catalogs are not the service's data)
COUNTED = tuple(sorted([t.name for t in metadata.sorted_tables] + ["alembic_version"]))
_SSL_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}


class BackupError(VocsvcError):
    """A backup or restore that cannot run: the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Dumped:
    path: Path
    bytes: int
    dialect: str
    tables: dict[str, int]  # row counts in the snapshot the file holds


def table_counts(conn) -> dict[str, int]:
    """Rows per vocsvc table present in the database of ``conn`` (in the snapshot of its transaction)."""
    present = set(sa.inspect(conn).get_table_names())
    return {t: int(conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar()) for t in COUNTED if t in present}


def call_audio_paths(engine: sa.Engine) -> list[tuple[str, str, str | None]]:
    """(call id, audio_path, redacted_audio_path) of every call."""
    from vocsvc.store.schema import calls

    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.select(calls.c.id, calls.c.audio_path, calls.c.redacted_audio_path))]


def set_call_audio_paths(engine: sa.Engine, rows: list[tuple[str, str, str | None]]) -> int:
    """Write (call id, audio_path, redacted_audio_path) back; returns the rows changed."""
    from vocsvc.store.schema import calls

    if not rows:
        return 0
    with engine.begin() as c:
        c.execute(calls.update().where(calls.c.id == sa.bindparam("cid")).values(
            audio_path=sa.bindparam("a"), redacted_audio_path=sa.bindparam("r")),
            [{"cid": i, "a": a, "r": r} for i, a, r in rows])
    return len(rows)


def existing_tables(engine: sa.Engine) -> list[str]:
    """Every user table of the database (any schema on PostgreSQL): a restore target must have none."""
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            q = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        else:
            q = ("SELECT schemaname || '.' || tablename FROM pg_catalog.pg_tables "
                 "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")
        return list(c.execute(sa.text(q)).scalars())


def dump_dialect(path: Path) -> str:
    """'sqlite' or 'postgresql', read from the file's first bytes."""
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format (-Fc) archive: "
                      "give a file written by `vocsvc db backup`")


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def dump(engine: sa.Engine, path: Path) -> Dumped:
    """Write a consistent copy of the database to ``path`` (replacing it), while the service keeps writing."""
    if engine.dialect.name == "sqlite" and _sqlite_file(engine).resolve() == path.resolve():
        # renaming the copy over the live file would leave the service writing to an unlinked inode
        raise BackupError(f"the backup path is the database file itself ({path}): choose another")
    tmp = _partial(path)
    tmp.unlink(missing_ok=True)
    try:
        tables = _dump_sqlite(engine, tmp) if engine.dialect.name == "sqlite" else _dump_pg(engine, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Dumped(path, path.stat().st_size, engine.dialect.name, tables)


def _sqlite_file(engine: sa.Engine) -> Path:
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        raise BackupError(f"cannot back up or restore the SQLite database {db or ':memory:'!r}: "
                          "set VOCSVC_DATABASE_URL to sqlite:///<file path>")
    return Path(db)


def _dump_sqlite(engine: sa.Engine, tmp: Path) -> dict[str, int]:
    raw = engine.raw_connection()
    dst = sqlite3.connect(tmp)
    try:
        # pages=-1 copies everything in one step under one read transaction: in WAL mode writers go on, and the
        # copy is the database as of that transaction (a step-wise copy restarts whenever another connection writes)
        raw.driver_connection.backup(dst, pages=-1)
        # the copy inherits WAL mode; a backup is one self-contained file, so back to a rollback journal
        dst.execute("PRAGMA journal_mode=DELETE")
        present = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: dst.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in COUNTED if t in present}
    finally:
        dst.close()
        raw.close()


def _dump_pg(engine: sa.Engine, tmp: Path) -> dict[str, int]:
    tool = find_tool("pg_dump")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as c, c.begin():
        server = int(c.execute(sa.text("SHOW server_version_num")).scalar())
        check_tool_version("pg_dump", tool_version(tool), server)
        # pg_dump reads the snapshot of this transaction, so the counts below are exactly what the file holds
        snapshot = c.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        tables = table_counts(c)
        # --compress=1: embeddings are float16 noise that gzip cannot shrink; level 1 costs 2.5x less time than the
        # default 6 for a file ~7% larger (30k mentions: 2.2 s / 30 MB against 5.4 s / 28 MB)
        run_tool(engine.url, tool, ["--format=custom", "--compress=1", f"--snapshot={snapshot}", f"--file={tmp}"])
    return tables


def load(engine: sa.Engine, path: Path, clean: bool = False) -> dict[str, int]:
    """Restore ``path`` into the database of ``engine``; returns its row counts after. ``clean`` replaces what
    is there (SQLite: the whole file; PostgreSQL: the dump's objects, through pg_restore --clean)."""
    if engine.dialect.name == "sqlite":
        target = _sqlite_file(engine)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)  # as_uri: '?', '#', '%' in names
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=-1)  # page by page into the target: its -wal/-shm files stay coherent
        finally:
            dst.close()
            src.close()
        engine.dispose()  # pooled connections opened before the copy held the old file's state
    else:
        tool = find_tool("pg_restore")
        # --no-owner/--no-acl: the target's roles need not match the source's; --single-transaction: a failed
        # restore leaves the target as it was, not half filled
        run_tool(engine.url, tool, ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
                 + (["--clean", "--if-exists"] if clean else []) + [str(path)])
    with engine.connect() as c:
        return table_counts(c)


# ---------------------------------------------------------------- PostgreSQL client tools

def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found on PATH: install the PostgreSQL client tools of the server's major "
                          f"version or newer (Debian/Ubuntu: apt-get install postgresql-client) and put their bin "
                          f"folder on PATH")
    return path


def tool_version(tool: str) -> str:
    p = subprocess.run([tool, "--version"], check=False, capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


def _major(version: str) -> tuple[int, ...]:
    """(15,) for 15.x; (9, 6) for 9.6.x: before 10 the major version had two numbers."""
    parts = [int(x) for x in re.findall(r"\d+", version)[:2]]
    return tuple(parts) if parts and parts[0] < 10 else tuple(parts[:1])


def check_tool_version(name: str, version_text: str, server_version_num: int) -> None:
    """pg_dump refuses (or misreads) a server newer than itself: say so before it runs, with the fix."""
    m = re.search(r"\)\s*(\d+(?:\.\d+)*)", version_text) or re.search(r"(\d+(?:\.\d+)+)", version_text)
    if not m:
        raise BackupError(f"cannot read the version of {name} from {version_text!r}")
    n = server_version_num
    server = f"{n // 10000}.{n % 10000}" if n >= 100000 else f"{n // 10000}.{n // 100 % 100}.{n % 100}"
    if _major(m.group(1)) < _major(server):
        want = ".".join(map(str, _major(server)))
        raise BackupError(f"{name} {m.group(1)} is older than the PostgreSQL server ({server}) and cannot dump "
                          f"it: install the PostgreSQL {want} client tools (or newer), e.g. apt-get install "
                          f"postgresql-client-{want}, and put their bin folder first on PATH")


def tool_args(url: sa.URL, tool: str, extra: list[str]) -> tuple[list[str], dict]:
    """argv and environment for a libpq tool on ``url``. The password travels in PGPASSWORD: a command line is
    visible to every user of the machine (ps, /proc)."""
    argv = [tool, "--no-password"]  # never wait for a password prompt nobody will answer
    host = url.host or url.query.get("host")  # ?host=/var/run/postgresql: a Unix socket folder
    if host:
        argv += ["--host", str(host)]
    if url.port:
        argv += ["--port", str(url.port)]
    if url.username:
        argv += ["--username", url.username]
    if url.database:
        # pg_dump takes the database it dumps; pg_restore the one it connects to
        argv += [f"--dbname={url.database}"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, var in _SSL_ENV.items():
        if key in url.query:
            env[var] = str(url.query[key])
    return argv + extra, env


def run_tool(url: sa.URL, tool: str, extra: list[str]) -> None:
    argv, env = tool_args(url, tool, extra)
    log.info("running %s", " ".join(argv))
    p = subprocess.run(argv, check=False, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        name = Path(tool).name
        raise BackupError(f"{name} failed (exit {p.returncode}): {p.stderr.strip()[-2000:] or 'no message'}")
