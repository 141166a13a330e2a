"""Alembic migrations: they build exactly the tables the code declares, on SQLite and PostgreSQL; a database
the transcription worker created first (its jobs table only) is adopted; an unmigrated database is named."""
import os
import uuid

import pytest
import sqlalchemy as sa

PG_ADMIN = os.environ.get("VOCSVC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    if os.environ.get("VOCSVC_TEST_SKIP_PG") == "1":
        pytest.skip("VOCSVC_TEST_SKIP_PG=1")
    name = f"vocsvc_m_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_the_code_and_adopts_a_jobs_table(fresh_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from vocsvc.jobs import JobStore, make_engine
    from vocsvc.store.migrate import UnmigratedDatabase, check_migrated, head_revision, upgrade
    from vocsvc.store.schema import metadata

    eng = make_engine(fresh_url)
    JobStore(eng).submit("transcribe", "k1", {"path": "x"})  # the worker ran before the service existed
    with pytest.raises(UnmigratedDatabase, match="vocsvc db upgrade"):
        check_migrated(eng)
    assert upgrade(eng) == (None, head_revision())
    check_migrated(eng)
    with eng.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), metadata)
        assert c.execute(sa.text("SELECT count(*) FROM jobs")).scalar() == 1  # the old job is still there
    # full-text search (FTS5 table, tsvector column) lives outside the declared tables on purpose
    assert [d for d in diff if "search_fts" not in str(d) and "tsv" not in str(d)] == []
    assert upgrade(eng)[0] == head_revision()  # again: nothing to do
    eng.dispose()
