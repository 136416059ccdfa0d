"""Registry pages: lists (query counts, filters, export, HTMX), detail tabs, forms, scope and write checks."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zonebook.audit.models import AuditEntry
from zonebook.registry.models import Enterprise, EnterpriseContact, Zone
from zonebook.registry.testing import EnterpriseFactory, ZoneFactory, code


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.mark.parametrize("url_name", ["registry:zone_list", "registry:enterprise_list"])
def test_list_pages_render(world, client_for, url_name):
    r = client_for(world.users.admin).get(reverse(url_name))
    assert r.status_code == 200
    assert "<table" in r.content.decode()


def _query_count(client, url, django_assert_max_num_queries, limit=10):
    client.get(url)  # warm up: session and login bookkeeping happen on the first request
    with django_assert_max_num_queries(limit) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_zone_list_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    c = client_for(world.users.admin)
    url = reverse("registry:zone_list")
    for _ in range(6):
        ZoneFactory(city_code="510100")
    small = _query_count(c, url, django_assert_max_num_queries)  # 10 zones
    for _ in range(90):
        ZoneFactory(city_code="510100")
    large = _query_count(c, url, django_assert_max_num_queries)
    assert small == large


def test_enterprise_list_query_count_is_flat(world, client_for, django_assert_max_num_queries):
    c = client_for(world.users.admin)
    url = reverse("registry:enterprise_list")
    for e in Enterprise.objects.all():
        EnterpriseContact.objects.create(enterprise=e, name="联系人", phone="13812345678")
    zone = world.zones.a1
    industry = code("industry", "C39", "计算机、通信和其他电子设备制造业")
    for _ in range(5):
        e = EnterpriseFactory(zone=zone, industry=industry)
        EnterpriseContact.objects.create(enterprise=e, name="联系人", phone="13912345678")
    small = _query_count(c, url, django_assert_max_num_queries)  # 10 enterprises
    for _ in range(90):
        e = EnterpriseFactory(zone=zone, industry=industry)
        EnterpriseContact.objects.create(enterprise=e, name="联系人", phone="13912345678")
    large = _query_count(c, url, django_assert_max_num_queries)
    assert small == large


def test_enterprise_list_is_scoped_and_filtered(world, client_for):
    c = client_for(world.users.city)
    html = c.get(reverse("registry:enterprise_list")).content.decode()
    assert world.enterprises.a1.name in html and world.enterprises.c1.name not in html
    html = c.get(reverse("registry:enterprise_list"), {"zone": world.zones.a2.pk}).content.decode()
    assert world.enterprises.a2.name in html and world.enterprises.a1.name not in html
    html = c.get(reverse("registry:enterprise_list"), {"q": world.enterprises.a1b.uscc}).content.decode()
    assert world.enterprises.a1b.name in html and world.enterprises.a1.name not in html


def test_htmx_request_gets_partial(world, client_for):
    r = client_for(world.users.admin).get(
        reverse("registry:enterprise_list"), {"zone": world.zones.a1.pk, "sort": "uscc"}, HTTP_HX_REQUEST="true"
    )
    body = r.content.decode()
    assert r.status_code == 200
    assert "<table" in body and "<html" not in body and 'id="list-filter"' not in body
    # The export links and the current sort are part of the partial, so they follow the filter.
    assert f"zone={world.zones.a1.pk}&amp;sort=uscc&amp;export=csv" in body
    assert 'name="sort" value="uscc" form="list-filter"' in body


def test_export_csv_has_filtered_in_scope_rows_and_masked_phones(world, client_for):
    EnterpriseContact.objects.create(enterprise=world.enterprises.a1, name="张三", phone="13812345678")
    c = client_for(world.users.city)
    r = c.get(
        reverse("registry:enterprise_list"), {"zone": world.zones.a1.pk, "export": "csv", "sort": "name"}
    )
    assert r.status_code == 200
    rows = _csv_rows(r)
    assert rows[0][0] == "名称"
    names = [row[0] for row in rows[1:]]
    assert sorted(names) == sorted([world.enterprises.a1.name, world.enterprises.a1b.name])
    body = "\n".join(",".join(row) for row in rows)
    assert "138****5678" in body and "13812345678" not in body
    e = AuditEntry.objects.get(code="registry.enterprise.exported")
    assert e.actor == world.users.city and e.changes["filters"]["zone"] == str(world.zones.a1.pk)


def test_export_xlsx_only_in_scope(world, client_for):
    c = client_for(world.users.zone)
    r = c.get(reverse("registry:enterprise_list"), {"export": "xlsx"})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    ws = wb.active
    from zonebook.core.exports import LIST_HEADER_ROWS

    names = sorted(row[0] for row in ws.iter_rows(min_row=LIST_HEADER_ROWS + 2, values_only=True))
    assert names == sorted([world.enterprises.a1.name, world.enterprises.a1b.name])


def test_zone_export_uses_filter(world, client_for):
    r = client_for(world.users.province).get(
        reverse("registry:zone_list"), {"city_code": "510700", "export": "csv"}
    )
    rows = _csv_rows(r)
    assert [row[0] for row in rows[1:]] == [world.zones.b1.name]


def test_bad_export_format_is_400(world, client_for):
    r = client_for(world.users.admin).get(reverse("registry:zone_list"), {"export": "pdf"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "url_name,attr",
    [
        ("registry:zone_detail", "zones.c1"),
        ("registry:zone_edit", "zones.c1"),
        ("registry:enterprise_detail", "enterprises.c1"),
        ("registry:enterprise_edit", "enterprises.c1"),
    ],
)
def test_out_of_scope_is_404(world, client_for, url_name, attr):
    group, name = attr.split(".")
    obj = getattr(getattr(world, group), name)
    r = client_for(world.users.zone).get(reverse(url_name, args=[obj.pk]))
    assert r.status_code == 404


@pytest.mark.parametrize("tab", ["overview", "parks", "enterprises", "status", "audit"])
def test_zone_detail_tabs(world, client_for, tab):
    r = client_for(world.users.zone).get(
        reverse("registry:zone_detail", args=[world.zones.a1.pk]), {"tab": tab}
    )
    assert r.status_code == 200


@pytest.mark.parametrize("tab", ["overview", "contacts", "status", "audit"])
def test_enterprise_detail_tabs(world, client_for, tab):
    r = client_for(world.users.zone).get(
        reverse("registry:enterprise_detail", args=[world.enterprises.a1.pk]), {"tab": tab}
    )
    assert r.status_code == 200


def test_enterprise_tab_htmx_returns_tabs_block(world, client_for):
    r = client_for(world.users.zone).get(
        reverse("registry:enterprise_detail", args=[world.enterprises.a1.pk]),
        {"tab": "status"},
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert 'id="detail-tabs"' in body and "<html" not in body


def test_contacts_tab_phone_visibility(world, client_for):
    EnterpriseContact.objects.create(enterprise=world.enterprises.a1, name="张三", phone="13812345678")
    url = reverse("registry:enterprise_detail", args=[world.enterprises.a1.pk])
    assert "13812345678" in client_for(world.users.zone).get(url, {"tab": "contacts"}).content.decode()
    body = client_for(world.users.city).get(url, {"tab": "contacts"}).content.decode()
    assert "13812345678" not in body and "138****5678" in body


def test_audit_tab_shows_history(world, client_for):
    from zonebook.registry import services

    services.update_enterprise(world.enterprises.a1, {"address": "天府大道1号"}, by=world.users.zone)
    r = client_for(world.users.zone).get(
        reverse("registry:enterprise_detail", args=[world.enterprises.a1.pk]), {"tab": "audit"}
    )
    assert "天府大道1号" in r.content.decode()


def test_customs_liaison_cannot_write(world, client_for):
    c = client_for(world.users.customs)
    ent = world.enterprises.a1
    assert c.get(reverse("registry:enterprise_edit", args=[ent.pk])).status_code == 403
    r = c.post(
        reverse("registry:enterprise_edit", args=[ent.pk]),
        {"name": "改名", "uscc": ent.uscc, "zone": ent.zone_id},
    )
    assert r.status_code == 403
    r = c.post(reverse("registry:contact_add", args=[ent.pk]), {"name": "x"})
    assert r.status_code == 403
    assert c.get(reverse("registry:zone_create")).status_code == 403
    ent.refresh_from_db()
    assert ent.name == "成都甲电子有限公司"
    assert not EnterpriseContact.objects.exists()
    assert not AuditEntry.objects.exists()


def test_enterprise_form_errors_keep_typed_values(world, client_for):
    c = client_for(world.users.zone)
    r = c.post(
        reverse("registry:enterprise_create"),
        {
            "name": "我的新公司",
            "uscc": "91510100MA6CXXXX0X",
            "customs_code": "51019",
            "zone": world.zones.a1.pk,
        },
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert 'value="我的新公司"' in body
    assert 'value="91510100MA6CXXXX0X"' in body
    assert "is-invalid" in body
    assert not Enterprise.objects.filter(name="我的新公司").exists()


def test_enterprise_create_and_edit(world, client_for):
    from zonebook.registry.testing import next_uscc

    c = client_for(world.users.zone)
    uscc = next_uscc()
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in uscc)
    r = c.post(
        reverse("registry:enterprise_create"),
        {"name": "新公司", "uscc": full_width, "zone": world.zones.a1.pk},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    ent = Enterprise.objects.get(name="新公司")
    assert ent.uscc == uscc
    r = c.post(
        reverse("registry:enterprise_edit", args=[ent.pk]),
        {"name": "新公司二", "uscc": uscc, "zone": world.zones.a1.pk},
    )
    assert r.status_code == 302
    ent.refresh_from_db()
    assert ent.name == "新公司二"
    assert AuditEntry.objects.filter(code="registry.enterprise.updated", object_id=str(ent.pk)).count() == 1


def test_zone_create_edit_and_event(world, client_for):
    c = client_for(world.users.city)
    kind = code("zone_type", "FTZ", "综合保税区")
    r = c.post(
        reverse("registry:zone_create"),
        {
            "name": "成都新区综保区",
            "short_name": "新区",
            "kind": kind.pk,
            "level": "national",
            "province_code": "510000",
            "city_code": "510100",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    zone = Zone.objects.get(name="成都新区综保区")
    r = c.post(
        reverse("registry:zone_event_add", args=[zone.pk]), {"event": "integrated", "date": "2025-01-01"}
    )
    assert r.status_code == 400
    assert "is-invalid" in r.content.decode()
    r = c.post(
        reverse("registry:zone_event_add", args=[zone.pk]),
        {"event": "integrated", "date": "2025-01-01", "successor": world.zones.a1.pk},
    )
    assert r.status_code == 302
    zone.refresh_from_db()
    assert zone.integrated_into == world.zones.a1


def test_park_create_and_edit(world, client_for):
    c = client_for(world.users.zone)
    r = c.post(reverse("registry:park_create", args=[world.zones.a1.pk]), {"name": "南区", "bonded": "on"})
    assert r.status_code == 302
    park = world.zones.a1.parks.get(name="南区")
    r = c.post(
        reverse("registry:park_edit", args=[park.pk]), {"name": "南区", "bonded": "on", "address": "南路"}
    )
    assert r.status_code == 302
    park.refresh_from_db()
    assert park.address == "南路"
    # Duplicate name in the same zone: form error, nothing written.
    r = c.post(reverse("registry:park_create", args=[world.zones.a1.pk]), {"name": "西区"})
    assert r.status_code == 400


def test_contact_add_edit_delete(world, client_for):
    c = client_for(world.users.zone)
    ent = world.enterprises.a1
    r = c.post(reverse("registry:contact_add", args=[ent.pk]), {"name": "王五", "phone": "13800001111"})
    assert r.status_code == 302
    contact = ent.contacts.get()
    r = c.post(reverse("registry:contact_edit", args=[contact.pk]), {"name": "王五", "phone": "13800002222"})
    assert r.status_code == 302
    r = c.post(reverse("registry:contact_delete", args=[contact.pk]))
    assert r.status_code == 302
    assert not ent.contacts.exists()
    r = c.post(reverse("registry:contact_add", args=[ent.pk]), {"name": "", "email": "bad"})
    assert r.status_code == 400


def test_enterprise_status_change_page(world, client_for):
    c = client_for(world.users.zone)
    ent = world.enterprises.a1
    r = c.post(
        reverse("registry:enterprise_status_add", args=[ent.pk]),
        {"status": "suspended", "date": "2025-02-01"},
    )
    assert r.status_code == 302
    ent.refresh_from_db()
    assert ent.status == "suspended"
    r = c.post(reverse("registry:enterprise_status_add", args=[ent.pk]), {"status": "nope", "date": ""})
    assert r.status_code == 400


def test_enterprise_filters_industry_tree_and_flags(world, client_for):
    section = code("industry", "C", "制造业", level=1)
    division = code("industry", "C39", "电子设备制造业", parent=section, level=2)
    klass = code("industry", "3911", "计算机整机制造", parent=division, level=4)
    from zonebook.registry.models import Code

    Code.objects.filter(pk=klass.pk).update(parent=division)
    e1 = EnterpriseFactory(
        zone=world.zones.a1, industry=klass, name="整机公司", processing_trade=True, fortune500=True
    )
    e2 = EnterpriseFactory(zone=world.zones.a1, industry=None, name="无行业公司")
    c = client_for(world.users.zone)
    body = c.get(reverse("registry:enterprise_list"), {"industry": section.pk}).content.decode()
    assert e1.name in body and e2.name not in body
    body = c.get(
        reverse("registry:enterprise_list"), {"processing_trade": "true", "fortune500": "true"}
    ).content.decode()
    assert e1.name in body and e2.name not in body and world.enterprises.a1.name not in body
    body = c.get(reverse("registry:enterprise_list"), {"fortune500": "false"}).content.decode()
    assert e1.name not in body and e2.name in body


def test_enterprise_page_accepts_registered_tabs(world, client_for):
    from zonebook.core import tabs

    tab = tabs.Tab(
        "extra",
        "额外",
        "registry/_audit_tab.html",
        order=50,
        context=lambda request, obj: {"entries": [], "history_limit": 200},
    )
    tabs.register("registry.enterprise", tab)
    try:
        url = reverse("registry:enterprise_detail", args=[world.enterprises.a1.pk])
        body = client_for(world.users.zone).get(url).content.decode()
        assert "?tab=extra" in body
        assert client_for(world.users.zone).get(url, {"tab": "extra"}).status_code == 200
        assert client_for(world.users.zone).get(url, {"tab": "nope"}).status_code == 404
    finally:
        tabs.unregister("registry.enterprise", "extra")


@pytest.mark.parametrize("kind", ["park", "contact"])
def test_out_of_scope_park_and_contact_edit_is_404(world, client_for, kind):
    from zonebook.registry.testing import ParkFactory

    if kind == "park":
        obj, url_name = ParkFactory(zone=world.zones.c1), "registry:park_edit"
    else:
        obj, url_name = (
            EnterpriseContact.objects.create(enterprise=world.enterprises.c1, name="x"),
            "registry:contact_edit",
        )
    c = client_for(world.users.zone)
    assert c.get(reverse(url_name, args=[obj.pk])).status_code == 404
    assert c.post(reverse(url_name, args=[obj.pk]), {"name": "y"}).status_code == 404
    assert not AuditEntry.objects.exists()


def test_anonymous_is_redirected_to_login(db, client):
    r = client.get(reverse("registry:enterprise_list"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_csv_export_chunks_keep_every_row_once(world, client_for, monkeypatch):
    from zonebook.core import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    for i in range(10):
        EnterpriseFactory(zone=world.zones.a1, name=f"同名状态公司{i}")
    r = client_for(world.users.zone).get(
        reverse("registry:enterprise_list"), {"export": "csv", "sort": "status"}
    )
    rows = _csv_rows(r)[1:]
    names = [row[0] for row in rows]
    assert len(names) == len(set(names)) == Enterprise.objects.filter(zone=world.zones.a1).count()
