"""The console's main flows in Chromium against a real server and database: sign in; filter calls -> open one ->
play and seek -> correct a tag -> swap roles -> score -> submit -> dispute -> resolve; an alert acknowledged,
replied, closed with its audit trail; a theme drilled into, renamed and merged; search; roles (a marketing session
gets 403 on call pages and never the audio); CSRF; the alert queue on a 390-px phone. Every page is screenshot."""
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))
from faulthelp import Server, wait_for
from synth import Turn, build_call, have_tools

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_tools("en"), reason="espeak-ng and sox are needed (make deps-apt)")]

TURNS = [
    Turn("agent", "Good morning, Northwind Mobile, my name is Anna. How can I help you today?"),
    Turn("customer", "Hello. You charged me twice this month and I am really upset about it.", 0.5),
    Turn("agent", "I am so sorry about that. Can you confirm your date of birth for me?", 0.6),
    Turn("customer", "Yes, it is the fifth of May, nineteen eighty.", 0.5),
    Turn("agent", "Thank you. I have refunded the second charge, you will see it in three days.", 0.6),
    Turn("customer", "Great, thank you very much.", 0.5),
    Turn("agent", "Is there anything else I can help with? Thank you for calling, goodbye.", 0.5),
]


def _mentions(now: datetime) -> list[dict]:
    """Every third demo mention (both languages), dated relative to now."""
    out = []
    for k, line in enumerate((ROOT / "examples" / "demo" / "mentions.jsonl").read_text().splitlines()):
        if k % 3:
            continue
        m = json.loads(line)
        m.pop("demo", None)
        days = m.pop("days_ago", 1.0)
        m["created_at"] = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(m)
    return out


@pytest.fixture
def console(db_url, tmp_path, settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCSVC_")} | {
        "VOCSVC_DATABASE_URL": db_url, "VOCSVC_QUEUE_PATH": str(tmp_path / "queue.db"),
        "VOCSVC_DATA_DIR": str(tmp_path / "data"), "VOCSVC_CACHE_DIR": str(settings.cache_dir),
        "VOCSVC_RATE_LIMIT_PER_MINUTE": "0", "VOCSVC_THEMES_EVERY_HOURS": "0", "VOCSVC_WHISPER_BEAM_SIZE": "1"}
    srv = Server(env, tmp_path / "server.log")
    srv.cli("db", "upgrade")
    keys = {r: srv.cli("keys", "create", "--role", r, "--name", f"{r}-user") for r in ("admin", "marketing", "qa",
                                                                                         "ingest")}
    srv.start()
    try:
        h = {r: {"Authorization": f"Bearer {k}"} for r, k in keys.items()}
        now = datetime.now(UTC).replace(tzinfo=None)
        ms = _mentions(now)
        for i in range(0, len(ms), 100):
            r = httpx.post(srv.base + "/v1/mentions", json=ms[i : i + 100], headers=h["ingest"], timeout=60)
            assert r.status_code in (200, 201), r.text
        stereo, _mono, _ = build_call(TURNS, "en", tmp_path / "call", "anna")
        with open(stereo, "rb") as f:
            r = httpx.post(srv.base + "/v1/calls", files={"file": ("anna.wav", f, "audio/wav")},
                           data={"agent_channel": "left", "agent_id": "anna"}, headers=h["ingest"], timeout=60)
        job = r.json()["job_id"]

        def done():
            j = httpx.get(f"{srv.base}/v1/jobs/{job}", headers=h["admin"], timeout=10).json()
            assert j["state"] != "failed", j
            tagged = httpx.get(srv.base + "/v1/mentions", params={"state": "pending", "limit": 1},
                               headers=h["admin"], timeout=10).json()["items"]
            return j["state"] == "done" and not tagged

        assert wait_for(done, 600, 1.0), (tmp_path / "server.log").read_text()[-3000:]
        r = httpx.post(srv.base + "/v1/themes/discover", headers=h["marketing"], timeout=300)
        assert r.status_code == 200 and r.json()["themes"] >= 2, r.text
        yield srv, keys
    finally:
        srv.stop()


def _sign_in(page, base, key):
    page.goto(base + "/ui/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _shot(page, screenshots, db, name):
    page.screenshot(path=str(screenshots / f"{db}-{name}.png"), full_page=False)


def test_console_flows(console, browser, screenshots, db_url):
    srv, keys = console
    base, db = srv.base, ("pg" if db_url.startswith("postgresql") else "sqlite")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"{m.text} at {m.location} on {page.url}") if m.type == "error"
            and not re.search(r"status of (401|403)", m.text) else None)  # the wrong key and the CSRF check
    page.on("pageerror", lambda e: errors.append(str(e)))

    # sign in (a wrong key first)
    page.goto(base + "/ui/calls")
    assert "/ui/login" in page.url
    page.get_by_label("API key").fill("vk_wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That key is not valid")
    _shot(page, screenshots, db, "login")
    page.get_by_label("API key").fill(keys["admin"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.endswith("/ui/calls"), page.url  # `next` kept through the sign-in
    cookie = next(c for c in ctx.cookies() if c["name"] == "vocsvc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and keys["admin"] not in cookie["value"]

    # overview
    page.goto(base + "/ui/overview")
    assert int(page.get_by_test_id("kpi-volume").inner_text()) > 50
    page.wait_for_selector(".chart .uplot")  # the vendored chart library drew
    _shot(page, screenshots, db, "overview")

    # calls: filter (kept in the URL), sort, open one
    page.goto(base + "/ui/calls")
    page.get_by_label("Agent").fill("anna")
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "agent_id=anna" in page.url and "language=en" in page.url
    assert page.get_by_test_id("calls-total").inner_text().startswith("1 ")
    page.get_by_role("link", name="QA").click()
    assert "sort=-qa_score" in page.url and "agent_id=anna" in page.url
    _shot(page, screenshots, db, "calls")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Export CSV").click()
    lines = Path(dl.value.path()).read_text().splitlines()
    assert lines[0].startswith("id,state") and len(lines) == 2
    page.locator("table.calls tbody a").first.click()
    page.wait_for_load_state()
    assert "/ui/calls/" in page.url
    call_url = page.url

    # play and seek: clicking a turn's time moves the player there and highlights that turn
    turns = page.get_by_test_id("turn")
    assert turns.count() >= 5
    third = turns.nth(2)
    start = float(third.get_attribute("data-start"))
    third.locator(".seek").click()
    page.wait_for_function("document.getElementById('player').currentTime > 0")
    t = page.evaluate("document.getElementById('player').currentTime")
    assert abs(t - start) < 1.5
    page.wait_for_selector(".turn.playing")
    page.evaluate("document.getElementById('player').pause()")
    _shot(page, screenshots, db, "call")

    # correct a tag inline (htmx swaps the turn in place)
    first_customer = page.locator(".turn.customer").first
    idx = first_customer.get_attribute("id").split("-")[1]
    first_customer.locator("summary").click()
    first_customer.get_by_label("Tag").select_option("sentiment")
    first_customer.get_by_label("Correct value").fill("negative")
    first_customer.get_by_role("button", name="Save correction").click()
    page.wait_for_selector(f"#turn-{idx} [data-testid=fixed-sentiment]")
    assert page.locator(f"#turn-{idx} [data-testid=fixed-sentiment]").inner_text() == "negative"
    export = httpx.get(base + "/v1/feedback/export", headers={"Authorization": f"Bearer {keys['qa']}"}).text
    assert '"corrected_value": "negative"' in export  # kept for retraining

    # swap roles, and back
    roles = [turns.nth(i).get_attribute("class") for i in range(turns.count())]
    page.get_by_test_id("swap").click()
    page.wait_for_load_state()
    swapped = [page.get_by_test_id("turn").nth(i).get_attribute("class") for i in range(len(roles))]
    assert all(("agent" in a) == ("customer" in b) for a, b in zip(roles, swapped) if "unknown" not in a)
    page.get_by_test_id("swap").click()
    page.wait_for_load_state()

    # score it: override one automatic answer, save, submit, dispute with a reason, resolve
    page.get_by_label(re.compile("^Greeting|^Opening", re.IGNORECASE)).first.select_option("no")
    page.get_by_label("Comment").fill("greeting lacked the company name")
    page.get_by_test_id("qa-save").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("qa-status").inner_text() == "draft"
    page.get_by_test_id("qa-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("qa-status").inner_text() == "submitted"
    page.locator("input[name^=reason_]").first.fill("the agent did say the company")
    page.get_by_test_id("qa-dispute").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("qa-status").inner_text() == "disputed"
    _shot(page, screenshots, db, "call-qa")
    page.get_by_label("Resolution note").fill("verdict kept after listening again")
    page.get_by_test_id("qa-resolve").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("qa-status").inner_text() == "resolved"
    history = page.get_by_test_id("qa-history").inner_text()
    for step in ("save", "submit", "dispute", "resolve", "swap_roles"):
        assert step in history

    # the agent's QA over time
    page.goto(base + "/ui/agents/anna")
    assert "1 calls" in page.locator("h1").inner_text()
    _shot(page, screenshots, db, "agent")

    # alerts: the queue by due time with a live countdown; acknowledge, reply, close; the audit trail
    page.goto(base + "/ui/alerts")
    q = page.get_by_test_id("alert-queue").locator("li")
    assert q.count() >= 1
    page.wait_for_function("document.querySelector('.due') && /left|overdue/.test(document.querySelector('.due').textContent)")
    _shot(page, screenshots, db, "alerts")
    q.first.locator("a").click()
    page.wait_for_load_state()
    page.get_by_test_id("ack").click()
    page.wait_for_selector("[data-testid=alert-status]:text('acknowledged')")
    page.get_by_label("Reply (as sent to the customer)").fill("We are sorry, we have refunded the charge.")
    page.get_by_test_id("reply").click()
    page.wait_for_selector("[data-testid=alert-status]:text('replied')")
    page.get_by_test_id("close").click()
    page.wait_for_selector("[data-testid=alert-status]:text('closed')")
    trail = page.get_by_test_id("alert-trail").inner_text()
    assert "acknowledged" in trail and "replied" in trail and "closed" in trail and "admin-user" in trail
    _shot(page, screenshots, db, "alert")

    # themes: drill down, rename, merge
    page.goto(base + "/ui/themes?days=90")
    rows = page.get_by_test_id("themes-table").locator("tbody tr")
    assert rows.count() >= 2
    _shot(page, screenshots, db, "themes")
    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    volume = int(page.get_by_test_id("theme-volume").inner_text())
    assert page.get_by_test_id("verbatims").locator("li").count() >= 1
    _shot(page, screenshots, db, "theme")
    page.get_by_label("Name").fill("Double charges")
    page.get_by_test_id("rename").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("theme-label").inner_text().startswith("Double charges")
    renamed_url = page.url.split("?")[0]
    page.get_by_label("Merge into").select_option(index=0)
    page.get_by_test_id("merge").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0] != renamed_url  # now on the theme that took the documents
    assert int(page.get_by_test_id("theme-volume").inner_text()) >= volume
    page.goto(base + "/ui/themes?days=90")
    assert "Double charges" not in page.get_by_test_id("themes-table").inner_text()

    # search, full text with highlights, and by meaning
    page.goto(base + "/ui/search")
    page.get_by_label("Search mentions and call turns").fill("charged")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("search-results").locator("mark").count() >= 1
    _shot(page, screenshots, db, "search")
    page.get_by_label("meaning").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("search-results").locator("li").count() >= 1

    # CSRF: the same form without its token is refused and changes nothing
    page.goto(call_url)
    page.evaluate("document.querySelectorAll('form[action$=\"/swap\"] input[name=csrf]').forEach(e => e.remove())")
    page.get_by_test_id("swap").click()
    page.wait_for_load_state()
    assert "security token" in page.content()
    assert errors == [], errors

    # roles: a marketing session never sees calls or their audio
    m = browser.new_context(viewport={"width": 1280, "height": 800})
    mp = m.new_page()
    _sign_in(mp, base, keys["marketing"])
    assert mp.get_by_role("link", name="Calls").count() == 0
    call_id = call_url.rsplit("/", 1)[1]
    for path in (f"/ui/calls/{call_id}", f"/ui/calls/{call_id}/audio", "/ui/calls"):
        assert mp.goto(base + path).status == 403
    m.close()

    # the alert queue on a 390-px phone: no sideways scrolling
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pp = phone.new_page()
    _sign_in(pp, base, keys["marketing"])
    pp.goto(base + "/ui/alerts?status=all")
    assert pp.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(pp, screenshots, db, "alerts-phone")
    phone.close()
    ctx.close()
