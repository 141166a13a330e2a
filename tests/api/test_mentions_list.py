"""GET /v1/mentions: every filter, newest first, keyset cursors that neither skip nor repeat; the OpenAPI
declares a response type for every JSON route."""
from datetime import timedelta

from apihelp import T0

TEXTS = [
    ("review", "appstore", "en", "I want a refund for the double charge, this is theft", "card"),
    ("social", "twitter", "en", "Cancel my account, I am switching to another bank", "app"),
    ("social", "vk", "ru", "Спасибо, поддержка быстро помогла, всё отлично", "app"),
    ("review", "appstore", "en", "Great app, the new update is fast and clean", "app"),
    ("survey", "survey", "ru", "Верните деньги, списали дважды за одну покупку", "card"),
    ("social", "twitter", "en", "The courier never came, where is my parcel?", None),
]


def _load(api, n=30):
    items = []
    for i in range(n):
        ch, src, lang, text, product = TEXTS[i % len(TEXTS)]
        items.append({"channel": ch, "source": src, "external_id": f"l{i}", "text": f"{text} #{i}",
                      "created_at": (T0 - timedelta(hours=3 * i)).isoformat() + "Z", "product": product,
                      "author": {"handle": f"@User{i % 4}", "followers": 10 * i}})
    assert api.post("/v1/mentions", "ingest", json=items).status_code == 201
    api.drain()
    return items


def _all(api, **params):
    out, cursor, pages = [], None, 0
    while True:
        r = api.get("/v1/mentions", "marketing", params=params | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return out, pages


def test_list_filters_and_keyset_pages(api):
    items = _load(api)
    got, pages = _all(api, limit=7)
    assert len(got) == 30 and pages == 5 and len({m["id"] for m in got}) == 30  # nothing skipped or repeated
    times = [m["created_at"] for m in got]
    assert times == sorted(times, reverse=True) and all(t.endswith("Z") for t in times)
    assert got[0]["tags"] is None and api.get("/v1/mentions", "qa", params={"with_tags": True}).json()[
        "items"][0]["tags"]["sentiment"]

    def ids(**p):
        return {m["external_id"] for m in _all(api, limit=500, **p)[0]}

    assert ids(channel="social") == {f"l{i}" for i in range(30) if items[i]["channel"] == "social"}
    assert ids(source="vk") == {f"l{i}" for i in range(2, 30, 6)}
    assert ids(product="card") == {f"l{i}" for i in range(30) if items[i]["product"] == "card"}
    assert ids(lang="ru") == {f"l{i}" for i in range(30) if i % 6 in (2, 4)}
    assert ids(author="@user1") == {f"l{i}" for i in range(1, 30, 4)}  # handles match case-insensitively
    assert ids(**{"from": (T0 - timedelta(hours=9)).isoformat(), "to": T0.isoformat()}) == {"l1", "l2", "l3"}
    assert ids(q="courier parcel") == {f"l{i}" for i in range(5, 30, 6)}
    assert ids(q="дважды") == {f"l{i}" for i in range(4, 30, 6)}
    tagged = _all(api, limit=500, with_tags=True)[0]  # the filters against what each mention's tags say

    def where(pred):
        return {m["external_id"] for m in tagged if pred(m)}

    for intent in ("refund_request", "cancellation", "delivery"):
        assert ids(intent=intent) == where(lambda m: intent in [x["label"] for x in m["tags"]["intents"]])
    assert ids(intent="refund_request")  # not vacuous: the refund texts are tagged so
    assert ids(category="churn_threat") == where(lambda m: "churn_threat" in m["tags"]["categories"])
    for sent in ("positive", "negative", "neutral"):
        assert ids(sentiment=sent) == where(lambda m: m["sentiment"] == sent)
    assert ids(sentiment="positive") and ids(sentiment="negative")
    assert ids(emotion="joy") == where(lambda m: m["emotion"] == "joy")
    alerted = ids(has_alert=True)
    assert alerted and alerted <= {f"l{i}" for i in range(30) if items[i]["channel"] in ("review", "social")}
    assert alerted | ids(has_alert=False) == {f"l{i}" for i in range(30)} and not alerted & ids(has_alert=False)
    a = api.get("/v1/alerts", "marketing").json()["items"][0]
    api.post(f"/v1/alerts/{a['id']}/ack", "marketing")
    acked = ids(alert_status="acknowledged")
    assert acked == {m["external_id"] for m in a["mentions"]}
    assert ids(channel="social", sentiment="negative", lang="en") == \
        ids(channel="social") & ids(sentiment="negative") & ids(lang="en")

    assert api.get("/v1/mentions", "marketing", params={"cursor": "garbage"}).status_code == 400
    assert api.get("/v1/mentions", "ingest").status_code == 403
    assert api.get("/v1/mentions", "marketing", params={"channel": "fax"}).status_code == 422


def test_theme_filter(api):
    _load(api, 24)
    assert api.post("/v1/themes/discover", "marketing").status_code == 200
    got, _ = _all(api, limit=500)
    themed = [m for m in got if m["theme_id"]]
    if not themed:  # discovery may leave 24 short texts unthemed; then the filter must return nothing
        assert _all(api, theme="nope")[0] == []
        return
    tid = themed[0]["theme_id"]
    assert {m["id"] for m in _all(api, theme=tid, limit=3)[0]} == {m["id"] for m in got if m["theme_id"] == tid}


def test_every_json_route_declares_its_response(api):
    spec = api.client.get("/openapi.json").json()
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            code = next((c for c in op["responses"] if c.startswith("2")), None)
            if code == "204":
                continue  # No Content: nothing to declare
            ok = op["responses"].get(code, {})
            content = ok.get("content", {})
            js = content.get("application/json")
            if js is None:
                assert content, f"{method} {path}: no content type"  # files, CSV, Prometheus text
                continue
            if not js.get("schema"):
                missing.append(f"{method.upper()} {path}")
    assert not missing, missing
