"""vocsvc.themes on synthetic topics: the count is found, not given; the input order does not matter."""
import numpy as np

from vocsvc.themes import discover


def blobs(seed=0, k=6, per=150, d=48):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d))
    X = np.vstack([c + rng.normal(scale=0.35, size=(per, d)) for c in centers])
    kws = [[f"topic{i // per}", f"word{i % 7}"] for i in range(k * per)]
    return X / np.linalg.norm(X, axis=1, keepdims=True), kws, np.repeat(np.arange(k), per)


def test_topics_found_and_order_invariant():
    from sklearn.metrics import adjusted_rand_score

    X, kws, y = blobs()
    a = discover(X, kws)
    assert len(a.model.themes) == 6 and a.unthemed_share < 0.05
    assert adjusted_rand_score(y[a.assignment >= 0], a.assignment[a.assignment >= 0]) > 0.95
    assert all(t.keyphrases[0].startswith("topic") for t in a.model.themes)
    p = np.random.default_rng(1).permutation(len(X))
    b = discover(X[p], [kws[i] for i in p])
    ids_a = [a.model.themes[j].id if j >= 0 else None for j in a.assignment]
    ids_b = [b.model.themes[j].id if j >= 0 else None for j in b.assignment]
    assert [ids_a[i] for i in p] == ids_b
