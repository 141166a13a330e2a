"""``vocsvc batch --load``: put a finished batch's rows into the service database as tagged mentions.

Idempotent on (source, external_id) like POST /v1/mentions: a second load adds nothing. Rows keep their
embeddings (when the batch wrote them), so themes and semantic search work without re-encoding. Batch dumps are
history: they get no 72-hour alerts (those are for live mentions through the API); their time is the load time.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import numpy as np

from vocsvc.batch.local import EMB_DIR
from vocsvc.batch.schema import row_to_dict
from vocsvc.clock import utcnow
from vocsvc.settings import Settings
from vocsvc.store.db import engine_for, insert_ignore, pack_vector
from vocsvc.store.migrate import check_migrated
from vocsvc.store.schema import mentions


def load_results(out: Path, settings: Settings, source: str = "batch", channel: str = "review") -> dict:
    import pyarrow.parquet as pq

    from vocsvc.store.themes import current_model

    eng = engine_for(settings.database_url)
    check_migrated(eng)
    model = current_model(eng)
    now = utcnow()
    new = existing = 0
    for shard in sorted(Path(out).glob("part-*.parquet")):
        rows = pq.read_table(shard).to_pylist()
        emb_path = Path(out) / EMB_DIR / f"{shard.stem}.npy"
        X = np.load(emb_path).astype(np.float32) if emb_path.exists() else None
        themes = model.assign_ids(X) if X is not None and model.themes else [None] * len(rows)
        for s in range(0, len(rows), 1000):
            part = rows[s : s + 1000]
            recs = []
            for k, r in enumerate(part, s):
                tags = row_to_dict(r)
                recs.append({
                    "id": str(uuid.uuid4()), "source": source, "external_id": str(r["id"]), "channel": channel,
                    "created_at": now, "ingested_at": now, "author_is_vip": False,
                    "text_redacted": r["text_redacted"],
                    "text_sha256": hashlib.sha256(r["text_redacted"].encode()).hexdigest(), "state": "tagged",
                    "pii": json.dumps(tags.get("pii", [])),
                    "lang": r["lang"], "sentiment": r["sentiment"], "sentiment_score": r["sentiment_score"],
                    "emotion": r["emotion"], "intent": r["intent"], "tags": json.dumps(tags, ensure_ascii=False),
                    "embedding": pack_vector(X[k]) if X is not None else None, "theme_id": themes[k],
                })
            with eng.begin() as c:
                res = c.execute(insert_ignore(c, mentions).returning(mentions.c.id), recs)
                n = len(res.all())
            new += n
            existing += len(recs) - n
    return {"new": new, "existing": existing}
