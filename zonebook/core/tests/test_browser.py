"""End-to-end: a zone officer logs in, searches an enterprise, opens its page and exports the list.

Drives Debian's chromium through Playwright (no browser download).
"""

import os
import shutil

import pytest

from zonebook.accounts.testing import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


def test_login_search_open_export(world, live_server, page, tmp_path):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", world.users.zone.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/registry/enterprises/")
    page.fill("input[name=q]", "甲电子")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    body = page.content()
    assert "成都甲电子有限公司" in body
    assert "成都乙精密制造有限公司" not in body

    page.click("text=成都甲电子有限公司")
    page.wait_for_load_state("networkidle")
    assert world.enterprises.a1.uscc in page.content()

    page.go_back()
    page.wait_for_load_state("networkidle")
    with page.expect_download() as dl:
        page.click("a[href*='export=xlsx']")
    target = tmp_path / "enterprises.xlsx"
    dl.value.save_as(target)

    import openpyxl

    ws = openpyxl.load_workbook(target, read_only=True).active
    from zonebook.core.exports import LIST_HEADER_ROWS

    names = [row[0] for row in ws.iter_rows(min_row=LIST_HEADER_ROWS + 2, values_only=True)]
    assert "成都甲电子有限公司" in " ".join(str(n) for n in names)
    assert all("重庆" not in str(n) for n in names)
