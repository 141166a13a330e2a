"""Score the whole pipeline on the dev probe (`models/data/dev_probe/`): public tweets to and about companies.

    python models/train/devprobe.py                                   # the default encoder and its shipped heads
    python models/train/devprobe.py --encoder usem3
    python models/train/devprobe.py --heads-dir /tmp/variant/heads/e5cx --errors   # a variant; list misread texts
    python models/train/devprobe.py --probe vent                      # the venting probe (models/data/vent_probe/)

Prints per language: sentiment macro-F1 (and per class), precision and recall of negative, the share of negative
posts that raise a 72-hour alert and of the other posts that raise one anyway (false alarms for the social-care
team), intents micro-F1, and the sentiment confusion; on every row and on the rows no training brief paraphrased
(``touched.txt``; ``*`` marks those in ``--errors``). The dev probe is for choosing between variants and finding
failure classes; it is never trained on (its README says why its scores flatter the variant chosen).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from common import MODELS

PROBE = MODELS / "data" / "dev_probe"
# name -> file of one language: the dev probe (a cross-section of mentions) and, since session 13, the venting probe
# (rude or rhetorical posts with no problem described, and controls in the same words; its README says why)
FILES = {"dev": "dev_probe/dev_{lang}_tweets.jsonl", "vent": "vent_probe/vent_{lang}.jsonl"}
LABELS = ("negative", "neutral", "positive")


def touched() -> set[str]:
    """Ids of dev-probe rows a training brief later paraphrased (``touched.txt``): their scores are not clean."""
    path = PROBE / "touched.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def rows(lang: str, probe: str = "dev") -> list[dict]:
    path = MODELS / "data" / FILES[probe].format(lang=lang)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(gold: list[dict], tags: list[dict], fired: list[bool]) -> dict:
    y = np.array([LABELS.index(r["sentiment"]) for r in gold])
    yh = np.array([LABELS.index(t["sentiment"]["label"]) for t in tags])
    f1 = []
    for c in range(3):
        tp, fp, fn = ((y == c) & (yh == c)).sum(), ((y != c) & (yh == c)).sum(), ((y == c) & (yh != c)).sum()
        f1.append(2 * tp / max(1, 2 * tp + fp + fn))
    neg, fired_a = y == 0, np.array(fired)
    tp = fp = fn = 0
    for r, t in zip(gold, tags):
        g, h = set(r["intents"]), {i["label"] for i in t["intents"]}
        tp, fp, fn = tp + len(g & h), fp + len(h - g), fn + len(g - h)
    conf = np.zeros((3, 3), int)
    np.add.at(conf, (y, yh), 1)
    return {"rows": len(gold), "sentiment_macro_f1": round(float(np.mean(f1)), 3),
            "f1_per_class": [round(float(v), 3) for v in f1],
            "negative_precision": round(float((y[yh == 0] == 0).mean()) if (yh == 0).any() else 0.0, 3),
            "negative_recall": round(float((yh[neg] == 0).mean()), 3),
            "alert_share_negative": round(float(fired_a[neg].mean()), 3),
            "alert_share_other": round(float(fired_a[~neg].mean()), 3),
            "intents_micro_f1": round(2 * tp / max(1, 2 * tp + fp + fn), 3), "confusion": conf.tolist()}


def measure(settings, probe: str = "dev", analyzer=None) -> tuple[dict, dict]:
    """Run the pipeline (``analyzer``, or one built from ``settings``) on both files of ``probe``: (``score`` per
    ``en``, ``en_untouched``, ``ru``, ``ru_untouched``; per language the rows and their tags, for listing errors)."""
    from vocsvc.alerting import reasons_for
    from vocsvc.analyzer import Analyzer

    analyzer, seen, out, tagged = analyzer or Analyzer(settings), touched(), {}, {}
    for lang in ("en", "ru"):
        gold = rows(lang, probe)
        tags = [t.to_dict() for t in analyzer.analyze([r["text"] for r in gold])]
        fired = [bool(reasons_for(r["channel"], t, None, settings)) for r, t in zip(gold, tags)]
        keep = [i for i, r in enumerate(gold) if r["id"] not in seen]
        out[lang] = score(gold, tags, fired)
        out[f"{lang}_untouched"] = score([gold[i] for i in keep], [tags[i] for i in keep], [fired[i] for i in keep])
        tagged[lang] = (gold, tags)
    return out, tagged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=None, help="default: the settings' encoder")
    ap.add_argument("--heads-dir", default=None, help="a folder holding sentiment/intent_cx/emotion heads")
    ap.add_argument("--errors", action="store_true", help="list every text whose sentiment was misread")
    ap.add_argument("--probe", choices=sorted(FILES), default="dev")
    args = ap.parse_args()
    from vocsvc.settings import Settings

    kw = {k: v for k, v in (("encoder", args.encoder), ("heads_dir", args.heads_dir)) if v}
    settings = Settings(**kw)
    out, tagged = measure(settings, args.probe)
    seen = touched()
    for lang in ("en", "ru"):
        for key in (lang, f"{lang}_untouched"):
            m = out[key]
            print(f"{key} ({m['rows']} rows, {settings.encoder}): sentiment macro-F1 {m['sentiment_macro_f1']:.3f} "
                  f"(neg/neu/pos {' / '.join(f'{v:.3f}' for v in m['f1_per_class'])}), negative P "
                  f"{m['negative_precision']:.3f} R {m['negative_recall']:.3f}; alerts on negative posts "
                  f"{m['alert_share_negative']:.1%}, on the others {m['alert_share_other']:.1%}; intents micro-F1 "
                  f"{m['intents_micro_f1']:.3f}; confusion (gold rows neg/neu/pos) {m['confusion']}")
        if args.errors:
            for r, t in zip(*tagged[lang]):
                if r["sentiment"] != t["sentiment"]["label"]:
                    mark = "*" if r["id"] in seen else " "
                    print(f" {mark}{r['sentiment'][:3]} -> {t['sentiment']['label'][:3]} {t['sentiment']['score']:+.2f}  "
                          f"{r['text']}")


if __name__ == "__main__":
    main()
