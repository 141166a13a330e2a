"""Alembic migrations: they build exactly the tables the code declares, on SQLite and PostgreSQL; a database
the transcription worker created first (its jobs table only) is adopted; an unmigrated database is named."""
import pytest
import sqlalchemy as sa


def test_upgrade_matches_the_code_and_adopts_a_jobs_table(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from vocsvc.store.db import make_engine
    from vocsvc.store.jobs import JobStore
    from vocsvc.store.migrate import UnmigratedDatabase, check_migrated, head_revision, upgrade
    from vocsvc.store.schema import metadata

    eng = make_engine(db_url)
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
