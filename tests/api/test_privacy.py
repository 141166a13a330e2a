"""Data-subject deletion (a customer id; an author handle) removes every row and file of that person and nobody
else's, keeps the rollups exact and the alerts consistent, and leaves a receipt in an audit log that holds no PII.
Retention purges old mentions, transcripts and audio the same way. Both databases; a real call through Whisper."""
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apihelp import T0, mention

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))
from synth import Turn, build_call, have_tools

NEG = "This is the worst service ever, I am furious, nobody answers and my money is gone. Zyxwvut."
TURNS = [Turn("agent", "Thank you for calling ShopCo, this is Emma."),
         Turn("customer", "Hello, my parcel never arrived and I want my money back."),
         Turn("agent", "I am sorry, I will refund you today.", 0.8)]


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory):
    if not have_tools("en"):
        pytest.skip("espeak-ng and sox are needed (make deps-apt)")
    stereo, _mono, _truth = build_call(TURNS, "en", tmp_path_factory.mktemp("pcall"), "privacy")
    return stereo


def _rows(engine, table, where=None):
    with engine.connect() as c:
        return c.execute(sa.text(f"SELECT * FROM {table}" + (f" WHERE {where}" if where else ""))).mappings().all()


def _rollups(engine):
    out = {}
    with engine.connect() as c:
        for t in ("metric_rollup", "theme_rollup", "theme_day_rollup"):
            out[t] = sorted(tuple(r) for r in c.execute(sa.text(f"SELECT * FROM {t}")) if any(
                v for v in tuple(r)[len(tuple(r)) - 3:]))  # rows counted down to zero say nothing
    return out


def assert_rollups_exact(engine):
    """The incrementally kept counters equal a recount of the rows that remain."""
    from vocsvc.store.rollups import rebuild

    before = _rollups(engine)
    rebuild(engine)
    assert _rollups(engine) == before


def test_delete_customer_and_author(api, call_wav):
    eng = api.svc.engine
    r = api.post("/v1/mentions", "ingest", json=[
        mention(1, text="Refund me now, the card was charged twice. Quokkaword.", customer_id="cust-42",
                channel="chat", source="crm"),
        mention(2, text=NEG, customer_id="cust-42", channel="social", source="twitter",
                author={"handle": "@cust42", "followers": 10}),
        mention(3, text=NEG, channel="social", source="twitter", author={"handle": "@Angry_Bob", "followers": 5}),
        mention(4, text="Still waiting, worst courier, I am furious. " + NEG, channel="social", source="twitter",
                author={"handle": "@angry_bob", "followers": 5}),
        mention(5, text="Bob again on another site: awful awful service. Quokkaword.", channel="review",
                source="trustpilot", author={"handle": "@ANGRY_BOB"}),
        mention(6, text=NEG, channel="social", source="twitter", author={"handle": "@calm_ann", "followers": 7}),
        mention(7, text="Lovely app, thanks", customer_id="cust-7", nps=10),
    ])
    assert r.status_code == 201, r.text
    ids = {x["external_id"]: x["id"] for x in r.json()["items"]}
    with open(call_wav, "rb") as f:
        up = api.post("/v1/calls", "ingest", files={"file": ("c.wav", f, "audio/wav")},
                      data={"agent_channel": "left", "customer_id": "cust-42", "started_at": "2026-03-01T10:00:00Z"})
    assert up.status_code == 202, up.text
    call_id = up.json()["call_id"]
    api.drain()
    call = api.get(f"/v1/calls/{call_id}", "qa").json()
    assert call["state"] == "ready" and call["utterances"]
    assert api.put(f"/v1/calls/{call_id}/review", "qa", json={"score": 70, "corrections": [
        {"utterance_index": 0, "field": "sentiment", "value": "neutral"}]}).status_code == 200
    files = [Path(p) for p in _rows(eng, "calls")[0].values() if isinstance(p, str) and p.endswith((".wav",))]
    assert len(files) == 2 and all(p.exists() for p in files), files  # the upload and its redacted copy
    def alerted():
        items = api.get("/v1/alerts", "marketing").json()["items"]
        return len(items), {m["external_id"] for a in items for m in a["mentions"]}

    n_alerts, first = alerted()
    assert {"m2", "m3", "m4", "m6"} <= first and "m1" not in first  # cust42's tweet, Bob's tweets, Ann's
    assert api.get("/v1/search", "qa", params={"q": "quokkaword"}).json()["total"] == 2

    def semantic_total():
        return api.get("/v1/search", "qa", params={"q": "refund", "mode": "semantic"}).json()["total"]

    sem0 = semantic_total()
    assert api.client.delete("/v1/customers/cust-42", headers=api.h("qa")).status_code == 403
    rc = api.client.delete("/v1/customers/cust-42", headers=api.h("admin"))
    assert rc.status_code == 200, rc.text
    receipt = rc.json()
    assert receipt["subject"] == "customer" and receipt["files"] == 2
    assert receipt["rows"]["mentions"] == 2 and receipt["rows"]["calls"] == 1 and receipt["rows"]["jobs"] == 1
    assert receipt["rows"]["utterances"] == len(call["utterances"]) and receipt["rows"]["reviews"] == 1
    assert receipt["rows"]["alerts"] == 1 and receipt["rows"]["embeddings"] >= 2

    assert not _rows(eng, "mentions", "customer_id = 'cust-42'") and not _rows(eng, "calls")
    assert not _rows(eng, "utterances") and not _rows(eng, "call_labels") and not _rows(eng, "reviews")
    assert not _rows(eng, "jobs")  # the job's result held the transcript
    gone = (ids["m1"], ids["m2"])
    for t, col in (("mention_labels", "mention_id"), ("alert_mentions", "mention_id")):
        assert not [x for x in _rows(eng, t) if x[col] in gone], t
    assert not any(p.exists() for p in files)
    assert api.get(f"/v1/calls/{call_id}", "qa").status_code == 404
    assert api.get(f"/v1/mentions/{ids['m1']}").status_code == 404
    if eng.dialect.name == "sqlite":
        assert not _rows(eng, "search_fts", f"doc_id IN ('{ids['m1']}', '{ids['m2']}') OR doc_kind = 'utterance'")
    assert api.get("/v1/search", "qa", params={"q": "quokkaword"}).json()["total"] == 1  # Bob's is left
    assert semantic_total() == sem0 - receipt["rows"]["embeddings"]  # not even the in-memory index keeps them
    assert alerted() == (n_alerts - 1, first - {"m2"})
    assert_rollups_exact(eng)

    ra = api.client.delete("/v1/authors/@angry_bob", headers=api.h("admin"))  # any case, every source
    assert ra.status_code == 200 and ra.json()["rows"]["mentions"] == 3, ra.text
    assert ra.json()["rows"]["alerts"] == n_alerts - 2 and ra.json()["rows"]["alert_events"] >= 1
    assert not _rows(eng, "mentions", "lower(author_handle) = '@angry_bob'")
    assert alerted() == (1, {"m6"})  # Ann's alert is untouched
    assert api.get("/v1/search", "qa", params={"q": "quokkaword"}).json()["total"] == 0
    assert {m["external_id"] for m in api.get("/v1/mentions").json()["items"]} == {"m6", "m7"}
    assert_rollups_exact(eng)
    assert api.get("/v1/metrics").json()["volume"] == 2

    audit = api.get("/v1/audit", params={"action": "customer.delete"}).json()["items"]
    assert [a["object_id"] for a in audit] == [receipt["id"]] and audit[0]["detail"]["rows"]["calls"] == 1
    dump = json.dumps(api.get("/v1/audit", params={"limit": 1000}).json()).lower()
    assert "cust-42" not in dump and "angry_bob" not in dump and "furious" not in dump  # no PII in the log
    assert {"call.read", "call.upload", "review.update", "author.delete"} <= {
        a["action"] for a in api.get("/v1/audit", params={"limit": 1000}).json()["items"]}


def test_delete_rejects_blank_subject(api):
    r = api.client.delete("/v1/authors/%20", headers=api.h("admin"))
    assert r.status_code == 422 and "nobody" in r.json()["detail"]


def test_retention_purge_keeps_rollups_exact(make_api, clock):
    api = make_api(retention_days_mentions=30)
    old = [mention(i, text=f"Old complaint {i}, awful delivery", created_at=(T0 - timedelta(days=40)).isoformat() + "Z",
                   channel="social", source="twitter", author={"handle": f"@o{i}"}) for i in range(3)]
    new = [mention(10 + i, text=NEG, channel="social", source="twitter", author={"handle": f"@n{i}"})
           for i in range(2)]
    assert api.post("/v1/mentions", "ingest", json=old + new).status_code == 201
    api.drain()
    from vocsvc.service.privacy import purge

    done = purge(api.svc, clock.now())
    assert done["mentions"] == 3
    assert {m["external_id"] for m in api.get("/v1/mentions").json()["items"]} == {"m10", "m11"}
    assert_rollups_exact(api.svc.engine)
    assert purge(api.svc, clock.now())["mentions"] == 0  # idempotent
    assert any(a["action"] == "retention.purge" and a["key_id"] is None
               for a in api.get("/v1/audit").json()["items"])


def test_retention_of_audio_and_transcripts(make_api, clock, tmp_path):
    """Audio older than 10 days loses its files (the transcript stays); transcripts older than 30 days go whole.
    The maintenance loop runs the purge once a day."""
    import wave

    from vocsvc.service.calls import materialize
    from vocsvc.service.maintenance import Maintenance

    api = make_api(retention_days_audio=10, retention_days_transcripts=30)
    made = {}
    for name, age in (("recent", 1), ("oldish", 15), ("ancient", 45)):
        path = tmp_path / f"{name}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
            w.writeframes(bytes(8000 * (2 + len(made))))  # different lengths: different recordings
        with open(path, "rb") as f:
            r = api.post("/v1/calls", "ingest", files={"file": (path.name, f, "audio/wav")},
                         data={"started_at": (clock.now() - timedelta(days=age)).isoformat() + "Z"})
        assert r.status_code == 202, r.text
        redacted = Path(api.svc.settings.data_dir) / "audio" / f"{name}.redacted.wav"
        redacted.write_bytes(path.read_bytes())
        # the transcript as the worker would hand it over (Whisper itself is tested elsewhere)
        assert materialize(api.svc.engine, r.json()["job_id"], {
            "utterances": [{"role": "customer", "start": 0.0, "end": 1.0, "text_redacted": f"{name} call words",
                            "tags": {"sentiment": {"label": "negative", "score": -0.5}, "intents": [],
                                     "categories": []}}],
            "duration": 2.0, "language": "en", "channels": 1, "metrics": {}, "rollups": {},
            "redacted_audio": str(redacted)})
        made[name] = (r.json()["call_id"], redacted, Path(_rows(api.svc.engine, "calls", f"id = '{r.json()['call_id']}'")[0]["audio_path"]))
    m = Maintenance(api.svc.settings, api.svc.engine, clock, api.svc.queue)
    assert m.tick()["retention"] == {"mentions": 0, "calls": 1, "audio_calls": 1, "files": 4}
    assert m.tick()["retention"] is None  # once a day
    cid, red, orig = made["recent"]
    assert red.exists() and orig.exists() and api.get(f"/v1/calls/{cid}/audio", "qa").status_code == 200
    cid, red, orig = made["oldish"]
    assert not red.exists() and not orig.exists()
    assert api.get(f"/v1/calls/{cid}", "qa").json()["utterances"]  # the transcript stays
    assert api.get(f"/v1/calls/{cid}/audio", "qa").status_code == 404
    cid, red, orig = made["ancient"]
    assert api.get(f"/v1/calls/{cid}", "qa").status_code == 404 and not red.exists() and not orig.exists()
    assert_rollups_exact(api.svc.engine)
    clock.advance(days=1, hours=1)
    assert m.tick()["retention"] == {"mentions": 0, "calls": 0, "audio_calls": 0, "files": 0}
