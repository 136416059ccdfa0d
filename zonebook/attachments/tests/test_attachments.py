"""Attachments end to end: upload, limits, sniffing, names, scoped download, delete, audit, thumbnails."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zonebook.attachments import services
from zonebook.attachments.models import Attachment
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError

from . import files

pytestmark = pytest.mark.django_db


def upload(name, data):
    return SimpleUploadedFile(name, data)


def panel_url(enterprise):
    return f"/attachments/for/registry.enterprise.{enterprise.pk}/"


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def entries(code, enterprise):
    return AuditEntry.objects.filter(code=code, object_type="registry.enterprise", object_id=str(enterprise.pk))


# --- upload -----------------------------------------------------------------------------------------------


def test_upload_from_the_page_stores_under_a_generated_name_and_audits(world, client_for, settings):
    e = world.enterprises.a1
    c = client_for(world.users.zone)
    r = c.post(panel_url(e), {"file": upload("营业执照.pdf", files.pdf()), "description": "2026 年版"})
    assert r.status_code == 302 and r["Location"].endswith("?tab=attachments")
    att = Attachment.objects.get()
    assert att.parent == e and att.original_name == "营业执照.pdf" and att.kind == "pdf"
    assert att.size == len(files.pdf()) and att.description == "2026 年版" and att.uploaded_by == world.users.zone
    assert att.file.name.startswith("attachments/") and att.file.name.endswith(".pdf")
    assert "营业执照" not in att.file.name
    assert stored_files(settings) == [att.file.name]
    audit = entries("attachments.uploaded", e).get()
    assert audit.actor == world.users.zone and audit.zone_id == e.zone_id and audit.enterprise_id == e.pk
    assert audit.changes == {"attachment": [None, "营业执照.pdf"], "sha256": [None, att.sha256]}
    assert f"#{att.pk}, pdf" in audit.message


def test_htmx_upload_answers_the_refreshed_panel(world, client_for):
    e = world.enterprises.a1
    c = client_for(world.users.zone)
    r = c.post(panel_url(e), {"file": [upload("a.png", files.png()), upload("b.txt", b"hello")]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'id="attachments-registry-enterprise-{e.pk}"' in html and "a.png" in html and "b.txt" in html
    assert Attachment.objects.count() == 2


def test_enterprise_user_attaches_to_its_own_profile_customs_may_not(world, client_for):
    e = world.enterprises.a1
    assert client_for(world.users.enterprise).post(panel_url(e), {"file": upload("a.txt", b"x")}).status_code == 302
    assert client_for(world.users.customs).post(panel_url(e), {"file": upload("b.txt", b"x")}).status_code == 403
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["a.txt"]


def test_over_the_size_limit_is_refused_and_nothing_is_stored(world, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    c = client_for(world.users.zone)
    r = c.post(panel_url(world.enterprises.a1), {"file": upload("big.txt", b"a" * 1001)}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "alert-danger" in r.content.decode()  # the panel, with the error
    assert "big.txt" in r.content.decode() and "1000" in r.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []
    assert not AuditEntry.objects.filter(code="attachments.uploaded").exists()
    c.post(panel_url(world.enterprises.a1), {"file": upload("ok.txt", b"a" * 1000)})
    assert Attachment.objects.count() == 1
    with pytest.raises(DomainError) as exc:  # the service checks too (imports, commands, other callers)
        services.attach(world.enterprises.a1, upload("big.txt", b"a" * 1001), by=world.users.zone)
    assert exc.value.code == "too_large"


def test_an_oversized_upload_is_not_spooled_to_disk(world, client_for, settings, monkeypatch):
    """The size limit stops reading the body: a file far over the limit never reaches a temporary file."""
    from django.core.files import uploadhandler

    settings.ATTACHMENT_MAX_BYTES = 1000
    spooled = []
    monkeypatch.setattr(
        uploadhandler.TemporaryFileUploadHandler, "receive_data_chunk", lambda self, raw, start: spooled.append(len(raw))
    )
    r = client_for(world.users.zone).post(
        panel_url(world.enterprises.a1), {"file": upload("huge.txt", b"a" * (6 * 1024 * 1024))}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and "huge.txt" in r.content.decode()
    assert spooled == [] and not Attachment.objects.exists()
    r = client_for(world.users.zone).post(
        "/api/attachments/",
        {"target": f"registry.enterprise.{world.enterprises.a1.pk}", "file": upload("huge.txt", b"a" * (6 * 1024 * 1024))},
    )
    assert r.status_code == 400 and r.json()["code"] == "too_large" and "huge.txt" in r.json()["detail"]
    assert spooled == [] and not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("report.pdf", files.ELF, "type"),
        ("report.pdf", files.MZ, "type"),
        ("report.pdf", files.png(), "type"),
        ("minutes.docx", files.plain_zip(), "type"),
        ("empty.txt", b"", "empty"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "image_damaged"),
    ],
)
def test_forbidden_content_is_refused_by_sniffing(world, settings, name, data, code):
    with pytest.raises(DomainError) as exc:
        services.attach(world.enterprises.a1, upload(name, data), by=world.users.zone)
    assert exc.value.code == code and exc.value.field == "file"
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_elf_named_pdf_is_refused_on_the_page(world, client_for):
    r = client_for(world.users.zone).post(
        panel_url(world.enterprises.a1), {"file": upload("报告.pdf", files.ELF)}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200 and "alert-danger" in r.content.decode() and "报告.pdf" in r.content.decode()
    assert not Attachment.objects.exists()


def test_a_traversal_name_keeps_only_the_file_name(world, settings):
    att = services.attach(world.enterprises.a1, upload("../../etc/passwd.txt", b"root:x:0:0"), by=world.users.zone)
    assert att.original_name == "passwd.txt"
    assert ".." not in att.file.name and "passwd" not in att.file.name
    assert stored_files(settings) == [att.file.name]
    assert not (settings.MEDIA_ROOT.parent / "etc").exists()
    with pytest.raises(DomainError) as exc:  # no extension: text content does not match the name "passwd"
        services.attach(world.enterprises.a1, upload("../../etc/passwd", b"root:x:0:0"), by=world.users.zone)
    assert exc.value.code == "type" and "passwd" in str(exc.value)


def test_the_virus_scan_hook_refuses_findings_and_fails_closed(world, settings):
    settings.ATTACHMENT_VIRUS_SCANNER = "zonebook.attachments.tests.test_attachments.fake_scanner"
    services.attach(world.enterprises.a1, upload("clean.txt", b"clean"), by=world.users.zone)
    with pytest.raises(DomainError, match="EICAR-Test") as exc:
        services.attach(world.enterprises.a1, upload("v.txt", b"X5O!P%@AP EICAR"), by=world.users.zone)
    assert exc.value.code == "virus"
    with pytest.raises(DomainError) as exc:
        services.attach(world.enterprises.a1, upload("crash.txt", b"CRASH"), by=world.users.zone)
    assert exc.value.code == "scan_failed"
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["clean.txt"]


def fake_scanner(fileobj, name):
    data = fileobj.read()
    if b"EICAR" in data:
        return "EICAR-Test-Signature"
    if b"CRASH" in data:
        raise ConnectionError("scanner down")
    return None


# --- thumbnails -------------------------------------------------------------------------------------------


def test_an_image_gets_a_thumbnail_served_in_scope(world, client_for):
    att = services.attach(world.enterprises.a1, upload("走访.jpg", files.jpeg((800, 600))), by=world.users.zone)
    assert att.kind == "jpeg" and att.thumbnail.name.endswith("-thumb.png")
    r = client_for(world.users.zone).get(f"/attachments/{att.pk}/thumbnail/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    img = Image.open(io.BytesIO(b"".join(r.streaming_content)))
    assert img.size == (320, 240)
    pdf = services.attach(world.enterprises.a1, upload("a.pdf", files.pdf()), by=world.users.zone)
    assert not pdf.thumbnail and client_for(world.users.zone).get(f"/attachments/{pdf.pk}/thumbnail/").status_code == 404


def test_an_image_with_too_many_pixels_is_refused(world, settings):
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 1000
    with pytest.raises(DomainError) as exc:
        services.attach(world.enterprises.a1, upload("big.png", files.png((40, 30))), by=world.users.zone)
    assert exc.value.code == "image_too_large"


# --- download and scope -----------------------------------------------------------------------------------


def test_download_in_scope_has_the_sniffed_type_and_the_chinese_name(world, client_for):
    att = services.attach(world.enterprises.a1, upload("营业执照 副本.pdf", files.pdf()), by=world.users.zone)
    for who in ("zone", "city", "province", "enterprise", "customs"):
        r = client_for(getattr(world.users, who)).get(f"/attachments/{att.pk}/download/")
        assert r.status_code == 200, who
        assert b"".join(r.streaming_content) == files.pdf()
        assert r["Content-Type"] == "application/pdf"
        assert r["X-Content-Type-Options"] == "nosniff"
        disposition = r["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=utf-8''{quote('营业执照 副本.pdf')}" in disposition
    assert entries("attachments.downloaded", world.enterprises.a1).count() == 5


def test_another_zone_gets_404_on_every_page_route(world, client_for, settings):
    att = services.attach(world.enterprises.a1, upload("a.png", files.png()), by=world.users.zone)
    for who in ("other_zone", "other_province", "other_enterprise"):
        c = client_for(getattr(world.users, who))
        assert c.get(f"/attachments/{att.pk}/download/").status_code == 404
        assert c.get(f"/attachments/{att.pk}/thumbnail/").status_code == 404
        assert c.post(f"/attachments/{att.pk}/delete/").status_code == 404
        assert c.get(panel_url(world.enterprises.a1)).status_code == 404
        assert c.post(panel_url(world.enterprises.a1), {"file": upload("x.txt", b"x")}).status_code == 404
    # the enterprise user of a1 does not see its neighbour a1b's files
    other = services.attach(world.enterprises.a1b, upload("b.txt", b"b"), by=world.users.zone)
    assert client_for(world.users.enterprise).get(f"/attachments/{other.pk}/download/").status_code == 404
    assert Attachment.objects.count() == 2 and not entries("attachments.downloaded", world.enterprises.a1).exists()


@pytest.mark.parametrize("target", ["registry.zone.1", "auth.user.1", "registry.enterprise.x", "nonsense",
                                    "registry.enterprise.99999999999999999999"])
def test_unknown_or_unregistered_targets_are_404(world, client_for, target):
    assert client_for(world.users.admin).get(f"/attachments/for/{target}/").status_code == 404


# --- delete -----------------------------------------------------------------------------------------------


def test_delete_is_audited_and_removes_the_files(world, client_for, settings, django_capture_on_commit_callbacks):
    e = world.enterprises.a1
    att = services.attach(e, upload("a.png", files.png()), by=world.users.zone)
    assert len(stored_files(settings)) == 2  # file + thumbnail
    assert client_for(world.users.customs).post(f"/attachments/{att.pk}/delete/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(world.users.zone).post(f"/attachments/{att.pk}/delete/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "a.png" not in r.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []
    audit = entries("attachments.attachment_deleted", e).get()
    assert audit.actor == world.users.zone and audit.changes["attachment"] == ["a.png", None]


def test_deleting_the_parent_removes_its_attachments(world, settings, django_capture_on_commit_callbacks):
    e = world.enterprises.a2
    services.attach(e, upload("a.txt", b"a"), by=world.users.city)
    keep = services.attach(world.enterprises.a1, upload("b.txt", b"b"), by=world.users.city)
    with django_capture_on_commit_callbacks(execute=True):
        e.delete()
    assert list(Attachment.objects.all()) == [keep]
    assert stored_files(settings) == [keep.file.name]


# --- the panel on the enterprise page ---------------------------------------------------------------------


def test_enterprise_page_has_the_attachments_tab(world, client_for):
    e = world.enterprises.a1
    services.attach(e, upload("现场照片.png", files.png()), by=world.users.zone)
    c = client_for(world.users.zone)
    html = c.get(f"{e.get_absolute_url()}?tab=attachments").content.decode()
    assert "现场照片.png" in html and 'type="file"' in html and "/thumbnail/" in html
    html = client_for(world.users.customs).get(f"{e.get_absolute_url()}?tab=attachments").content.decode()
    assert "现场照片.png" in html and 'type="file"' not in html


def test_listing_costs_a_fixed_number_of_queries(world, client_for, django_assert_num_queries):
    e = world.enterprises.a1
    c = client_for(world.users.zone)
    services.attach(e, upload("a.txt", b"a"), by=world.users.zone)
    c.get(panel_url(e))  # warm the content-type cache

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = (count(panel_url(e)), count(f"/api/attachments/?target=registry.enterprise.{e.pk}"))
    for i in range(9):
        services.attach(e, upload(f"p{i}.png", files.png()), by=world.users.city)
    ten = (count(panel_url(e)), count(f"/api/attachments/?target=registry.enterprise.{e.pk}"))
    assert one == ten
    assert one[0] <= 8


# --- API --------------------------------------------------------------------------------------------------


def test_api_upload_list_download_delete(world, client_for, settings):
    e = world.enterprises.a1
    c = client_for(world.users.zone)
    r = c.post("/api/attachments/", {"target": f"registry.enterprise.{e.pk}", "file": upload("../x/清单.csv", b"a,b\n")})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["original_name"] == "清单.csv" and body["kind"] == "csv" and body["target"] == f"registry.enterprise.{e.pk}"
    r = c.get("/api/attachments/", {"target": f"registry.enterprise.{e.pk}"})
    assert [a["id"] for a in r.json()["results"]] == [body["id"]]
    r = c.get(body["download_url"])
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"a,b\n"
    assert entries("attachments.downloaded", e).count() == 1
    r = c.post("/api/attachments/", {"target": f"registry.enterprise.{e.pk}", "file": upload("a.pdf", files.ELF)})
    assert r.status_code == 400 and r.json()["code"] == "type"
    settings.ATTACHMENT_MAX_BYTES = 10
    r = c.post("/api/attachments/", {"target": f"registry.enterprise.{e.pk}", "file": upload("big.txt", b"x" * 11)})
    assert r.status_code == 400 and r.json()["code"] == "too_large"
    assert c.delete(f"/api/attachments/{body['id']}/").status_code == 204
    assert entries("attachments.attachment_deleted", e).count() == 1


def test_api_out_of_scope_is_404_and_lists_hide_it(world, client_for):
    att = services.attach(world.enterprises.a1, upload("a.txt", b"a"), by=world.users.zone)
    c = client_for(world.users.other_zone)
    assert c.get(f"/api/attachments/{att.pk}/").status_code == 404
    assert c.get(f"/api/attachments/{att.pk}/download/").status_code == 404
    assert c.delete(f"/api/attachments/{att.pk}/").status_code == 404
    assert c.get("/api/attachments/").json()["results"] == []
    r = c.post("/api/attachments/", {"target": f"registry.enterprise.{world.enterprises.a1.pk}", "file": upload("b.txt", b"b")})
    assert r.status_code == 404
    assert Attachment.objects.count() == 1
    c = client_for(world.users.customs)
    assert c.delete(f"/api/attachments/{att.pk}/").status_code == 403
