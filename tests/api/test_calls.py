"""Calls through the API with the real Whisper model: upload -> job (real queue) -> QA views, filters, redacted
audio, review with corrections, feedback export; bad uploads; a worker lost between the job and the call rows."""
import csv
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))
from synth import Turn, build_call, have_tools

pytestmark = pytest.mark.skipif(not have_tools("en"), reason="espeak-ng and sox are needed (make deps-apt)")

TURNS = [
    Turn("agent", "Thank you for calling ShopCo, my name is Emma. How can I help you?"),
    Turn("customer", "Hi. My order never arrived and I want a refund of my money."),
    Turn("agent", "I am sorry. Can you confirm the card you paid with?", 0.8),
    Turn("customer", "Yes, the card number is four five three nine, one four eight eight, zero three four three, "
                     "six four six seven.", 1.5),
    Turn("agent", "Thank you, I will refund you today.", 0.8),
]


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory):
    stereo, _mono, _truth = build_call(TURNS, "en", tmp_path_factory.mktemp("call"), "api")
    return stereo


def upload(api, path, role="ingest", **form):
    with open(path, "rb") as f:
        return api.post("/v1/calls", role, files={"file": (Path(path).name, f, "audio/wav")},
                        data={"agent_channel": "left", "agent_id": "emma", "started_at": "2026-03-01T10:00:00Z"} | form)


@pytest.mark.slow
def test_call_lifecycle(api, call_wav):
    r = upload(api, call_wav)
    assert r.status_code == 202, r.text
    job_id, call_id = r.json()["job_id"], r.json()["call_id"]
    again = upload(api, call_wav)
    assert (again.json()["job_id"], again.json()["call_id"], again.json()["created"]) == (job_id, call_id, False)
    assert api.get(f"/v1/calls/{call_id}", "qa").json()["state"] == "processing"
    assert api.drain() >= 1
    job = api.get(f"/v1/jobs/{job_id}", "ingest").json()
    assert job["state"] == "done" and job["progress"] == 1.0 and job["call_id"] == call_id

    call = api.get(f"/v1/calls/{call_id}", "qa").json()
    assert call["state"] == "ready" and call["language"] == "en" and call["has_pii"]
    roles = [u["role"] for u in call["utterances"]]
    assert roles[0] == "agent" and "customer" in roles
    text = " ".join(u["text_redacted"] for u in call["utterances"])
    assert "[CARD]" in text and "4539" not in text and "four five three nine" not in text.lower()
    assert call["rollups"]["pii_found"].get("card_number") and call["metrics"]["duration"] > 10
    cust = [u for u in call["utterances"] if u["role"] == "customer"]
    assert any(i["label"] == "refund_request" for u in cust for i in u["tags"]["intents"])  # multi-label

    assert api.get("/v1/calls", "qa", params={"agent_id": "emma", "has_pii": True}).json()["total"] == 1
    assert api.get("/v1/calls", "qa", params={"intent": "refund_request"}).json()["total"] == 1
    assert api.get("/v1/calls", "qa", params={"agent_id": "someone-else"}).json()["total"] == 0
    assert api.get("/v1/calls", "qa", params={"from": "2026-03-02T00:00:00Z"}).json()["total"] == 0
    assert api.get("/v1/calls", "qa", params={"reviewed": False}).json()["total"] == 1
    assert api.get("/v1/calls", "marketing").status_code == 403

    audio = api.get(f"/v1/calls/{call_id}/audio", "qa")
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"

    hits = api.get("/v1/search", "qa", params={"q": "refund"}).json()
    assert any(h["kind"] == "utterance" and h["call_id"] == call_id for h in hits["items"])

    k = next(u["index"] for u in cust)
    r = api.put(f"/v1/calls/{call_id}/review", "qa", json={
        "score": 85, "checklist": {"greeting": True, "verified_identity": False}, "comment": "good",
        "corrections": [{"utterance_index": k, "field": "sentiment", "value": "negative"}]})
    assert r.status_code == 200 and r.json()["reviewer"] == "qa-tester"
    bad = api.put(f"/v1/calls/{call_id}/review", "qa", json={"corrections": [
        {"utterance_index": 999, "field": "sentiment", "value": "negative"}]})
    assert bad.status_code == 422 and "out of range" in bad.json()["detail"]
    assert api.get("/v1/calls", "qa", params={"reviewed": True}).json()["total"] == 1
    rows = [json.loads(x) for x in api.get("/v1/feedback/export", "qa").text.splitlines()]
    assert rows == [rows[0]] and rows[0]["corrected_value"] == "negative" and rows[0]["field"] == "sentiment"
    assert rows[0]["model_value"] in ("positive", "neutral", "negative") and rows[0]["text_redacted"]
    table = list(csv.DictReader(io.StringIO(api.get("/v1/feedback/export", "qa", params={"format": "csv"}).text)))
    assert table[0]["corrected_value"] == "negative"


def test_bad_uploads(make_api, tmp_path, call_wav):
    api = make_api(recordings_dir=tmp_path)  # admins' server-side paths are allowed only inside this folder
    (tmp_path / "notes.wav").write_text("this is not audio at all " * 100)
    r = upload(api, tmp_path / "notes.wav")
    assert r.status_code == 422 and "audio" in r.json()["detail"]
    (tmp_path / "empty.wav").write_bytes(b"")
    assert "empty" in upload(api, tmp_path / "empty.wav").json()["detail"]
    r = api.post("/v1/calls", "ingest", data={"agent_channel": "left"})
    assert r.status_code == 422 and "exactly one" in r.json()["detail"]
    r = api.post("/v1/calls", "ingest", data={"path": str(call_wav)})
    assert r.status_code == 403
    r = upload(api, call_wav, agent_channel="middle")
    assert r.status_code == 422 and "agent_channel" in r.json()["detail"]
    r = api.post("/v1/calls", "admin", data={"path": str(tmp_path / "missing.wav")})
    assert r.status_code == 422 and "no such recording" in r.json()["detail"]
    r = api.post("/v1/calls", "admin", data={"path": str(call_wav)})  # a real recording, outside the folder
    assert r.status_code == 403 and "VOCSVC_RECORDINGS_DIR" in r.json()["detail"]
    assert api.get("/v1/calls/nope", "qa").status_code == 404
    assert api.get("/v1/jobs/nope", "ingest").status_code == 404
    assert api.get("/v1/calls", "qa").json()["total"] == 0  # nothing half-written


@pytest.mark.slow
def test_call_rows_filled_after_a_worker_died_before_writing_them(api, call_wav, monkeypatch):
    r = upload(api, call_wav)
    call_id = r.json()["call_id"]
    q = api.svc.queue

    def died(*a, **kw):  # the job result is saved, then the process is gone before the call's rows
        raise SystemExit("killed")

    monkeypatch.setattr(q, "_call_done", died)
    with pytest.raises(SystemExit):
        q._run(r.json()["job_id"])
    assert api.get(f"/v1/jobs/{r.json()['job_id']}", "ingest").json()["state"] == "done"
    monkeypatch.undo()
    call = api.get(f"/v1/calls/{call_id}", "qa").json()  # the read fills it from the job's result
    assert call["state"] == "ready" and call["utterances"]
