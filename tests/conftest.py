import os
from pathlib import Path

import pytest

# No test may reach a model hub: a hidden download must fail loudly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VOCSVC_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from vocsvc.settings import Settings

    return Settings(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def analyzer(settings):
    from vocsvc.analyzer import Analyzer

    return Analyzer(settings)


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
