"""The import pages in update mode: the mode is chosen on upload, the preview counts new / changed /
unchanged rows and lists the changes (before → after), a file of unchanged rows offers nothing to
confirm, and the confirmation (page or background job) writes only what changed."""

from __future__ import annotations

import csv
import io
import re

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.jobs.models import Job
from zonebook.registry.models import Enterprise

HEAD = ["企业名称", "统一社会信用代码", "所在区域"]


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def upload(client, rows, mode=None):
    buf = io.StringIO()
    csv.writer(buf).writerows([HEAD, *rows])
    fh = io.BytesIO(buf.getvalue().encode("utf-8"))
    fh.name = "enterprises.csv"
    data = {"file": fh}
    if mode:
        data["mode"] = mode
    return client.post("/imports/enterprises/", data)


def rows_of(world, **names):
    ents = [world.enterprises.a1, world.enterprises.a1b]
    return [[names.get(e.uscc, e.name), e.uscc, e.zone.name] for e in ents]


def test_upload_offers_the_modes_of_a_kind_with_an_update_mode(world, client):
    client.force_login(world.users.zone)
    page = client.get("/imports/enterprises/").content.decode()
    assert 'name="mode"' in page and 'value="update"' in page
    assert 'name="mode"' not in client.get("/imports/zones/").content.decode()  # zones only create
    index = client.get("/imports/").content.decode()
    from zonebook.core.imports.kinds import all_kinds

    updating = [k.key for k in all_kinds() if k.update_mode]
    assert {"enterprises", "hs_codes", "tax_rates", "units", "investment_projects"} <= set(updating)
    assert index.count("can update</span>") == len(updating)


def test_preview_shows_counts_and_changes_then_confirm_updates(world, client):
    client.force_login(world.users.zone)
    a1 = world.enterprises.a1
    r = upload(client, rows_of(world, **{a1.uscc: "成都甲电子（集团）有限公司"}), mode="update")
    assert r.status_code == 302
    page = client.get(r.url).content.decode()
    assert 'id="import-counts"' in page
    counts = page[page.index('id="import-counts"') : page.index("</table>", page.index('id="import-counts"'))]
    assert re.findall(r'<td class="text-end">(\d+)</td>', counts) == [
        "0",
        "1",
        "1",
    ]  # new, changed, unchanged
    changes = page[page.index('id="import-changes"') :]
    assert "成都甲电子有限公司" in changes and "成都甲电子（集团）有限公司" in changes and a1.uscc in changes
    assert "Add 0 and update 1" in page
    audits = AuditEntry.objects.count()
    done = client.post(r.url, follow=True)
    assert "0 records added, 1 updated, 1 rows unchanged." in done.content.decode()
    a1.refresh_from_db()
    assert a1.name == "成都甲电子（集团）有限公司"
    assert AuditEntry.objects.count() == audits + 1


def test_unchanged_file_offers_nothing_to_confirm(world, client):
    client.force_login(world.users.zone)
    r = upload(client, rows_of(world), mode="update")
    page = client.get(r.url).content.decode()
    assert 'id="import-nothing"' in page and "Add 0 and update 0" not in page
    assert 'type="submit">Import' not in page


def test_the_create_mode_still_refuses_existing_keys(world, client):
    client.force_login(world.users.zone)
    r = upload(client, rows_of(world))
    page = client.get(r.url).content.decode()
    assert 'id="import-errors"' in page and "update existing ones" in page
    assert 'id="import-counts"' not in page


def test_large_file_in_update_mode_runs_as_jobs_with_the_mode(
    world, client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_SYNC_MAX_BYTES = 0
    client.force_login(world.users.zone)
    a1 = world.enterprises.a1
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, rows_of(world, **{a1.uscc: "改名公司"}), mode="update")
    page = client.get(r.url).content.decode()
    assert 'id="import-changes"' in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(r.url)
    job = Job.objects.get(pk=int(done.url.rstrip("/").split("/")[-1]))
    assert job.state == Job.State.SUCCEEDED, job.messages
    assert job.result["mode"] == "update" and job.result["changed_rows"] == 1
    assert "0 records added, 1 updated, 1 rows unchanged." in client.get(done.url).content.decode()
    assert Enterprise.objects.get(pk=a1.pk).name == "改名公司"
