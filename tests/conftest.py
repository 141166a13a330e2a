import contextlib
import os
import uuid
from pathlib import Path

import pytest

# No test may reach a model hub: a hidden download must fail loudly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("VOCSVC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED_DATA = Path(os.environ.get("VOCSVC_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from vocsvc.settings import Settings

    return Settings(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def analyzer(settings):
    from vocsvc.analyzer import Analyzer

    return Analyzer(settings)


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@contextlib.contextmanager
def pg_database():
    """A new, empty database on the local PostgreSQL, dropped (with its connections) afterwards."""
    import sqlalchemy as sa

    from vocsvc.store.db import engine_for

    name = f"vocsvc_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database per test: a SQLite file, or a new database on the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vocsvc.db'}"
        return
    if os.environ.get("VOCSVC_TEST_SKIP_PG") == "1":
        pytest.skip("VOCSVC_TEST_SKIP_PG=1")
    with pg_database() as url:
        yield url


@pytest.fixture
def target_url(db_url, tmp_path):
    """A second empty database of the same kind as ``db_url`` (to restore a backup into)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with pg_database() as url:
        yield url


def _rollup_snapshot(engine):
    import sqlalchemy as sa

    from vocsvc.store.schema import metric_rollup, theme_day_rollup, theme_rollup

    out = {}
    with engine.connect() as c:
        for t in (metric_rollup, theme_rollup, theme_day_rollup):
            counters = [col for col in t.c if not col.primary_key]
            out[t.name] = sorted(tuple(r) for r in c.execute(sa.select(t))
                                 if any(r._mapping[col.name] for col in counters))
    return out


@pytest.fixture
def assert_rebuild_equal():
    """``assert_rebuild_equal(engine)``: the rollup counters kept incrementally equal a rebuild from the rows."""
    from vocsvc.store.rollups import rebuild

    def check(engine):
        before = _rollup_snapshot(engine)
        assert before["metric_rollup"]  # not vacuous
        rebuild(engine)
        assert _rollup_snapshot(engine) == before

    return check
