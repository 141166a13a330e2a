"""The README's console screenshots, taken from a running demo (`make run`) in Debian's Chromium.

    python examples/demo/screenshots.py --key "$(vocsvc demo key)" [--base http://127.0.0.1:8000] [--out docs/screenshots]

Each page is saved at 1280x800 (the alert queue also at 390 px wide) and reduced to a 128-colour palette with
ffmpeg when it is installed, so the committed PNGs stay small.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--out", default="docs/screenshots")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        shots = []

        def sign_in(ctx):
            page = ctx.new_page()
            page.goto(a.base + "/ui/login")
            page.get_by_label("API key").fill(a.key)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            return page

        page = sign_in(b.new_context(viewport={"width": 1280, "height": 800}))
        for name, path in (("overview", "/ui/overview"), ("calls", "/ui/calls?sort=-qa_score"),
                           ("themes", "/ui/themes"), ("alerts", "/ui/alerts"), ("search", "/ui/search?q=roaming")):
            page.goto(a.base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}.png"))
            shots.append(name)
        page.goto(a.base + "/ui/calls?sort=qa_score")
        call = re.search(r'href="(/ui/calls/[0-9a-f-]{36})"', page.content())
        if call:
            page.goto(a.base + call.group(1))
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "call.png"))
            page.locator("#qa").scroll_into_view_if_needed()
            page.screenshot(path=str(out / "call-qa.png"))
            shots += ["call", "call-qa"]
        page.goto(a.base + "/ui/themes")
        page.locator("table.themes tbody a").first.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "theme.png"))
        shots.append("theme")
        phone = sign_in(b.new_context(viewport={"width": 390, "height": 844}, is_mobile=True))
        phone.goto(a.base + "/ui/alerts")
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=str(out / "alerts-phone.png"))
        shots.append("alerts-phone")
        b.close()
    if shutil.which("ffmpeg"):
        for name in shots:
            src, tmp = out / f"{name}.png", out / f"{name}.tmp.png"
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-vf",
                            "split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse=dither=none", str(tmp)],
                           check=True)
            tmp.replace(src)
    print(" ".join(f"{out / n}.png" for n in shots))


if __name__ == "__main__":
    main()
