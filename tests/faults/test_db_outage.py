"""The database goes away and comes back: meanwhile requests get 503 with Retry-After (never 500), tagging waits
instead of dropping its work, the service recovers without a restart, and every accepted mention ends stored and
tagged exactly once. PostgreSQL: a private cluster stopped and started under load. SQLite: a writer holding the
lock past the busy timeout."""
import logging
import sqlite3
import threading
import time

import pytest
from faulthelp import assert_each_once, mention, pending_count, wait_for


def drain(huey, timeout: float = 60) -> None:
    """Run what the queue holds, and scheduled retries once they are due (what the consumer would do)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        task = huey.dequeue()
        if task is not None:
            huey.execute(task)
            continue
        due = huey.read_schedule()
        for t in due:
            huey.execute(t)
        if not due and huey.scheduled_count() == 0:
            return
        time.sleep(0.2)
    raise AssertionError("the queue did not drain")


class Ingester:
    """Client threads posting arrays of new mentions; an array that gets 503 is sent again after its Retry-After
    (as a client should), until it gets a 2xx. Every answer is kept."""

    def __init__(self, app, threads: int, batches: int, size: int, pause: float = 0.3):
        self.app, self.batches, self.size, self.pause = app, batches, size, pause
        self.answers: list[tuple[int, str | None]] = []
        self.sent: set[str] = set()
        self.accepted = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in range(threads)]

    def _run(self, t: int) -> None:
        for b in range(self.batches):
            body = [mention(f"t{t}-b{b}-{i}", i) for i in range(self.size)]
            with self.lock:
                self.sent |= {m["external_id"] for m in body}
            for _ in range(200):
                r = self.app.post("/v1/mentions", "ingest", json=body)
                with self.lock:
                    self.answers.append((r.status_code, r.headers.get("retry-after")))
                if r.status_code in (200, 201):
                    with self.lock:
                        self.accepted += 1
                    time.sleep(self.pause)  # a steady stream, so the outage lands in the middle of it
                    break
                if r.status_code != 503:
                    return  # a wrong answer: recorded, the test fails on it
                time.sleep(min(float(r.headers.get("retry-after", 1)), 0.3))  # shortened: the test has a clock

    def start(self) -> None:
        for th in self.threads:
            th.start()

    def join(self, timeout: float) -> None:
        for th in self.threads:
            th.join(timeout)
        assert not any(th.is_alive() for th in self.threads), "a client never got its array accepted"


@pytest.mark.slow
def test_postgres_restart_during_bulk_ingest_and_tagging(private_pg, make_app, caplog):
    caplog.set_level(logging.WARNING, logger="vocsvc")
    url = private_pg.new_database()
    app = make_app(database_url=url, run_workers=True)  # the real consumer tags while clients ingest
    ing = Ingester(app, threads=3, batches=8, size=25)
    ing.start()
    # stop while arrays are being accepted and the consumer is tagging the first ones
    assert wait_for(lambda: ing.accepted >= 3, 60)
    private_pg.stop("fast")
    time.sleep(3)
    down = list(ing.answers)
    private_pg.start()
    ing.join(120)

    codes = {c for c, _ in ing.answers}
    assert codes <= {200, 201, 503}, f"not a clean retry-later: {codes}"
    assert any(c == 503 for c, _ in down), "no request met the outage"
    assert all(ra is not None and int(ra) >= 1 for c, ra in ing.answers if c == 503)
    # The clock is frozen, so the maintenance loop's re-enqueue of mentions pending for 30 s cannot be what tags
    # them: a tagging task that met the outage must have put itself back, not dropped its mentions.
    assert wait_for(lambda: pending_count(url) == 0, 90, 0.5), f"{pending_count(url)} still pending"
    assert any("tag_mentions" in r.getMessage() and "again in" in r.getMessage() for r in caplog.records), \
        "tagging never met the outage: the test proved nothing about it"
    assert app.client.get("/health").status_code == 200  # the same process, no restart
    assert_each_once(url, ing.sent)


def test_sqlite_locked_is_503_and_tagging_waits(make_app, tmp_path):
    db = tmp_path / "locked.db"
    url = f"sqlite:///{db}?timeout=1"  # wait 1 s for a lock, not the default 30
    app = make_app(database_url=url)
    body = [mention("a", 0), mention("b", 5)]
    other = sqlite3.connect(db, isolation_level=None)  # another writer: a backup, a batch load, a migration
    other.execute("BEGIN IMMEDIATE")
    r = app.post("/v1/mentions", "ingest", json=body)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1" and r.headers["content-type"].startswith("application/problem+json")
    other.execute("ROLLBACK")
    assert app.post("/v1/mentions", "ingest", json=body).status_code == 201  # recovered, no restart

    huey = app.svc.queue.huey
    other.execute("BEGIN IMMEDIATE")  # locked again while the tagging task runs
    huey.execute(huey.dequeue())
    assert pending_count(url) == 2 and huey.pending_count() == 1  # not tagged, not dropped: enqueued again
    other.execute("ROLLBACK")
    other.close()
    drain(huey)
    assert_each_once(url, {"a", "b"})
