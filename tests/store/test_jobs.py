"""The job store's rules, on a real SQLite database, with an injected clock."""
import pytest

from vocsvc.store.db import make_engine
from vocsvc.store.jobs import JobState, JobStore


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def store(tmp_path):
    return JobStore(make_engine(f"sqlite:///{tmp_path / 'j.db'}"), stale_after=10, clock=Clock())


def test_same_key_is_one_job(store):
    a, new_a = store.submit("transcribe", "k1", {"path": "x"})
    b, new_b = store.submit("transcribe", "k1", {"path": "y"})
    assert new_a and not new_b and a.id == b.id and b.payload == {"path": "x"}


def test_only_one_claim_wins_and_result_is_written_once(store):
    job, _ = store.submit("transcribe", "k", {})
    assert store.claim(job.id, "w1") is not None
    assert store.claim(job.id, "w2") is None
    assert not store.complete(job.id, "w2", {"r": 2})
    assert store.complete(job.id, "w1", {"r": 1})
    assert not store.complete(job.id, "w1", {"r": 1})
    j = store.get(job.id)
    assert j.state == JobState.done and j.result == {"r": 1} and j.completions == 1


def test_stale_heartbeat_is_put_back_and_old_claim_cannot_write(store):
    job, _ = store.submit("transcribe", "k", {})
    store.claim(job.id, "dead")
    store.clock.t += 5
    assert store.heartbeat(job.id, "dead")
    assert store.sweep()[0] == []  # 5 s silence: still alive
    store.clock.t += 11
    stale, again = store.sweep()
    assert stale == [job.id] and job.id in again and store.get(job.id).state == JobState.queued
    assert not store.complete(job.id, "dead", {})  # the lost worker's late result is refused
    assert store.claim(job.id, "w2") is not None and store.complete(job.id, "w2", {"ok": True})
    assert store.get(job.id).attempts == 2


def test_retry_backoff_then_permanent_failure(store):
    job, _ = store.submit("transcribe", "k", {}, max_attempts=2)
    store.claim(job.id, "w")
    assert store.fail(job.id, "w", "timeout", retry_in=30) == JobState.queued
    assert store.claim(job.id, "w") is None  # not before the backoff has passed
    store.clock.t += 31
    assert store.claim(job.id, "w") is not None
    assert store.fail(job.id, "w", "timeout again", retry_in=30) == JobState.failed  # attempts used up
    j = store.get(job.id)
    assert j.state == JobState.failed and j.error == "timeout again" and j.attempts == 2


def test_permanent_error_fails_at_once(store):
    job, _ = store.submit("transcribe", "k", {}, max_attempts=5)
    store.claim(job.id, "w")
    assert store.fail(job.id, "w", "permanent: not audio", retry_in=None) == JobState.failed
