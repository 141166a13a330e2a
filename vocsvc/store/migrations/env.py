"""Alembic environment: the URL and connection come from vocsvc (``vocsvc.store.migrate``), not an ini file."""
from alembic import context

from vocsvc.store.schema import metadata

config = context.config


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        from vocsvc.store.db import make_engine

        with make_engine(config.get_main_option("sqlalchemy.url")).connect() as c:
            _configure(c)
    else:
        _configure(conn)


def _configure(conn) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
