"""Key hygiene (expiry, revoke, rotate with a grace period, last use, per-key rate and upload limits) and the audit
log of reads, downloads, exports and changes, with its filters."""
import wave

from apihelp import mention


def _wav(path, seconds=1.0, rate=8000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(int(seconds * rate) * 2))
    return path


def _bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_expiry_rotation_revocation_and_last_use(api, clock):
    r = api.post("/v1/keys", json={"role": "marketing", "name": "agency", "expires_in_days": 1})
    assert r.status_code == 201, r.text
    k1 = r.json()
    assert k1["key"].startswith(f"vk_{k1['id']}_") and k1["expires_at"]
    assert api.client.get("/v1/alerts", headers=_bearer(k1["key"])).status_code == 200
    listed = {k["id"]: k for k in api.get("/v1/keys").json()}
    assert listed[k1["id"]]["last_used_at"] and "key" not in listed[k1["id"]]  # the secret is never listed
    assert api.get("/v1/keys", "qa").status_code == 403

    rot = api.post(f"/v1/keys/{k1['id']}/rotate", json={"grace_hours": 2})
    assert rot.status_code == 201, rot.text
    k2 = rot.json()
    assert k2["id"] != k1["id"] and k2["role"] == "marketing" and k2["name"] == "agency"
    assert api.post(f"/v1/keys/{k1['id']}/rotate").status_code == 404  # rotated once only
    for k in (k1, k2):  # both work during the grace period
        assert api.client.get("/v1/alerts", headers=_bearer(k["key"])).status_code == 200
    clock.advance(hours=3)
    old = api.client.get("/v1/alerts", headers=_bearer(k1["key"]))
    assert old.status_code == 401 and "expired" in old.json()["detail"]
    assert api.client.get("/v1/alerts", headers=_bearer(k2["key"])).status_code == 200
    clock.advance(days=1)  # the new key inherited the old one's expiry
    assert api.client.get("/v1/alerts", headers=_bearer(k2["key"])).status_code == 401

    k3 = api.post("/v1/keys", json={"role": "ingest"}).json()
    assert api.client.delete(f"/v1/keys/{k3['id']}", headers=api.h("admin")).status_code == 204
    assert api.client.get("/v1/mentions", headers=_bearer(k3["key"])).status_code == 401
    assert api.client.delete(f"/v1/keys/{k3['id']}", headers=api.h("admin")).status_code == 404
    assert api.post("/v1/keys", json={"role": "superuser"}).status_code == 422
    actions = [a["action"] for a in api.get("/v1/audit", params={"action": "key"}).json()["items"]]
    assert actions == ["key.revoke", "key.create", "key.rotate", "key.create"]


def test_rate_limit_per_key(api):
    k = api.post("/v1/keys", json={"role": "marketing", "rate_limit_per_minute": 3}).json()
    codes = [api.client.get("/v1/metrics", headers=_bearer(k["key"])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.client.get("/v1/metrics", headers=_bearer(k["key"]))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and "rate limit" in r.json()["detail"]
    assert api.get("/v1/metrics").status_code == 200  # other keys are not affected


def test_upload_limits_per_key(api, tmp_path):
    k = api.post("/v1/keys", json={"role": "ingest", "uploads_per_day": 1, "max_upload_bytes": 40_000}).json()

    def up(path):
        with open(path, "rb") as f:
            return api.client.post("/v1/calls", headers=_bearer(k["key"]), files={"file": (path.name, f, "audio/wav")})

    big = up(_wav(tmp_path / "big.wav", seconds=3.0))  # 48 kB
    assert big.status_code == 413 and "this key" in big.json()["detail"]
    assert up(_wav(tmp_path / "a.wav")).status_code == 202
    second = up(_wav(tmp_path / "b.wav", seconds=1.5))
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0, second.text
    assert api.post("/v1/calls", "ingest", files={"file": ("c.wav", open(_wav(tmp_path / "c.wav", 2.0), "rb"),
                                                           "audio/wav")}).status_code == 202  # not another key's


def test_audit_of_reads_and_changes(api, make_api):
    r = api.post("/v1/mentions", "ingest", json=[mention(1, author={"handle": "@secret_person"})])
    mid = r.json()["items"][0]["id"]
    api.drain()
    assert api.get(f"/v1/mentions/{mid}", "marketing").status_code == 200
    assert api.get("/v1/mentions/export", "marketing", params={"channel": "review", "author": "@secret_person"}
                   ).status_code == 200
    assert api.get("/v1/mentions/nope", "marketing").status_code == 404
    log = api.get("/v1/audit", params={"action": "mention"}).json()["items"]
    assert [(a["action"], a["status"]) for a in log] == [("mention.read", 404), ("mention.read", 200)]
    assert log[1]["object_id"] == mid
    export = api.get("/v1/audit", params={"action": "mentions.export"}).json()["items"][0]
    assert export["detail"]["query"] == {"author": "<set>", "channel": "review"}  # filter values that name nobody
    mk = [k for k in api.get("/v1/keys").json() if k["role"] == "marketing"][0]["id"]
    assert {a["key_id"] for a in log} == {mk}
    assert api.get("/v1/audit", params={"key_id": "nobody"}).json()["items"] == []

    for _ in range(3):
        api.get(f"/v1/mentions/{mid}", "qa")
    page1 = api.get("/v1/audit", params={"action": "mention.read", "limit": 2}).json()
    page2 = api.get("/v1/audit", params={"action": "mention.read", "limit": 2, "cursor": page1["next_cursor"]}).json()
    ids = [a["id"] for a in page1["items"] + page2["items"]]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True) and page2["next_cursor"] is not None
    assert api.get("/v1/audit", "qa").status_code == 403
    assert api.get("/v1/audit", params={"cursor": "x"}).status_code == 422

    quiet = make_api(migrate=False, audit_reads=False)  # same database, reads not recorded
    n = len(api.get("/v1/audit", params={"action": "mention.read", "limit": 1000}).json()["items"])
    quiet.get(f"/v1/mentions/{mid}", "marketing")
    assert len(api.get("/v1/audit", params={"action": "mention.read", "limit": 1000}).json()["items"]) == n
