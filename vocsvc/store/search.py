"""Search over mention and call-utterance text: full text (SQLite FTS5 / PostgreSQL tsvector) or semantic
(cosine similarity of stored embeddings to the query's embedding, through an in-memory index)."""
from __future__ import annotations

import re
import threading
import time

import numpy as np
import sqlalchemy as sa

from vocsvc.store.db import unpack_vectors
from vocsvc.store.rows import SearchHit
from vocsvc.store.schema import mentions, utterances

_WORD = re.compile(r"\w+", re.UNICODE)
COUNT_CAP = 10_000  # totals above this are reported as this (pages stop there too)


def words(q: str) -> list[str]:
    """The words of a user's query, in order: FTS syntax (quotes, ``*``, ``NEAR(``, ``col:``, ``-``) is not a word."""
    return _WORD.findall(q)


def fts_query(q: str) -> str:
    """User words -> an FTS5 query that cannot be a syntax error: each word quoted, all required, each once (a
    word repeated 200 times would be matched 200 times over)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in dict.fromkeys(words(q)))


RANK_CANDIDATES = 2000  # matches (per table on PostgreSQL) ranked, newest first (see full_text)


def full_text(engine: sa.Engine, q: str, limit: int, offset: int) -> tuple[list[tuple[str, str, float]], int]:
    """[(kind, id, score)], total. PostgreSQL reads ``q`` with plainto_tsquery (plain words, never syntax)."""
    if not words(q):
        return [], 0
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            where = "search_fts MATCH :q"
            # counted up to the cap only: an exact count of a common word's matches costs more than the page
            total = c.execute(sa.text(f"SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE {where} LIMIT :cap)"),
                              {"q": fts_query(q), "cap": COUNT_CAP}).scalar()
            # Ranking every match costs bm25 per match: a word in 120k of 200k documents took 119 ms a request (13 s
            # p50 under 50 clients). As on PostgreSQL, the newest RANK_CANDIDATES matches are ranked (all of them
            # for a rarer word): FTS5 walks its doclist by rowid backwards, which is insertion order: 5 ms.
            rows = c.execute(sa.text(f"SELECT doc_kind, doc_id, s FROM (SELECT doc_kind, doc_id, -rank AS s, rowid AS r "
                                     f"FROM search_fts WHERE {where} ORDER BY rowid DESC LIMIT :cand) "
                                     "ORDER BY s DESC, r DESC LIMIT :l OFFSET :o"),
                             {"q": fts_query(q), "l": limit, "o": offset,
                              "cand": max(RANK_CANDIDATES, offset + limit)}).all()
        else:
            match = ("SELECT 'mention' AS kind, id FROM mentions, plainto_tsquery('simple', :q) query "
                     "WHERE tsv @@ query UNION ALL SELECT 'utterance', id FROM utterances, "
                     "plainto_tsquery('simple', :q) query WHERE tsv @@ query")
            total = c.execute(sa.text(f"SELECT count(*) FROM ({match} LIMIT :cap) t"),
                              {"q": q, "cap": COUNT_CAP}).scalar()
            # ts_rank reads every match's tsvector: for a word in most documents (600k of 1M) that is seconds. The
            # newest RANK_CANDIDATES matches of each table are ranked instead (all of them for a rarer word).
            sub = ("SELECT 'mention' AS kind, m.id, ts_rank(m.tsv, query) AS s FROM (SELECT id FROM mentions, "
                   "plainto_tsquery('simple', :q) query WHERE tsv @@ query ORDER BY created_at DESC LIMIT :cand) c "
                   "JOIN mentions m ON m.id = c.id, plainto_tsquery('simple', :q) query UNION ALL "
                   "SELECT 'utterance', u.id, ts_rank(u.tsv, query) FROM (SELECT id FROM utterances, "
                   "plainto_tsquery('simple', :q) query WHERE tsv @@ query ORDER BY created_at DESC LIMIT :cand) c "
                   "JOIN utterances u ON u.id = c.id, plainto_tsquery('simple', :q) query")
            rows = c.execute(sa.text(f"SELECT kind, id, s FROM ({sub}) t ORDER BY s DESC, id LIMIT :l OFFSET :o"),
                             {"q": q, "l": limit, "o": offset, "cand": max(RANK_CANDIDATES, offset + limit)}).all()
    return [(r[0], r[1], round(float(r[2]), 4)) for r in rows], int(total or 0)


class SemanticIndex:
    """Every stored embedding in one float16 matrix, rebuilt at most every ``ttl`` seconds."""

    def __init__(self, engine: sa.Engine, ttl: float = 30.0):
        self.engine, self.ttl = engine, ttl
        self._lock = threading.Lock()
        self._built = 0.0
        self._keys: list[tuple[str, str]] = []
        self._X = np.zeros((0, 0), np.float16)

    def _rebuild(self) -> None:
        keys, blobs = [], []
        with self.engine.connect() as c:
            for kind, table in (("mention", mentions), ("utterance", utterances)):
                for r in c.execution_options(yield_per=10000).execute(
                        sa.select(table.c.id, table.c.embedding).where(table.c.embedding.is_not(None))):
                    keys.append((kind, r.id))
                    blobs.append(r.embedding)
        self._keys = keys
        self._X = unpack_vectors(blobs).astype(np.float16) if blobs else np.zeros((0, 0), np.float16)
        self._built = time.monotonic()

    def invalidate(self) -> None:
        """Reload before the next search (rows were deleted: their embeddings must not linger in memory)."""
        with self._lock:
            self._built = float("-inf")
            self._keys, self._X = [], np.zeros((0, 0), np.float16)

    def search(self, qvec: np.ndarray, limit: int, offset: int) -> tuple[list[tuple[str, str, float]], int]:
        with self._lock:
            if time.monotonic() - self._built > self.ttl:
                self._rebuild()
            keys, X = self._keys, self._X
        if not keys or X.shape[1] != qvec.shape[-1]:
            return [], 0
        sims = np.empty(len(keys), np.float32)
        q = qvec.astype(np.float32).ravel()
        for s in range(0, len(keys), 50_000):
            sims[s : s + 50_000] = X[s : s + 50_000].astype(np.float32) @ q
        k = min(len(keys), offset + limit)
        top = np.argpartition(-sims, k - 1)[:k] if k < len(keys) else np.arange(len(keys))
        top = top[np.lexsort((top, -sims[top]))][offset : offset + limit]
        return [(keys[i][0], keys[i][1], round(float(sims[i]), 4)) for i in top], len(keys)


def hydrate(engine: sa.Engine, hits: list[tuple[str, str, float]]) -> list[SearchHit]:
    """Search hits -> typed hits with text, time and tags summary, in hit order."""
    m_ids = [h[1] for h in hits if h[0] == "mention"]
    u_ids = [h[1] for h in hits if h[0] == "utterance"]
    found: dict[tuple[str, str], dict] = {}
    with engine.connect() as c:
        if m_ids:
            for r in c.execute(sa.select(mentions.c.id, mentions.c.channel, mentions.c.source, mentions.c.created_at,
                                         mentions.c.text_redacted, mentions.c.sentiment, mentions.c.theme_id)
                               .where(mentions.c.id.in_(m_ids))):
                found[("mention", r.id)] = {"channel": r.channel, "source": r.source, "created_at": r.created_at,
                                            "text_redacted": r.text_redacted, "sentiment": r.sentiment,
                                            "theme_id": r.theme_id}
        if u_ids:
            for r in c.execute(sa.select(utterances.c.id, utterances.c.call_id, utterances.c.speaker,
                                         utterances.c.start, utterances.c.created_at, utterances.c.text_redacted,
                                         utterances.c.sentiment, utterances.c.theme_id)
                               .where(utterances.c.id.in_(u_ids))):
                found[("utterance", r.id)] = {"channel": "call", "call_id": r.call_id, "role": r.speaker,
                                              "start": r.start, "created_at": r.created_at,
                                              "text_redacted": r.text_redacted, "sentiment": r.sentiment,
                                              "theme_id": r.theme_id}
    return [SearchHit(k, i, s, **found[(k, i)]) for k, i, s in hits if (k, i) in found]
