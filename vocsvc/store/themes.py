"""Themes in the service database: the active model's rows, document embeddings for discovery, theme ids of
documents, the per-day counts statistics are made of (rollups for whole days, rows for the edges), NPS / rating
counters per theme, and people's edits (labels, merges: ``theme_edits``, which re-discovery leaves alone). SQL
only: discovery and the statistics themselves are vocsvc.themes / vocsvc.service.themes."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import sqlalchemy as sa

from vocsvc.store.db import connection
from vocsvc.store.rollups import SCORE_COUNTERS, THEME_COUNTERS, documents_select, rebuild_themes, score_sums
from vocsvc.store.rows import ExampleRow, ThemeCounts, ThemeDocRow, ThemeRow
from vocsvc.store.schema import mentions, theme_day_rollup, theme_edits, theme_rollup, themes, utterances
from vocsvc.store.timespan import split_days


def active_signature(engine: sa.Engine | sa.Connection) -> tuple:
    """Changes when the active themes or the merges change (merges are only ever added: a count and the newest
    edit time tell them apart)."""
    e = theme_edits.c
    merged = sa.select(sa.func.count(), sa.func.max(e.updated_at)).where(e.merged_into.is_not(None)).subquery()
    with connection(engine) as c:
        return tuple(c.execute(sa.select(sa.func.count(), sa.func.max(themes.c.updated_at),
                                         sa.select(merged.c[0]).scalar_subquery(),
                                         sa.select(merged.c[1]).scalar_subquery())
                               .where(themes.c.active.is_(True))).one())


def active(engine: sa.Engine | sa.Connection) -> list[ThemeRow]:
    with connection(engine) as c:
        return [ThemeRow.from_row(r) for r in c.execute(
            sa.select(themes).where(themes.c.active.is_(True)).order_by(themes.c.size.desc()))]


def _with_edits() -> sa.Select:
    return sa.select(themes, theme_edits.c.label.label("user_label"), theme_edits.c.merged_into) \
        .outerjoin(theme_edits, theme_edits.c.theme_id == themes.c.id)


def get(engine: sa.Engine | sa.Connection, theme_id: str) -> ThemeRow | None:
    with connection(engine) as c:
        r = c.execute(_with_edits().where(themes.c.id == theme_id)).first()
    return ThemeRow.from_row(r) if r else None


def by_ids(engine: sa.Engine | sa.Connection, ids: list[str]) -> dict[str, ThemeRow]:
    if not ids:
        return {}
    with connection(engine) as c:
        return {r.id: ThemeRow.from_row(r) for r in c.execute(_with_edits().where(themes.c.id.in_(ids)))}


def merges(engine: sa.Engine | sa.Connection) -> dict[str, str]:
    """{theme id: the theme it was merged into}, as people merged them (chains unresolved)."""
    e = theme_edits.c
    with connection(engine) as c:
        return dict(c.execute(sa.select(e.theme_id, e.merged_into).where(e.merged_into.is_not(None))).all())


def _upsert_edit(c, theme_id: str, values: dict) -> None:
    if c.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    c.execute(insert(theme_edits).values(theme_id=theme_id, **values)
              .on_conflict_do_update(index_elements=["theme_id"], set_=values))


def rename(engine: sa.Engine, theme_id: str, label: str | None, actor: str, now: datetime) -> None:
    """Set (None: drop) a theme's own label; the discovered label stays in ``themes``."""
    with engine.begin() as c:
        _upsert_edit(c, theme_id, {"label": label, "updated_at": now, "updated_by": actor})


def merge(engine: sa.Engine, theme_id: str, into_id: str, sources: list[str], target: str, actor: str,
          now: datetime) -> int:
    """Record ``theme_id`` merged into ``into_id``, move the documents of ``sources`` (the theme and any merged
    into it) to ``target`` (where ``into_id``'s chain ends) and recount the theme rollups, in one transaction.
    Returns how many documents moved."""
    moved = 0
    with engine.begin() as c:
        _upsert_edit(c, theme_id, {"merged_into": into_id, "updated_at": now, "updated_by": actor})
        for table in (mentions, utterances):
            moved += c.execute(table.update().where(table.c.theme_id.in_(sources)).values(theme_id=target)).rowcount
        rebuild_themes(c)
    return moved


def save_active(engine: sa.Engine, rows: list[ThemeRow], now: datetime) -> None:
    """Make exactly these themes the active ones; ids seen before keep their first_seen."""
    with engine.begin() as c:
        first_seen = dict(c.execute(sa.select(themes.c.id, themes.c.first_seen)).all())
        c.execute(themes.update().values(active=False, updated_at=now))
        for t in rows:
            vals = dict(label=t.label, keyphrases=json.dumps(t.keyphrases, ensure_ascii=False), centroid=t.centroid,
                        floor=t.floor, size=t.size, active=True, updated_at=now)
            if t.id in first_seen:
                c.execute(themes.update().where(themes.c.id == t.id).values(**vals))
            else:
                c.execute(themes.insert().values(id=t.id, first_seen=now, **vals))


def document_count(engine: sa.Engine) -> int:
    with engine.connect() as c:
        n = c.execute(sa.select(sa.func.count()).select_from(mentions).where(mentions.c.state == "tagged")).scalar()
        return n + c.execute(sa.select(sa.func.count()).select_from(utterances)
                             .where(utterances.c.speaker != "agent")).scalar()


def documents(engine: sa.Engine) -> Iterator[tuple[bytes | None, list[str]]]:
    """(embedding blob, keywords) of every themable document, oldest first."""
    q1 = sa.select(mentions.c.id, mentions.c.embedding, mentions.c.tags, mentions.c.created_at) \
        .where(mentions.c.state == "tagged", mentions.c.embedding.is_not(None))
    q2 = sa.select(utterances.c.id, utterances.c.embedding, utterances.c.tags, utterances.c.created_at) \
        .where(utterances.c.speaker != "agent", utterances.c.embedding.is_not(None))
    u = sa.union_all(q1, q2).subquery()
    with engine.connect() as c:
        for r in c.execution_options(yield_per=5000).execute(sa.select(u).order_by(u.c.created_at, u.c.id)):
            yield r.embedding, (json.loads(r.tags) if r.tags else {}).get("keywords", [])


def embedding_chunks(engine: sa.Engine, chunk: int = 5000) -> Iterator[tuple[str, list[str], list[bytes]]]:
    """(table name, ids, embedding blobs) of every themable document, in id order, a chunk at a time."""
    for table, cond in ((mentions, mentions.c.state == "tagged"), (utterances, utterances.c.speaker != "agent")):
        last = ""
        while True:
            with engine.connect() as c:
                rows = c.execute(sa.select(table.c.id, table.c.embedding).where(
                    cond, table.c.id > last, table.c.embedding.is_not(None)).order_by(table.c.id).limit(chunk)).all()
            if not rows:
                break
            last = rows[-1].id
            yield table.name, [r.id for r in rows], [r.embedding for r in rows]


def set_theme_ids(engine: sa.Engine, table_name: str, pairs: list[tuple[str, str | None]]) -> None:
    table = {"mentions": mentions, "utterances": utterances}[table_name]
    with engine.begin() as c:
        c.execute(table.update().where(table.c.id == sa.bindparam("_id")).values(theme_id=sa.bindparam("_t")),
                  [{"_id": i, "_t": t} for i, t in pairs])


def recount(engine: sa.Engine) -> None:
    with engine.begin() as c:
        rebuild_themes(c)


def day_counts(engine: sa.Engine | sa.Connection, start: datetime, end: datetime, channel: str | None = None,
               lang: str | None = None, product: str | None = None, exact: bool = False,
               per_day: bool = True, scores: bool = False) -> list[ThemeCounts]:
    """Documents per (theme, day) in [start, end) (``per_day=False``: per theme, day ''): rollups for whole days,
    rows for partial days at the edges (``exact``: rows only, the full recount the rollups are tested against).
    ``scores``: with the NPS answers (promoters 9-10, detractors 0-6) and 1-5 ratings (satisfied: 4-5) of the
    documents, read in the same pass (calls have none). Counts of one key may come in several parts (rollup and
    edges): callers add them up."""
    counters = THEME_COUNTERS + (SCORE_COUNTERS if scores else ())
    days, edges = split_days(start, end, exact)
    out: list[ThemeCounts] = []
    with connection(engine) as c:
        if days:
            filtered = channel is not None or lang is not None or product is not None
            t = theme_rollup.c if filtered else theme_day_rollup.c
            day = t.day if per_day else sa.literal("")
            if not filtered and per_day:  # one row per (day, theme) already: no grouping, no sort
                q = sa.select(t.theme_id, t.day, *[t[x] for x in counters])
            else:
                keys = [t.theme_id, t.day] if per_day else [t.theme_id]
                q = sa.select(t.theme_id, day, *[sa.func.sum(t[x]) for x in counters]).group_by(*keys)
            q = q.where(t.day >= days[0], t.day < days[1])
            if filtered:
                for col, val in ((t.channel, channel), (t.lang, lang), (t.product, product)):
                    if val is not None:
                        q = q.where(col == val)
            out += [ThemeCounts(r[0] or None, r[1], *[int(v) for v in r[2:]]) for r in c.execute(q)]
        for lo, hi in edges:
            d = documents_select(c.dialect.name)
            one = sa.literal(1)
            day = d.c.day if per_day else sa.literal("")
            q = sa.select(d.c.theme_id, day, sa.func.count(),
                          sa.func.sum(sa.case((d.c.sentiment == "positive", one), else_=0)),
                          sa.func.sum(sa.case((d.c.sentiment == "negative", one), else_=0)),
                          *(score_sums(d.c.nps, d.c.rating) if scores else ())).where(
                d.c.created_at >= lo, d.c.created_at < hi).group_by(*([d.c.theme_id, d.c.day] if per_day
                                                                      else [d.c.theme_id]))
            for col, val in ((d.c.channel, channel), (d.c.lang, lang), (d.c.product, product)):
                if val is not None:
                    q = q.where(col == val)
            out += [ThemeCounts(r[0] or None, r[1], *[int(v or 0) for v in r[2:]]) for r in c.execute(q)]
    return out


def channel_counts(engine: sa.Engine | sa.Connection, theme_ids: list[str], start: datetime, end: datetime,
                   exact: bool = False) -> dict[str, list[int]]:
    """{channel: [documents, positive, negative]} of these themes in [start, end): one theme's channel split."""
    days, edges = split_days(start, end, exact)
    out: dict[str, list[int]] = {}

    def add(ch, vals) -> None:
        acc = out.setdefault(ch, [0, 0, 0])
        for i, v in enumerate(vals):
            acc[i] += int(v or 0)

    with connection(engine) as c:
        if days:
            t = theme_rollup.c
            for r in c.execute(sa.select(t.channel, sa.func.sum(t.n), sa.func.sum(t.pos), sa.func.sum(t.neg))
                               .where(t.theme_id.in_(theme_ids), t.day >= days[0], t.day < days[1])
                               .group_by(t.channel)):
                add(r[0], r[1:])
        one = sa.literal(1)
        for lo, hi in edges:
            d = documents_select(c.dialect.name)
            for r in c.execute(sa.select(d.c.channel, sa.func.count(),
                                         sa.func.sum(sa.case((d.c.sentiment == "positive", one), else_=0)),
                                         sa.func.sum(sa.case((d.c.sentiment == "negative", one), else_=0)))
                               .where(d.c.theme_id.in_(theme_ids), d.c.created_at >= lo, d.c.created_at < hi)
                               .group_by(d.c.channel)):
                add(r[0], r[1:])
    return {k: v for k, v in out.items() if v[0]}


_EXAMPLES: dict[tuple[int, int], sa.CompoundSelect | sa.Select] = {}


def _examples_statement(n: int, k: int):
    """The examples statement for ``n`` themes and ``k`` each, built once per shape: building 20 LIMIT subqueries
    costs more Python than running them. The length bounds are literals so that PostgreSQL's statistics on
    length(text_redacted) (migration 0010) estimate them in a generic plan as well."""
    stmt = _EXAMPLES.get((n, k))
    if stmt is None:
        m = mentions.c
        readable = sa.func.length(m.text_redacted).between(sa.literal_column("20"), sa.literal_column("400"))
        parts = [sa.select(m.theme_id, m.id, m.channel, m.text_redacted, m.sentiment, m.created_at)
                 .where(m.theme_id == sa.bindparam(f"t{i}"), m.created_at >= sa.bindparam("start"),
                        m.created_at < sa.bindparam("end"), readable)
                 .order_by(m.created_at.desc()).limit(k).subquery() for i in range(n)]
        stmt = sa.union_all(*[sa.select(p) for p in parts]) if n > 1 else sa.select(parts[0])
        _EXAMPLES[(n, k)] = stmt
    return stmt


def examples(engine: sa.Engine | sa.Connection, theme_ids: list[str], start: datetime, end: datetime, k: int = 3
             ) -> dict[str, list[ExampleRow]]:
    """The newest ``k`` readable mentions of each theme in the period: one statement of per-theme LIMIT queries
    (each walks the (theme_id, created_at) index backwards), not one round trip per theme."""
    got: dict[str, list[tuple[datetime, ExampleRow]]] = {t: [] for t in theme_ids}
    if not theme_ids:
        return {}
    params = {"start": start, "end": end} | {f"t{i}": t for i, t in enumerate(theme_ids)}
    with connection(engine) as c:
        for r in c.execute(_examples_statement(len(theme_ids), k), params):
            got[r.theme_id].append((r.created_at, ExampleRow(r.id, r.channel, r.text_redacted, r.sentiment)))
    # a UNION ALL keeps no order of its parts' rows: newest first again, per theme
    return {t: [e for _, e in sorted(rows, key=lambda x: x[0], reverse=True)] for t, rows in got.items()}


def theme_documents(engine: sa.Engine, theme_id: str | list[str], start: datetime, end: datetime, limit: int,
                    offset: int) -> tuple[list[ThemeDocRow], int]:
    """Documents of a theme (or of several: a theme and those merged into it) in the period, newest first."""
    ids = [theme_id] if isinstance(theme_id, str) else theme_id
    m = sa.select(sa.literal("mention").label("kind"), mentions.c.id, mentions.c.channel, mentions.c.created_at,
                  mentions.c.text_redacted, mentions.c.sentiment).where(
        mentions.c.theme_id.in_(ids), mentions.c.created_at >= start, mentions.c.created_at < end)
    u = sa.select(sa.literal("utterance").label("kind"), utterances.c.id, sa.literal("call").label("channel"),
                  utterances.c.created_at, utterances.c.text_redacted, utterances.c.sentiment).where(
        utterances.c.theme_id.in_(ids), utterances.c.created_at >= start, utterances.c.created_at < end)
    un = sa.union_all(m, u).subquery()
    with engine.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(un)).scalar()
        rows = c.execute(sa.select(un).order_by(un.c.created_at.desc(), un.c.id).limit(limit).offset(offset)).all()
    return [ThemeDocRow(r.kind, r.id, r.channel, r.created_at, r.text_redacted, r.sentiment) for r in rows], total


def centroid_bytes(v: np.ndarray) -> bytes:
    return np.asarray(v, np.float32).tobytes()


def last_update(engine: sa.Engine) -> datetime | None:
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.max(themes.c.updated_at))).scalar()
