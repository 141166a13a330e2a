"""Security headers on every response (filled in by the hostile-input work)."""
from __future__ import annotations


def install(app) -> None:
    return None
