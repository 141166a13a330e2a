"""Mentions: idempotent insert (one row per source + external_id), tagging writes, reads, the filtered list.

SQL only: the service decides what to write (vocsvc.service.mentions). A mention is ``pending`` until tagging moves
it to ``tagged`` (or ``failed``) with a conditional UPDATE, so a duplicate delivery of the same job writes nothing
and a worker killed mid-run leaves its mentions pending for the next sweep. Rollup counters change in the same
transaction as the row they count.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa

from vocsvc.store.db import insert_ignore
from vocsvc.store.rollups import Deltas
from vocsvc.store.rows import ExportRow, Ingested, MentionRow, NewMention, TagUpdate
from vocsvc.store.schema import alert_mentions, alerts, mention_labels, mentions, theme_edits, themes

_NO_EMBEDDING = [c for c in mentions.c if c.name != "embedding"]
_NO_TAGS = [c if c.name != "tags" else sa.null().label("tags") for c in _NO_EMBEDDING]


_COLUMNS = [f.name for f in fields(NewMention) if f.name not in ("tagged", "pii")]


def _values(m: NewMention) -> dict:
    d = {k: getattr(m, k) for k in _COLUMNS}  # shallow: dataclasses.asdict deep-copies, a third of bulk ingest
    d["pii"] = json.dumps(m.pii)
    d["author_is_vip"] = bool(m.author_is_vip)
    if m.tagged is not None:
        d |= _tag_values(m.tagged)
    return d


def _tag_values(t: TagUpdate) -> dict:
    return {"lang": t.lang, "sentiment": t.sentiment, "sentiment_score": t.sentiment_score, "emotion": t.emotion,
            "intent": t.intent, "tags": json.dumps(t.tags, ensure_ascii=False), "embedding": t.embedding,
            "theme_id": t.theme_id, "model": t.model}


def labels_of(mention_id: str, tags: dict) -> list[dict]:
    """mention_labels rows of one mention's tags: every calibrated intent and every phrase category."""
    pairs = {("intent", i["label"]) for i in tags.get("intents") or []} | {
        ("category", c) for c in tags.get("categories") or []}
    return [{"mention_id": mention_id, "kind": k, "label": v} for k, v in sorted(pairs)]


def insert(engine: sa.Engine, items: list[NewMention]) -> list[Ingested]:
    """Insert what is new, in one transaction; a repeat of (source, external_id) returns the stored mention."""
    if not items:
        return []
    first: dict[tuple[str, str], NewMention] = {}
    for m in items:
        first.setdefault((m.source, m.external_id), m)  # a key twice in one request: the first one counts
    keys = list(first)
    with engine.begin() as c:
        c.execute(insert_ignore(c, mentions), [_values(m) for m in first.values()])
        found = {}
        for s in range(0, len(keys), 400):  # bounded IN lists
            part = keys[s : s + 400]
            q = sa.select(mentions.c.id, mentions.c.source, mentions.c.external_id, mentions.c.state).where(
                sa.tuple_(mentions.c.source, mentions.c.external_id).in_(part))
            for r in c.execute(q):
                found[(r.source, r.external_id)] = r
        deltas, labels = Deltas(), []
        for k, m in first.items():
            if found[k].id == m.id:
                t = m.tagged
                if t is not None:
                    labels += labels_of(m.id, t.tags)
                deltas.mention(created_at=m.created_at, channel=m.channel, source=m.source, product=m.product,
                               lang=t.lang if t else None, nps=m.nps, rating=m.rating,
                               sentiment=t.sentiment if t else None, state=m.state, theme_id=t.theme_id if t else None)
        deltas.apply(c)
        if labels:
            c.execute(mention_labels.insert(), labels)
    out, seen = [], set()
    for m in items:
        k = (m.source, m.external_id)
        r = found[k]
        out.append(Ingested(r.id, r.source, r.external_id, r.id == first[k].id and k not in seen, r.state))
        seen.add(k)
    return out


def pending(engine: sa.Engine, ids: list[str] | None = None, limit: int = 256) -> list[MentionRow]:
    """These ids if still pending, or the oldest pending mentions."""
    q = sa.select(*_NO_EMBEDDING).where(mentions.c.state == "pending")
    q = q.where(mentions.c.id.in_(ids)) if ids is not None else q.order_by(mentions.c.ingested_at).limit(limit)
    with engine.connect() as c:
        return [MentionRow.from_row(r) for r in c.execute(q)]


def pending_ids_before(engine: sa.Engine, before: datetime, limit: int = 1000) -> list[str]:
    with engine.connect() as c:
        return [r.id for r in c.execute(sa.select(mentions.c.id).where(
            mentions.c.state == "pending", mentions.c.ingested_at < before).limit(limit))]


def mark_failed(conn, mention_id: str, error: str) -> bool:
    return conn.execute(mentions.update().where(mentions.c.id == mention_id, mentions.c.state == "pending")
                        .values(state="failed", error=error)).rowcount == 1


def save_tags(conn, row: MentionRow, t: TagUpdate, deltas: Deltas) -> bool:
    """pending -> tagged, only if still pending (False: a concurrent run tagged it first); counts the change."""
    upd = conn.execute(mentions.update().where(mentions.c.id == row.id, mentions.c.state == "pending")
                       .values(state="tagged", **_tag_values(t)))
    if upd.rowcount != 1:
        return False
    labels = labels_of(row.id, t.tags)
    if labels:
        conn.execute(mention_labels.insert(), labels)
    common = dict(created_at=row.created_at, channel=row.channel, source=row.source, product=row.product,
                  nps=row.nps, rating=row.rating)
    deltas.mention(**common, lang=row.lang, sentiment=None, state="pending", theme_id=None, sign=-1)
    deltas.mention(**common, lang=t.lang, sentiment=t.sentiment, state="tagged", theme_id=t.theme_id)
    return True


def _stale(model: str):
    m = mentions.c.model
    return sa.and_(mentions.c.state == "tagged", sa.or_(m.is_(None), m != model))


def models_other_than(engine: sa.Engine, model: str) -> list[str | None]:
    """The other fingerprints that tagged stored mentions (None: tagged before migration 0011), each found by one
    seek in ix_mentions_model: a start-up probe costs the same at a million mentions as at ten."""
    m = mentions.c.model
    out: list[str | None] = []
    with engine.connect() as c:
        if c.execute(sa.select(mentions.c.id).where(m.is_(None), mentions.c.state == "tagged").limit(1)).first():
            out.append(None)
        prev = None
        while (v := c.execute(sa.select(sa.func.min(m)).where(m > prev if prev is not None else m.is_not(None)))
               .scalar()) is not None:
            if v != model:  # only tagging sets a fingerprint: these rows are tagged
                out.append(v)
            prev = v
    return out


def tagged_by(engine: sa.Engine, model: str | None, after_id: str = "", limit: int = 256) -> list[MentionRow]:
    """Mentions this model tagged (None: before migration 0011), in id order after ``after_id``: one range of
    ix_mentions_model (model, state, id) per page, so a pass over millions reads each row once."""
    m = mentions.c.model
    q = (sa.select(*_NO_EMBEDDING).where(m.is_(None) if model is None else m == model, mentions.c.state == "tagged",
                                         mentions.c.id > after_id).order_by(mentions.c.id).limit(limit))
    with engine.connect() as c:
        return [MentionRow.from_row(r) for r in c.execute(q)]


def count_stale(engine: sa.Engine, model: str) -> int:
    """How many tagged mentions another model tagged (a scan of the tagged ones: for `vocsvc retag`, not requests)."""
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(mentions).where(_stale(model))).scalar()


def retag(conn, row: MentionRow, t: TagUpdate, deltas: Deltas) -> bool:
    """Replace a tagged mention's tags, only if nothing that its counts depend on changed since ``row`` was read
    (False: a concurrent retag, a theme re-discovery or merge, a deletion got there first; it stays stale for the
    next run); its labels and its counts move with it."""
    def same(col, v):
        return col.is_(None) if v is None else col == v

    m = mentions.c
    upd = conn.execute(mentions.update().where(
        m.id == row.id, m.state == "tagged", same(m.model, row.model), same(m.theme_id, row.theme_id),
        same(m.sentiment, row.sentiment), same(m.lang, row.lang)).values(**_tag_values(t)))
    if upd.rowcount != 1:
        return False
    conn.execute(mention_labels.delete().where(mention_labels.c.mention_id == row.id))
    labels = labels_of(row.id, t.tags)
    if labels:
        conn.execute(mention_labels.insert(), labels)
    common = {"created_at": row.created_at, "channel": row.channel, "source": row.source, "product": row.product,
              "nps": row.nps, "rating": row.rating, "state": "tagged"}
    deltas.mention(**common, lang=row.lang, sentiment=row.sentiment, theme_id=row.theme_id, sign=-1)
    deltas.mention(**common, lang=t.lang, sentiment=t.sentiment, theme_id=t.theme_id)
    return True


def alerted(conn, ids: list[str]) -> set[str]:
    """Which of these mentions already belong to an alert."""
    if not ids:
        return set()
    q = sa.select(alert_mentions.c.mention_id).where(alert_mentions.c.mention_id.in_(ids))
    return {r.mention_id for r in conn.execute(q)}


def get(engine: sa.Engine, mention_id: str) -> MentionRow | None:
    with engine.connect() as c:
        r = c.execute(sa.select(*_NO_EMBEDDING).where(mentions.c.id == mention_id)).first()
    return MentionRow.from_row(r) if r else None


def count_by_state(engine: sa.Engine, state: str) -> int:
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(mentions).where(mentions.c.state == state)).scalar()


@dataclass(slots=True)
class MentionFilter:
    channel: str | None = None
    source: str | None = None
    lang: str | None = None
    sentiment: str | None = None
    emotion: str | None = None
    intent: str | None = None
    category: str | None = None
    theme_id: str | None = None
    product: str | None = None
    author: str | None = None
    state: str | None = None
    has_alert: bool | None = None
    alert_status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    q: str | None = None


def query(engine: sa.Engine, f: MentionFilter, limit: int, after: tuple[datetime, str] | None = None,
          newest_first: bool = True, with_tags: bool = True) -> list[MentionRow]:
    """One page of mentions matching ``f``, ordered by (created_at, id); ``after`` is the last row of the previous
    page (keyset pagination: a page costs the same at the millionth row as at the first). ``with_tags=False``: rows
    with ``tags`` None (the tags JSON neither read nor parsed)."""
    m = mentions.c
    q = sa.select(*(_NO_EMBEDDING if with_tags else _NO_TAGS))
    for col, val in ((m.channel, f.channel), (m.source, f.source), (m.lang, f.lang), (m.sentiment, f.sentiment),
                     (m.emotion, f.emotion), (m.theme_id, f.theme_id), (m.product, f.product), (m.state, f.state)):
        if val is not None:
            q = q.where(col == val)
    if f.author is not None:
        q = q.where(sa.func.lower(m.author_handle) == f.author.lower())
    if f.start is not None:
        q = q.where(m.created_at >= f.start)
    if f.end is not None:
        q = q.where(m.created_at < f.end)
    for kind, val in (("intent", f.intent), ("category", f.category)):
        if val is not None:  # any calibrated intent, not only the top one
            # EXISTS, not IN: walking the newest mentions and probing the label's primary key stops at a page,
            # where an IN list first materialises every mention with that label (tens of thousands)
            ml = mention_labels.c
            q = q.where(sa.exists().where(ml.mention_id == m.id, ml.kind == kind, ml.label == val))
    if f.q:
        q = q.where(text_match(engine.dialect.name, f.q))
    if f.has_alert is not None or f.alert_status is not None:
        sub = sa.select(alert_mentions.c.mention_id).join(alerts, alerts.c.id == alert_mentions.c.alert_id)
        if f.alert_status is not None:
            sub = sub.where(alerts.c.status == f.alert_status)
        q = q.where(m.id.in_(sub) if f.has_alert is not False else m.id.not_in(sub))
    if after is not None:
        t, i = after
        q = q.where(sa.tuple_(m.created_at, m.id) < sa.tuple_(t, i) if newest_first else
                    sa.tuple_(m.created_at, m.id) > sa.tuple_(t, i))
    order = (m.created_at.desc(), m.id.desc()) if newest_first else (m.created_at, m.id)
    with engine.connect() as c:
        return [MentionRow.from_row(r) for r in c.execute(q.order_by(*order).limit(limit))]


def text_match(dialect: str, words: str):
    """Mentions whose text has every word of ``words`` (the full-text index, not a scan)."""
    from vocsvc.store.search import fts_query

    if dialect == "postgresql":
        return sa.text("mentions.tsv @@ plainto_tsquery('simple', :words)").bindparams(words=words)
    return mentions.c.id.in_(sa.select(sa.column("doc_id")).select_from(sa.text("search_fts")).where(
                                 sa.text("search_fts MATCH :fq AND doc_kind = 'mention'").bindparams(
                                     fq=fts_query(words))))


def export(engine: sa.Engine, start: datetime, end: datetime, channel: str | None) -> Iterator[ExportRow]:
    q = (sa.select(*_NO_EMBEDDING, sa.func.coalesce(theme_edits.c.label, themes.c.label).label("theme_label"), alerts.c.id.label("alert_id"),
                   alerts.c.status.label("alert_status"), alerts.c.priority.label("alert_priority"),
                   alerts.c.due_at.label("alert_due_at"))
         .outerjoin(themes, themes.c.id == mentions.c.theme_id)
         .outerjoin(theme_edits, theme_edits.c.theme_id == mentions.c.theme_id)  # a person's label wins
         .outerjoin(alert_mentions, alert_mentions.c.mention_id == mentions.c.id)
         .outerjoin(alerts, alerts.c.id == alert_mentions.c.alert_id)
         .where(mentions.c.created_at >= start, mentions.c.created_at < end)
         .order_by(mentions.c.created_at, mentions.c.id))
    if channel:
        q = q.where(mentions.c.channel == channel)
    with engine.connect() as c:
        for r in c.execution_options(yield_per=2000).execute(q):
            yield ExportRow(MentionRow.from_row(r), r.theme_label, r.alert_id, r.alert_status, r.alert_priority,
                            r.alert_due_at)
