"""Take the README screenshots from a running demo instance (developer tool).

Usage: python tools/screenshot.py http://127.0.0.1:8000 docs/
Needs Debian's chromium and fonts-noto-cjk.
"""

import sys

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def main(base, out):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "gaoxin_staff")
        page.fill("#id_password", "Gx-Office-2026!")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/registry/enterprises/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=f"{out}/screenshot.png")
        page.goto(f"{base}/ledger/oversight/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=f"{out}/screenshot-oversight.png", full_page=False)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
