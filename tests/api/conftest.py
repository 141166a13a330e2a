"""API tests run twice: on SQLite (WAL, a file per test) and on the PostgreSQL at 127.0.0.1:5432 (a database per
test: the `db_url` fixture of tests/conftest.py). Time is a FixedClock the tests move; the real Huey queue (SqliteHuey) carries tagging jobs, drained here
by executing what it holds."""
import pytest
from apihelp import T0


@pytest.fixture
def api_settings(db_url, tmp_path, settings):
    return settings.model_copy(update={
        "database_url": db_url, "queue_path": tmp_path / "queue.db", "data_dir": tmp_path / "data",
        "redis_url": None, "themes_every_hours": 0.0, "webhook_urls": [], "webhook_secret": "s3cret",
    })


@pytest.fixture
def clock():
    from vocsvc.clock import FixedClock

    return FixedClock(T0)


class Api:
    """A TestClient plus a key per role and helpers to drain the queue."""

    def __init__(self, client, svc):
        from vocsvc.store.keys import create_key

        self.client, self.svc = client, svc
        self.keys = {r: create_key(svc.engine, r, f"{r}-tester")[1] for r in ("admin", "qa", "marketing", "ingest")}

    def h(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def get(self, url, role="admin", **kw):
        return self.client.get(url, headers=self.h(role) | kw.pop("headers", {}), **kw)

    def post(self, url, role="admin", **kw):
        return self.client.post(url, headers=self.h(role) | kw.pop("headers", {}), **kw)

    def put(self, url, role="admin", **kw):
        return self.client.put(url, headers=self.h(role) | kw.pop("headers", {}), **kw)

    def drain(self) -> int:
        """Run every task waiting in the real Huey queue (what the in-process consumer would do)."""
        huey = self.svc.queue.huey
        n = 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            n += 1
        return n


@pytest.fixture
def make_api(api_settings, clock, analyzer):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from vocsvc.store.db import engine_for
    from vocsvc.store.migrate import upgrade

    opened = []

    def make(migrate: bool = True, **overrides):
        s = api_settings.model_copy(update=overrides)
        if migrate:
            upgrade(engine_for(s.database_url))
        app = create_app(s, clock=clock, analyzer=analyzer, run_workers=False, warmup=False)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Api(client, app.state.svc)

    yield make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def api(make_api):
    return make_api()
