"""Audit pages: scoped list with filters, export, read-only admin."""

import csv
import io

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from zonebook.audit import services as audit
from zonebook.audit.admin import AuditEntryAdmin
from zonebook.audit.models import AuditEntry
from zonebook.registry import services


@pytest.fixture
def history(world):
    services.update_enterprise(world.enterprises.a1, {"address": "甲地址"}, by=world.users.zone)
    services.update_enterprise(world.enterprises.c1, {"address": "戊地址"}, by=world.users.admin)
    services.update_zone(world.zones.a2, {"short_name": "铁路港"}, by=world.users.city)
    return world


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_audit_list_is_scoped(history, client_for):
    body = client_for(history.users.zone).get(reverse("audit:list")).content.decode()
    assert "甲地址" in body and "戊地址" not in body and "铁路港" not in body
    body = client_for(history.users.city).get(reverse("audit:list")).content.decode()
    assert "甲地址" in body and "铁路港" in body and "戊地址" not in body


def test_audit_filters(history, client_for):
    c = client_for(history.users.admin)
    url = reverse("audit:list")
    body = c.get(url, {"actor": "cd_city"}).content.decode()
    assert "铁路港" in body and "甲地址" not in body
    body = c.get(
        url, {"object_type": "registry.enterprise", "object_id": str(history.enterprises.c1.pk)}
    ).content.decode()
    assert "戊地址" in body and "甲地址" not in body
    body = c.get(url, {"code": "registry.zone."}).content.decode()
    assert "铁路港" in body and "甲地址" not in body
    body = c.get(url, {"date_from": "2000-01-01", "date_to": "2000-12-31"}).content.decode()
    assert "甲地址" not in body


def test_audit_export_is_filtered_and_scoped(history, client_for):
    r = client_for(history.users.city).get(
        reverse("audit:list"), {"export": "csv", "code": "registry.enterprise."}
    )
    rows = _csv(r)
    assert rows[0][0] == "时间"
    assert len(rows) == 2 and "甲地址" in rows[1][7]
    # The export itself is audited.
    assert AuditEntry.objects.filter(code="audit.entry.exported", actor=history.users.city).count() == 1


def test_audit_export_xlsx(history, client_for):
    from openpyxl import load_workbook

    from zonebook.core.exports import LIST_HEADER_ROWS

    r = client_for(history.users.admin).get(reverse("audit:list"), {"export": "xlsx"})
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    # filter line, export time, header + three changes + the entry recording this export (written
    # before the rows are read)
    assert wb.active.max_row == LIST_HEADER_ROWS + 5
    assert wb.active["A1"].value.startswith("筛选条件") and wb.active["A2"].value.startswith("导出时间")


def test_audit_list_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    c = client_for(world.users.admin)
    url = reverse("audit:list")
    for i in range(10):
        services.update_zone(world.zones.a1, {"short_name": f"z{i}"}, by=world.users.admin)
    c.get(url)
    with django_assert_max_num_queries(8) as small:
        c.get(url)
    for i in range(90):
        services.update_zone(world.zones.a1, {"short_name": f"y{i}"}, by=world.users.admin)
    with django_assert_max_num_queries(8) as large:
        c.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_htmx_partial(history, client_for):
    r = client_for(history.users.admin).get(reverse("audit:list"), HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode() and "<table" in r.content.decode()


def test_admin_is_read_only(world):
    request = RequestFactory().get("/admin/")
    request.user = world.users.admin
    admin = AuditEntryAdmin(AuditEntry, site)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)


def test_record_event_scope_defaults_to_actor(world):
    e = audit.record_event("registry.zone.exported", by=world.users.zone, message="csv 2 rows")
    assert e.zone_id == world.zones.a1.pk and e.province_code == "510000"
    assert AuditEntry.objects.for_user(world.users.other_zone).filter(pk=e.pk).count() == 0
