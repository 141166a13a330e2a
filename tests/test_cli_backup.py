"""`vocsvc db backup` / `vocsvc db restore` as a user runs them (real subprocesses, real pg_dump / pg_restore): a
JSON summary on stdout, exit 2 with a message that names the cause on stderr."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import uuid
from datetime import datetime

import pytest

VOCSVC = [sys.executable, "-m", "vocsvc.cli"]
T0 = datetime(2026, 3, 2, 9, 30, 15, 654321)


def run(args, env, cwd):
    p = subprocess.run(VOCSVC + args, check=False, capture_output=True, text=True, timeout=120, env=env, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def env(db_url, tmp_path):
    e = dict(os.environ)
    e |= {"VOCSVC_DATABASE_URL": db_url, "VOCSVC_CACHE_DIR": str(tmp_path / "cache"),
          "VOCSVC_DATA_DIR": str(tmp_path / "data")}
    return e


def seed(url: str) -> None:
    from vocsvc.store import mentions
    from vocsvc.store.db import engine_for
    from vocsvc.store.keys import create_key
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.rows import NewMention

    eng = engine_for(url)
    upgrade(eng)
    create_key(eng, "admin", "ops")
    mentions.insert(eng, [NewMention(str(uuid.uuid4()), "appstore", f"x{i}", "review", T0, T0, f"late parcel {i}",
                                     hashlib.sha256(str(i).encode()).hexdigest(), rating=i % 5 + 1)
                          for i in range(40)])


def test_backup_then_restore_into_an_empty_database(db_url, target_url, env, tmp_path):
    seed(db_url)
    path = tmp_path / "out" / "voc.backup"
    rc, out, err = run(["db", "backup", str(path)], env, tmp_path)
    assert rc == 0, err
    s = json.loads(out)
    assert s["path"] == str(path) and s["bytes"] == path.stat().st_size and s["dialect"] == db_url.split(":")[0].split("+")[0]
    assert s["tables"]["mentions"] == 40 and s["tables"]["api_keys"] == 1 and s["tables"]["alembic_version"] == 1

    rc, out, err = run(["db", "backup", str(path)], env, tmp_path)
    assert rc == 2 and "already exists" in err and "--force" in err and not out
    rc, out, err = run(["db", "backup", str(path), "--force"], env, tmp_path)
    assert rc == 0, err

    rc, out, err = run(["db", "restore", str(path), "--database-url", target_url], env, tmp_path)
    assert rc == 0, err
    r = json.loads(out)
    assert r["tables"] == s["tables"] and r["revision"] == r["head"] and "upgrade" not in err
    rc, out, err = run(["db", "restore", str(path), "--database-url", target_url], env, tmp_path)
    assert rc == 2 and "is not empty" in err and "--force" in err


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_missing_pg_dump_is_named(db_url, env, tmp_path):
    seed(db_url)
    (tmp_path / "empty-bin").mkdir()
    rc, _, err = run(["db", "backup", str(tmp_path / "b.dump")], env | {"PATH": str(tmp_path / "empty-bin")},
                       tmp_path)
    assert rc != 0 and "pg_dump not found on PATH" in err and "postgresql-client" in err
    assert not (tmp_path / "b.dump").exists()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pg_dump_older_than_the_server_is_refused(db_url, env, tmp_path):
    # the only pg_dump here matches the server, so an old one is a script that answers --version like 9.6 does
    seed(db_url)
    bin_dir = tmp_path / "old-bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    rc, _, err = run(["db", "backup", str(tmp_path / "b.dump")],
                       env | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, tmp_path)
    assert rc == 2 and "pg_dump 9.6.24 is older than the PostgreSQL server" in err
    assert not (tmp_path / "b.dump").exists()


def test_help_says_how_postgresql_is_backed_up(tmp_path):
    rc, out, _ = run(["db", "backup", "--help"], dict(os.environ), tmp_path)
    assert rc == 0 and "pg_dump --format=custom" in out and "PGPASSWORD" in out and "--with-audio" in out
    rc, out, _ = run(["db", "restore", "--help"], dict(os.environ), tmp_path)
    assert rc == 0 and "pg_restore --no-owner" in out and "--database-url" in out
