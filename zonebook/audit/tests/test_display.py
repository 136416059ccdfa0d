"""The audit log and the history tabs speak the reader's language and mask personal values."""

import csv
import io

import pytest
from django.db import transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from zonebook.audit import services as audit
from zonebook.audit.display import AuditDisplay, object_type_label
from zonebook.audit.models import AuditEntry
from zonebook.core.context import acting_as
from zonebook.registry import services
from zonebook.registry.models import Enterprise, EnterpriseContact

PHONE = "13812345678"
MASKED = "138****5678"


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body)))


def _zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


@pytest.fixture
def changed(world):
    services.update_enterprise(
        world.enterprises.a1b,
        {"address": "天府大道1号", "processing_mode": "imported", "processing_trade": True, "zone": world.zones.a2},
        by=world.users.admin,
    )
    return world


def test_audit_list_shows_labels_not_field_names(changed, client_for):
    body = client_for(changed.users.admin).get(reverse("audit:list"), {"code": "registry.enterprise."}).content.decode()
    field = Enterprise._meta.get_field
    for name in ("address", "processing_mode", "processing_trade", "zone"):
        assert f"<b>{_zh(field(name).verbose_name).capitalize()}</b>" in body or f"<b>{_zh(field(name).verbose_name)}</b>" in body
    assert "<b>address</b>" not in body and "<b>processing_mode</b>" not in body
    assert "进料加工" in body and "→ imported" not in body  # choice label, not the stored value
    assert changed.zones.a2.name in body  # the FK as the zone's name, not its id
    assert _zh(object_type_label("registry.enterprise")) == "企业"
    assert ">registry.enterprise<" not in body


def test_audit_export_uses_the_same_text(changed, client_for):
    rows = _csv(client_for(changed.users.admin).get(reverse("audit:list"), {"export": "csv", "code": "registry.enterprise."}))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert cell["对象类型"] == "企业"
    assert cell["来源"] == "系统"  # a service called outside a request
    assert "进料加工" in cell["变更内容"] and changed.zones.a2.name in cell["变更内容"]
    assert "processing_mode" not in cell["变更内容"] and '"' not in cell["变更内容"]
    assert cell["操作"] == "修改"


def test_sources_and_commands_are_translated(world, client_for):
    with acting_as("demo"), transaction.atomic():
        audit.record(world.zones.a1, code="registry.zone.status_changed", changes={"short_name": ["a", "b"]})
    entry = AuditEntry.objects.get(code="registry.zone.status_changed")
    assert (entry.source, entry.actor_name) == ("demo", "demo")
    rows = _csv(client_for(world.users.admin).get(reverse("audit:list"), {"export": "csv", "code": "registry.zone."}))
    cell = dict(zip(rows[0], rows[1], strict=True))
    assert cell["来源"] == "演示数据" and cell["操作人"] == "演示数据"
    assert cell["操作"] == "状态变更"
    assert cell["对象类型"] == _zh(object_type_label("registry.zone")) != "registry.zone"


@pytest.fixture
def contact(world):
    c = services.add_contact(world.enterprises.a1, {"name": "张三", "phone": PHONE}, by=world.users.zone)
    services.update_contact(c, {"phone": "13900001111"}, by=world.users.zone)
    return c


def test_contact_phone_is_masked_in_the_audit_log_by_the_contacts_tab_rule(world, contact, client_for):
    url = reverse("audit:list")
    params = {"object_type": "registry.enterprisecontact", "object_id": str(contact.pk)}
    for user in (world.users.city, world.users.province, world.users.admin):
        body = client_for(user).get(url, params).content.decode()
        assert PHONE not in body and "13900001111" not in body, user
        assert MASKED in body and "139****1111" in body
        rows = _csv(client_for(user).get(url, {**params, "export": "csv"}))
        text = " ".join(" ".join(r) for r in rows)
        assert PHONE not in text and MASKED in text
    # the zone office and the enterprise itself see the numbers, as on the contacts tab
    for user in (world.users.zone, world.users.enterprise):
        body = client_for(user).get(url, params).content.decode()
        assert PHONE in body and "13900001111" in body
        rows = _csv(client_for(user).get(url, {**params, "export": "csv"}))
        assert PHONE in " ".join(" ".join(r) for r in rows)


def test_history_tab_masks_and_translates(world, contact):
    entries = AuditEntry.objects.filter(object_type="registry.enterprisecontact", object_id=str(contact.pk))
    template = Template("{% load audit_tags %}{% audit_history entries %}")
    html = {}
    for name in ("city", "zone"):
        request = RequestFactory().get("/")
        request.user = getattr(world.users, name)
        with translation.override("zh-hans"):
            html[name] = template.render(Context({"request": request, "entries": entries}))
    assert PHONE not in html["city"] and MASKED in html["city"]
    assert PHONE in html["zone"]
    assert f"<b>{_zh(EnterpriseContact._meta.get_field('phone').verbose_name)}</b>" in html["city"]
    assert "registry.enterprisecontact" not in html["city"]
    assert "新建" in html["city"] and "修改" in html["city"]


def test_enterprise_history_tab_speaks_chinese(changed, client_for):
    body = client_for(changed.users.city).get(
        reverse("registry:enterprise_detail", args=[changed.enterprises.a1b.pk]), {"tab": "audit"}
    ).content.decode()
    assert "进料加工" in body and "天府大道1号" in body
    assert "<b>processing_mode</b>" not in body and "registry.enterprise #" not in body


def test_display_resolves_related_names_with_one_query_per_model(world, django_assert_num_queries):
    for zone in (world.zones.a2, world.zones.b1, world.zones.a1):
        services.update_enterprise(world.enterprises.a1b, {"zone": zone}, by=world.users.admin)
    entries = list(AuditEntry.objects.filter(code="registry.enterprise.updated"))
    assert len(entries) == 3
    with django_assert_num_queries(1):
        display = AuditDisplay(entries, world.users.admin)
    with django_assert_num_queries(0):
        texts = [display.changes_text(e) for e in entries]
    assert world.zones.b1.name in " ".join(texts)


def test_audit_list_query_count_stays_flat_with_related_names(world, client_for, django_assert_max_num_queries):
    c = client_for(world.users.admin)
    zones = [world.zones.a1, world.zones.a2]
    for i in range(6):
        services.update_enterprise(world.enterprises.a1b, {"zone": zones[i % 2]}, by=world.users.admin)
    c.get(reverse("audit:list"))
    with django_assert_max_num_queries(12) as small:
        c.get(reverse("audit:list"))
    for i in range(60):
        services.update_enterprise(world.enterprises.a1b, {"zone": zones[i % 2], "address": f"{i}"}, by=world.users.admin)
    with django_assert_max_num_queries(12) as large:
        c.get(reverse("audit:list"))
    assert len(small.captured_queries) == len(large.captured_queries)


def test_contact_masking_rule_is_registered_once(db):
    from zonebook.audit.display import masked_fields

    rules = masked_fields()
    assert ("registry.enterprisecontact", "phone") in rules
    assert not EnterpriseContact._meta.get_field("phone").choices


def test_admin_shows_the_masked_text(world, contact, client):
    admin = world.users.admin
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    entry = AuditEntry.objects.filter(object_type="registry.enterprisecontact").first()
    body = client.get(f"/admin/audit/auditentry/{entry.pk}/change/").content.decode()
    assert "张三" in body and MASKED in body and PHONE not in body


def test_action_code_is_a_tooltip_on_the_page_and_a_column_in_the_export(changed, client_for):
    c = client_for(changed.users.admin)
    body = c.get(reverse("audit:list"), {"code": "registry.enterprise."}).content.decode()
    assert '<span title="registry.enterprise.updated">修改</span>' in body
    assert ">registry.enterprise.updated<" not in body
    rows = _csv(c.get(reverse("audit:list"), {"export": "csv", "code": "registry.enterprise."}))
    assert dict(zip(rows[0], rows[1], strict=True))["操作代码"] == "registry.enterprise.updated"
