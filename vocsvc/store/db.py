"""Engines (one per URL per process), the few dialect differences the stores need, and which database errors
mean "down or busy, retry later" (:func:`unavailable`)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import sqlalchemy as sa

from vocsvc.errors import Unavailable


def make_engine(url: str) -> sa.Engine:
    """SQLite waits ``?timeout=`` seconds (default 30) for a writer's lock; PostgreSQL connections are checked
    before use (``pool_pre_ping``), so after a database restart the pool replaces its dead connections by itself
    instead of handing them to requests, and a connection attempt gives up after ``connect_timeout`` (default 5 s)
    rather than the kernel's minutes when the server does not answer."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        timeout = float(u.query.get("timeout", 30))
        eng = sa.create_engine(u.difference_update_query(["timeout"]),
                               connect_args={"timeout": timeout, "check_same_thread": False})

        @sa.event.listens_for(eng, "connect")
        def _pragma(dbapi_conn, _rec):  # WAL: readers never block the writer; busy_timeout rides out short locks
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return eng
    args = {} if "connect_timeout" in u.query else {"connect_timeout": 5}
    return sa.create_engine(u, pool_pre_ping=True, connect_args=args)


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
    """The one engine of a database URL in this process (every store, the job table and the queue share it)."""
    return make_engine(url)


@contextlib.contextmanager
def connection(db: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A connection checked out of an engine (and returned), or the caller's own connection as it is: a request
    that reads several stores shares one checkout (on PostgreSQL each checkout is a pre-ping and a ROLLBACK, two
    round trips more than the query)."""
    if isinstance(db, sa.Connection):
        yield db
        return
    with db.connect() as c:
        yield c


#: The errors :func:`unavailable` sorts out (the API maps them without naming the driver).
DB_ERRORS: tuple[type[Exception], ...] = (sa.exc.DBAPIError, sa.exc.TimeoutError)
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy", "disk i/o error")


def unavailable(exc: BaseException) -> Unavailable | None:
    """``exc`` as :class:`~vocsvc.errors.Unavailable` when the database is down, restarting, out of connections
    or locked, so a caller answers 503 with Retry-After (nothing was written: the transaction rolled back), or
    None for any other error (a bug or a constraint: a 500 is right).

    >>> unavailable(sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))).status
    503
    """
    if isinstance(exc, sa.exc.TimeoutError):  # every pooled connection is busy
        return Unavailable("the database has no free connection; retry shortly", retry_after=2)
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    orig = exc.orig
    if type(orig).__module__.startswith("sqlite3"):
        if isinstance(exc, sa.exc.OperationalError) and any(m in str(orig).lower() for m in _SQLITE_BUSY):
            return Unavailable("the database is busy (locked by another writer); retry shortly", retry_after=1)
        return None  # "no such table" is an OperationalError too: a 500, not a retry
    # PostgreSQL: class 08 (connection), 53 (resources), 57 (admin shutdown, cannot connect now), 40 (serialization,
    # deadlock) are all OperationalError in psycopg; a dropped connection is flagged by SQLAlchemy.
    if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return Unavailable("the database is unreachable or restarting; retry shortly", retry_after=2)
    return None


def insert_ignore(engine_or_conn, table: sa.Table):
    """INSERT ... ON CONFLICT DO NOTHING, for idempotent writes on both databases."""
    name = engine_or_conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def where_eq(q, pairs):
    """``q`` narrowed by ``column == value`` for each (column, value) whose value is given (not None / empty)."""
    for col, val in pairs:
        if val is not None and val != "":
            q = q.where(col == val)
    return q


def day_expr(col, dialect: str):
    """The UTC calendar day of a DateTime column, as a 'YYYY-MM-DD' string on both databases."""
    if dialect == "postgresql":
        return sa.func.to_char(col, "YYYY-MM-DD")
    return sa.func.strftime("%Y-%m-%d", col)


def pack_vector(v: np.ndarray) -> bytes:
    return np.asarray(v, np.float16).tobytes()


def unpack_vectors(blobs: list[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, 0), np.float32)
    return np.frombuffer(b"".join(blobs), np.float16).reshape(len(blobs), -1).astype(np.float32)
