"""The console's server side without a browser (the browser flows are tests/ui/): sign-in and its cookie, CSRF,
roles, open redirects, every page rendering on real data, errors as HTML pages. Both databases."""
import re

import pytest
from apihelp import T0

MENTIONS = [
    {"source": "twitter", "external_id": "c1", "channel": "social", "text": "Your app charged me twice, this is a "
     "scam and I want my money back now", "author": {"handle": "@angry", "followers": 12000}},
    {"source": "twitter", "external_id": "c2", "channel": "social", "text": "Приложение снова списало деньги "
     "дважды, верните деньги, ужасный сервис"},
    {"source": "appstore", "external_id": "c3", "channel": "review", "text": "Great app, support fixed my issue "
     "in minutes. Thank you!", "rating": 5},
    {"source": "survey", "external_id": "c4", "channel": "survey", "text": "Slow internet every evening", "nps": 3},
]


@pytest.fixture
def seeded(api):
    r = api.post("/v1/mentions", "ingest", json=[m | {"created_at": T0.isoformat() + "Z"} for m in MENTIONS])
    assert r.status_code == 201, r.text
    api.drain()
    return api


def sign_in(api, role):
    c = api.client
    c.cookies.clear()
    r = c.post("/ui/login", data={"key": api.keys[role], "next": "/ui/overview"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert api.keys[role] not in cookie  # the key itself never sits in the browser
    page = c.get("/ui/search").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_sign_in_pages_and_csrf(seeded):
    api, c = seeded, seeded.client
    assert c.get("/ui/overview", follow_redirects=False).headers["location"].startswith("/ui/login?next=")
    bad = c.post("/ui/login", data={"key": "vk_nope"})
    assert bad.status_code == 401 and "not valid" in bad.text
    assert c.post("/ui/login", data={"key": api.keys["ingest"]}).status_code == 403
    # no open redirect: a foreign `next` lands on the overview
    c.cookies.clear()
    r = c.post("/ui/login", data={"key": api.keys["admin"], "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/ui/overview"

    csrf = sign_in(api, "admin")
    for url in ("/ui/overview", "/ui/calls", "/ui/themes", "/ui/alerts", "/ui/search?q=charged",
                "/ui/search?q=money&mode=semantic", "/ui/agents/nobody", "/ui/calls?min_qa_score=&language=en"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert "<script>" not in r.text and ' style="' not in r.text  # the CSP allows neither inline
        assert r.headers["cache-control"] == "no-store" and "script-src 'self'" in r.headers["content-security-policy"]
    assert "<mark>charged</mark>" in c.get("/ui/search?q=charged").text

    alerts = c.get("/ui/alerts").text
    ids = re.findall(r'href="/ui/alerts/([0-9a-f-]{36})"', alerts)
    assert ids, "a negative public post opens an alert"
    assert "12,000 followers" in alerts  # the author's reach beside the post
    # CSRF: the same post without the token (or with another session's) is refused, nothing changes
    r = c.post(f"/ui/alerts/{ids[0]}/ack", data={})
    assert r.status_code == 403 and "security token" in r.text
    r = c.post(f"/ui/alerts/{ids[0]}/ack", data={"csrf": "forged"})
    assert r.status_code == 403
    assert api.get(f"/v1/alerts/{ids[0]}").json()["status"] == "open"
    r = c.post(f"/ui/alerts/{ids[0]}/ack", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and api.get(f"/v1/alerts/{ids[0]}").json()["status"] == "acknowledged"
    r = c.post(f"/ui/alerts/{ids[0]}/ack", data={"csrf": csrf})  # twice: the state machine says no, as HTML
    assert r.status_code == 409 and "text/html" in r.headers["content-type"]
    assert c.get("/ui/alerts/00000000-0000-0000-0000-000000000000").status_code == 404
    # the console's reads are in the audit log under the signed-in key
    trail = api.get("/v1/audit", params={"object_id": ids[0]}).json()["items"]
    assert any(e["action"] == "alert.ack" for e in trail)

    # sign out ends the session
    assert c.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert c.get("/ui/overview", follow_redirects=False).status_code == 303


def test_roles_and_revocation(seeded):
    api, c = seeded, seeded.client
    sign_in(api, "marketing")
    for url in ("/ui/calls", "/ui/calls/x", "/ui/calls/x/audio", "/ui/agents/a", "/ui/calls/export"):
        assert c.get(url).status_code == 403, url
    page = c.get("/ui/overview").text
    assert 'href="/ui/calls"' not in page and 'href="/ui/themes"' in page
    sign_in(api, "qa")
    assert c.get("/ui/themes").status_code == 403 and c.get("/ui/alerts").status_code == 403
    assert c.get("/ui/calls").status_code == 200
    # revoking the key ends its console sessions at once
    kid = next(k["id"] for k in api.get("/v1/keys").json() if k["role"] == "qa")
    assert api.client.delete(f"/v1/keys/{kid}", headers=api.h("admin")).status_code == 204
    assert c.get("/ui/calls", follow_redirects=False).status_code == 303
    # a tampered cookie is no session
    c.cookies.set("vocsvc_session", "eyJrIjoiYWRtaW4ifQ.x.y", path="/ui")
    assert c.get("/ui/calls", follow_redirects=False).status_code == 303
