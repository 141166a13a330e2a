"""vocsvc: offline voice-of-customer analytics for Russian and English.

``import vocsvc`` is cheap: models and heavy libraries load on first use.

>>> from vocsvc import Analyzer                       # doctest: +SKIP
>>> Analyzer().analyze(["Верните деньги за заказ!"])  # doctest: +SKIP
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Analyzer", "Settings", "get_settings", "Tags", "RowError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from vocsvc.analyzer import Analyzer
    from vocsvc.settings import Settings, get_settings
    from vocsvc.types import RowError, Tags


def __getattr__(name: str):
    if name == "Analyzer":
        from vocsvc.analyzer import Analyzer

        return Analyzer
    if name in ("Settings", "get_settings"):
        from vocsvc import settings

        return getattr(settings, name)
    if name in ("Tags", "RowError"):
        from vocsvc import types

        return getattr(types, name)
    raise AttributeError(f"module 'vocsvc' has no attribute {name!r}")
