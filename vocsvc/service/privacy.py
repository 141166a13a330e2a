"""Data-subject deletion and retention: the rows go in one transaction per batch (rollups uncounted with them), the
recording files after it commits, and each deletion is recorded in the audit log with a receipt (counts, no
subject)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from vocsvc.errors import InvalidInput
from vocsvc.service.audit import record
from vocsvc.store import privacy as store
from vocsvc.store.privacy import Removed

log = logging.getLogger("vocsvc")
BATCH = 2000  # rows per transaction in a purge: short transactions, so ingest never waits long


@dataclass(slots=True)
class Receipt:
    id: str
    subject: str  # "customer" | "author"
    at: datetime
    rows: dict[str, int]
    files: int


def _unlink(paths: list[str], data_dir: Path) -> int:
    """Remove recording files; only inside the data dir (a server-side source recording of an admin is theirs)."""
    root = Path(data_dir).resolve()
    n = 0
    for p in paths:
        path = Path(p)
        try:
            if path.resolve().is_relative_to(root) and path.exists():
                path.unlink()
                n += 1
        except OSError:
            log.warning("could not remove a recording file during deletion", exc_info=True)
    return n


def _forget(svc) -> None:
    """The semantic index holds a copy of every embedding: make it reload before the next search."""
    index = svc.__dict__.get("semantic")  # only if this process built one
    if index is not None and hasattr(index, "invalidate"):
        index.invalidate()


def delete_subject(svc, actor_id: str | None, *, customer_id: str | None = None, author: str | None = None,
                   source: str | None = None) -> Receipt:
    """Every mention, call, recording, utterance, embedding, search row, alert link and theme assignment of one
    person (a customer id, or an author handle across sources unless ``source`` is given)."""
    if customer_id is not None and not customer_id.strip() or author is not None and not author.strip():
        raise InvalidInput("an empty id or handle names nobody")
    subject = "customer" if customer_id is not None else "author"
    out = Removed()
    with svc.engine.begin() as c:
        ids = store.mention_ids(c, customer_id=customer_id, author=author, source=source)
        out.add(store.delete_mentions(c, ids))
        if customer_id is not None:
            out.add(store.delete_calls(c, store.call_ids(c, customer_id=customer_id)))
    files = _unlink(out.files, svc.settings.data_dir)
    _forget(svc)
    receipt = Receipt(uuid.uuid4().hex, subject, svc.clock.now(), dict(sorted(out.rows.items())), files)
    record(svc, actor_id, f"{subject}.delete", "receipt", receipt.id, 200,
           detail={"rows": receipt.rows, "files": files, **({"source": source} if source else {})})
    return receipt


def purge(svc, now: datetime) -> dict[str, int]:
    """Apply the retention settings (unset: keep). Batched, so a first purge of years of data does not hold one
    transaction for minutes; each batch is exact on its own."""
    s = svc.settings
    done = {"mentions": 0, "calls": 0, "audio_calls": 0, "files": 0}
    if s.retention_days_mentions:
        before = now - timedelta(days=s.retention_days_mentions)
        while True:
            with svc.engine.begin() as c:
                ids = store.mention_ids(c, before=before, limit=BATCH)
                store.delete_mentions(c, ids)
            done["mentions"] += len(ids)
            if len(ids) < BATCH:
                break
    if s.retention_days_transcripts:
        before = now - timedelta(days=s.retention_days_transcripts)
        while True:
            with svc.engine.begin() as c:
                ids = store.call_ids(c, before=before, limit=BATCH)
                removed = store.delete_calls(c, ids)
            done["calls"] += len(ids)
            done["files"] += _unlink(removed.files, s.data_dir)
            if len(ids) < BATCH:
                break
    if s.retention_days_audio:
        before = now - timedelta(days=s.retention_days_audio)
        while True:
            with svc.engine.begin() as c:
                rows = store.audio_expired(c, before, BATCH)
                files = store.mark_audio_deleted(c, [r[0] for r in rows], now)
            done["audio_calls"] += len(rows)
            done["files"] += _unlink(files, s.data_dir)
            if len(rows) < BATCH:
                break
    if any(done.values()):
        _forget(svc)
        record(svc, None, "retention.purge", detail=done, at=now)
    return done
