"""models/train/common.py: the embedding cache the training and evaluation scripts share."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models" / "train"))


class CountingEncoder:
    """Stands in front of a real encoder only to count what reaches it (the cache is what is under test)."""

    name = cache_tag = "e5cx-test"

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def __call__(self, texts):
        self.seen.append(list(texts))
        return self.inner(texts)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    from vocsvc.settings import get_settings

    monkeypatch.setenv("VOCSVC_CACHE_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_embed_cached_reencodes_only_rows_it_has_not_seen(analyzer, cache):
    from common import embed_cached

    enc = CountingEncoder(analyzer.encoder)
    first = ["the parcel never came", "спасибо, всё пришло", "how do I cancel?"]
    X1 = embed_cached(enc, first, "rows")
    assert enc.seen == [first]
    assert np.array_equal(embed_cached(enc, first, "rows"), X1) and len(enc.seen) == 1  # same list: from disk
    grown = [first[1], "card declined twice today", first[0], first[2]]  # a row added, order changed
    X2 = embed_cached(enc, grown, "rows")
    assert enc.seen[-1] == ["card declined twice today"]
    assert np.array_equal(X2[[0, 2, 3]], X1[[1, 0, 2]])
    assert np.allclose(X2[1], analyzer.encoder(["card declined twice today"])[0], atol=1e-6)
    files = sorted(p.name for p in (cache / "embeddings").rglob("rows-*"))
    assert len(files) == 2, files  # the first list's vectors and keys were pruned: the grown one holds its rows
    assert np.array_equal(embed_cached(enc, first, "rows"), X1) and enc.seen[-1] == ["card declined twice today"]
    embed_cached(enc, first, "other-tag")  # another tag never borrows rows
    assert enc.seen[-1] == first
    assert embed_cached(enc, [], "rows").shape[0] == 0
