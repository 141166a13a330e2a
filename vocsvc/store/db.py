"""Engines (one per URL per process) and the few dialect differences the stores need."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sqlalchemy as sa


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        eng = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(eng, "connect")
        def _pragma(dbapi_conn, _rec):  # WAL: readers never block the writer; busy_timeout rides out short locks
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return eng
    return sa.create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
    """The one engine of a database URL in this process (every store, the job table and the queue share it)."""
    return make_engine(url)


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
