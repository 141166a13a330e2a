"""Browser tests: a real `vocsvc serve` (uvicorn, in-process worker) on a free port over SQLite or PostgreSQL,
seeded through the API, driven by Playwright in Debian's Chromium (/usr/bin/chromium; never `playwright install`,
which downloads a browser)."""
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))  # faulthelp: Server, free_port, wait_for

CHROMIUM = os.environ.get("VOCSVC_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is needed for the browser tests (make deps-apt installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots():
    d = Path(os.environ.get("VOCSVC_SCREENSHOTS", Path(__file__).resolve().parents[2] / "out" / "screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d
