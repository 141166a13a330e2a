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
    """The default model on the full test parts (models/cards/metrics.json): the CX bars of issue 9, the emotion
    floors (English, and GoEmotions-ru 0.368) and Banking77 are met; Ekman-ru is guarded at today's level (below
    issue 9's floor of 0.523, which stays open there), so a retrain cannot quietly make it worse."""
    m = json.loads((REPO_MODELS_DIR / "cards" / "metrics.json").read_text())
    h = m["encoders"][m["default_encoder"]]["headline"]
    floors = {"cx_sentiment_macro_f1.en": 0.78, "cx_sentiment_macro_f1.ru": 0.72,
              "negative_recall_at_p85.en": 0.85, "negative_recall_at_p85.ru": 0.80,
              "cx_intent_micro_f1.en": 0.80, "cx_intent_micro_f1.ru": 0.75,
              "emotion28_macro_f1.en": 0.424, "emotion28_macro_f1.ru": 0.368,
              "ekman_macro_f1.en": 0.581, "ekman_macro_f1.ru": 0.505, "banking77_accuracy.en": 0.93}
    assert {k: h[k] for k in floors if h[k] < floors[k]} == {}
