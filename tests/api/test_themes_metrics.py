"""Themes over stored embeddings (stable ids, few unthemed, emerging), business metrics, search, export."""
import csv
import io
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from apihelp import T0


@pytest.fixture
def loaded(api, shared_data):
    """Banking77 questions as app-store reviews over 28 days; 'card arrival' questions surge in the last 14."""
    rows = list(csv.DictReader(open(shared_data / "banking77" / "test.csv", encoding="utf-8")))
    pick = [r for r in rows if r["category"] in ("card_arrival", "exchange_rate", "lost_or_stolen_card",
                                                 "top_up_failed", "cash_withdrawal_charge")]
    items, k = [], 0
    for r in pick:
        surge = r["category"] == "card_arrival"
        day = 14 + (k % 14) if surge else k % 28
        k += 1
        if surge and k % 8 == 0:  # a trickle of it in the first half too
            day = k % 14
        items.append({"channel": "review" if k % 2 else "social", "source": "appstore", "external_id": f"b{k}",
                      "text": r["text"], "created_at": (T0 - timedelta(days=28 - day)).isoformat() + "Z",
                      "product": "card" if "card" in r["category"] else "app",
                      "rating": 1 + k % 5, "nps": k % 11})
    for s in range(0, len(items), 500):
        assert api.post("/v1/mentions", "ingest", json=items[s : s + 500]).status_code == 201
    api.drain()
    return items


def test_themes_discovery_stats_and_stable_ids(api, loaded, clock):
    r = api.post("/v1/themes/discover", "marketing")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["documents"] == len(loaded) and 4 <= d["themes"] <= 40 and d["unthemed_share"] <= 0.2
    body = api.get("/v1/themes", "marketing", params={"from": (T0 - timedelta(days=14)).isoformat(),
                                                      "to": T0.isoformat(), "limit": 100}).json()
    assert body["total"] == d["themes"] or body["total"] <= d["themes"]
    assert body["unthemed_share"] <= 0.2
    top = body["items"][0]
    for key in ("id", "label", "keyphrases", "volume", "share", "net_sentiment", "series", "examples",
                "previous_volume", "significant", "emerging", "change_pct"):
        assert key in top
    assert sum(t["volume"] for t in body["items"]) <= body["documents"]
    card = [t for t in body["items"] if any("card" in p or "arrive" in p for p in t["keyphrases"][:3])]
    assert card and any(t["emerging"] for t in card), [(t["label"], t["volume"], t["previous_volume"]) for t in card]
    one = api.get(f"/v1/themes/{top['id']}", "marketing").json()
    assert one["id"] == top["id"] and one["examples"]
    ms = api.get(f"/v1/themes/{top['id']}/mentions", "marketing", params={"limit": 5}).json()
    assert len(ms["items"]) == 5 and ms["next_cursor"] and ms["total"] >= 5
    page2 = api.get(f"/v1/themes/{top['id']}/mentions", "marketing",
                    params={"limit": 5, "cursor": ms["next_cursor"]}).json()
    assert not {m["id"] for m in page2["items"]} & {m["id"] for m in ms["items"]}
    assert api.get("/v1/themes", "marketing", params={"channel": "social"}).json()["documents"] < body["documents"]
    assert api.get("/v1/themes", "qa").status_code == 403

    # re-discovery keeps the ids; a new mention is assigned to a theme at tagging time
    again = api.post("/v1/themes/discover", "marketing").json()
    assert again["kept_ids"] == again["themes"] and again["new_ids"] == 0
    r = api.post("/v1/mentions?wait=true", "ingest", json={
        "channel": "review", "source": "appstore", "external_id": "new1", "created_at": T0.isoformat(),
        "text": "My new card still has not arrived, when will it be delivered?"})
    assert r.json()["items"][0]["theme_id"] in {t["id"] for t in body["items"]}


def test_metrics(api, loaded):
    m = api.get("/v1/metrics", "marketing").json()
    n = len(loaded)
    assert m["volume"] == n and m["nps_responses"] == n and m["ratings"] == n
    prom = sum(1 for x in loaded if x["nps"] >= 9) / n
    det = sum(1 for x in loaded if x["nps"] <= 6) / n
    assert m["nps"] == pytest.approx(round(100 * prom, 1) - round(100 * det, 1), abs=0.11)
    assert m["csat"] == pytest.approx(100 * sum(1 for x in loaded if x["rating"] >= 4) / n, abs=0.06)
    assert -100 <= m["net_sentiment"] <= 100
    g = api.get("/v1/metrics", "marketing", params={"group_by": "channel"}).json()
    assert {x["key"] for x in g["groups"]} == {"review", "social"} and sum(x["volume"] for x in g["groups"]) == n
    w = api.get("/v1/metrics", "marketing", params={"group_by": "week"}).json()
    assert 4 <= len(w["groups"]) <= 6 and all(len(x["key"]) == 10 for x in w["groups"])
    p = api.get("/v1/metrics", "marketing", params={"product": "card", "group_by": "day"}).json()
    assert p["volume"] == sum(1 for x in loaded if x["product"] == "card")


def test_search_and_export(api, loaded):
    r = api.get("/v1/search", "marketing", params={"q": "exchange rate"}).json()
    assert r["total"] > 0 and all("exchange" in h["text_redacted"].lower() for h in r["items"])
    r = api.get("/v1/search", "marketing", params={"q": 'rate" OR (*'}).json()  # no FTS syntax errors leak
    assert "items" in r
    sem = api.get("/v1/search", "marketing", params={"q": "how much does it cost to withdraw money at an ATM",
                                                     "mode": "semantic", "limit": 5}).json()
    assert len(sem["items"]) == 5
    assert sum("withdraw" in h["text_redacted"].lower() or "atm" in h["text_redacted"].lower()
               or "cash" in h["text_redacted"].lower() for h in sem["items"]) >= 4

    c = api.get("/v1/mentions/export", "marketing", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(c.text)))
    assert len(rows) == len(loaded) and rows[0]["sentiment"] and "theme_id" in rows[0] and "alert_status" in rows[0]
    p = api.get("/v1/mentions/export", "marketing", params={"format": "parquet", "channel": "social"})
    t = pq.read_table(io.BytesIO(p.content))
    assert t.num_rows == sum(1 for x in loaded if x["channel"] == "social") and "keywords" in t.column_names


def test_periodic_rediscovery_runs_as_a_background_job(api, loaded, clock):
    import time

    from vocsvc.service.maintenance import Maintenance

    s = api.svc.settings.model_copy(update={"themes_every_hours": 24.0})
    m = Maintenance(s, api.svc.engine, clock, api.svc.queue)

    def wait_done():
        deadline = time.time() + 120
        while time.time() < deadline and not m._themes_lock.acquire(blocking=False):
            time.sleep(0.2)
        m._themes_lock.release()

    assert m.tick()["themes"] == "started"
    wait_done()
    first = {t["id"] for t in api.get("/v1/themes", "marketing", params={"limit": 200}).json()["items"]}
    assert first
    assert m.tick()["themes"] is None  # fresh: not due again
    clock.advance(hours=25)
    assert m.tick()["themes"] == "started"
    wait_done()
    assert {t["id"] for t in api.get("/v1/themes", "marketing", params={"limit": 200}).json()["items"]} == first
