"""Fault tests: a private PostgreSQL cluster and a private Redis that a test may stop and start (the shared ones at
:5432 and :6379 serve every other test and are never touched), and the app in-process over any database URL."""
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from faulthelp import T0, free_port, wait_for


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of this test session alone, run as the `postgres` user (postgres refuses root)."""

    def __init__(self):
        import pwd

        self.user = pwd.getpwnam("postgres")
        # not under pytest's tmp dir: that one is root-only (0700), which the postgres user cannot enter
        self.root = Path(tempfile.mkdtemp(prefix="vocsvc-pg-"))
        os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.data, self.port = self.root / "data", free_port()
        self._as_postgres(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                          "--no-sync")

    def _as_postgres(self, *cmd, timeout: float = 60) -> None:
        r = subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True,
                           timeout=timeout, check=False)
        assert r.returncode == 0, f"{cmd[0]} failed: {r.stdout}\n{r.stderr}"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._as_postgres(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", opts,
                          "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every session is cut off, open transactions are rolled back (what a restart does)."""
        self._as_postgres(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def new_database(self) -> str:
        import sqlalchemy as sa

        name = f"vocsvc_f_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        try:
            self.stop("immediate")
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_pg():
    if os.geteuid() != 0:
        pytest.skip("a private PostgreSQL runs as the `postgres` user through runuser, which needs root")
    missing = [b for b in ("initdb", "pg_ctl") if _pg_bin(b) is None] + (
        [] if shutil.which("runuser") else ["runuser"])
    if missing:
        pytest.skip(f"cannot start a private PostgreSQL: {', '.join(missing)} not found")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("cannot start a private PostgreSQL: no `postgres` user")
    pg = PrivatePostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()


class PrivateRedis:
    """redis-server on a free port with no persistence: a restart empties it, as losing a Redis host does."""

    def __init__(self, root: Path):
        self.root, self.port, self.proc = root, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def up():
            try:
                return client.ping()
            except redis.RedisError:
                return False

        assert wait_for(up, 20), "the private redis-server did not start"
        client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # a crash, not a clean shutdown: no chance to save anything
            self.proc.wait()
            self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not found (apt-get install redis-server)")
    r = PrivateRedis(tmp_path)
    r.start()
    yield r
    r.stop()


@pytest.fixture
def clock():
    from vocsvc.clock import FixedClock

    return FixedClock(T0)


class App:
    """The real app on a TestClient (its lifespan starts the service, workers included when asked), a key per role,
    and direct reads of the database to check what was kept."""

    def __init__(self, client, svc):
        from vocsvc.store.keys import create_key

        self.client, self.svc = client, svc
        self.keys = {r: create_key(svc.engine, r, f"{r}-tester")[1] for r in ("admin", "ingest", "marketing")}

    def h(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def get(self, url, role="admin", **kw):
        return self.client.get(url, headers=self.h(role), **kw)

    def post(self, url, role="admin", **kw):
        return self.client.post(url, headers=self.h(role), **kw)


@pytest.fixture(scope="session")
def warm_analyzer(analyzer):
    analyzer.warmup()  # models loaded before a fault is timed against the work in flight
    return analyzer


@pytest.fixture
def make_app(settings, warm_analyzer, clock, tmp_path):
    """``make_app(database_url=..., run_workers=...)``: the service on a migrated database (a SQLite file by default),
    rate limits off (the tests burst on purpose)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    opened, urls = [], []

    def make(run_workers: bool = False, **overrides):
        s = settings.model_copy(update={
            "database_url": f"sqlite:///{tmp_path / 'vocsvc.db'}", "queue_path": tmp_path / "queue.db",
            "data_dir": tmp_path / "data", "redis_url": None, "themes_every_hours": 0.0, "webhook_urls": [],
            "rate_limit_per_minute": 0, "job_stale_seconds": 3.0, "job_heartbeat_seconds": 0.5} | overrides)
        upgrade(engine_for(s.database_url))
        urls.append(s.database_url)
        app = create_app(s, clock=clock, analyzer=warm_analyzer, run_workers=run_workers, warmup=False)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return App(client, app.state.svc)

    yield make
    for c in opened:
        c.__exit__(None, None, None)
    for u in urls:
        engine_for(u).dispose()


@pytest.fixture
def call_wav(tmp_path):
    """``call_wav(k)``: a 3-second stereo recording (a tone on the agent's side), different bytes for each k, so
    each is its own job. What is said does not matter here; that the job runs once does."""
    import numpy as np

    from vocsvc.audio.wavio import write_wav

    def make(k: int = 0) -> bytes:
        t = np.arange(3 * 16000) / 16000
        left = 0.3 * np.sin(2 * np.pi * (300 + 10 * k) * t)
        return write_wav(tmp_path / f"call{k}.wav", np.stack([left, np.zeros_like(left)], 1)).read_bytes()

    return make
