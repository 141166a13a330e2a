"""The batch output schema: the analyze JSON contract as typed Arrow columns (no JSON strings where the type is
fixed), one row per input row that could be analysed."""
from __future__ import annotations

import pyarrow as pa

from vocsvc.types import RowError, Tags

_LABEL = pa.struct([("label", pa.string()), ("score", pa.float32())])

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("lang", pa.string()),
        ("lang_confidence", pa.float32()),
        ("text_redacted", pa.string()),
        ("pii", pa.list_(pa.struct([("type", pa.string()), ("start", pa.int32()), ("end", pa.int32())]))),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float32()),
        ("emotion", pa.string()),
        ("emotions", pa.list_(_LABEL)),
        ("intent", pa.string()),  # the top intent, for easy filtering; all of them are in `intents`
        ("intents", pa.list_(_LABEL)),
        ("categories", pa.list_(pa.string())),
        ("keywords", pa.list_(pa.string())),
        ("entities", pa.list_(pa.struct([("text", pa.string()), ("label", pa.string())]))),
    ]
)

ERROR_SCHEMA = pa.schema([("id", pa.string()), ("error", pa.string())])


def tags_table(results: list[Tags | RowError]) -> tuple[pa.Table, pa.Table]:
    """(good rows in SCHEMA, bad rows in ERROR_SCHEMA), input order kept within each."""
    cols: dict[str, list] = {f.name: [] for f in SCHEMA}
    errs: dict[str, list] = {"id": [], "error": []}
    for r in results:
        if isinstance(r, RowError):
            errs["id"].append(r.id)
            errs["error"].append(r.error)
            continue
        cols["id"].append(r.id)
        cols["lang"].append(r.lang)
        cols["lang_confidence"].append(r.lang_confidence)
        cols["text_redacted"].append(r.text_redacted)
        cols["pii"].append([{"type": p.type, "start": p.start, "end": p.end} for p in r.pii])
        cols["sentiment"].append(r.sentiment.label if r.sentiment else None)
        cols["sentiment_score"].append(r.sentiment.score if r.sentiment else None)
        cols["emotion"].append(r.emotion)
        cols["emotions"].append([{"label": x.label, "score": x.score} for x in r.emotions])
        cols["intent"].append(r.intents[0].label if r.intents else None)
        cols["intents"].append([{"label": x.label, "score": x.score} for x in r.intents])
        cols["categories"].append(list(r.categories))
        cols["keywords"].append(list(r.keywords))
        cols["entities"].append([{"text": e.text, "label": e.label} for e in r.entities])
    return pa.Table.from_pydict(cols, schema=SCHEMA), pa.Table.from_pydict(errs, schema=ERROR_SCHEMA)


def row_to_dict(row: dict) -> dict:
    """A row read back from the shards, in the ``vocsvc analyze`` JSON shape (for --load and comparisons)."""
    return {
        "id": row["id"],
        "lang": row["lang"],
        "text_redacted": row["text_redacted"],
        "pii": row["pii"],
        "sentiment": None if row["sentiment"] is None else {"label": row["sentiment"], "score": row["sentiment_score"]},
        "emotion": row["emotion"],
        "emotions": row["emotions"],
        "intents": row["intents"],
        "categories": row["categories"],
        "keywords": row["keywords"],
        "entities": row["entities"],
    }
