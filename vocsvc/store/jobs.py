"""Job truth in our database, not in the queue.

Huey loses a job whose worker is killed mid-run (SQLite and Redis alike), so every job lives in the ``jobs`` table:
state (queued -> running -> done / failed), attempts, heartbeat, progress, timings, error. A worker *claims* a job
with a conditional UPDATE (only one claim can win), heartbeats while it runs, and writes the result with another
conditional UPDATE that only the current claim can make, so a result is written once. A sweep puts back running
jobs whose heartbeat went stale and re-enqueues queued jobs the queue may have dropped; enqueueing twice is harmless
because only one claim wins.
"""
from __future__ import annotations

import enum
import json
import socket
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vocsvc.store.schema import jobs


class JobState(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


@dataclass(slots=True)
class Job:
    id: str
    kind: str
    key: str
    state: JobState
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    progress: float
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    error: str | None
    result: dict[str, Any] | None
    completions: int

    @classmethod
    def from_row(cls, r) -> Job:
        return cls(r.id, r.kind, r.key, JobState(r.state), json.loads(r.payload), r.attempts, r.max_attempts,
                   r.progress, r.created_at, r.started_at, r.finished_at, r.heartbeat_at, r.error,
                   json.loads(r.result) if r.result else None, r.completions)


def new_claim() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobStore:
    def __init__(self, engine: sa.Engine, stale_after: float = 60.0, clock=time.time):
        self.engine = engine
        self.stale_after = stale_after
        self.clock = clock
        # A worker may run on a database nobody migrated yet: its own table at least (the migrations adopt it).
        jobs.create(engine, checkfirst=True)

    # ---------------------------------------------------------------- submit / read
    def submit(self, kind: str, key: str, payload: dict[str, Any], max_attempts: int = 3) -> tuple[Job, bool]:
        """(job, created). The same key twice is one job: the second call returns the first."""
        now = self.clock()
        with self.engine.begin() as c:
            row = c.execute(sa.select(jobs).where(jobs.c.key == key)).first()
            if row is not None:
                return Job.from_row(row), False
            jid = str(uuid.uuid4())
            try:
                c.execute(jobs.insert().values(
                    id=jid, kind=kind, key=key, state=JobState.queued.value, payload=json.dumps(payload),
                    attempts=0, max_attempts=max_attempts, progress=0.0, created_at=now, enqueued_at=now,
                    completions=0))
            except sa.exc.IntegrityError:  # a concurrent submit of the same key won
                pass
        with self.engine.connect() as c:
            row = c.execute(sa.select(jobs).where(jobs.c.key == key)).one()
        return Job.from_row(row), row.id == jid

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return Job.from_row(row) if row else None

    def all(self) -> list[Job]:
        with self.engine.connect() as c:
            return [Job.from_row(r) for r in c.execute(sa.select(jobs).order_by(jobs.c.created_at))]

    # ---------------------------------------------------------------- worker side
    def claim(self, job_id: str, claim: str) -> Job | None:
        """Move queued -> running for this claim; None if someone else has it or it is finished."""
        now = self.clock()
        with self.engine.begin() as c:
            res = c.execute(jobs.update().where(
                jobs.c.id == job_id, jobs.c.state == JobState.queued.value,
                sa.or_(jobs.c.not_before.is_(None), jobs.c.not_before <= now),
            ).values(state=JobState.running.value, claim=claim, attempts=jobs.c.attempts + 1, heartbeat_at=now,
                     started_at=now, error=None))
            if res.rowcount != 1:
                return None
            row = c.execute(sa.select(jobs).where(jobs.c.id == job_id)).one()
        return Job.from_row(row)

    def heartbeat(self, job_id: str, claim: str, progress: float | None = None) -> bool:
        values: dict[str, Any] = {"heartbeat_at": self.clock()}
        if progress is not None:
            values["progress"] = progress
        with self.engine.begin() as c:
            res = c.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.claim == claim,
                                                jobs.c.state == JobState.running.value).values(**values))
        return res.rowcount == 1

    def complete(self, job_id: str, claim: str, result: dict[str, Any]) -> bool:
        """Write the result once: only the claim that still holds the running job can."""
        with self.engine.begin() as c:
            res = c.execute(jobs.update().where(
                jobs.c.id == job_id, jobs.c.claim == claim, jobs.c.state == JobState.running.value,
            ).values(state=JobState.done.value, result=json.dumps(result, ensure_ascii=False), progress=1.0,
                     finished_at=self.clock(), completions=jobs.c.completions + 1))
        return res.rowcount == 1

    def fail(self, job_id: str, claim: str, error: str, retry_in: float | None) -> JobState | None:
        """Permanent failure (retry_in None, or attempts used up) or back to queued after ``retry_in`` seconds."""
        now = self.clock()
        with self.engine.begin() as c:
            row = c.execute(sa.select(jobs).where(jobs.c.id == job_id, jobs.c.claim == claim,
                                                  jobs.c.state == JobState.running.value)).first()
            if row is None:
                return None
            if retry_in is not None and row.attempts < row.max_attempts:
                state = JobState.queued
                values = {"state": state.value, "error": error, "claim": None, "not_before": now + retry_in,
                          "enqueued_at": now + retry_in}
            else:
                state = JobState.failed
                values = {"state": state.value, "error": error, "finished_at": now}
            c.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.claim == claim).values(**values))
        return state

    # ---------------------------------------------------------------- sweep
    def sweep(self, requeue_after: float = 30.0) -> tuple[list[str], list[str]]:
        """Put back running jobs with a stale heartbeat; return (stale ids, queued ids to enqueue again)."""
        now = self.clock()
        with self.engine.begin() as c:
            stale = [r.id for r in c.execute(sa.select(jobs.c.id).where(
                jobs.c.state == JobState.running.value, jobs.c.heartbeat_at < now - self.stale_after))]
            for jid in stale:
                c.execute(jobs.update().where(jobs.c.id == jid, jobs.c.state == JobState.running.value,
                                              jobs.c.heartbeat_at < now - self.stale_after)
                          .values(state=JobState.queued.value, claim=None, enqueued_at=now,
                                  error="worker lost (heartbeat stale); re-queued"))
            lost = [r.id for r in c.execute(sa.select(jobs.c.id).where(
                jobs.c.state == JobState.queued.value, jobs.c.enqueued_at < now - requeue_after,
                sa.or_(jobs.c.not_before.is_(None), jobs.c.not_before <= now)))]
            if lost:
                c.execute(jobs.update().where(jobs.c.id.in_(lost)).values(enqueued_at=now))
        return stale, stale + lost


def active_count(engine: sa.Engine) -> int:
    """Jobs queued or running (the queue depth the metrics show)."""
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(jobs).where(
            jobs.c.state.in_([JobState.queued.value, JobState.running.value]))).scalar()


def referenced_digests(engine: sa.Engine, digests: list[str]) -> set[str]:
    """Which of these audio digests a job (key ``transcribe:<digest>:...``) or a call (its audio path) still uses."""
    from vocsvc.store.schema import calls

    found: set[str] = set()
    with engine.connect() as c:
        for s in range(0, len(digests), 200):
            part = digests[s : s + 200]
            for (key,) in c.execute(sa.select(jobs.c.key).where(sa.or_(*[jobs.c.key.like(f"%:{d}:%") for d in part]))):
                found |= {d for d in part if f":{d}:" in key}
            for (path,) in c.execute(sa.select(calls.c.audio_path).where(
                    sa.or_(*[calls.c.audio_path.like(f"%{d}%") for d in part]))):
                found |= {d for d in part if d in path}
    return found
