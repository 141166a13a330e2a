"""The FastAPI app: ``create_app()``; ``vocsvc serve`` runs it with uvicorn on 127.0.0.1:8000.

Models load once in the lifespan handler; the app refuses to start on an unmigrated database, saying which command
fixes it. Every /v1 route needs an API key; ``/health`` does not.
"""
from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response

from api import problems, security
from api.audit import AuditLog
from api.deps import require, svc
from api.public import HealthPublic
from vocsvc.service.core import Service
from vocsvc.service.keys import RateLimiter
from vocsvc.settings import Settings, get_settings

DESCRIPTION = """Offline voice-of-customer analytics (Russian and English): mentions from every channel and call
recordings are tagged (language, sentiment, emotions, intents, keywords, entities, categories, PII redacted),
grouped into themes, and negative public mentions become alerts with a 72-hour reply SLA.
Authenticate with `Authorization: Bearer <key>` (`vocsvc keys create --role admin|qa|marketing|ingest`).
Errors are `application/problem+json`."""


def create_app(settings: Settings | None = None, clock=None, analyzer=None, run_workers: bool | None = None,
               warmup: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service = Service(settings, clock=clock, analyzer=analyzer, run_workers=run_workers)
        service.start(warmup=warmup)
        app.state.svc = service
        app.state.limiter = RateLimiter()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="vocsvc", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    problems.install(app)
    security.install(app)
    app.add_middleware(AuditLog)
    app.add_middleware(problems.RejectNul)
    app.add_middleware(problems.BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)
    _instrument(app)

    from api.routes import admin, calls, insights, mentions

    app.include_router(mentions.router)
    app.include_router(calls.router)
    app.include_router(insights.router)
    app.include_router(admin.router)

    from api import ui

    ui.install(app)  # the console under /ui (after the API's error handlers: it wraps them for HTML pages)

    @app.get("/health", tags=["ops"], response_model=HealthPublic, summary="Model and database readiness (no auth)",
             responses={503: {"model": HealthPublic, "description": "not ready"}})
    def health(request: Request, response: Response):
        h = request.app.state.svc.health()
        response.status_code = 200 if h["status"] == "ok" else 503
        return h

    return app


def _instrument(app: FastAPI) -> None:
    """Prometheus: request counts and latencies per route template (never the raw path: ids are not labels)."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    reg = CollectorRegistry()
    requests = Counter("vocsvc_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=reg)
    latency = Histogram("vocsvc_http_request_seconds", "HTTP request latency", ["method", "route"], registry=reg,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
    depth = Gauge("vocsvc_queue_depth", "Work waiting", ["kind"], registry=reg)

    class Measure:  # pure ASGI (Starlette's BaseHTTPMiddleware costs a task and a stream per request)
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] != "http":
                return await self.app(scope, receive, send)
            t0 = time.perf_counter()
            status = [500]

            async def send_(msg):
                if msg["type"] == "http.response.start":
                    status[0] = msg["status"]
                await send(msg)

            try:
                await self.app(scope, receive, send_)
            finally:
                name = getattr(scope.get("route"), "path", "unmatched")
                requests.labels(scope["method"], name, str(status[0])).inc()
                latency.labels(scope["method"], name).observe(time.perf_counter() - t0)

    app.add_middleware(Measure)

    @app.get("/metrics/prometheus", tags=["ops"], summary="Prometheus metrics (admin key)", response_class=Response,
             responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    def prometheus(s=Depends(svc), key=Depends(require())):
        for kind, n in s.queue_depths().items():
            depth.labels(kind).set(n)
        return Response(generate_latest(reg), media_type=CONTENT_TYPE_LATEST)
