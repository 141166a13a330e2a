"""A webhook receiver that hangs (30 s) or answers 500 for ever: ingestion keeps its latency while deliveries
hang (they run in the maintenance loop, never on a request), a hanging receiver costs one timeout per round
rather than one per delivery, and each delivery is given up after the first try and one retry per
``webhook_backoff`` step, which the alert's trail (GET /v1/alerts/{id}) says."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from faulthelp import mention, wait_for

NEG = "This is the worst bank ever, I am furious, nobody answers and my money is gone."


class BadReceiver:
    """A real HTTP server on a free port: ``hang`` holds every request 30 s without an answer, ``500`` fails all."""

    def __init__(self, mode: str):
        self.mode, self.posts, self.hanging = mode, 0, 0
        self.release = threading.Event()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts += 1
                if outer.mode == "hang":
                    outer.hanging += 1
                    outer.release.wait(30)
                    outer.hanging -= 1
                    return  # the client gave up long ago
                self.send_response(500)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        # a token in the query: the trail and the logs must not repeat it
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?token=s3cret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture(params=["hang", "500"])
def receiver(request):
    r = BadReceiver(request.param)
    yield r
    r.close()


def _drain(app) -> None:
    huey = app.svc.queue.huey
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def test_bad_receiver_never_slows_ingest_and_is_given_up_in_the_trail(make_app, clock, receiver):
    from vocsvc.service.maintenance import Maintenance

    timeout, backoff = 0.5, [10.0, 60.0]
    app = make_app(webhook_urls=[receiver.url], webhook_backoff=backoff, webhook_timeout=timeout)
    s = app.svc
    r = app.post("/v1/mentions", "ingest", json=[
        mention(f"n{i}", channel="social", source="twitter", text=NEG, author={"handle": f"@angry{i}"})
        for i in range(4)])
    assert r.status_code == 201
    _drain(app)
    alert_ids = [a["id"] for a in app.get("/v1/alerts", "marketing").json()["items"]]
    assert len(alert_ids) == 4  # four alert.created deliveries are due now

    # The real maintenance loop delivers in its thread while clients ingest: no request waits for a receiver.
    m = Maintenance(s.settings, s.engine, clock, s.queue, period=0.05)
    m.start()
    try:
        slowest, overlapped = 0.0, False
        for i in range(15):
            t = time.perf_counter()
            assert app.post("/v1/mentions", "ingest", json=mention(f"x{i}")).status_code == 201
            slowest = max(slowest, time.perf_counter() - t)
            overlapped |= receiver.hanging > 0
            time.sleep(0.1)
    finally:
        m.stop()
    assert wait_for(lambda: not m._thread.is_alive(), 10)
    assert receiver.posts >= 1 and (overlapped or receiver.mode == "500")  # ingest ran while a delivery hung
    assert slowest < 0.4, f"an ingest request took {slowest:.2f} s while deliveries were failing"

    # A round with every delivery due again costs one timeout for a hanging receiver, not one per delivery.
    clock.advance(seconds=backoff[0] + 1)
    t = time.perf_counter()
    out = m.tick()["webhooks"]
    took = time.perf_counter() - t
    if receiver.mode == "hang":
        # one timeout and change; four, one per delivery, is what a round cost before
        assert took < 2.4 * timeout, f"a round took {took:.1f} s: the hanging receiver held it per delivery"
    for _ in range(12):  # rounds past each backoff step until every delivery is given up
        clock.advance(seconds=backoff[-1] + 1)
        out = m.tick()["webhooks"]
        if not s.queue_depths()["webhooks_pending"]:
            break
    assert s.queue_depths()["webhooks_pending"] == 0 and out["gave_up"] >= 1

    for aid in alert_ids:
        trail = app.get(f"/v1/alerts/{aid}", "marketing").json()["events"]
        gave_up = [e for e in trail if e["action"] == "webhook_gave_up"]
        assert len(gave_up) == 1, [e["action"] for e in trail]
        d = gave_up[0]["detail"]
        assert d["event"] == "alert.created" and d["attempts"] == 1 + len(backoff)
        assert d["receiver"] == receiver.url.split("?")[0]  # no token
        assert ("Timeout" in d["error"]) if receiver.mode == "hang" else d["error"] == "HTTP 500"
