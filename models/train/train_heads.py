"""Train the shipped heads from ../shared/data with fixed seeds; writes models/heads/<encoder>/*.npz + .json.

    python models/train/train_heads.py                 # all heads for the configured encoder
    python models/train/train_heads.py --only intent_cx

emotion    28 GoEmotions labels + Ekman-7 + sentiment-4 in one MLP (ensemble of seeds merged into one network).
           Trained on GoEmotions train (English) + 70% of dev in English and in its Russian translation;
           thresholds calibrated per label on the other 30% (both languages). Test splits are never seen.
intent_cx  the CX taxonomy, softmax head on the seed set's training part (models/data/cx_intents_*.yaml).
banking77  the same head machinery on Banking77 train, to prove it on public data.
"""
from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from common import (CX_INTENTS, SEED, banking77, cx_intents, dev_split, embed_cached, emotion_labels,
                    emotion_targets, goemotions, ru_goemotions, tune_thresholds)
from vocsvc.nlp.encoder import EncoderOptions, load_encoder
from vocsvc.nlp.heads import Head
from vocsvc.nlp.intents import fit_softmax
from vocsvc.settings import get_settings

log = logging.getLogger("train")


def train_emotion(enc, out_dir, seeds: int, hidden: int) -> None:
    from sklearn.neural_network import MLPClassifier

    tr_t, tr_y = goemotions("train")
    dv_t, dv_y = goemotions("dev")
    rd_t, rd_y = ru_goemotions("dev")
    X_tr = embed_cached(enc, tr_t, "go_train")
    X_dv = embed_cached(enc, dv_t, "go_dev")
    X_rd = embed_cached(enc, rd_t, "ru_dev")
    fit_i, cal_i = dev_split(len(dv_t))
    X = np.vstack([X_tr, X_dv[fit_i], X_rd[fit_i]])
    Y = emotion_targets(np.vstack([tr_y, dv_y[fit_i], rd_y[fit_i]]))
    models = []
    for s in range(seeds):
        t0 = time.time()
        m = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=1e-3, early_stopping=True, random_state=SEED + s,
                          max_iter=60, batch_size=256, n_iter_no_change=4)
        m.fit(X, Y)
        log.info("emotion seed %d: %d epochs, %.0fs", s, m.n_iter_, time.time() - t0)
        models.append(m)
    # K networks averaged in logit space == one network with the hidden layers side by side.
    W0 = np.hstack([m.coefs_[0] for m in models])
    b0 = np.hstack([m.intercepts_[0] for m in models])
    W1 = np.vstack([m.coefs_[1] for m in models]) / len(models)
    b1 = np.mean([m.intercepts_[1] for m in models], axis=0)
    labels, blocks = emotion_labels()
    head = Head("emotion", enc.name, labels, [(W0, b0), (W1, b1)], np.full(len(labels), 0.5), "sigmoid",
                meta={"blocks": blocks})
    # Round-trip through float16 first so the thresholds fit the weights that ship.
    head.save(out_dir / "emotion")
    head = Head.load(out_dir / "emotion")
    S_cal = head.predict(np.vstack([X_dv[cal_i], X_rd[cal_i]]))
    Y_cal = emotion_targets(np.vstack([dv_y[cal_i], rd_y[cal_i]]))
    head.thresholds = tune_thresholds(Y_cal, S_cal)
    head.meta.update({"blocks": blocks, "seeds": seeds, "hidden": hidden,
                      "trained_on": "GoEmotions train + 70% dev (en) + 70% ru_goemotions dev; thresholds on 30% dev"})
    head.save(out_dir / "emotion")


def train_intent_cx(enc, out_dir) -> None:
    texts, labels = [], []
    for lang in ("en", "ru"):
        t, lab = cx_intents(lang, "train")
        texts += t
        labels += lab
    X = embed_cached(enc, texts, "cx_train")
    y = np.array([CX_INTENTS.index(lab) for lab in labels])
    W, b = fit_softmax(X, y, len(CX_INTENTS), seed=SEED)
    head = Head("intent_cx", enc.name, CX_INTENTS, [(W, b)], np.full(len(CX_INTENTS), 0.35), "softmax",
                meta={"trained_on": f"CX seed set, training part ({len(texts)} examples, en + ru)"})
    head.save(out_dir / "intent_cx")


def train_banking77(enc, out_dir) -> None:
    texts, cats = banking77("train")
    X = embed_cached(enc, texts, "bk_train")
    labels = sorted(set(cats))
    y = np.array([labels.index(c) for c in cats])
    W, b = fit_softmax(X, y, len(labels), epochs=400, seed=SEED)
    head = Head("banking77", enc.name, labels, [(W, b)], np.full(len(labels), 0.0), "softmax",
                meta={"trained_on": "Banking77 train (10,003 rows)"})
    head.save(out_dir / "banking77")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["emotion", "intent_cx", "banking77"], action="append")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=768)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = get_settings()
    enc = load_encoder(EncoderOptions(settings.encoder, settings.encoder_threads, 128))
    out_dir = (settings.heads_dir or settings.models_dir / "heads" / settings.encoder)
    todo = args.only or ["intent_cx", "banking77", "emotion"]
    for name in todo:
        t0 = time.time()
        if name == "emotion":
            train_emotion(enc, out_dir, args.seeds, args.hidden)
        elif name == "intent_cx":
            train_intent_cx(enc, out_dir)
        else:
            train_banking77(enc, out_dir)
        log.info("%s trained in %.0fs -> %s", name, time.time() - t0, out_dir)


if __name__ == "__main__":
    main()
