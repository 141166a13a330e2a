"""Alembic, driven from code: ``vocsvc db upgrade`` and the start-up check that refuses an unmigrated database."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from vocsvc.errors import VocsvcError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class UnmigratedDatabase(VocsvcError):
    """The database is missing tables or is behind the code's schema."""


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as c:
        return MigrationContext.configure(c).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrate to ``revision``; returns (before, after)."""
    from alembic import command

    before = current_revision(engine)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine)


def check_migrated(engine: sa.Engine) -> None:
    """Raise with the command that fixes it, unless the database is at the code's head revision."""
    cur, head = current_revision(engine), head_revision()
    if cur != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no vocsvc schema" if cur is None else f"is at revision {cur}, the code needs {head}"
        raise UnmigratedDatabase(f"the database {where} {state}: run `vocsvc db upgrade` "
                                 "(with the same VOCSVC_DATABASE_URL) and start again")
