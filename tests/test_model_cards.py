"""Recompute the cards' numbers on a fixed sample of the shared test splits; fail if they drift."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_card_numbers_do_not_drift(shared_data):
    p = subprocess.run([sys.executable, str(ROOT / "models" / "train" / "evaluate.py"), "--check"],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
