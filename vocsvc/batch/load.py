"""``vocsvc batch --load``: put a finished batch's rows into the service database as tagged mentions.

Idempotent on (source, external_id) like POST /v1/mentions, and written by the same constructor and store call
(vocsvc.service.mentions.new_mention -> vocsvc.store.mentions.insert), so rollups and labels follow. Rows keep their
embeddings (when the batch wrote them), so themes and semantic search work without re-encoding. Batch dumps are
history: they get no 72-hour alerts (those are for live mentions through the API); their time is the load time.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vocsvc.batch.local import EMB_DIR, MANIFEST
from vocsvc.batch.schema import row_to_dict
from vocsvc.clock import utcnow
from vocsvc.service.mentions import new_mention, sha256_text
from vocsvc.service.themes import current_model
from vocsvc.settings import Settings
from vocsvc.store import mentions as store
from vocsvc.store.db import engine_for, pack_vector
from vocsvc.store.migrate import check_migrated
from vocsvc.store.rows import TagUpdate


def load_results(out: Path, settings: Settings, source: str = "batch", channel: str = "review") -> dict:
    import pyarrow.parquet as pq

    eng = engine_for(settings.database_url)
    check_migrated(eng)
    model = current_model(eng)
    manifest = Path(out) / MANIFEST
    # the model that tagged these shards; None (an older run's manifest): retag will redo them
    tagged_by = json.loads(manifest.read_text(encoding="utf-8")).get("models", {}).get("fingerprint") \
        if manifest.exists() else None
    now = utcnow()
    new = existing = 0
    for shard in sorted(Path(out).glob("part-*.parquet")):
        rows = pq.read_table(shard).to_pylist()
        emb_path = Path(out) / EMB_DIR / f"{shard.stem}.npy"
        X = np.load(emb_path).astype(np.float32) if emb_path.exists() else None
        themes = model.assign_ids(X) if X is not None and model.themes else [None] * len(rows)
        for s in range(0, len(rows), 1000):
            items = []
            for k, r in enumerate(rows[s : s + 1000], s):
                tags = row_to_dict(r)
                items.append(new_mention(
                    source=source, external_id=str(r["id"]), channel=channel, created_at=now, now=now,
                    text_redacted=r["text_redacted"],
                    # shards of older versions have no hash of the original: the redacted text's then
                    text_sha256=r.get("text_sha256") or sha256_text(r["text_redacted"]), pii=tags.get("pii", []),
                    state="tagged", tagged=TagUpdate(
                        lang=r["lang"], sentiment=r["sentiment"], sentiment_score=r["sentiment_score"],
                        emotion=r["emotion"], intent=r["intent"], tags=tags,
                        embedding=pack_vector(X[k]) if X is not None else None, theme_id=themes[k],
                        model=tagged_by)))
            res = store.insert(eng, items)
            n = sum(r.created for r in res)
            new += n
            existing += len(res) - n
    return {"new": new, "existing": existing}
