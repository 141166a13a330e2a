"""Console sessions: sign in with an API key -> a signed, HttpOnly, SameSite=Strict cookie holding the key's id and
a CSRF token (never the key itself); every request re-checks the key (revoked or expired ends the session), the
role decides what a page shows, and every form and htmx request must carry the session's CSRF token."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request

from vocsvc.service import keys as keys_service
from vocsvc.store.keys import ApiKey

COOKIE = "vocsvc_session"
# what each area of the console needs (admin passes every check)
AREAS = {"calls": {"qa"}, "insights": {"marketing"}, "alerts": {"marketing"}, "search": {"marketing", "qa"},
         "overview": {"marketing", "qa"}}


class SignInNeeded(Exception):
    """No valid session: the page redirects to the sign-in form (htmx: HX-Redirect)."""


class NotAllowed(Exception):
    """A signed-in role without this area: a 403 page."""

    def __init__(self, detail: str):
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Viewer:
    key: ApiKey
    csrf: str

    def can(self, area: str) -> bool:
        return self.key.role == "admin" or self.key.role in AREAS[area]


def _signer(request: Request):
    app = request.app
    signer = getattr(app.state, "ui_signer", None)
    if signer is None:
        from itsdangerous import URLSafeTimedSerializer

        signer = URLSafeTimedSerializer(keys_service.ui_secret(app.state.svc.settings), salt="vocsvc-console")
        app.state.ui_signer = signer
    return signer


def start_session(request: Request, response, key: ApiKey) -> None:
    settings = request.app.state.svc.settings
    token = _signer(request).dumps({"k": key.id, "c": secrets.token_urlsafe(24)})
    response.set_cookie(COOKIE, token, max_age=int(settings.ui_session_hours * 3600), path="/ui", httponly=True,
                        samesite="strict", secure=settings.ui_secure_cookie)


def end_session(response) -> None:
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")


def viewer(request: Request) -> Viewer:
    """The signed-in key, checked now; the audit log and the rate limit see it as they see an API key."""
    from itsdangerous import BadSignature

    s = request.app.state.svc
    raw = request.cookies.get(COOKIE)
    if not raw:
        raise SignInNeeded()
    try:
        data = _signer(request).loads(raw, max_age=int(s.settings.ui_session_hours * 3600))
        key = keys_service.session_key(s, str(data["k"]))
        csrf = str(data["c"])
    except (BadSignature, KeyError, TypeError):
        raise SignInNeeded() from None
    if key is None:
        raise SignInNeeded()
    request.state.key = key
    request.app.state.limiter.check(key.id, keys_service.rate_limit(key, s.settings))
    return Viewer(key, csrf)


def need(area: str):
    def check(request: Request) -> Viewer:
        v = viewer(request)
        if not v.can(area):
            raise NotAllowed(f"a {v.key.role} key cannot open this page (it needs {' or '.join(sorted(AREAS[area]))})")
        return v

    return check


async def check_csrf(request: Request, v: Viewer) -> None:
    """Forms send the token as a field, htmx as a header; a request without the session's token is refused."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, v.csrf):
        raise NotAllowed("the form's security token is missing or stale: reload the page and try again")


def login_url(request: Request) -> str:
    nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/ui/login?next={quote(nxt, safe='')}"
