"""Search over mentions and call utterances: full text (the database's index) or semantic (the query's embedding
against every stored one)."""
from __future__ import annotations

from vocsvc.errors import InvalidInput
from vocsvc.store.rows import SearchHit
from vocsvc.store.search import full_text, hydrate


def search(svc, q: str, mode: str, limit: int, offset: int) -> tuple[list[SearchHit], int]:
    if mode == "fulltext":
        hits, total = full_text(svc.engine, q, limit, offset)
    else:
        if not q.strip():
            raise InvalidInput("q: empty query")
        hits, total = svc.semantic.search(svc.analyzer.embed([q])[0], limit, offset)
    return hydrate(svc.engine, hits), total
