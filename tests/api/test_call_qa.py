"""Automatic QA through the API: every call is scored on ingest (items with answer, confidence and evidence;
sections; reason; outcome), lists filter on it, a reviewer's verdicts override items with the automatic value kept,
agreement is exported for calibration, and an agent's QA is summarised over time. Real Whisper, real queue."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))
from synth import Turn, build_call, have_tools  # noqa: E402

pytestmark = pytest.mark.skipif(not have_tools("en"), reason="espeak-ng and sox are needed (make deps-apt)")

# A rushed agent: no name in the greeting, account looked at before any verification, reads the card back,
# no further help offered; but apologises, resolves and says goodbye.
TURNS = [
    Turn("agent", "Hello, NetLine support. What do you want?"),
    Turn("customer", "My internet has been down for two days and I am really angry about it.", 0.5),
    Turn("agent", "I am sorry about that. I can see your account has an outage ticket.", 0.6),
    Turn("customer", "Can you charge the repair to my card, four five three nine, one four eight eight, zero three "
                     "four three, six four six seven?", 0.6),
    Turn("agent", "So that is four five three nine, one four eight eight, zero three four three, six four six seven.",
         0.6),
    Turn("agent", "I have reset your router remotely and it is working now.", 0.8),
    Turn("customer", "Yes, it works now, thank you.", 0.6),
    Turn("agent", "Goodbye.", 0.5),
]


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory):
    stereo, _mono, _truth = build_call(TURNS, "en", tmp_path_factory.mktemp("qa"), "qa")
    return stereo


@pytest.mark.slow
def test_call_is_scored_on_ingest_and_reviewers_override(api, call_wav):
    with open(call_wav, "rb") as f:
        r = api.post("/v1/calls", "ingest", files={"file": ("qa.wav", f, "audio/wav")},
                     data={"agent_channel": "left", "agent_id": "ivan", "started_at": "2026-03-01T10:00:00Z"})
    call_id = r.json()["call_id"]
    api.drain()
    call = api.get(f"/v1/calls/{call_id}", "qa").json()
    qa = call["qa"]
    auto = {i["id"]: i["auto"] for i in qa["items"]}
    assert auto["greeting"] == "no"  # a company but no name
    assert auto["verification"] == "no" and auto["pii_readback"] == "no" and auto["empathy"] == "yes"
    assert auto["resolution"] == "yes" and auto["closing"] == "yes" and auto["further_help"] == "no"
    assert auto["hold"] == "na" and auto["forbidden"] == "yes"
    pii = next(i for i in qa["items"] if i["id"] == "pii_readback")
    assert pii["evidence"] and call["utterances"][pii["evidence"][0]["utterance"]]["role"] == "agent"
    assert qa["outcome"]["label"] == "resolved"
    # the reason is one of the customer's own intents, with the turn that says it (its accuracy on labelled calls
    # is measured by bench/qa_agreement.py: Whisper hears "down" as "known" here)
    ev = call["utterances"][qa["reason"]["evidence"][0]["utterance"]]
    assert ev["role"] == "customer" and qa["reason"]["intent"] in {i["label"] for i in ev["tags"]["intents"]}
    assert 0 < qa["score"] < 100 and qa["final_score"] == qa["score"] and set(qa["sections"]) == {
        "opening", "conduct", "closing"}
    assert call["qa_score"] == qa["score"] and call["outcome"] == "resolved"

    listed = api.get("/v1/calls", "qa", params={"outcome": "resolved", "max_qa_score": 99}).json()
    assert [c["id"] for c in listed["items"]] == [call_id] and listed["items"][0]["reason"] == qa["reason"]["intent"]
    assert api.get("/v1/calls", "qa", params={"min_qa_score": qa["score"] + 0.1}).json()["total"] == 0
    assert api.get("/v1/calls", "qa", params={"outcome": "escalated"}).json()["total"] == 0

    bad = api.put(f"/v1/calls/{call_id}/review", "qa", json={"checklist": {"greeting": "maybe"}})
    assert bad.status_code == 422
    bad = api.put(f"/v1/calls/{call_id}/review", "qa", json={"checklist": {"talk_balance": 9}})
    assert bad.status_code == 422 and "1-5" in bad.json()["detail"]
    r = api.put(f"/v1/calls/{call_id}/review", "qa", json={
        "score": 60, "checklist": {"greeting": "yes", "pii_readback": False, "own_note": True}})
    assert r.status_code == 200, r.text
    qa2 = api.get(f"/v1/calls/{call_id}", "qa").json()["qa"]
    g = next(i for i in qa2["items"] if i["id"] == "greeting")
    assert (g["auto"], g["reviewer"], g["final"]) == ("no", "yes", "yes")
    assert qa2["score"] == qa["score"] and qa2["final_score"] > qa["score"]  # the automatic score stays

    agree = api.get("/v1/qa/agreement", "qa").json()
    assert agree["items"]["greeting"] == {"n": 1, "agree": 0, "rate": 0.0, "confusion": {"no->yes": 1}}
    assert agree["items"]["pii_readback"]["agree"] == 1 and "own_note" not in agree["items"]
    rows = [json.loads(x) for x in api.get("/v1/qa/agreement", "qa", params={"format": "jsonl"}).text.splitlines()]
    assert {(x["item"], x["agree"]) for x in rows} == {("greeting", False), ("pii_readback", True)}

    ag = api.get("/v1/agents/ivan/qa", "qa", params={"from": "2026-02-01T00:00:00Z", "to": "2026-03-31T00:00:00Z"})
    assert ag.status_code == 200, ag.text
    ag = ag.json()
    assert ag["calls"] == 1 and ag["score"] == qa2["final_score"] and ag["series"][0]["period"] == "2026-W09"
    failed = {x["item"] for x in ag["failed_most"]}
    assert {"verification", "pii_readback", "further_help"} <= failed and "greeting" not in failed
    assert ag["outcomes"] == {"resolved": 1} and ag["talk_ratio"] is not None
    assert api.get("/v1/agents/nobody/qa", "qa").json()["calls"] == 0
    assert api.get("/v1/agents/ivan/qa", "marketing").status_code == 403
