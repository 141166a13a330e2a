"""POST /v1/mentions: idempotent single and bulk ingest, tagging through the real queue, bad input."""
from apihelp import mention


def test_single_bulk_idempotent_and_tagged_via_queue(api):
    r = api.post("/v1/mentions", "ingest", json=mention(1, text="Refund my order now, card 4539 1488 0343 6467!"))
    assert r.status_code == 201, r.text
    item = r.json()["items"][0]
    assert item["created"] and item["state"] == "pending"
    again = api.post("/v1/mentions", "ingest", json=mention(1, text="edited text"))
    assert again.status_code == 200 and again.json()["items"][0]["id"] == item["id"]
    assert not again.json()["items"][0]["created"]

    bulk = [mention(i) for i in range(2, 40)] + [mention(1), mention(5)]  # two repeats inside the array
    r = api.post("/v1/mentions", "ingest", json=bulk)
    assert r.status_code == 201
    body = r.json()
    assert (body["created"], body["existing"]) == (38, 2)
    ids = [x["id"] for x in body["items"]]
    assert ids[-2] == item["id"] and ids[-1] == ids[3]

    assert api.drain() >= 2  # the queue holds the tagging jobs
    m = api.get(f"/v1/mentions/{item['id']}", "marketing").json()
    assert m["state"] == "tagged"
    assert "4539" not in m["text_redacted"] and "[CARD]" in m["text_redacted"]
    assert m["tags"]["intents"][0]["label"] == "refund_request"
    assert m["text_redacted"].startswith("Refund my order")  # the first text stands, the repeat changed nothing
    m5 = api.get(f"/v1/mentions/{ids[3]}", "marketing").json()
    assert m5["state"] == "tagged" and m5["sentiment"] == "positive" and m5["lang"] == "en"


def test_wait_true_tags_synchronously(api):
    r = api.post("/v1/mentions?wait=true", "ingest",
                 json=mention(1, text="Ужасный сервис, верните деньги, уйду к конкурентам!", channel="social",
                              source="vk", author={"handle": "@ivan", "followers": 12000}))
    assert r.status_code == 201
    m = r.json()["items"][0]
    assert m["state"] == "tagged" and m["lang"] == "ru" and m["sentiment"] == "negative"
    assert "churn_threat" in m["tags"]["categories"]
    r = api.post("/v1/mentions?wait=true", "ingest", json=[mention(2)])
    assert r.status_code == 422 and "single mention" in r.json()["detail"]


def test_pii_found_at_ingest_reaches_tags_and_export(api):
    """Only the redacted text is stored; the spans found at ingest are what tags.pii and the export report."""
    import csv
    import io

    text = "Верните деньги, карта 4539 1488 0343 6467, телефон +7 916 123-45-67"
    m = api.post("/v1/mentions?wait=true", "ingest", json=mention(1, text=text)).json()["items"][0]
    got = api.get(f"/v1/mentions/{m['id']}", "marketing").json()
    assert "4539" not in got["text_redacted"] and "[CARD]" in got["text_redacted"]
    spans = got["tags"]["pii"]
    assert sorted(p["type"] for p in spans) == ["card_number", "phone"]
    assert text[spans[0]["start"] : spans[0]["end"]].replace(" ", "") in {"4539148803436467", "+79161234567"}
    api.post("/v1/mentions?wait=true", "ingest", json=mention(2, text="No personal data here, just late."))
    rows = {r["external_id"]: r for r in
            csv.DictReader(io.StringIO(api.get("/v1/mentions/export", "marketing", params={"format": "csv"}).text))}
    assert rows[mention(1)["external_id"]]["pii_types"] == "card_number|phone"
    assert rows[mention(2)["external_id"]]["pii_types"] == ""


def test_bad_input_is_4xx_and_writes_nothing(api):
    bad = [
        ({"channel": "fax", "source": "x", "external_id": "1", "text": "hi", "created_at": "2026-01-01"}, "channel"),
        (mention(1, text=""), "empty text"),
        (mention(1, text="\x00\x01\x02\x03 binary"), "binary"),
        (mention(1, text="x" * 20_001), "too long"),
        (mention(1, created_at="yesterday"), "created_at"),
        (mention(1, created_at="1800-01-01T00:00:00"), "created_at"),
        (mention(1, rating=6), "rating"),
        (mention(1, nps="ten"), "nps"),
        (mention(1, text=123), "text"),
        (mention(1, unknown_field=1), "unknown_field"),
        ([mention(2), mention(3, channel="pigeon")], "1.channel"),
    ]
    for body, word in bad:
        r = api.post("/v1/mentions", "ingest", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert word in r.json()["detail"], r.json()
    r = api.post("/v1/mentions", "ingest", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["detail"]
    r = api.post("/v1/mentions", "ingest", json=[mention(i) for i in range(1001)])
    assert r.status_code == 422 and "1000" in r.json()["detail"]
    big = {"x": "y" * (6 * 2**20)}
    r = api.post("/v1/mentions", "ingest", json=big)
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    r = api.post("/v1/mentions", "ingest", json=[])
    assert r.status_code == 422
    # nothing was half-written: the valid first item of the failed bulk is not there either
    from vocsvc.store.schema import mentions
    import sqlalchemy as sa

    with api.svc.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(mentions)).scalar() == 0


def test_lost_queue_message_is_swept(api, clock):
    """A mention whose queue message is lost stays pending; the maintenance sweep re-enqueues it."""
    from vocsvc.service.maintenance import Maintenance

    r = api.post("/v1/mentions", "ingest", json=mention(1))
    api.svc.queue.huey.flush()  # the message is gone
    assert api.drain() == 0
    m = Maintenance(api.svc.settings, api.svc.engine, clock, api.svc.queue)
    assert m.tick()["requeued_mentions"] == 0  # too fresh to call lost
    clock.advance(minutes=1)
    assert m.tick()["requeued_mentions"] == 1
    assert m.tick()["requeued_mentions"] == 0  # its message is in the queue now: not sent again while it waits
    api.drain()
    assert api.get(f"/v1/mentions/{r.json()['items'][0]['id']}").json()["state"] == "tagged"


def test_in_process_worker_end_to_end(make_api, clock):
    """`vocsvc serve`'s own consumer thread tags what arrives."""
    import time

    api = make_api()
    api.svc.run_workers = True
    api.svc.start(warmup=False)
    try:
        r = api.post("/v1/mentions", "ingest", json=[mention(i) for i in range(5)])
        ids = [x["id"] for x in r.json()["items"]]
        deadline = time.time() + 60
        while time.time() < deadline:
            states = {api.get(f"/v1/mentions/{i}").json()["state"] for i in ids}
            if states == {"tagged"}:
                break
            time.sleep(0.2)
        assert states == {"tagged"}
    finally:
        api.svc.stop()


def test_no_pii_or_keys_in_logs(api, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    card = "4539 1488 0343 6467"
    api.post("/v1/mentions?wait=true", "ingest", json=mention(1, text=f"my card {card} was charged twice"))
    api.post("/v1/mentions", "ingest", json=mention(2, text=f"card {card}", rating=9))  # rejected
    api.client.get("/v1/alerts", headers={"Authorization": "Bearer vk_bad_" + card})
    text = caplog.text
    assert card not in text and api.keys["ingest"] not in text
