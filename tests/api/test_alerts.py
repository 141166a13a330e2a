"""The 72-hour rule: which mentions open alerts, priorities, one alert per author per 24 h, the state machine and
its audit trail, escalation near the due time, signed webhooks with retries that never block ingestion."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from apihelp import mention

NEG = "This is the worst service ever, I am furious, nobody answers and my money is gone."


def ingest(api, *items):
    r = api.post("/v1/mentions", "ingest", json=list(items))
    assert r.status_code in (200, 201), r.text
    api.drain()
    return [x["id"] for x in r.json()["items"]]


def alerts(api, **params):
    r = api.get("/v1/alerts", "marketing", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_who_gets_an_alert_and_priority(api):
    ingest(api,
           mention(1, text=NEG, channel="social", source="twitter", author={"handle": "@a", "followers": 50}),
           mention(2, text=NEG, channel="call", source="crm"),  # not public: no alert
           mention(3, text="Thanks, the courier was lovely and fast!", channel="review"),  # positive
           mention(4, text="Fine, but I'll cancel my contract and switch to another provider.", channel="review",
                   source="trustpilot"),  # a churn threat opens one even without strong negativity
           mention(5, text=NEG, channel="social", source="twitter",
                   author={"handle": "@star", "followers": 900_000, "is_vip": True}))
    body = alerts(api)
    assert body["total"] == 3
    by_ext = {a["mentions"][0]["external_id"]: a for a in body["items"]}
    assert set(by_ext) == {"m1", "m4", "m5"}
    assert any(r.startswith("category:churn_threat") for r in by_ext["m4"]["reasons"])
    assert by_ext["m5"]["priority"] == "p1" and by_ext["m1"]["priority"] > "p1"
    assert body["items"][0]["mentions"][0]["external_id"] == "m5"  # most urgent first
    a = by_ext["m1"]
    assert a["status"] == "open" and a["due_at"] == "2026-03-05T09:00:00Z"  # created_at + 72 h
    assert a["hours_left"] == 72.0 and not a["overdue"]


def test_one_author_within_24h_joins_one_alert(api):
    ingest(api, mention(1, text=NEG, channel="social", source="twitter", author={"handle": "@Bob"}))
    ingest(api, mention(2, text="Still no answer. Useless, disgusting company.", channel="social", source="twitter",
                        author={"handle": "@bob"}, created_at="2026-03-02T20:00:00Z"))
    ingest(api, mention(3, text=NEG, channel="social", source="twitter", author={"handle": "@bob"},
                        created_at="2026-03-04T12:00:00Z"))  # two days later: a new alert
    body = alerts(api)
    assert body["total"] == 2
    first = next(a for a in body["items"] if len(a["mentions"]) == 2)
    assert [m["external_id"] for m in first["mentions"]] == ["m1", "m2"]
    assert first["due_at"] == "2026-03-05T09:00:00Z"  # the earliest due time stands
    detail = api.get(f"/v1/alerts/{first['id']}", "marketing").json()
    assert [e["action"] for e in detail["events"]] == ["opened", "mention_joined"]


def test_state_machine_and_audit_trail(api, clock):
    ingest(api, mention(1, text=NEG, channel="review"))
    aid = alerts(api)["items"][0]["id"]
    assert api.post(f"/v1/alerts/{aid}/close", "qa").status_code == 403  # QA reads calls, not alerts
    r = api.post(f"/v1/alerts/{aid}/assign", "marketing", json={"assignee": "olga"})
    assert r.status_code == 200 and r.json()["assignee"] == "olga"
    clock.advance(hours=1)
    assert api.post(f"/v1/alerts/{aid}/ack", "marketing").json()["status"] == "acknowledged"
    assert api.post(f"/v1/alerts/{aid}/ack", "marketing").status_code == 409
    assert api.post(f"/v1/alerts/{aid}/reply", "marketing", json={}).status_code == 422
    r = api.post(f"/v1/alerts/{aid}/reply", "marketing", json={"text": "Sorry! DM us please.", "by": "olga"})
    assert r.json()["status"] == "replied"
    assert api.post(f"/v1/alerts/{aid}/close", "marketing").json()["status"] == "closed"
    r = api.post(f"/v1/alerts/{aid}/reply", "marketing", json={"text": "again"})
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    ev = api.get(f"/v1/alerts/{aid}", "marketing").json()["events"]
    assert [e["action"] for e in ev] == ["opened", "assigned", "acknowledged", "replied", "closed"]
    assert ev[3]["actor"] == "olga" and ev[3]["detail"]["text"] == "Sorry! DM us please."
    assert ev[2]["at"] == "2026-03-02T10:00:00Z"
    assert api.get("/v1/alerts/nope", "marketing").status_code == 404


class Receiver:
    """A real HTTP server on a free port that records (headers, body) and fails the first `fail` posts."""

    def __init__(self, fail: int = 0):
        self.got, self.fail = [], fail
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(503)
                else:
                    outer.got.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver(fail=1)
    yield r
    r.close()


def test_escalation_and_signed_webhooks_with_retry(make_api, clock, receiver):
    from vocsvc.service.outbox import deliver_due
    from vocsvc.service.maintenance import Maintenance

    api = make_api(webhook_urls=[receiver.url, "http://127.0.0.1:9/dead"], webhook_backoff=[10.0, 60.0])
    s = api.svc
    ingest(api, mention(1, text=NEG, channel="social", source="twitter"))
    aid = alerts(api)["items"][0]["id"]
    m = Maintenance(s.settings, s.engine, clock, s.queue)
    out = m.tick()
    assert out["escalated"] == 0 and out["webhooks"] == {"delivered": 0, "retry": 2, "gave_up": 0}
    clock.advance(seconds=11)
    assert m.tick()["webhooks"] == {"delivered": 1, "retry": 1, "gave_up": 0}  # the receiver is back
    hdr, body = receiver.got[0]
    payload = json.loads(body)
    assert payload["event"] == "alert.created" and payload["data"]["id"] == aid
    want = "sha256=" + hmac.new(b"s3cret", hdr["X-Vocsvc-Timestamp"].encode() + b"." + body,
                                hashlib.sha256).hexdigest()
    assert hdr["X-Vocsvc-Signature"] == want

    clock.advance(hours=61)  # 61 h after the post: due in 11 h
    assert m.tick()["escalated"] == 1
    assert m.tick()["escalated"] == 0  # once
    a = api.get(f"/v1/alerts/{aid}", "marketing").json()
    # the dead receiver's alert.created was given up in the same round (its third attempt): the trail says so
    assert a["escalated"] and [e["action"] for e in a["events"]][-2:] == ["escalated", "webhook_gave_up"]
    assert alerts(api, escalated=True)["total"] == 1
    deliver_due(s.engine, s.settings, clock.now())
    events = [json.loads(b)["event"] for _, b in receiver.got]
    assert events == ["alert.created", "alert.escalated"]
    clock.advance(hours=13)
    assert alerts(api, overdue=True)["total"] == 1
    for _ in range(3):  # the dead receiver is given up on after its backoff list; it never blocked anything
        clock.advance(hours=1)
        deliver_due(s.engine, s.settings, clock.now())
    from vocsvc.store.schema import webhook_deliveries
    import sqlalchemy as sa

    with s.engine.connect() as c:
        states = {(r.url.endswith("/dead"), r.state) for r in c.execute(sa.select(webhook_deliveries))}
    assert states == {(False, "delivered"), (True, "gave_up")}


def test_replied_alert_is_not_escalated(api, clock):
    from vocsvc.service.maintenance import Maintenance

    ingest(api, mention(1, text=NEG, channel="review"))
    aid = alerts(api)["items"][0]["id"]
    api.post(f"/v1/alerts/{aid}/reply", "marketing", json={"text": "We are on it"})
    clock.advance(hours=80)
    m = Maintenance(api.svc.settings, api.svc.engine, clock, api.svc.queue)
    assert m.tick()["escalated"] == 0
    assert alerts(api, overdue=True)["total"] == 0 and alerts(api, status="replied")["total"] == 1
