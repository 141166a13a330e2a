"""Security headers on every response, errors included (401, 404, 405, 413, 422, NUL guard, 500), no-store on
/v1, and a docs CSP that allows the page's own inline script by hash only. The headers do not depend on the
database, so these run on SQLite alone."""
import base64
import hashlib
import re

import pytest

STRICT = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def secured(r, v1: bool):
    for k, v in STRICT.items():
        assert r.headers.get_list(k) == [v], (r.request.url, k, r.headers)
    csp = r.headers.get_list("content-security-policy")
    assert len(csp) == 1, (r.request.url, csp)
    for part in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert part in csp[0], (r.request.url, csp[0])
    assert "'unsafe-inline'" not in csp[0].split("script-src", 1)[1].split(";", 1)[0]
    pp = r.headers["permissions-policy"]
    assert all(f"{f}=()" in pp for f in ("camera", "microphone", "geolocation"))
    if v1:  # customer data: never kept by a browser or a proxy
        assert r.headers.get_list("cache-control") == ["no-store"], (r.request.url, r.headers)
    return csp[0]


def test_headers_on_every_response_errors_included(api):
    c = api.client

    def boom():
        raise RuntimeError("a bug")

    c.app.add_api_route("/v1/boom", boom)
    cases = [
        (c.get("/health"), 200, False),
        (api.get("/v1/mentions", "marketing"), 200, True),
        (api.get("/v1/mentions/export", "marketing", params={"format": "csv"}), 200, True),  # streamed
        (c.get("/v1/mentions"), 401, True),
        (api.get("/v1/mentions", "ingest"), 403, True),
        (api.get("/v1/nope"), 404, True),
        (c.get("/nope"), 404, False),
        (c.delete("/health"), 405, False),
        (api.post("/v1/mentions", "ingest", content=b"x" * (api.svc.settings.max_body_bytes + 1),
                  headers={"content-type": "application/json"}), 413, True),  # the body-limit guard
        (api.get("/v1/search", "marketing", params={"q": "a\x00b"}), 422, True),  # the NUL guard
        (api.get("/v1/search", "marketing"), 422, True),  # validation
        (api.get("/v1/boom"), 500, True),  # Starlette's ServerErrorMiddleware answers this one
        (c.get("/openapi.json"), 200, False),
    ]
    for r, status, v1 in cases:
        assert r.status_code == status, (r.request.url, r.status_code, r.text[:200])
        csp = secured(r, v1)
        assert "script-src 'self';" in csp
    assert "no-store" not in c.get("/health").headers.get("cache-control", "")


def test_docs_get_a_csp_with_their_inline_script_hashed(api):
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        r = api.client.get(path)
        assert r.status_code == 200 and r.text.lstrip().lower().startswith("<!doctype html"), path
        csp = secured(r, v1=False)
        script_src = csp.split("script-src ", 1)[1].split(";", 1)[0].split()
        inline = re.findall(rb"<script>(.*?)</script>", r.content, re.DOTALL)
        hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in inline]
        assert script_src == ["'self'", "https://cdn.jsdelivr.net", *hashes], (path, script_src)
        assert int(r.headers["content-length"]) == len(r.content)
    assert len(re.findall(r"'sha256-", api.client.get("/docs").headers["content-security-policy"])) == 1
