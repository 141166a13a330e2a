"""The web console under /ui: server-rendered pages (Jinja2) with htmx for in-place updates and uPlot for charts,
both vendored under static/ (no CDN, no Node at run time). Pages call the same service functions as /v1."""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.ui import auth, view

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(view.FILTERS)
templates.env.globals.update(view.GLOBALS)


def page(request: Request, name: str, v: auth.Viewer | None, http_status: int = 200, **ctx) -> HTMLResponse:
    """Render a page with what every page shows: the viewer, its CSRF token, and the overdue alerts count."""
    nav = view.nav_counts(request.app.state.svc, v) if v is not None else {}
    return templates.TemplateResponse(request, name, {"v": v, "nav": nav, **ctx}, status_code=http_status)


def install(app: FastAPI) -> None:
    from api.ui import alerts, calls, pages, themes

    app.mount("/ui/static", StaticFiles(directory=str(HERE / "static")), name="ui-static")
    app.add_middleware(DropEmptyQuery)
    for mod in (pages, calls, themes, alerts):
        app.include_router(mod.router)

    @app.exception_handler(auth.SignInNeeded)
    async def _sign_in(request: Request, exc: auth.SignInNeeded):
        url = auth.login_url(request)
        if request.headers.get("hx-request"):
            return HTMLResponse("", status_code=401, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(auth.NotAllowed)
    async def _not_allowed(request: Request, exc: auth.NotAllowed):
        return _error_page(request, 403, exc.detail)

    # the API's errors (problem+json) become an HTML page under /ui, with the same status and headers
    for cls, handler in list(app.exception_handlers.items()):
        if cls in (auth.SignInNeeded, auth.NotAllowed):
            continue
        app.exception_handlers[cls] = _html_under_ui(handler)


def _html_under_ui(handler):
    async def wrapped(request: Request, exc):
        resp = await handler(request, exc)
        if not request.url.path.startswith("/ui") or resp.status_code < 400:
            return resp
        try:
            detail = json.loads(resp.body).get("detail") or "something went wrong"
        except (ValueError, AttributeError):
            detail = "something went wrong"
        out = _error_page(request, resp.status_code, detail)
        if "retry-after" in resp.headers:
            out.headers["Retry-After"] = resp.headers["retry-after"]
        return out

    return wrapped


def _error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    if request.headers.get("hx-request"):  # a fragment: shown in the page's message area
        return HTMLResponse(f'<p class="flash error" role="alert">{view.esc(detail)}</p>', status_code=status,
                            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return templates.TemplateResponse(request, "error.html", {"v": None, "nav": {}, "status": status,
                                                              "detail": detail}, status_code=status)


class DropEmptyQuery:
    """A GET form sends every field, filled or not: under /ui an empty parameter means "not filtered" (without
    this, ``min_qa_score=`` would be a 422). Pure ASGI, like the app's other middleware."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/ui/") and scope.get("query_string"):
            from urllib.parse import parse_qsl, urlencode

            pairs = [(k, val) for k, val in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                     if val != ""]
            scope = {**scope, "query_string": urlencode(pairs).encode("latin-1")}
        await self.app(scope, receive, send)
