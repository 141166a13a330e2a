"""Security headers on every response, errors included: a strict Content-Security-Policy, no sniffing, no
referrer, no framing, no camera/microphone/geolocation, and ``Cache-Control: no-store`` on /v1 (customer data).

The middleware wraps the whole stack, outside Starlette's ServerErrorMiddleware and the 413/NUL guards, so a 500
or a refused body carries the headers too. The interactive docs (/docs, /redoc) load their scripts and styles
from jsDelivr (FastAPI's defaults); they get a CSP that allows that CDN and the page's own inline script by its
SHA-256 hash, never 'unsafe-inline' for scripts. An offline install has no CDN: /openapi.json is the reference.
"""
from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI

_COMMON = "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
CSP = f"default-src 'self'; script-src 'self'; {_COMMON}"
_CDN = "https://cdn.jsdelivr.net"
# styles: Swagger UI and ReDoc set inline styles at run time (a style cannot run code; a script can)
_DOCS_REST = (f"style-src 'self' {_CDN} https://fonts.googleapis.com 'unsafe-inline'; font-src 'self' "
              "https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
              f"worker-src 'self' blob:; connect-src 'self'; {_COMMON}")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
NO_STORE = [(b"cache-control", b"no-store")]
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def install(app: FastAPI) -> None:
    """Wrap the app's middleware stack, whenever Starlette builds it, in :class:`SecurityHeaders`.

    >>> install(app)  # every response of `app` now carries the headers
    """
    docs = frozenset(p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p)
    build = app.build_middleware_stack

    def build_wrapped():
        # outermost on purpose: app.add_middleware would put it inside the error and body-limit layers
        return SecurityHeaders(build(), docs)

    app.build_middleware_stack = build_wrapped


def _merge(headers, extra) -> list:
    names = {k for k, _ in extra}
    return [(k, v) for k, v in headers if k.lower() not in names] + list(extra)


def docs_csp(html: bytes) -> bytes:
    """The docs CSP: the CDN, and exactly the inline scripts of this page (by hash)."""
    sources = ["'self'", _CDN] + [f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                                  for s in _INLINE_SCRIPT.findall(html)]
    return f"default-src 'self'; script-src {' '.join(sources)}; {_DOCS_REST}".encode()


class SecurityHeaders:
    """Pure ASGI (Starlette's BaseHTTPMiddleware costs a task and a stream per request)."""

    def __init__(self, app, docs_paths: frozenset[str] = frozenset()):
        self.app, self.docs = app, docs_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path in self.docs:
            return await self._docs(scope, receive, send)
        extra = [*HEADERS, (b"content-security-policy", CSP.encode())]
        if path == "/v1" or path.startswith("/v1/") or (path.startswith("/ui") and not path.startswith("/ui/static/")):
            extra += NO_STORE  # customer data: never kept by a browser or proxy cache

        async def send_(msg):
            if msg["type"] == "http.response.start":
                msg = {**msg, "headers": _merge(msg.get("headers", []), extra)}
            await send(msg)

        await self.app(scope, receive, send_)

    async def _docs(self, scope, receive, send):
        """A docs page is small HTML: held whole so that its inline script can be hashed into the CSP."""
        start, body = None, []

        async def send_(msg):
            nonlocal start
            if msg["type"] == "http.response.start":
                start = msg
                return
            if msg["type"] != "http.response.body" or start is None:
                return await send(msg)
            body.append(msg.get("body", b""))
            if msg.get("more_body"):
                return
            html = b"".join(body)
            extra = [*HEADERS, (b"content-security-policy", docs_csp(html))]
            await send({**start, "headers": _merge(start.get("headers", []), extra)})
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, send_)
