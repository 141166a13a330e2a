import numpy as np
import pytest

from vocsvc.errors import ModelNotFoundError
from vocsvc.nlp.heads import Head
from vocsvc.nlp.intents import fit_sigmoid, load_intent_examples


def test_head_roundtrip_is_close_and_checks_encoder(tmp_path):
    rng = np.random.default_rng(0)
    h = Head("t", "enc-a", ["a", "b", "c"], [(rng.normal(size=(8, 4)), rng.normal(size=4)),
                                            (rng.normal(size=(4, 3)), rng.normal(size=3))],
             np.array([0.5, 0.4, 0.3]), "sigmoid", {"blocks": {"x": [0, 3]}})
    h.save(tmp_path / "t")
    g = Head.load(tmp_path / "t", encoder="enc-a")
    X = rng.normal(size=(5, 8)).astype(np.float32)
    assert np.abs(h.predict(X) - g.predict(X)).max() < 5e-3  # float16 weights
    assert g.meta["blocks"] == {"x": [0, 3]} and g.thresholds.tolist() == pytest.approx([0.5, 0.4, 0.3])
    with pytest.raises(ModelNotFoundError, match="retrain"):
        Head.load(tmp_path / "t", encoder="enc-b")
    with pytest.raises(ModelNotFoundError, match="not found"):
        Head.load(tmp_path / "missing")
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave nothing behind


def test_fit_sigmoid_learns_several_labels_per_row():
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(4, 16)) * 3
    Y = (rng.random((400, 4)) < 0.35).astype(np.float32)  # rows carry 0-4 labels at once
    X = (Y @ centers + rng.normal(size=(400, 16))).astype(np.float32)
    W, b = fit_sigmoid(X[:300], Y[:300])
    pred = (X[300:] @ W + b) > 0
    assert (pred == (Y[300:] > 0)).mean() > 0.95
    W2, b2 = fit_sigmoid(X[:300], Y[:300])
    assert np.array_equal(W, W2)  # deterministic


@pytest.mark.parametrize("body, msg", [
    ("", "mapping"),
    ("a: [x, y]\n", "at least two"),
    ("a: [x]\nb: [y, z]\n", "at least 2"),
    ("a: [x, 5]\nb: [y, z]\n", "non-empty example strings"),
    ("a: [x, no]\nb: [y, z]\n", "non-empty example strings"),  # YAML's 'no' is a boolean: say so, don't guess
])
def test_intent_file_validation(tmp_path, body, msg):
    f = tmp_path / "i.yaml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=msg):
        load_intent_examples(f)
