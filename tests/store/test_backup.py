"""Backup and restore on SQLite and PostgreSQL: a backup taken while another thread keeps writing restores into an
empty database as one consistent snapshot (same rows, byte for byte, rollups matching the rows), and the guards
(existing file, non-empty target, wrong kind of database, old pg_dump) refuse with a message that says why."""
from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456)  # microseconds: a restore must keep them


def _mentions(rng: random.Random, prefix: str, n: int, tagged: bool):
    from vocsvc.store.db import pack_vector
    from vocsvc.store.rows import NewMention, TagUpdate

    out = []
    for i in range(n):
        text = rng.choice(["Курьер опоздал, коробка мятая", "refund the double charge please", "great app"])
        sentiment = rng.choice(["negative", "neutral", "positive"])
        out.append(NewMention(
            id=str(uuid.UUID(int=rng.getrandbits(128))), source=rng.choice(["appstore", "twitter"]),
            external_id=f"{prefix}-{i}", channel=rng.choice(["review", "social", "survey"]),
            created_at=T0 - timedelta(hours=rng.randrange(500), microseconds=rng.randrange(10**6)),
            ingested_at=T0, text_redacted=f"{text} #{i}", text_sha256=hashlib.sha256(f"{prefix}{i}".encode()).hexdigest(),
            pii=[{"type": "phone", "start": 0, "end": 4}] if i % 5 == 0 else [], author_handle=f"@u{i % 17}",
            author_followers=rng.randrange(10**6), author_is_vip=i % 11 == 0, rating=rng.choice([None, 1, 4, 5]),
            nps=rng.choice([None, 0, 9, 10]), product=rng.choice([None, "app", "card"]), lang_hint="ru",
            state="tagged" if tagged else "pending",
            tagged=TagUpdate("ru", sentiment, round(rng.uniform(-1, 1), 6), "anger", "refund",
                             {"intents": [{"label": "refund", "score": 0.9}], "categories": ["delivery"]},
                             pack_vector(np.random.default_rng(i).standard_normal(16)), None) if tagged else None))
    return out


def fill(url: str, n: int = 300) -> sa.Engine:
    """A migrated database with rows in most tables, written through the store's own functions."""
    from vocsvc.store import alerts, calls, outbox, themes
    from vocsvc.store import mentions as mstore
    from vocsvc.store.db import engine_for
    from vocsvc.store.jobs import JobStore
    from vocsvc.store.keys import create_key
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.rows import NewAlert, ThemeRow

    eng = engine_for(url)
    upgrade(eng)
    rng = random.Random(13)
    ms = _mentions(rng, "seed", n, tagged=True)
    mstore.insert(eng, ms)
    mstore.insert(eng, _mentions(rng, "pend", n // 5, tagged=False))  # one shape of row per insert batch
    for role in ("admin", "qa", "ingest"):
        create_key(eng, role, f"{role} key")
    js = JobStore(eng)
    for i in range(20):
        job, _ = js.submit("transcribe", f"transcribe:{i:064x}", {"path": f"/data/audio/{i}.wav", "language": "ru"})
        calls.create(eng, job.id, f"/data/audio/{i}.wav", T0 + timedelta(minutes=i), T0, f"agent{i % 3}", f"c{i}")
    themes.save_active(eng, [ThemeRow(f"t{i}", f"theme {i}", ["late", "курьер"], np.arange(16, dtype=np.float16)
                                      .tobytes(), 0.42, 10 + i, True, T0, T0) for i in range(4)], T0)
    with eng.begin() as c:
        for i, m in enumerate(ms[:25]):
            aid = str(uuid.UUID(int=rng.getrandbits(128)))
            alerts.insert(c, NewAlert(aid, m.id, f"{m.source}:{m.author_handle}", m.channel, "p2", 0.7,
                                      ["negative", "vip"], m.created_at, T0, T0 + timedelta(hours=2)))
            alerts.event(c, aid, T0, "system", "opened", {"reasons": ["negative"], "n": i})
            outbox.add(c, "alert.opened", json.dumps({"id": aid}), ["https://hooks.example/a"], T0)
    return eng


class Writer(threading.Thread):
    """Keeps ingesting small batches (each one transaction with its rollup counters) until stopped."""

    def __init__(self, eng: sa.Engine):
        super().__init__(daemon=True)
        self.eng, self.stop, self.batches, self.error = eng, threading.Event(), 0, None

    def run(self):
        from vocsvc.store import mentions as mstore

        rng = random.Random(99)
        try:
            while not self.stop.is_set():
                mstore.insert(self.eng, _mentions(rng, f"live{self.batches}", 10, tagged=self.batches % 2 == 0))
                self.batches += 1
        except Exception as e:  # noqa: BLE001 (surfaced by the test, not lost in the thread)
            self.error = e


ROLLUPS = ("metric_rollup", "theme_rollup", "theme_day_rollup")


def _all(eng: sa.Engine, table: str) -> list[tuple]:
    t = sa.Table(table, sa.MetaData(), autoload_with=eng)
    with eng.connect() as c:
        return sorted(tuple(r) for r in c.execute(sa.select(t)))


def _rows(eng: sa.Engine, table: str, pk: list[str], keys: list[tuple]) -> dict[tuple, tuple]:
    t = sa.Table(table, sa.MetaData(), autoload_with=eng)
    cols = [c for c in t.c if c.name != "tsv"]  # PostgreSQL's generated search column: recomputed, not data
    out = {}
    with eng.connect() as c:
        for k in keys:
            r = c.execute(sa.select(*cols).where(*[t.c[n] == v for n, v in zip(pk, k)])).one()
            out[k] = tuple(r)
    return out


def test_backup_while_writing_restores_a_consistent_copy(db_url, target_url, tmp_path):
    from vocsvc.service.backup import backup, restore
    from vocsvc.store.backup import COUNTED, table_counts
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import check_migrated
    from vocsvc.store.rollups import rebuild
    from vocsvc.store.search import full_text

    src = fill(db_url)
    w = Writer(src)
    w.start()
    while w.batches < 3 and w.is_alive():
        time.sleep(0.01)
    during = w.batches
    try:
        s = backup(db_url, tmp_path / "b.dump")
        time.sleep(0.05)
    finally:
        w.stop.set()
        w.join()
    assert w.error is None, w.error
    assert w.batches > during  # the writer really ran while the backup was taken

    assert s.dialect == src.dialect.name and s.bytes == (tmp_path / "b.dump").stat().st_size > 0
    assert set(s.tables) == set(COUNTED) & set(sa.inspect(src).get_table_names())
    for t in ("mentions", "mention_labels", "alerts", "alert_events", "api_keys", "jobs", "calls", "themes",
              "webhook_deliveries", "metric_rollup", "alembic_version"):
        assert s.tables[t] > 0, t
    assert s.tables["mentions"] >= 360 + 30  # the seed and at least 3 live batches

    r = restore(target_url, tmp_path / "b.dump")
    dst = engine_for(target_url)
    check_migrated(dst)
    assert r.revision == r.head and r.dialect == s.dialect
    assert r.tables == s.tables  # exactly the snapshot the summary counted
    with dst.connect() as c:
        assert table_counts(c) == s.tables
    # one snapshot, not a torn copy: the rollup counters (written in each batch's transaction) equal a recount of
    # the restored rows
    rolled = {t: _all(dst, t) for t in ROLLUPS}
    rebuild(dst)
    assert {t: _all(dst, t) for t in ROLLUPS} == rolled
    assert sum(r[5] for r in rolled["metric_rollup"]) == s.tables["mentions"]  # volume
    with src.connect() as c:
        assert table_counts(c)["mentions"] >= s.tables["mentions"]

    # a random sample of full rows per table, equal in both (the writer only inserts mentions and their labels, so
    # rows of the snapshot cannot differ from the live ones; the rollups it updates were checked above)
    rng = random.Random(5)
    insp = sa.inspect(dst)
    for table in sorted(set(s.tables) - set(ROLLUPS)):
        pk = insp.get_pk_constraint(table)["constrained_columns"] or [c["name"] for c in insp.get_columns(table)]
        t = sa.Table(table, sa.MetaData(), autoload_with=dst)
        with dst.connect() as c:
            keys = sorted(tuple(k) for k in c.execute(sa.select(*[t.c[n] for n in pk])))
        sample = rng.sample(keys, min(25, len(keys)))
        got, want = _rows(dst, table, pk, sample), _rows(src, table, pk, sample)
        assert got == want, table
        if table == "mentions":  # blobs and microsecond datetimes came through as such
            row = next(iter(got.values()))
            cols = [c.name for c in t.c if c.name != "tsv"]
            assert isinstance(row[cols.index("created_at")], datetime)
            assert any(isinstance(v[cols.index("embedding")], bytes) for v in got.values())
    # the search index (SQLite FTS5 / PostgreSQL generated tsvector) came along
    hits, total = full_text(dst, "refund", 5, 0)
    assert total > 0 and hits


def test_backup_refuses_an_existing_path_without_force(db_url, tmp_path):
    from vocsvc.service.backup import BackupError, backup

    fill(db_url, n=20)
    p = tmp_path / "out" / "b.dump"
    p.parent.mkdir()
    p.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists.*--force"):
        backup(db_url, p)
    assert p.read_bytes() == b"keep me"
    s = backup(db_url, p, force=True)
    assert p.stat().st_size == s.bytes > 7 and s.tables["mentions"] == 24
    assert [x.name for x in p.parent.iterdir()] == ["b.dump"]  # no partial file left beside it
    if db_url.startswith("sqlite"):
        live = Path(db_url.removeprefix("sqlite:///"))
        with pytest.raises(BackupError, match="the database file itself"):
            backup(db_url, live, force=True)


def test_restore_refuses_a_non_empty_target_and_the_wrong_kind(db_url, target_url, tmp_path):
    from vocsvc.service.backup import BackupError, backup, restore
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    fill(db_url, n=20)
    p = tmp_path / "b.dump"
    backup(db_url, p)
    upgrade(engine_for(target_url))  # a schema, no rows: still not empty
    with pytest.raises(BackupError, match="not empty.*--force"):
        restore(target_url, p)
    r = restore(target_url, p, force=True)  # over it: the backup's rows, nothing doubled
    assert r.tables["mentions"] == 24 and r.revision == r.head

    other = "postgresql+psycopg://postgres@127.0.0.1:5432/test" if db_url.startswith("sqlite") else \
        f"sqlite:///{tmp_path / 'other.db'}"
    with pytest.raises(BackupError, match="backup and .* database"):
        restore(other, p)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all")
    with pytest.raises(BackupError, match="neither a SQLite database nor a pg_dump"):
        restore(target_url, junk)


def test_with_audio_copies_recordings_beside_the_backup_and_back(tmp_path):
    from vocsvc.service.backup import BackupError, audio_dir_of, backup, restore

    url = f"sqlite:///{tmp_path / 'src.db'}"
    fill(url, n=10)
    audio = tmp_path / "data" / "audio"
    audio.mkdir(parents=True)
    with sa.create_engine(url).begin() as c:  # one call's recording lives in this data_dir
        c.execute(sa.text("UPDATE calls SET audio_path = :a, redacted_audio_path = :r WHERE customer_id = 'c0'"),
                  {"a": str(audio / "ab12.wav"), "r": str(audio / "ab12.redacted.wav")})
    (audio / "ab12.wav").write_bytes(b"RIFF" + bytes(1000))
    (audio / "ab12.redacted.wav").write_bytes(b"RIFF" + bytes(500))
    (audio / ".upload-1-2.tmp").write_bytes(b"half an upload")
    p = tmp_path / "out" / "b.db"
    s = backup(url, p, audio_dir=audio)
    assert s.audio.files == 2 and s.audio.bytes == 1004 + 504
    assert sorted(x.name for x in audio_dir_of(p).iterdir()) == ["ab12.redacted.wav", "ab12.wav"]
    (tmp_path / "out" / "other.db.audio").mkdir()
    with pytest.raises(BackupError, match="other.db.audio already exists"):
        backup(url, tmp_path / "out" / "other.db", audio_dir=audio)
    assert not (tmp_path / "out" / "other.db").exists()  # refused before anything was written

    new_audio = tmp_path / "data2" / "audio"
    new_audio.mkdir(parents=True)
    (new_audio / "ab12.wav").write_bytes(b"RIFF" + bytes(1000))  # already there: kept, not copied again
    r = restore(f"sqlite:///{tmp_path / 'dst.db'}", p, audio_dir=new_audio)
    assert r.audio.files == 1 and (new_audio / "ab12.redacted.wav").read_bytes() == b"RIFF" + bytes(500)
    # the restored call plays from the new folder; calls whose recordings were not in the backup keep their paths
    assert r.audio.repointed == 1
    with sa.create_engine(f"sqlite:///{tmp_path / 'dst.db'}").connect() as c:
        paths = dict(c.execute(sa.text("SELECT customer_id, audio_path FROM calls")).all())
        red = c.execute(sa.text("SELECT redacted_audio_path FROM calls WHERE customer_id = 'c0'")).scalar()
    assert paths["c0"] == str(new_audio / "ab12.wav") and red == str(new_audio / "ab12.redacted.wav")
    assert paths["c1"] == "/data/audio/1.wav"
    with pytest.raises(BackupError, match="made without --with-audio"):
        restore(f"sqlite:///{tmp_path / 'dst2.db'}", tmp_path / "src.db", audio_dir=new_audio)


def test_pg_dump_version_must_reach_the_servers():
    from vocsvc.store.backup import BackupError, check_tool_version

    check_tool_version("pg_dump", "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)", 150020)
    check_tool_version("pg_dump", "pg_dump (PostgreSQL) 16.3", 150020)  # newer dumps older
    check_tool_version("pg_dump", "pg_dump (PostgreSQL) 15.1", 150020)  # minor versions do not matter
    with pytest.raises(BackupError, match=r"pg_dump 14\.9 is older than the PostgreSQL server \(15\.20\).*"
                                          r"postgresql-client-15"):
        check_tool_version("pg_dump", "pg_dump (PostgreSQL) 14.9", 150020)
    with pytest.raises(BackupError, match=r"9\.6\.24 is older.*client-10"):
        check_tool_version("pg_dump", "pg_dump (PostgreSQL) 9.6.24", 100005)


def test_password_goes_in_the_environment_never_the_command_line():
    from sqlalchemy.engine import make_url

    from vocsvc.store.backup import tool_args

    argv, env = tool_args(make_url("postgresql+psycopg://svc:s3cr%40t@db.internal:6543/voc?sslmode=require"),
                          "/usr/bin/pg_dump", ["--format=custom"])
    assert env["PGPASSWORD"] == "s3cr@t" and env["PGSSLMODE"] == "require"
    assert not any("s3cr" in a for a in argv)
    assert argv == ["/usr/bin/pg_dump", "--no-password", "--host", "db.internal", "--port", "6543",
                    "--username", "svc", "--dbname=voc", "--format=custom"]
