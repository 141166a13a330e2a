"""Engines (one per URL per process) and the few dialect differences the stores need."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sqlalchemy as sa

from vocsvc.jobs import make_engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
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
