"""In a browser: the province dashboard draws its charts (ECharts under the strict CSP, no console
error), a zone name with HTML stays text, and the menus built from the registrations open."""

import datetime as dt
import os
import shutil

import pytest
from django.utils import timezone

from zonebook.accounts.testing import PASSWORD
from zonebook.ledger.tests import factories as f

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EVIL = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (bin/test installs it with apt)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        context = browser.new_context(locale="en-US")
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


def test_province_dashboard_draws_charts_and_menus_open(world, live_server, page):
    world.zones.a1.short_name = EVIL
    world.zones.a1.save()
    f.book(world.enterprises.a1, valid_until=timezone.localdate() + dt.timedelta(days=3))
    f.book(world.enterprises.b1)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", world.users.province.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(".zb-chart svg, .zb-chart canvas")

    charts = page.locator(".zb-chart")
    assert charts.count() >= 3
    drawn = page.locator(".zb-chart svg, .zb-chart canvas").count()
    assert drawn >= 3
    # the HTML zone name is text in the table and in the charts, never markup
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#dashboard-ledger-zones").inner_text().count(EVIL) == 1
    assert page.locator("img[src=x]").count() == 0
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

    # the "Bonded ledger" dropdown from the ledger's registration opens and links the oversight page
    page.click("nav >> text=Bonded ledger")
    page.click("nav >> text=Ledger oversight")
    page.wait_for_url(f"{live_server.url}/ledger/oversight/")
