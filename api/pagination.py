"""Opaque cursors: every list returns ``items``, ``next_cursor`` (null on the last page) and ``total``."""
from __future__ import annotations

import base64
import json

from api.problems import ApiError


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        o = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())["o"]
        if not isinstance(o, int) or o < 0:
            raise ValueError
        return o
    except Exception:
        raise ApiError(400, "invalid cursor: pass back the next_cursor of the previous page unchanged") from None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def page(items: list, offset: int, limit: int, total: int, **extra) -> dict:
    nxt = encode_cursor(offset + limit) if offset + len(items) < total and len(items) == limit else None
    return {"items": items, "next_cursor": nxt, "total": total} | extra


def encode_key(created_at, mention_id: str) -> str:
    """A keyset cursor: the (time, id) of the last row of a page."""
    return base64.urlsafe_b64encode(json.dumps({"t": created_at.isoformat(), "i": mention_id}).encode()) \
        .decode().rstrip("=")


def decode_key(cursor: str | None):
    from datetime import datetime

    if not cursor:
        return None
    try:
        d = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
        return datetime.fromisoformat(d["t"]), str(d["i"])
    except Exception:
        raise ApiError(400, "invalid cursor: pass back the next_cursor of the previous page unchanged") from None
