"""`vocsvc batch --load`: batch rows become tagged mentions in the service database, once."""
import json

import sqlalchemy as sa
from dumps import write_dump

from vocsvc.batch.load import load_results
from vocsvc.batch.local import BatchOptions, run_local


def test_load_is_idempotent_and_keeps_embeddings(tmp_path, review_texts, fast_settings):
    from vocsvc.store.db import engine_for, unpack_vectors
    from vocsvc.store.migrate import upgrade
    from vocsvc.store.schema import mentions

    src = tmp_path / "d.csv"
    write_dump(src, review_texts[:60], "csv")  # rows 37 is bad
    out = tmp_path / "out"
    run_local(BatchOptions((str(src),), out, "body", "review_id", chunk_rows=25, workers=1, embeddings=True,
                           progress=False), fast_settings)
    s = fast_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'v.db'}"})
    eng = engine_for(s.database_url)
    upgrade(eng)
    assert load_results(out, s) == {"new": 59, "existing": 0}
    assert load_results(out, s) == {"new": 0, "existing": 59}
    with eng.connect() as c:
        rows = c.execute(sa.select(mentions).order_by(mentions.c.external_id)).all()
    assert len(rows) == 59 and {r.state for r in rows} == {"tagged"} and {r.source for r in rows} == {"batch"}
    from vocsvc.analyzer import Analyzer

    assert {r.model for r in rows} == {Analyzer(fast_settings).fingerprint}  # retag knows which model tagged them
    r0 = next(r for r in rows if r.external_id == "r0")
    assert json.loads(r0.tags)["lang"] == r0.lang and r0.sentiment in ("positive", "neutral", "negative")
    X = unpack_vectors([r.embedding for r in rows])
    assert X.shape == (59, 512) and abs(float((X * X).sum(1).mean()) - 1) < 0.01
