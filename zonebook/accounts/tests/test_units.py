"""Organisational units: tree, helpers, scope of pages/API/services, and the units import."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from rest_framework.test import APIClient

from zonebook.accounts import units as svc
from zonebook.accounts.choices import MemberRole, UnitKind
from zonebook.accounts.importers import UnitImport
from zonebook.accounts.models import Unit
from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.core.imports import pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(world):
    u = world.users
    admin = u.admin
    admin.can_manage_users = True
    admin.save()
    prov = svc.create_unit(
        {"name": "四川省商务厅", "kind": UnitKind.COMMERCE_DEPT, "province_code": "510000"}, by=admin
    )
    div = svc.create_unit({"name": "自贸区建设处", "kind": UnitKind.DIVISION, "parent": prov}, by=admin)
    office = svc.create_unit(
        {"name": "高新综保区管委会", "kind": UnitKind.ZONE_OFFICE, "zone": world.zones.a1}, by=admin
    )
    dept = svc.create_unit({"name": "企业服务局", "kind": UnitKind.ZONE_DEPT, "parent": office}, by=admin)
    other = svc.create_unit(
        {"name": "绵阳综保区管委会", "kind": UnitKind.ZONE_OFFICE, "zone": world.zones.b1}, by=admin
    )
    return type(
        "Org", (), {"prov": prov, "div": div, "office": office, "dept": dept, "other": other, "admin": admin}
    )


def test_scope_is_derived_and_children_inherit_it(world, org):
    assert (org.prov.scope_level, org.prov.province_code, org.prov.city_code) == ("province", "510000", "")
    assert org.div.scope_level == "province" and org.div.province_code == "510000"
    assert (org.dept.scope_level, org.dept.zone_id, org.dept.city_code) == (
        "zone",
        world.zones.a1.pk,
        "510100",
    )
    assert AuditEntry.objects.filter(code="accounts.unit.created").count() == 5


def test_tree_order_and_depth(world, org):
    rows = [(u.name, d) for u, d in svc.unit_tree(Unit.objects.all())]
    assert rows.index(("四川省商务厅", 0)) + 1 == rows.index(("自贸区建设处", 1))
    assert rows.index(("高新综保区管委会", 0)) + 1 == rows.index(("企业服务局", 1))
    # a unit whose parent is outside the reader's scope is shown as a root
    assert svc.unit_tree(Unit.objects.filter(pk=org.dept.pk)) == [(org.dept, 0)]


def test_child_outside_parent_scope_and_cycles_are_refused(world, org):
    with pytest.raises(DomainError) as exc:
        svc.create_unit(
            {"name": "x", "kind": UnitKind.ZONE_DEPT, "parent": org.office, "zone": world.zones.b1},
            by=org.admin,
        )
    assert exc.value.code == "scope_mismatch"
    with pytest.raises(DomainError) as exc:
        svc.update_unit(org.office, {"parent": org.dept}, by=org.admin)
    assert exc.value.code == "cycle"
    with pytest.raises(DomainError) as exc:
        svc.create_unit(
            {"name": "企业服务局", "kind": UnitKind.ZONE_DEPT, "parent": org.office}, by=org.admin
        )
    assert exc.value.code == "duplicate"


def test_head_leaders_and_units_for(world, org):
    u = world.users
    boss = user_for("province", "510000", username="prov_boss")
    svc.update_unit(org.prov, {"head": boss}, by=org.admin)
    svc.add_member(org.div, u.province, by=org.admin, role_in_unit=MemberRole.HEAD, title="处长")
    org.div.refresh_from_db()
    # no declared head: the member with the role "head"
    assert svc.unit_head(org.div) == u.province
    # no leader in charge declared: the parent's head
    assert svc.unit_leaders(org.div) == [boss]
    leader = user_for("province", "510000", username="vice")
    svc.add_member(org.div, leader, by=org.admin, role_in_unit=MemberRole.LEADER)
    assert svc.unit_leaders(org.div) == [leader]
    assert list(svc.units_for(u.province)) == [org.div]
    assert list(svc.units_for(boss)) == [org.prov]
    # a membership that ended is no longer counted
    m = org.div.memberships.get(user=leader)
    svc.end_membership(m, by=org.admin, on=dt.date(2020, 1, 1) if m.valid_from else None)
    assert svc.unit_leaders(org.div, on=dt.date.today() + dt.timedelta(days=1)) == [boss]
    assert svc.unit_leaders(org.other) == []


def test_zone_admin_sees_and_edits_only_own_zone_units(world, org, client_for):
    leader = world.users.zone_leader
    leader.can_manage_users = True
    leader.save()
    c = client_for(leader)
    page = c.get("/accounts/units/").content.decode()
    assert "企业服务局" in page and "绵阳综保区管委会" not in page and "四川省商务厅" not in page
    assert c.get(f"/accounts/units/{org.dept.pk}/").status_code == 200
    edit = c.get(f"/accounts/units/{org.dept.pk}/edit/")
    assert edit.status_code == 200 and "企业服务局" in edit.content.decode()
    assert "绵阳综合保税区" not in c.get("/accounts/units/new/").content.decode()  # zone choices in scope
    assert c.get("/accounts/units/?export=csv").content.decode("utf-8-sig").startswith("单位名称")
    assert c.get(f"/accounts/units/{org.other.pk}/").status_code == 404
    assert c.get(f"/accounts/units/{org.other.pk}/edit/").status_code == 404
    assert (
        c.post(f"/accounts/units/{org.other.pk}/edit/", {"name": "x", "kind": "zone_office"}).status_code
        == 404
    )
    # creating in another zone: the form offers only the own zone, and the service refuses anyway
    r = c.post(
        "/accounts/units/new/",
        {"name": "外区部门", "kind": "zone_dept", "zone": world.zones.b1.pk, "is_active": "on"},
    )
    assert r.status_code == 400 and not Unit.objects.filter(name="外区部门").exists()
    with pytest.raises(DomainError) as exc:
        svc.create_unit({"name": "外区部门", "kind": UnitKind.ZONE_DEPT, "zone": world.zones.b1}, by=leader)
    assert exc.value.code == "scope_forbidden"
    r = c.post(
        "/accounts/units/new/",
        {"name": "招商局", "kind": "zone_dept", "parent": org.office.pk, "is_active": "on"},
    )
    assert r.status_code == 302
    assert Unit.objects.get(name="招商局").zone_id == world.zones.a1.pk
    r = c.post(
        f"/accounts/units/{org.dept.pk}/members/add/", {"user": world.users.zone.pk, "role_in_unit": "member"}
    )
    assert r.status_code == 302 and org.dept.memberships.filter(user=world.users.zone).exists()
    # a staff member without user administration reads, but may not manage
    staff = client_for(world.users.zone)
    assert staff.get(f"/accounts/units/{org.dept.pk}/").status_code == 200
    assert staff.get("/accounts/units/new/").status_code == 403


def test_api_lists_units_in_scope_with_members(world, org):
    svc.add_member(org.dept, world.users.zone, by=org.admin, role_in_unit=MemberRole.HEAD)
    api = APIClient()
    api.force_authenticate(world.users.zone)
    names = {r["name"] for r in api.get("/api/accounts/units/").json()["results"]}
    assert names == {"高新综保区管委会", "企业服务局"}
    detail = api.get(f"/api/accounts/units/{org.dept.pk}/").json()
    assert [m["user"]["username"] for m in detail["members"]] == [world.users.zone.username]
    assert api.get(f"/api/accounts/units/{org.other.pk}/").status_code == 404
    assert api.get("/api/accounts/units/?kind=zone_dept").json()["count"] == 1


# --- import ------------------------------------------------------------------------------------------

HEAD = ["单位名称", "简称", "单位类型", "上级单位", "所属园区", "城市代码", "省级区划代码", "负责人用户名"]


def _csv(tmp_path, rows):
    buf = io.StringIO()
    csv.writer(buf).writerows([HEAD, *rows])
    path = tmp_path / "units.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def test_import_writes_a_tree_with_parents_from_earlier_rows(world, tmp_path):
    admin = world.users.admin
    path = _csv(
        tmp_path,
        [
            ["四川省商务厅", "省商务厅", "商务主管部门", "", "", "", "510000", ""],
            ["开发区处", "", "处室", "四川省商务厅", "", "", "", "sc_prov"],
            ["成都高新综合保税区海关", "高新海关", "海关", "", "成都高新综保区", "", "", ""],
        ],
    )
    result = pipeline.run(UnitImport, path, path.name, admin)
    assert result.ok, result.errors
    assert result.written == 3
    div = Unit.objects.get(name="开发区处")
    assert div.parent.name == "四川省商务厅" and div.head == world.users.province
    assert Unit.objects.get(name="成都高新综合保税区海关").zone == world.zones.a1
    assert AuditEntry.objects.filter(code="accounts.unit.imported").count() == 3


def test_import_with_bad_rows_reports_each_and_writes_nothing(world, tmp_path):
    admin = world.users.admin
    path = _csv(
        tmp_path,
        [
            ["四川省商务厅", "", "商务主管部门", "", "", "", "510000", ""],
            ["坏类型", "", "不存在的类型", "", "", "", "510000", ""],
            ["孤儿处", "", "处室", "没有的单位", "", "", "", ""],
            ["外区海关", "", "海关", "", "不存在的园区", "", "", ""],
            ["无人处", "", "处室", "四川省商务厅", "", "", "", "nobody"],
            ["四川省商务厅", "", "商务主管部门", "", "", "", "510000", ""],
            ["无范围", "", "其他外部单位", "", "", "", "", ""],
        ],
    )
    before = Unit.objects.count()
    preview = pipeline.check(UnitImport, path, path.name, admin)
    result = pipeline.run(UnitImport, path, path.name, admin)
    assert result.written == 0 and Unit.objects.count() == before
    for r in (preview, result):
        by_row = {e.row: e for e in r.errors}
        assert set(by_row) == {3, 4, 5, 6, 7, 8}, r.errors
        assert by_row[3].column == "单位类型"
        assert "没有的单位" in by_row[4].reason and by_row[4].column == "上级单位"
        assert by_row[5].column == "所属园区"
        assert by_row[6].column == "负责人用户名"
        assert "2" in by_row[7].reason  # same as row 2
        assert by_row[8].column == "省级区划代码"


def test_import_refuses_a_zone_outside_the_importers_scope(world, tmp_path):
    importer = world.users.other_zone  # 绵阳 zone staff: no "accounts" area, the kind is refused
    path = _csv(tmp_path, [["x", "", "海关", "", "成都高新综保区", "", "", ""]])
    admin = user_for("province", "510000", username="p_admin", can_manage_users=True)
    admin.role = "system_admin"
    admin.scope_level = "province"
    admin.save()
    result = pipeline.check(UnitImport, path, path.name, admin)
    assert result.ok  # inside the province
    leader = user_for("zone", world.zones.b1, role="zone_leader", username="b1_admin", can_manage_users=True)
    result = pipeline.check(UnitImport, path, path.name, leader)
    assert [e.column for e in result.errors] == ["所属园区"]  # 成都高新 is not in 绵阳's scope
    assert importer.can_write("accounts") is False


# --- import, update mode --------------------------------------------------------------------------


def test_import_update_mode_changes_existing_units_and_adds_new_ones(world, org, tmp_path):
    path = _csv(
        tmp_path,
        [
            ["四川省商务厅", "省商务厅", "商务主管部门", "", "", "", "510000", ""],  # short name added
            ["自贸区建设处", "", "处室", "四川省商务厅", "", "", "", "sc_prov"],  # head set
            ["高新综保区管委会", "", "园区管委会", "", "成都高新综保区", "", "", ""],  # unchanged
            ["外资处", "", "处室", "四川省商务厅", "", "", "", ""],  # new
        ],
    )
    refused = pipeline.run(UnitImport, path, path.name, org.admin)
    assert not refused.ok  # create only: the existing units are duplicates
    audits = AuditEntry.objects.count()
    preview = pipeline.check(UnitImport, path, path.name, org.admin, mode="update")
    assert preview.ok, preview.errors
    assert (preview.new_rows, preview.changed_rows, preview.unchanged_rows) == (1, 2, 1)
    assert preview.changes[1]["changes"] == [{"field": "负责人用户名", "before": "", "after": str(world.users.province)}]
    result = pipeline.run(UnitImport, path, path.name, org.admin, mode="update")
    assert result.ok, result.errors
    org.prov.refresh_from_db()
    org.div.refresh_from_db()
    assert org.prov.short_name == "省商务厅" and org.div.head == world.users.province
    assert Unit.objects.get(name="外资处").parent == org.prov
    updated = AuditEntry.objects.filter(code="accounts.unit.updated")
    assert updated.count() == 2
    assert updated.get(object_id=str(org.prov.pk)).changes == {"short_name": ["", "省商务厅"]}
    assert AuditEntry.objects.count() == audits + 3  # two updated, one created, none for the unchanged


def test_import_update_mode_refuses_moving_a_unit_to_another_zone(world, org, tmp_path):
    path = _csv(tmp_path, [["企业服务局", "", "管委会部门", "高新综保区管委会", "绵阳综保区", "", "", ""]])
    result = pipeline.run(UnitImport, path, path.name, org.admin, mode="update")
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(2, "所属园区")]
    org.dept.refresh_from_db()
    assert org.dept.zone == world.zones.a1
