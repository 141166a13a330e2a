"""Auth and roles, health, Prometheus, unmigrated databases, and the real `vocsvc serve` process."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from apihelp import mention


def test_keys_roles_and_no_key(api):
    assert api.client.get("/v1/alerts").status_code == 401
    r = api.client.get("/v1/alerts", headers={"Authorization": "Bearer vk_nope_nope"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    matrix = [("/v1/alerts", "marketing", 200), ("/v1/alerts", "qa", 403), ("/v1/alerts", "ingest", 403),
              ("/v1/calls", "qa", 200), ("/v1/calls", "marketing", 403), ("/v1/themes", "marketing", 200),
              ("/v1/metrics", "ingest", 403), ("/v1/metrics", "admin", 200), ("/metrics/prometheus", "qa", 403)]
    for url, role, code in matrix:
        assert api.get(url, role).status_code == code, (url, role)
    assert api.post("/v1/mentions", "marketing", json=mention(1)).status_code == 403
    from vocsvc.store.keys import list_keys, revoke_key, verify_key

    keys = list_keys(api.svc.engine)
    assert {k.role for k in keys} == {"admin", "qa", "marketing", "ingest"}
    assert all(api.keys[k.role] not in str(k) for k in keys)  # only hashes are stored
    kid = next(k.id for k in keys if k.role == "qa")
    assert revoke_key(api.svc.engine, kid) and verify_key(api.svc.engine, api.keys["qa"]) is None
    assert api.get("/v1/calls", "qa").status_code == 401


def test_health_prometheus_and_pagination_errors(api):
    h = api.client.get("/health").json()
    assert h["status"] == "ok" and h["database"]["ok"] and h["models"]["ok"]
    api.get("/v1/alerts", "marketing")
    text = api.get("/metrics/prometheus").text
    assert 'vocsvc_http_requests_total{method="GET",route="/v1/alerts",status="200"}' in text
    assert 'vocsvc_queue_depth{kind="mentions_pending"}' in text
    r = api.get("/v1/alerts", "marketing", params={"cursor": "garbage!!"})
    assert r.status_code == 400 and "cursor" in r.json()["detail"]
    assert api.get("/v1/alerts", "marketing", params={"limit": 0}).status_code == 422
    assert api.get("/v1/alerts", "marketing", params={"status": "sleeping"}).status_code == 422
    assert api.get("/v1/themes", "marketing", params={"from": "2026-05-01", "to": "2026-04-01"}).status_code == 422
    assert api.client.get("/docs").status_code == 200
    assert "/v1/mentions" in api.client.get("/openapi.json").json()["paths"]


def test_unmigrated_database_is_refused(make_api):
    from vocsvc.store.migrate import UnmigratedDatabase

    with pytest.raises(UnmigratedDatabase, match="vocsvc db upgrade"):
        make_api(migrate=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_vocsvc_serve_process(tmp_path, settings):
    """The commands a user runs: db upgrade, keys create, serve; then a request over real HTTP."""
    env = os.environ | {"VOCSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}", "VOCSVC_QUEUE_PATH":
                        str(tmp_path / "q.db"), "VOCSVC_DATA_DIR": str(tmp_path / "data"),
                        "VOCSVC_CACHE_DIR": str(settings.cache_dir)}
    cli = [sys.executable, "-m", "vocsvc.cli"]
    port = _free_port()
    r = subprocess.run(cli + ["serve", "--port", str(port)], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "vocsvc db upgrade" in r.stderr
    assert subprocess.run(cli + ["db", "upgrade"], env=env, capture_output=True, timeout=120).returncode == 0
    key = subprocess.run(cli + ["keys", "create", "--role", "admin"], env=env, capture_output=True, text=True,
                         timeout=120).stdout.strip()
    assert key.startswith("vk_")
    p = subprocess.Popen(cli + ["serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert p.poll() is None, p.stderr.read()
            time.sleep(0.5)
        hdr = {"Authorization": f"Bearer {key}"}
        r = httpx.post(f"http://127.0.0.1:{port}/v1/mentions", headers=hdr, json=[mention(1), mention(2)])
        assert r.status_code == 201
        ids = [x["id"] for x in r.json()["items"]]
        deadline = time.time() + 60  # tagged by the server's own in-process worker
        while time.time() < deadline:
            states = {httpx.get(f"http://127.0.0.1:{port}/v1/mentions/{i}", headers=hdr).json()["state"] for i in ids}
            if states == {"tagged"}:
                break
            time.sleep(0.3)
        assert states == {"tagged"}
    finally:
        p.terminate()
        p.wait(timeout=30)
