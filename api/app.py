"""The FastAPI app: ``create_app()``; ``vocsvc serve`` runs it with uvicorn on 127.0.0.1:8000.

Models load once in the lifespan handler; the app refuses to start on an unmigrated database, saying which command
fixes it. Every /v1 route needs an API key; ``/health`` does not.
"""
from __future__ import annotations

import time
from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request, Response

from api import problems
from api.deps import require, svc
from api.service import Service
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
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="vocsvc", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    problems.install(app)
    app.add_middleware(problems.BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)
    _instrument(app)

    from api.routes import calls, insights, mentions

    app.include_router(mentions.router)
    app.include_router(calls.router)
    app.include_router(insights.router)

    @app.get("/health", tags=["ops"], summary="Model and database readiness (no auth)")
    def health(request: Request, response: Response):
        s = request.app.state.svc
        from vocsvc.store.migrate import current_revision, head_revision

        db = {"ok": False}
        try:
            rev = current_revision(s.engine)
            db = {"ok": rev == head_revision(), "dialect": s.engine.dialect.name, "revision": rev}
        except Exception as e:
            db["error"] = type(e).__name__
        models = {"ok": s.models_ready, "encoder": s.settings.encoder}
        ok = db["ok"] and models["ok"]
        response.status_code = 200 if ok else 503
        return {"status": "ok" if ok else "unavailable", "database": db, "models": models,
                "worker": {"in_process": s.run_workers}}

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

    @app.middleware("http")
    async def _measure(request: Request, call_next):
        t0 = time.perf_counter()
        status = 500
        try:
            resp = await call_next(request)
            status = resp.status_code
            return resp
        finally:
            route = request.scope.get("route")
            name = getattr(route, "path", "unmatched")
            requests.labels(request.method, name, str(status)).inc()
            latency.labels(request.method, name).observe(time.perf_counter() - t0)

    @app.get("/metrics/prometheus", tags=["ops"], summary="Prometheus metrics (admin key)")
    def prometheus(s=Depends(svc), key=Depends(require())):
        from vocsvc.jobs import jobs
        from vocsvc.store.schema import mentions, webhook_deliveries

        with s.engine.connect() as c:
            depth.labels("mentions_pending").set(c.execute(sa.select(sa.func.count()).select_from(mentions)
                                                           .where(mentions.c.state == "pending")).scalar())
            depth.labels("jobs_queued").set(c.execute(sa.select(sa.func.count()).select_from(jobs)
                                                      .where(jobs.c.state.in_(["queued", "running"]))).scalar())
            depth.labels("webhooks_pending").set(c.execute(
                sa.select(sa.func.count()).select_from(webhook_deliveries)
                .where(webhook_deliveries.c.state == "pending")).scalar())
        return Response(generate_latest(reg), media_type=CONTENT_TYPE_LATEST)
