"""Retag: after a model change (new heads, adapter, lexicon, intents or version), re-run the pipeline over the
mentions an older model tagged, so every stored tag, count and theme comes from one model.

Each mention records the fingerprint of the model that tagged it (``Analyzer.fingerprint``); a pass walks the
tagged mentions whose fingerprint differs in id order, one batch per transaction. A killed run loses nothing: what it
committed carries the new fingerprint, the rest still carries the old one, and the next run goes on from there.
Two runs at once do no harm: each update is conditional on the fingerprint it read.

Alerts: a mention that now needs a reply (negative, a threat category ...) gets an alert as a freshly tagged one
would, when its reply is still due (created within the SLA) and it has none yet; an older one is counted in
``needs_reply_past_sla``, not alerted, so that a model upgrade does not flood the queue with long-overdue alerts.
Alerts already raised stay as they are, whatever the new tags say: a person may be working on them. Rows that
``vocsvc batch --load`` put in are history and got no alert; were a model to change within the SLA of such a load,
``open_alerts=False`` (``vocsvc retag --no-alerts``) keeps them so.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from vocsvc.alerting import decide
from vocsvc.service import alerts
from vocsvc.service.mentions import tag_update
from vocsvc.service.themes import current_model
from vocsvc.store import mentions as store
from vocsvc.store.rollups import Deltas
from vocsvc.types import RowError

__all__ = ["RetagReport", "retag", "count_stale"]


@dataclass(slots=True)
class RetagReport:
    model: str
    stale_before: int = 0  # tagged by another model when the run began
    retagged: int = 0
    unchanged_sentiment: int = 0
    sentiment_moves: Counter = field(default_factory=Counter)  # "neutral->negative": n
    alerts_opened: int = 0
    needs_reply_past_sla: int = 0  # now needs a reply, but its SLA ended before this run: counted, not alerted
    needs_reply: int = 0  # now needs a reply within its SLA, not alerted (open_alerts=False)
    errors: int = 0  # rows the pipeline now refuses (a lower text limit ...): left with their old tags
    skipped: int = 0  # changed by a concurrent run between read and write

    def to_dict(self) -> dict:
        return {"model": self.model, "stale_before": self.stale_before, "retagged": self.retagged,
                "unchanged_sentiment": self.unchanged_sentiment,
                "sentiment_moves": dict(sorted(self.sentiment_moves.items())), "alerts_opened": self.alerts_opened,
                "needs_reply_past_sla": self.needs_reply_past_sla, "needs_reply": self.needs_reply, "errors": self.errors, "skipped": self.skipped}


def _pages(engine: sa.Engine, old: str | None, size: int):
    """Pages of the mentions ``old`` tagged, read one after another (keyset: each row once, however many)."""
    after = ""
    while rows := store.tagged_by(engine, old, after, size):
        after = rows[-1].id
        yield rows


def count_stale(engine: sa.Engine, analyzer) -> int:
    """How many tagged mentions another model tagged."""
    return store.count_stale(engine, analyzer.fingerprint)


def retag(engine: sa.Engine, analyzer, settings, now: datetime, limit: int | None = None, open_alerts: bool = True,
          progress: Callable[[RetagReport], None] | None = None) -> RetagReport:
    """Retag up to ``limit`` (None: all) mentions that another model tagged; ``progress`` after each batch.
    ``open_alerts=False``: count what would need a reply in ``needs_reply``, open nothing."""
    model = analyzer.fingerprint
    rep = RetagReport(model, stale_before=store.count_stale(engine, model))
    themes = current_model(engine)
    sla = timedelta(hours=settings.alert_sla_hours)
    left = limit if limit is not None else rep.stale_before
    size = settings.batch_size * 4
    for rows in (page for old in store.models_other_than(engine, model) for page in _pages(engine, old, size)):
        if left <= 0:
            break
        rows = rows[:left]
        left -= len(rows)
        analysis = analyzer.analyze_full([r.text_redacted for r in rows], [r.id for r in rows])
        theme_ids = themes.assign_ids(analysis.embeddings) if themes.themes else [None] * len(rows)
        deltas = Deltas()
        with engine.begin() as c:
            have_alert = store.alerted(c, [r.id for r in rows])
            for k, (row, res) in enumerate(zip(rows, analysis.results)):
                if isinstance(res, RowError):
                    rep.errors += 1
                    continue
                update = tag_update(row, res, analysis.embeddings[k], theme_ids[k], settings, model)
                if not store.retag(c, row, update, deltas):
                    rep.skipped += 1
                    continue
                rep.retagged += 1
                if row.sentiment == update.sentiment:
                    rep.unchanged_sentiment += 1
                else:
                    rep.sentiment_moves[f"{row.sentiment}->{update.sentiment}"] += 1
                if row.id in have_alert or decide(row, update.tags, settings) is None:
                    continue
                if row.created_at + sla <= now:
                    rep.needs_reply_past_sla += 1
                elif not open_alerts:
                    rep.needs_reply += 1
                elif alerts.consider(c, row, update.tags, settings, now):
                    rep.alerts_opened += 1
            deltas.apply(c)
        if progress:
            progress(rep)
    return rep
