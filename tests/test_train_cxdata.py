"""models/train/cxdata.py and train_heads.fold: how our corpus is split, and the folded multi-seed heads."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models" / "train"))


def test_gap_filling_files_are_training_rows_only_and_general_files_keep_their_cal_rows():
    """Thresholds and epoch choice are tuned on the general files' cal rows (cxdata.GAP_FILLERS says why)."""
    import cxdata

    rows = cxdata.corpus()
    parts = Counter((r.meta["file"], r.part) for r in rows)
    files = {f for f, _ in parts}
    gap = {f for f in files if Path(f).stem.endswith(cxdata.GAP_FILLERS)}
    assert {"train_en_combos.jsonl", "train_ru_you.jsonl", "train_en_openers.jsonl"} <= gap
    assert all(parts[(f, "cal")] == 0 and parts[(f, "fit")] > 0 for f in gap)
    general = {f for f in files if f.startswith("train_") and f not in gap}
    assert general and all(0.08 < parts[(f, "cal")] / (parts[(f, "cal")] + parts[(f, "fit")]) < 0.22 for f in general)
    assert all(f.startswith("test_") for f in files if parts[(f, "test")])
    test_texts = {cxdata._norm(r.text) for r in rows if r.part == "test"}
    assert not any(cxdata._norm(r.text) in test_texts for r in rows if r.part != "test")


def test_third_person_rows_teach_intents_but_not_sentiment_or_emotion():
    """cxdata.INTENTS_ONLY: posts about a company moved the sentiment head on unlike texts, so they train intents only."""
    import cxdata

    rows = [r for r in cxdata.corpus(("fit", "cal")) if Path(r.meta["file"]).stem.endswith(cxdata.INTENTS_ONLY)]
    assert {r.meta["file"] for r in rows} == {"train_en_third.jsonl", "train_ru_third.jsonl"}
    assert all(r.part == "fit" and r.sentiment is None and r.emotion is None for r in rows)
    assert all(r.intent_mask.all() for r in rows) and sum(r.intents.sum() > 0 for r in rows) > 0.8 * len(rows)
    social = [r for r in cxdata.corpus(("fit",)) if r.meta["file"] == "train_en_social.jsonl"]
    assert social and all(r.sentiment is not None for r in social)


def test_folded_heads_give_the_mean_of_their_members_logits():
    import torch
    from train_heads import fold

    torch.manual_seed(0)
    members = [torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                   torch.nn.Dropout(0.1), torch.nn.Linear(16, 3)).eval() for _ in range(3)]
    x = torch.randn(5, 8)
    with torch.no_grad():
        want = torch.stack([m(x) for m in members]).mean(0)
        got = fold(members)(x)
    assert got.shape == (5, 3) and np.allclose(got.numpy(), want.numpy(), atol=1e-5)
    assert fold(members[:1]) is members[0]
