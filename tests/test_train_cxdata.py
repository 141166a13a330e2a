"""models/train/cxdata.py and train_heads.fold: how our corpus is split, and the folded multi-seed heads."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models" / "train"))


def test_gap_filling_files_are_training_rows_only_and_general_files_keep_their_cal_rows():
    """Thresholds and epoch choice are tuned on the general files' cal rows (cxdata.GAP_FILLERS says why)."""
    import cxdata

    rows = cxdata.corpus()
    parts = Counter((r.meta["file"], r.part) for r in rows)
    files = {f for f, _ in parts}
    gap = {f for f in files if Path(f).stem.endswith(cxdata.GAP_FILLERS)}
    assert {"train_en_combos.jsonl", "train_ru_you.jsonl", "train_en_openers.jsonl", "train_ru_stance.jsonl",
            "train_en_vent.jsonl", "train_ru_vent.jsonl"} <= gap
    assert all(parts[(f, "cal")] == 0 and parts[(f, "fit")] > 0 for f in gap)
    general = {f for f in files if f.startswith("train_") and f not in gap}
    assert general and all(0.08 < parts[(f, "cal")] / (parts[(f, "cal")] + parts[(f, "fit")]) < 0.22 for f in general)
    assert all(f.startswith("test_") for f in files if parts[(f, "test")])
    test_texts = {cxdata._norm(r.text) for r in rows if r.part == "test"}
    assert not any(cxdata._norm(r.text) in test_texts for r in rows if r.part != "test")


def test_posts_about_a_company_and_stance_rows_teach_sentiment_too():
    """Session 12: `_third` (posts about a company) and `_stance` (prices, speeds, solved problems told by the
    author's stance) train every head; Russian facts and praise about a bank or operator came out negative."""
    import cxdata

    rows = [r for r in cxdata.corpus(("fit", "cal")) if Path(r.meta["file"]).stem.endswith(("_third", "_stance"))]
    files = Counter(r.meta["file"] for r in rows)
    assert set(files) == {f"train_{lang}_{s}.jsonl" for lang in ("en", "ru") for s in ("third", "stance")}
    assert all(r.part == "fit" and r.sentiment is not None and r.intent_mask.all() for r in rows)
    sent = Counter(r.sentiment for r in rows if r.meta["file"].endswith("_stance.jsonl"))
    assert min(sent.values()) > 0.25 * sum(sent.values())  # every stance on the same topics
    assert sum(r.emotion is not None for r in rows) > 0.5 * len(rows)


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


@pytest.mark.parametrize("probe, n", [("dev", 240), ("vent", 80)])
def test_probes_are_valid_and_never_training_rows(probe, n):
    """models/data/dev_probe chooses between variants and vent_probe measures one failure class (session 13); both
    must stay out of every fit and cal row."""
    import cxdata
    import devprobe

    sys.path.insert(0, str(cxdata.CORPUS))
    import validate

    seen: dict[str, str] = {}
    for lang in ("en", "ru"):
        problems, rows = validate.check_file(devprobe.MODELS / "data" / devprobe.FILES[probe].format(lang=lang), seen)
        assert not problems and len(rows) == n
        if probe == "dev":
            assert Counter(r["sentiment"] for r in rows) == {"negative": 80, "neutral": 80, "positive": 80}
        else:
            assert Counter(r["sentiment"] for r in rows) == {"negative": 40, "neutral": 20, "positive": 20}

    def key(text: str) -> str:  # "@Brand 🤬🤬" and "@Brand 👋" are two texts, though their words are the same
        words = cxdata._norm(text)
        return words if " " in words else text.lower().strip()

    texts = {key(r["text"]) for lang in ("en", "ru") for r in devprobe.rows(lang, probe)}
    assert not any(key(r.text) in texts for r in cxdata.corpus(("fit", "cal")))


def test_dev_probe_score_counts_false_alarms_and_intents():
    import devprobe

    gold = [{"sentiment": s, "intents": i} for s, i in
            [("negative", ["complaint"]), ("negative", ["complaint", "billing"]), ("neutral", ["question"]),
             ("positive", ["praise"])]]
    tags = [{"sentiment": {"label": s}, "intents": [{"label": x} for x in i]} for s, i in
            [("negative", ["complaint"]), ("neutral", ["billing"]), ("negative", ["question"]), ("positive", [])]]
    m = devprobe.score(gold, tags, [True, False, True, False])
    assert m["negative_recall"] == 0.5 and m["negative_precision"] == 0.5
    assert m["alert_share_negative"] == 0.5 and m["alert_share_other"] == 0.5
    assert m["intents_micro_f1"] == 0.75  # 3 found, 2 missed, none extra
    assert m["confusion"] == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
