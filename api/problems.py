"""Errors as RFC 9457 ``application/problem+json`` with a clear ``detail``; request bodies are never echoed back
or logged (they may hold PII)."""
from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vocsvc.errors import ServiceError
from vocsvc.service.core import as_unavailable, storage_errors

log = logging.getLogger("vocsvc.api")
PROBLEM = "application/problem+json"


class ApiError(Exception):
    def __init__(self, status: int, detail: str, title: str | None = None, headers: dict | None = None, **extra):
        self.status, self.detail, self.title, self.headers, self.extra = status, detail, title, headers, extra


def problem(status: int, detail: str, title: str | None = None, headers: dict | None = None, **extra) -> JSONResponse:
    from http import HTTPStatus

    body = {"type": "about:blank", "title": title or HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JSONResponse(body | extra, status_code=status, media_type=PROBLEM, headers=headers)


_BRANCH_MISMATCH = {"model_attributes_type", "list_type", "dict_type", "model_type"}


def _loc(loc) -> str:
    # "body" and union branch names ("MentionIn", "list[MentionIn]") are noise to a client
    parts = [str(x) for x in loc if x != "body" and not (isinstance(x, str) and (x[:1].isupper() or "[" in x))]
    return ".".join(parts) or "body"


def _relevant(errors: list[dict]) -> list[dict]:
    """For a one-or-many body, drop the "this is not the other shape" errors of the branch that does not apply."""
    real = [e for e in errors if e.get("type") not in _BRANCH_MISMATCH]
    return real or errors


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return problem(exc.status, exc.detail, exc.title, exc.headers, **exc.extra)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        retry = getattr(exc, "retry_after", None)
        return problem(exc.status, exc.detail, headers={"Retry-After": str(retry)} if retry else None)

    async def _storage_error(request: Request, exc: Exception):
        # The database down, restarting or locked is "retry later" (503 + Retry-After), never a 500; handled here,
        # inside the app, rather than by the catch-all below, which Starlette re-raises into the server's log.
        err = as_unavailable(exc)
        if err is None:
            return _crash(request, exc)
        log.warning("%s %s: 503, %s", request.method, request.url.path, err.detail)
        return await _service_error(request, err)

    for cls in storage_errors():
        app.add_exception_handler(cls, _storage_error)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": _loc(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in _relevant(list(exc.errors()))]  # no "input": it may be the customer's text
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(400, "the body is not valid JSON", errors=errors)
        first = errors[0] if errors else {"loc": "body", "msg": "invalid request"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return problem(422, f"{first['loc']}: {first['msg']}{more}", "Invalid request", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return _crash(request, exc)


def _crash(request: Request, exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:12]
    log.error("unhandled error %s on %s %s: %s", ref, request.method, request.url.path, type(exc).__name__,
              exc_info=exc)
    return problem(500, f"internal error (reference {ref}); nothing was half-written")


class BodyLimit:
    """Reject bodies over the limit with 413 before reading them whole (Content-Length or counted stream).
    Uploads under /v1/calls get their own, larger limit."""

    def __init__(self, app, max_body: int, max_upload: int):
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        limit = self.max_upload if scope["path"].rstrip("/") == "/v1/calls" else self.max_body
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    n = limit + 1
                if n > limit:
                    return await self._reject(scope, receive, send, limit)
        seen = 0

        async def counted():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return msg

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._reject(scope, receive, send, limit)

    async def _reject(self, scope, receive, send, limit):
        resp = problem(413, f"request body too large (limit {limit} bytes; VOCSVC_MAX_BODY_BYTES / "
                            "VOCSVC_MAX_UPLOAD_BYTES)")
        await resp(scope, receive, send)


class _TooLarge(Exception):
    pass


class RejectNul:
    """A NUL character in the path or the query is never meaningful, and PostgreSQL cannot even compare a text
    with one: answer 422 before any route sees it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            from urllib.parse import unquote_to_bytes

            raw = scope.get("raw_path") or scope["path"].encode()
            if b"\x00" in unquote_to_bytes(raw) or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
                return await problem(422, "the path or query contains a NUL character")(scope, receive, send)
        return await self.app(scope, receive, send)
