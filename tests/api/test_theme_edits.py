"""People's theme edits: a label of their own and merges, both kept across re-discovery (a merged theme's
documents, old and new, go where it was merged, following chains), with their errors and audit entries; and each
theme's impact on NPS and CSAT, against numbers worked out by hand. On SQLite and PostgreSQL (the `api` fixture).

The documents are written straight to the store with embeddings around three real sentence embeddings, so
discovery finds exactly three themes in seconds and a real mention of one of those sentences lands on its theme."""
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from apihelp import T0

SEEDS = {"card": "My new card still has not arrived, when will it be delivered?",
         "fx": "Which exchange rate do you use when I pay in euros abroad?",
         "topup": "My top up failed and the money was not added to my balance"}
PER = 20


def _insert(engine, rows: list[dict]) -> None:
    """Tagged mentions as the tagger would leave them, then the rollups recounted from the rows."""
    from vocsvc.store.rollups import rebuild
    from vocsvc.store.schema import mentions

    base = {"source": "appstore", "channel": "review", "ingested_at": T0, "text_sha256": "0" * 64, "state": "tagged",
            "sentiment": "neutral", "lang": "en", "author_is_vip": False}
    with engine.begin() as c:
        c.execute(mentions.insert(), [base | {"external_id": r["id"], "text_redacted": r.get("text", r["id"])} | r
                                      for r in rows])
    rebuild(engine)


def _seed_clusters(api) -> dict[str, np.ndarray]:
    from vocsvc.store.db import pack_vector

    X = api.svc.analyzer.embed(list(SEEDS.values()))
    rng = np.random.default_rng(0)
    rows = []
    for (name, text), x in zip(SEEDS.items(), X):
        for i in range(PER):
            v = x + rng.normal(0, 0.004, len(x))
            rows.append({"id": f"{name}-{i:02d}", "text": f"{text} ({i})", "created_at": T0 - timedelta(days=1 + i % 5, hours=i),
                         "embedding": pack_vector(v / np.linalg.norm(v))})
    _insert(api.svc.engine, rows)
    return dict(zip(SEEDS, X))


def _theme_of(api, name: str) -> str:
    """The theme holding the documents of one seed sentence."""
    from vocsvc.store.schema import mentions

    with api.svc.engine.connect() as c:
        got = {r[0] for r in c.execute(sa.select(mentions.c.theme_id).where(mentions.c.id.like(f"{name}-%")))}
    assert len(got) == 1 and None not in got, got
    return got.pop()


def _listed(api) -> dict[str, dict]:
    r = api.get("/v1/themes", "marketing", params={"limit": 200})
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()["items"]}


def test_rename_and_merge_survive_rediscovery(api):
    from vocsvc.service import themes as theme_service

    vec = _seed_clusters(api)
    d = api.post("/v1/themes/discover", "marketing").json()
    assert d["themes"] == 3 and d["unthemed_share"] == 0.0, d
    card, fx, topup = (_theme_of(api, n) for n in SEEDS)
    auto = _listed(api)[card]["label"]

    # rename: stripped, shown in the list and the detail, the discovered label kept beside it
    r = api.client.patch(f"/v1/themes/{card}", headers=api.h("marketing"), json={"label": "  Card delivery  "})
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "Card delivery" and r.json()["auto_label"] == auto and r.json()["volume"] == PER
    assert _listed(api)[card]["label"] == "Card delivery"
    assert api.get(f"/v1/themes/{card}", "marketing").json()["label"] == "Card delivery"
    for bad in ({"label": ""}, {"label": "   "}, {"label": "x" * 81}, {"label": "bell\x07"}, {"label": "a\nb"},
                {"label": "ok", "extra": 1}, {}):
        assert api.client.patch(f"/v1/themes/{card}", headers=api.h("marketing"), json=bad).status_code == 422, bad
    assert api.client.patch("/v1/themes/th_nope", headers=api.h("marketing"), json={"label": "x"}).status_code == 404
    assert api.client.patch(f"/v1/themes/{card}", headers=api.h("qa"), json={"label": "x"}).status_code == 403
    assert api.client.patch(f"/v1/themes/{fx}", headers=api.h("marketing"),
                            json={"label": "Exchange rate"}).json()["label"] == "Exchange rate"
    back = api.client.patch(f"/v1/themes/{fx}", headers=api.h("marketing"), json={"label": None}).json()
    assert back["label"] == back["auto_label"] != "Exchange rate"  # null: the discovered label again

    again = api.post("/v1/themes/discover", "marketing").json()
    assert again["kept_ids"] == 3 and again["new_ids"] == 0
    assert _listed(api)[card]["label"] == "Card delivery"

    # merge fx into card: its documents move, it leaves the list, the rollups are recounted
    r = api.post(f"/v1/themes/{fx}/merge", "marketing", json={"into": card})
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["id"] == card and m["volume"] == 2 * PER and m["merged_from"] == [fx] and m["label"] == "Card delivery"
    listed = _listed(api)
    assert fx not in listed and listed[card]["volume"] == 2 * PER and listed[topup]["volume"] == PER
    gone = api.get(f"/v1/themes/{fx}", "marketing").json()
    assert gone["merged_into"] == card and gone["active"] is False and gone["volume"] == 0
    assert api.get(f"/v1/themes/{fx}/mentions", "marketing").json()["total"] == 0
    assert api.get(f"/v1/themes/{card}/mentions", "marketing", params={"limit": 1}).json()["total"] == 2 * PER

    # a new document near fx's centroid goes to card, at tagging time and after re-discovery
    assert theme_service.current_model(api.svc.engine).assign_ids(vec["fx"][None, :]) == [card]
    r = api.post("/v1/mentions?wait=true", "ingest", json={
        "channel": "review", "source": "appstore", "external_id": "late-fx", "created_at": T0.isoformat(),
        "text": SEEDS["fx"]})
    assert r.json()["items"][0]["theme_id"] == card, r.text
    again = api.post("/v1/themes/discover", "marketing").json()
    assert again["themes"] == 3 and again["kept_ids"] == 3  # fx is still found, and still merged
    listed = _listed(api)
    assert set(listed) == {card, topup} and listed[card]["volume"] == 2 * PER + 1
    assert _theme_of(api, "fx") == card and listed[card]["label"] == "Card delivery"

    # errors: into itself, unknown ids, merged already, a loop; a merged theme is not renamed
    assert api.post(f"/v1/themes/{card}/merge", "marketing", json={"into": card}).status_code == 422
    assert api.post(f"/v1/themes/{card}/merge", "marketing", json={"into": "th_nope"}).status_code == 404
    assert api.post("/v1/themes/th_nope/merge", "marketing", json={"into": card}).status_code == 404
    assert api.post(f"/v1/themes/{card}/merge", "marketing", json={"into": "\x00"}).status_code == 404
    assert api.post(f"/v1/themes/{fx}/merge", "marketing", json={"into": topup}).status_code == 409
    assert api.post(f"/v1/themes/{card}/merge", "marketing", json={"into": fx}).status_code == 422  # fx is card
    assert api.post(f"/v1/themes/{card}/merge", "qa", json={"into": topup}).status_code == 403
    assert api.client.patch(f"/v1/themes/{fx}", headers=api.h("marketing"), json={"label": "x"}).status_code == 409

    # a chain: card (holding fx) into topup sends both there, and keeps doing so after re-discovery
    m = api.post(f"/v1/themes/{card}/merge", "marketing", json={"into": topup}).json()
    assert m["id"] == topup and m["volume"] == 3 * PER + 1 and m["merged_from"] == sorted([card, fx])
    assert api.get(f"/v1/themes/{fx}", "marketing").json()["merged_into"] == topup
    api.post("/v1/themes/discover", "marketing")
    listed = _listed(api)
    assert set(listed) == {topup} and listed[topup]["volume"] == 3 * PER + 1
    assert {_theme_of(api, n) for n in SEEDS} == {topup}
    assert theme_service.current_model(api.svc.engine).assign_ids(np.stack(list(vec.values()))) == [topup] * 3

    # who did it: the audit log and the edit rows
    log = api.get("/v1/audit", params={"action": "theme", "limit": 100}).json()["items"]
    done = sorted((e["action"], e["object_id"]) for e in log if e["status"] == 200)
    assert ("theme.rename", card) in done and ("theme.merge", fx) in done and ("theme.merge", card) in done
    assert {e["object_type"] for e in log} == {"theme"}


def test_nps_and_csat_impact_per_theme(api):
    """Worked by hand. In the period: theme X: NPS 10, 9, 2, ratings 5, 1; theme Y: NPS 8, 3, ratings 4, 4 (and a
    mention with no scores); theme Z: no scores; no theme: NPS 10, rating 2 (on social). All: NPS (3 - 2) / 6 =
    16.67, CSAT 3 / 5 = 60%. Without X: NPS 8, 3, 10 = 0, CSAT 4, 4, 2 = 66.67%; without Y: NPS 10, 9, 2, 10 = 50,
    CSAT 5, 1, 2 = 33.33%. Outside the period: a detractor in X that must not count."""
    from vocsvc.store import themes as store
    from vocsvc.store.rows import ThemeRow

    eng = api.svc.engine
    store.save_active(eng, [ThemeRow(t, f"theme {t}", ["k"], np.ones(4, np.float32).tobytes(), 0.5, 3, True, T0, T0)
                            for t in ("th_x", "th_y", "th_z")], T0)
    at = T0 - timedelta(days=2)
    rows = [("x1", "th_x", 10, 5), ("x2", "th_x", 9, 1), ("x3", "th_x", 2, None), ("y1", "th_y", 8, 4),
            ("y2", "th_y", 3, 4), ("y3", "th_y", None, None), ("z1", "th_z", None, None), ("n1", None, 10, 2)]
    _insert(eng, [{"id": i, "theme_id": t, "nps": n, "rating": r, "created_at": at,
                   "channel": "social" if i == "n1" else "review"} for i, t, n, r in rows]
            + [{"id": "old", "theme_id": "th_x", "nps": 0, "rating": 1, "created_at": T0 - timedelta(days=60)}])

    got = {t["id"]: (t["nps_impact"], t["csat_impact"]) for t in _listed(api).values()}
    assert got == {"th_x": (16.7, -6.7), "th_y": (-33.3, 26.7), "th_z": (None, None)}
    one = api.get("/v1/themes/th_y", "marketing").json()
    assert (one["nps_impact"], one["csat_impact"]) == (-33.3, 26.7)
    m = api.get("/v1/metrics", "marketing", params={"from": (T0 - timedelta(days=30)).isoformat()}).json()
    assert (m["nps"], m["csat"]) == (16.7, 60.0)  # the overall figures the impacts start from

    # the list's filters apply: review only (NPS 10, 9, 2, 8, 3 = 0; CSAT 5, 1, 4, 4 = 75%)
    body = api.get("/v1/themes", "marketing", params={"channel": "review"}).json()
    got = {t["id"]: (t["nps_impact"], t["csat_impact"]) for t in body["items"]}
    assert got == {"th_x": (50.0, -25.0), "th_y": (-33.3, 25.0), "th_z": (None, None)}

    # the merge of Y into X: X now holds every themed answer; none are left without it but n1's
    api.post("/v1/themes/th_y/merge", "marketing", json={"into": "th_x"})
    got = {t["id"]: (t["nps_impact"], t["csat_impact"]) for t in _listed(api).values()}
    # all: 16.67 / 60%; without X (10 / 2): NPS 100, CSAT 0%
    assert got == {"th_x": (-83.3, 60.0), "th_z": (None, None)}



def test_export_shows_a_renamed_themes_label(api):
    import csv
    import io

    from vocsvc.store import themes as store
    from vocsvc.store.rows import ThemeRow

    eng = api.svc.engine
    store.save_active(eng, [ThemeRow("th_x", "card, arrive", ["k"], np.ones(4, np.float32).tobytes(), 0.5, 3, True,
                                     T0, T0)], T0)
    _insert(eng, [{"id": "x1", "theme_id": "th_x", "created_at": T0 - timedelta(days=1)}])
    api.client.patch("/v1/themes/th_x", headers=api.h("marketing"), json={"label": "Card delivery"})
    rows = list(csv.DictReader(io.StringIO(api.get("/v1/mentions/export", "marketing", params={"format": "csv"}).text)))
    assert [r["theme_label"] for r in rows] == ["Card delivery"]
