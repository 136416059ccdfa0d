"""Wide tables fit the page at 1,280 and 1,440 px: text cells wrap, numbers and dates stay on one
line, and nothing is clipped or hidden behind a horizontal scroll (Debian's chromium, Playwright)."""

import os
import struct

import pytest

from zonebook.accounts.testing import PASSWORD
from zonebook.core.tests.test_browser import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/registry/zones/",
    "/registry/enterprises/",
    "/ledger/books/",
    "/ledger/lists/",
    "/ledger/writeoffs/",
    "/ledger/oversight/",
]

# Every table either fits the box it sits in, or the part that does not fit is reported.
OVERFLOW = """() => {
  const out = [];
  for (const t of document.querySelectorAll('main table, .container-fluid table, table')) {
    const box = t.parentElement;
    if (t.scrollWidth > box.clientWidth + 1 || t.getBoundingClientRect().right > innerWidth + 1) {
      out.push((t.id || t.className) + ': ' + t.scrollWidth + ' > ' + box.clientWidth);
    }
  }
  return {page: document.documentElement.scrollWidth, tables: out};
}"""


def _png_width(path) -> int:
    with open(path, "rb") as fh:
        head = fh.read(24)
    return struct.unpack(">I", head[16:20])[0]


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (bin/test installs it with apt)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield b
        b.close()


def test_wide_tables_fit_at_1280_and_1440(world, live_server, browser, tmp_path):
    from zonebook.ledger.tests import ledger_world

    ledger_world.build(world)
    user = world.users.province
    problems = []
    for width in (1280, 1440):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for url in PAGES:
            page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state("networkidle")
            found = page.evaluate(OVERFLOW)
            shot = tmp_path / f"{width}{url.replace('/', '_')}.png"
            page.screenshot(path=str(shot), full_page=True)
            if found["page"] > width or found["tables"] or _png_width(shot) > width:
                problems.append((width, url, found["page"], found["tables"], _png_width(shot)))
        context.close()
    assert problems == []
