"""Records who read, downloaded, exported or changed what, after the response (pure ASGI, one table of routes).

The route templates below are the audited operations; their path ids and the non-personal query filters go to
the log, never bodies or free-text parameters. Deletions and key operations record themselves in the service
(their receipt and new key ids are known only there)."""
from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl

import anyio

from vocsvc.service.audit import record, safe_params

log = logging.getLogger("vocsvc.api")

AUDITED: dict[tuple[str, str], tuple[str, str | None, str | None]] = {
    # (method, route template): (action, object type, path parameter holding its id)
    ("GET", "/v1/calls/{call_id}"): ("call.read", "call", "call_id"),
    ("GET", "/v1/calls/{call_id}/audio"): ("call.audio", "call", "call_id"),
    ("PUT", "/v1/calls/{call_id}/review"): ("review.update", "call", "call_id"),
    ("POST", "/v1/calls/{call_id}/review/{action}"): ("review.workflow", "call", "call_id"),
    ("POST", "/v1/calls/{call_id}/swap-roles"): ("call.swap_roles", "call", "call_id"),
    ("GET", "/v1/calls/export"): ("call.export", "call", None),
    ("POST", "/v1/calls"): ("call.upload", "call", None),
    ("GET", "/v1/feedback/export"): ("feedback.export", None, None),
    ("GET", "/v1/qa/agreement"): ("qa.export", None, None),
    ("GET", "/v1/agents/{agent_id}/qa"): ("agent.qa", "agent", "agent_id"),
    ("GET", "/v1/mentions/export"): ("mentions.export", None, None),
    ("GET", "/v1/mentions/{mention_id}"): ("mention.read", "mention", "mention_id"),
    ("POST", "/v1/alerts/{alert_id}/ack"): ("alert.ack", "alert", "alert_id"),
    ("POST", "/v1/alerts/{alert_id}/reply"): ("alert.reply", "alert", "alert_id"),
    ("POST", "/v1/alerts/{alert_id}/close"): ("alert.close", "alert", "alert_id"),
    ("POST", "/v1/alerts/{alert_id}/assign"): ("alert.assign", "alert", "alert_id"),
    ("POST", "/v1/themes/discover"): ("themes.discover", None, None),
    ("PATCH", "/v1/themes/{theme_id}"): ("theme.rename", "theme", "theme_id"),
    ("POST", "/v1/themes/{theme_id}/merge"): ("theme.merge", "theme", "theme_id"),
    ("GET", "/v1/audit"): ("audit.read", None, None),
    # the console: the same actions through pages ("{action}" is the route's own path parameter)
    ("GET", "/ui/calls/{call_id}"): ("call.read", "call", "call_id"),
    ("GET", "/ui/calls/{call_id}/audio"): ("call.audio", "call", "call_id"),
    ("GET", "/ui/calls/export"): ("call.export", "call", None),
    ("POST", "/ui/calls/{call_id}/swap"): ("call.swap_roles", "call", "call_id"),
    ("POST", "/ui/calls/{call_id}/turns/{index}"): ("review.update", "call", "call_id"),
    ("POST", "/ui/calls/{call_id}/qa"): ("review.update", "call", "call_id"),
    ("POST", "/ui/calls/{call_id}/qa/{action}"): ("review.workflow", "call", "call_id"),
    ("GET", "/ui/agents/{agent_id}"): ("agent.qa", "agent", "agent_id"),
    ("POST", "/ui/alerts/{alert_id}/{action}"): ("alert.{action}", "alert", "alert_id"),
    ("POST", "/ui/themes/{theme_id}/rename"): ("theme.rename", "theme", "theme_id"),
    ("POST", "/ui/themes/{theme_id}/merge"): ("theme.merge", "theme", "theme_id"),
}


class AuditLog:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        status = [500]
        body = bytearray()

        async def send_(msg):
            if msg["type"] == "http.response.start":
                status[0] = msg["status"]
            elif msg["type"] == "http.response.body" and scope["method"] == "POST" and len(body) < 4096:
                body.extend(msg.get("body", b""))  # only the small JSON answer of an upload is read back
            await send(msg)

        await self.app(scope, receive, send_)
        route = getattr(scope.get("route"), "path", None)
        what = AUDITED.get((scope["method"], route)) if route else None
        key = (scope.get("state") or {}).get("key")
        if what is None or key is None:  # no key: refused before anyone read anything
            return
        action, otype, param = what
        if "{action}" in action:
            action = action.replace("{action}", str(scope.get("path_params", {}).get("action", "")))
        oid = scope.get("path_params", {}).get(param) if param else None
        if action == "call.upload" and status[0] < 300:
            try:
                oid = json.loads(bytes(body)).get("call_id")
            except ValueError:
                oid = None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        detail = {"query": safe_params(query)} if query else None
        svc = scope["app"].state.svc
        try:
            await anyio.to_thread.run_sync(lambda: record(svc, key.id, action, otype, oid, status[0], detail))
        except Exception:  # the response has gone; a lost audit row is logged loudly rather than raised
            log.exception("audit record failed for %s", action)
