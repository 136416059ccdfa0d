"""The document templates page: who may edit, placeholder errors named in the form, audit, preview."""

import pytest
from django.urls import reverse

from zonebook.audit.models import AuditEntry
from zonebook.documents.models import DocumentTemplate

pytestmark = pytest.mark.django_db


def _form(t: DocumentTemplate, **changes) -> dict:
    data = {f: getattr(t, f) for f in ("kind", "name", "office", "series", "header_text", "recipients", "intro",
                                       "signature", "footer")}
    data["active"] = "on" if t.active else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_defaults_exist_and_the_page_lists_them(world, client_for):
    kinds = set(DocumentTemplate.objects.values_list("kind", flat=True))
    assert {"bulletin", "circular", "visit_summary", "reminder"} <= kinds
    resp = client_for(world.users.province).get(reverse("documents:template_list"))
    assert resp.status_code == 200
    assert "催办通知书" in resp.content.decode() and "{period}" in resp.content.decode()


@pytest.mark.parametrize("who", ["zone", "enterprise", "city", "customs"])
def test_other_roles_may_not_edit_templates(world, client_for, who):
    client = client_for(getattr(world.users, who))
    t = DocumentTemplate.objects.get(kind="bulletin")
    assert client.get(reverse("documents:template_list")).status_code == 403
    assert client.post(reverse("documents:template_edit", args=[t.pk]), _form(t, name="x")).status_code == 403
    assert client.get(reverse("documents:template_preview", args=[t.pk, "pdf"])).status_code == 403
    assert DocumentTemplate.objects.get(pk=t.pk).name == "工作简报"


def test_unknown_placeholder_and_unbalanced_braces_are_named_in_the_form(world, client_for):
    client = client_for(world.users.admin)
    t = DocumentTemplate.objects.get(kind="bulletin")
    before = AuditEntry.objects.count()
    resp = client.post(reverse("documents:template_edit", args=[t.pk]),
                       _form(t, intro="现将{perod}情况通报如下。", header_text="{office"))
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "{perod}" in page and "is-invalid" in page
    assert "brace" in page.lower() or "括号" in page
    t.refresh_from_db()
    assert t.intro == "" and AuditEntry.objects.count() == before


def test_edit_is_audited_with_the_changed_fields(world, client_for):
    client = client_for(world.users.province)
    t = DocumentTemplate.objects.get(kind="circular")
    resp = client.post(reverse("documents:template_edit", args=[t.pk]),
                       _form(t, intro="现将{period}情况通报如下。", series="川商开发"))
    assert resp.status_code == 302
    t.refresh_from_db()
    assert t.intro == "现将{period}情况通报如下。"
    entry = AuditEntry.objects.get(code="documents.template.updated")
    assert set(entry.changes) == {"intro", "series"} and entry.actor == world.users.province
    # saving again unchanged writes nothing
    client.post(reverse("documents:template_edit", args=[t.pk]), _form(t))
    assert AuditEntry.objects.filter(code="documents.template.updated").count() == 1


def test_create_and_preview_in_both_formats(world, client_for):
    client = client_for(world.users.admin)
    resp = client.post(reverse("documents:template_create"), {
        "kind": "monthly", "name": "月度通报", "header_text": "{office}", "intro": "现将{period}情况通报如下。",
        "active": "on",
    })
    assert resp.status_code == 302
    t = DocumentTemplate.objects.get(kind="monthly")
    assert AuditEntry.objects.filter(code="documents.template.created", object_id=str(t.pk)).exists()
    for fmt, ctype in (("pdf", "application/pdf"), ("docx", "wordprocessingml")):
        resp = client.get(reverse("documents:template_preview", args=[t.pk, fmt]))
        assert resp.status_code == 200 and ctype in resp["Content-Type"]
        assert resp["Content-Disposition"].startswith("attachment;")
    assert client.get(reverse("documents:template_preview", args=[t.pk, "odt"])).status_code == 404
