"""Search over mentions and call utterances: full text (the database's index) or semantic (the query's embedding
against every stored one)."""
from __future__ import annotations

from vocsvc.errors import InvalidInput
from vocsvc.store.rows import SearchHit
from vocsvc.store.search import full_text, hydrate, words

#: Every full-text word is required and costs its own pass over the index: 500 characters allow 250 one-letter
#: words, 250 passes for one request. A sentence belongs in semantic mode.
MAX_FULLTEXT_WORDS = 32


def search(svc, q: str, mode: str, limit: int, offset: int) -> tuple[list[SearchHit], int]:
    """Hits (mentions and utterances, best first) and their total. Whatever ``q`` holds (quotes, ``NEAR(``,
    ``col:word``, emoji) it is read as plain words: a 200, or a 422 that says what to change, never a 5xx.

    >>> search(svc, 'refund "late', "fulltext", 20, 0)  # hits holding both words
    """
    if mode == "fulltext":
        n = len(words(q))
        if n > MAX_FULLTEXT_WORDS:
            raise InvalidInput(f"q: a full-text query takes at most {MAX_FULLTEXT_WORDS} words (this one has {n}); "
                               "use mode=semantic to search by a whole sentence")
        hits, total = full_text(svc.engine, q, limit, offset)
    else:
        if not q.strip():
            raise InvalidInput("q: empty query")
        hits, total = svc.semantic.search(svc.analyzer.embed([q])[0], limit, offset)
    return hydrate(svc.engine, hits), total
