"""Charts in pages under the strict CSP: labels with HTML stay text (Playwright, Debian's chromium)."""

import os
import shutil

import pytest

from .urls_charts import XSS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.urls("zonebook.documents.tests.urls_charts")]


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
        context = browser.new_context(locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(15000)
        yield pg
        context.close()
        browser.close()


def test_html_in_chart_labels_and_tooltips_stays_text(live_server, page):
    dialogs, problems = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    resp = page.goto(f"{live_server.url}/test-charts/")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    page.wait_for_selector("div.zb-chart[data-chart-ready] svg")
    assert page.locator("div.zb-chart[data-chart-ready]").count() == 2
    first = page.locator("div.zb-chart").first
    # the title, legend and axis label are drawn as text: the markup is shown, not parsed
    svg_text = first.locator("svg").text_content()
    assert f"标题{XSS}" in svg_text and XSS in svg_text.replace(f"标题{XSS}", "")
    # the tooltip (HTML in ECharts) shows the series name and the category as text
    box = first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.6)
    tooltip = first.locator("div", has_text="亿元").last
    tooltip.wait_for(state="visible")
    assert XSS in tooltip.text_content()
    # and the pie's item tooltip
    pie = page.locator("div.zb-chart").nth(1)
    pbox = pie.bounding_box()
    page.mouse.move(pbox["x"] + pbox["width"] * 0.5, pbox["y"] + pbox["height"] * 0.5 + 10)
    page.mouse.move(pbox["x"] + pbox["width"] * 0.55, pbox["y"] + pbox["height"] * 0.45)
    page.wait_for_timeout(300)
    assert page.locator("div.zb-chart img").count() == 0
    assert page.locator("img").count() == 0
    assert dialogs == []
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
