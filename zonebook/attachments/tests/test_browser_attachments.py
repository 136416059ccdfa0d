"""In the browser: the enterprise page's Attachments tab uploads (HTMX), shows a refusal inside the
panel, downloads with the Chinese name, and deletes after confirmation."""

import pytest

from zonebook.accounts.testing import PASSWORD
from zonebook.attachments.models import Attachment
from zonebook.core.tests.test_browser import page  # noqa: F401 - the chromium fixture

from . import files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_attach_refuse_download_delete(world, live_server, page):  # noqa: F811
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", world.users.zone.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    e = world.enterprises.a1
    page.goto(f"{live_server.url}{e.get_absolute_url()}?tab=attachments")
    page.set_input_files("input[type=file]", files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": files.png()}])
    page.fill("input[name=description]", "走访")
    page.click("form[hx-encoding] button[type=submit]")
    page.wait_for_selector("img.img-thumbnail")  # swapped in by HTMX, with its thumbnail
    assert page.url.endswith("?tab=attachments")
    assert Attachment.objects.get().original_name == "现场照片.png"

    page.set_input_files("input[type=file]", files=[{"name": "报告.pdf", "mimeType": "application/pdf", "buffer": files.ELF}])
    page.click("form[hx-encoding] button[type=submit]")
    assert "报告.pdf" in page.locator(".attachments-panel .alert-danger").inner_text()
    assert Attachment.objects.count() == 1

    with page.expect_download() as dl:
        page.click("text=现场照片.png")
    assert dl.value.suggested_filename == "现场照片.png"
    with open(dl.value.path(), "rb") as f:
        assert f.read() == files.png()

    page.once("dialog", lambda d: d.accept())
    page.click(".attachments-panel button.text-danger")
    page.wait_for_selector("text=暂无附件")
    assert not Attachment.objects.exists()
