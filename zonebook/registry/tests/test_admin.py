"""Admin pages for code tables and registry models load, and admin edits are audited."""

import pytest
from django.urls import reverse

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.registry.models import Code
from zonebook.registry.testing import code


@pytest.fixture
def superuser(db):
    return user_for("all", username="root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize(
    "model", ["codetable", "code", "zone", "park", "enterprise", "zonestatusevent", "enterprisecontact"]
)
def test_admin_changelists_load(world, client_for, superuser, model):
    code("industry", "C39", "电子")
    r = client_for(superuser).get(reverse(f"admin:registry_{model}_changelist"))
    assert r.status_code == 200


def test_admin_code_filter_by_table(world, client_for, superuser):
    code("industry", "C39", "电子")
    code("country", "CHN", "中国")
    r = client_for(superuser).get(
        reverse("admin:registry_code_changelist"), {"table__id__exact": Code.objects.get(code="CHN").table_id}
    )
    assert "中国" in r.content.decode() and "电子" not in r.content.decode()


def test_admin_edit_is_audited(world, client_for, superuser):
    c = code("country", "CHN", "中国")
    r = client_for(superuser).post(
        reverse("admin:registry_code_change", args=[c.pk]),
        {
            "table": c.table_id,
            "code": "CHN",
            "name": "中华人民共和国",
            "name_en": "China",
            "level": 1,
            "extra": "{}",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    e = AuditEntry.objects.get(code="registry.code.updated")
    assert e.changes["name"] == ["中国", "中华人民共和国"] and e.actor == superuser
