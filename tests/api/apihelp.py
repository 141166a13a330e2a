"""Shared by the API tests (a module of its own: several conftest.py files exist, so `from conftest` is ambiguous)."""
from datetime import datetime

T0 = datetime(2026, 3, 2, 9, 0, 0)


def mention(i, **kw):
    d = {"channel": "review", "source": "appstore", "external_id": f"m{i}", "text": f"Great app number {i}, love it",
         "created_at": T0.isoformat() + "Z"}
    return d | kw
