"""Shared by the fault tests (its own module name: several conftest.py files exist, so `from conftest` is
ambiguous): mentions, waiting, a real `vocsvc serve` process, and the exactly-once check."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

T0 = datetime(2026, 3, 2, 9, 0, 0)
TEXTS = ["The courier was late again and the parcel was damaged", "Great app, the new update is fast",
         "I want a refund for the double charge on my card", "Доставка опять опоздала, коробка мятая",
         "Спасибо поддержке, быстро решили вопрос", "This is the worst bank ever, I am furious and will cancel"]


def mention(ext: str, k: int = 0, **kw) -> dict:
    return {"channel": ["review", "social", "survey", "chat"][k % 4], "source": "faults", "external_id": ext,
            "text": f"{TEXTS[k % len(TEXTS)]} #{ext}", "created_at": T0.isoformat() + "Z",
            "author": {"handle": f"@u{k % 7}"}} | kw


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout: float, step: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def assert_each_once(url: str, external_ids: set[str]) -> None:
    """Every accepted mention is stored once and tagged once, and nothing else is there: one row per external id,
    all tagged, and the rollup counters (changed in the same transaction as each row, so a second tagging or a
    lost one would show) equal a recount of the rows."""
    import sqlalchemy as sa

    from vocsvc.store.db import engine_for
    from vocsvc.store.schema import alert_mentions, mentions, metric_rollup

    with engine_for(url).connect() as c:
        rows = c.execute(sa.select(mentions.c.external_id, mentions.c.state, mentions.c.sentiment)).all()
        vol, tagged = c.execute(sa.select(sa.func.sum(metric_rollup.c.volume),
                                          sa.func.sum(metric_rollup.c.tagged))).one()
        in_alerts = c.execute(sa.select(alert_mentions.c.mention_id, sa.func.count()).group_by(
            alert_mentions.c.mention_id).having(sa.func.count() > 1)).all()
    ext = [r.external_id for r in rows]
    assert len(ext) == len(set(ext)), "a mention was stored twice"
    assert set(ext) == external_ids, (f"lost: {sorted(external_ids - set(ext))[:5]}, "
                                      f"unexpected: {sorted(set(ext) - external_ids)[:5]}")
    states = {r.state for r in rows}
    assert states == {"tagged"}, f"not all tagged: {states}"
    assert vol == len(rows) and tagged == sum(r.sentiment is not None for r in rows), (vol, tagged, len(rows))
    assert not in_alerts, "a mention joined an alert twice"


def pending_count(url: str) -> int:
    from vocsvc.store.db import engine_for
    from vocsvc.store.mentions import count_by_state

    return count_by_state(engine_for(url), "pending")


class Server:
    """A real `vocsvc serve` process (uvicorn, in-process worker, maintenance loop) that a test can SIGKILL."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.port, self.proc = env, log, free_port(), None
        self.base = f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        r = subprocess.run([sys.executable, "-m", "vocsvc.cli", *args], env=self.env, capture_output=True,
                           text=True, timeout=180, check=False)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def start(self, timeout: float = 180) -> None:
        with open(self.log, "a") as f:
            self.proc = subprocess.Popen([sys.executable, "-m", "vocsvc.cli", "serve", "--port", str(self.port)],
                                         env=self.env, stdout=f, stderr=f, start_new_session=True)

        def healthy():
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                return httpx.get(self.base + "/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(healthy, timeout, 0.3), "the server did not become healthy"

    def kill(self) -> None:
        """SIGKILL: no lifespan exit, no flush, no cleanup, as a power cut or the OOM killer."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
