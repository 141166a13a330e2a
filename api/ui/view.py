"""Presentation helpers for the console's templates: formatting, an inline SVG sparkline, search highlights, and
the counts every page's navigation shows. No I/O except ``nav_counts`` (one indexed count through the service)."""
from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import urlencode

from markupsafe import Markup


def esc(s) -> str:
    return html.escape(str(s), quote=True)


def when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else ""


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def pcts(x: float | None) -> str:
    """A value that is already in percent (CSAT)."""
    return "–" if x is None else f"{x:.0f}%"


def num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def signed(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:+.{digits}f}"


def tone(x: float | None, lo: float = -0.1, hi: float = 0.1) -> str:
    """A CSS class for a score: neg / neu / pos."""
    if x is None:
        return "na"
    return "neg" if x < lo else "pos" if x > hi else "neu"


def sparkline(values: list[float], width: int = 96, height: int = 24) -> Markup:
    """An inline SVG polyline (no script, no style attribute: the console's CSP allows neither inline)."""
    if not values:
        return Markup("")
    top = max(max(values), 1)
    step = width / max(1, len(values) - 1)
    pts = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in enumerate(values))
    return Markup(f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                  f'role="img" aria-label="trend: {esc(", ".join(str(int(v)) for v in values))}">'
                  f'<polyline points="{pts}"/></svg>')


_PII = re.compile(r"\[([A-Z_]{2,20})\]")


def redacted(text: str | None) -> Markup:
    """Escape a redacted text and mark its placeholders ([CARD], [PHONE] ...) so a reader sees what was removed."""
    return Markup(_PII.sub(r'<mark class="pii" title="removed: \1">[\1]</mark>', esc(text or "")))


def highlight(text: str | None, query: str | None) -> Markup:
    """Escape ``text`` and wrap each word of ``query`` (3+ letters, any case, word start) in <mark>."""
    out = esc(text or "")
    words = sorted({w for w in re.findall(r"\w{3,}", query or "")}, key=len, reverse=True)[:16]
    if words:
        rx = re.compile(r"\b(" + "|".join(re.escape(esc(w)) for w in words) + r")", re.IGNORECASE)
        out = rx.sub(r"<mark>\1</mark>", out)
    return Markup(out)


def with_query(params: dict, **changes) -> str:
    """This page's query string with some parameters changed (None drops one): sorting and paging links."""
    q = {k: v for k, v in params.items() if v not in (None, "")}
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    return "?" + urlencode(q) if q else "?"


def nav_counts(svc, v) -> dict:
    if v is None or not v.can("alerts"):
        return {}
    from vocsvc.service import alerts as alert_service

    _, overdue = alert_service.page(svc.engine, svc.clock.now(), 1, 0, overdue=True)
    return {"overdue": overdue}


def script_json(s: str) -> Markup:
    """JSON for a <script type="application/json"> block: no '<' can close the block early."""
    return Markup(s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


FILTERS = {"script_json": script_json, "redacted": redacted, "when": when, "clock": clock, "pct": pct, "pcts": pcts, "num": num, "signed": signed, "tone": tone,
           "sparkline": sparkline, "highlight": highlight}
GLOBALS = {"with_query": with_query}
