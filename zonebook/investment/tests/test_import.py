"""The monthly project list in update mode: a re-sent month with changed amounts updates (audited),
never duplicates; out-of-scope numbers and unknown zones are refused."""

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.investment.models import Investor, Project

pytestmark = pytest.mark.django_db
HEADER = "项目编号,项目名称,落地园区,投资主体,行业,币种,协议投资额（万元）,实际到位资金（万元）,签约日期,开工日期\n"


def _run(tmp_path, user, text, name="list.csv"):
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8-sig")
    return pipeline.run(get_kind("investment_projects"), path, path.name, user)


def test_resent_month_updates_audited_nothing_duplicated(inv, tmp_path):
    city = inv.world.users.city
    z = inv.world.zones.a1.short_name
    first = _run(
        tmp_path,
        city,
        f"CD2025-001,笔记本电脑项目,{z},纬创资通,39,人民币,20000,1000,2025-03-01,\n"
        f"CD2025-002,连接器项目,{z},新科电子,39,人民币,5000,0,2025-03-15,\n",
    )
    assert first.ok, first.errors
    assert Project.objects.count() == 2 and Investor.objects.count() == 2
    p = Project.objects.get(number="CD2025-001")
    assert (p.stage, p.counted_amount) == ("signed", Decimal("20000.00"))
    again = _run(
        tmp_path,
        city,
        f"CD2025-001,笔记本电脑项目,{z},纬创资通,39,人民币,22000,3000,2025-03-01,\n"
        f"CD2025-002,连接器项目,{z},新科电子,39,人民币,5000,0,2025-03-15,\n",
        "list2.csv",
    )
    assert again.ok, again.errors
    assert Project.objects.count() == 2 and Investor.objects.count() == 2
    p.refresh_from_db()
    assert (p.contracted_cny, p.funds_in_place_cny, p.counted_amount) == (
        Decimal("22000.00"),
        Decimal("3000.00"),
        Decimal("22000.00"),
    )
    entry = AuditEntry.objects.get(code="investment.project.imported", object_id=str(p.pk))
    assert entry.changes["contracted_investment"] == ["20000.00", "22000.00"]
    unchanged = AuditEntry.objects.filter(
        code="investment.project.imported", object_id=str(Project.objects.get(number="CD2025-002").pk)
    ).first()
    assert unchanged is None, unchanged.changes
    assert Project.objects.filter(counted=True).count() == 2  # counted once each


def test_changed_signing_date_is_an_audited_correction(inv, tmp_path):
    city = inv.world.users.city
    z = inv.world.zones.a1.short_name
    assert _run(tmp_path, city, f"CD2025-010,项目,{z},甲公司,39,人民币,20000,0,2025-03-01,\n").ok
    assert _run(tmp_path, city, f"CD2025-010,项目,{z},甲公司,39,人民币,20000,0,2025-03-05,\n", "b.csv").ok
    assert Project.objects.get(number="CD2025-010").signed_on == dt.date(2025, 3, 5)
    assert AuditEntry.objects.filter(code="investment.milestone.corrected").exists()


def test_out_of_scope_rows_are_refused(inv, tmp_path):
    z_b1 = inv.world.zones.b1.short_name
    result = _run(
        tmp_path, inv.world.users.city, f"CD2025-020,项目,{z_b1},甲公司,39,人民币,20000,0,2025-03-01,\n"
    )
    assert not result.ok and Project.objects.count() == 0
    inv.project(investor=inv.investor(), number="MY-1", zone=inv.world.zones.b1)
    result = _run(
        tmp_path,
        inv.world.users.city,
        f"MY-1,项目,{inv.world.zones.a1.short_name},甲公司,39,人民币,1,0,,\n",
        "c.csv",
    )
    assert not result.ok
    assert Project.objects.get(number="MY-1").contracted_cny == Decimal("20000.00")


def test_investor_list_update_mode(inv, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text(
        "客商名称,联系人,目标转移企业\n纬创资通,王先生,是\n新科电子,李女士,否\n", encoding="utf-8-sig"
    )
    assert pipeline.run(get_kind("investment_investors"), path, path.name, inv.world.users.zone).ok
    path.write_text("客商名称,联系人,目标转移企业\n纬创资通,赵先生,是\n", encoding="utf-8-sig")
    assert pipeline.run(get_kind("investment_investors"), path, path.name, inv.world.users.zone).ok
    assert Investor.objects.count() == 2
    wistron = Investor.objects.get(name="纬创资通")
    assert wistron.contact_name == "赵先生" and wistron.transfer_target and wistron.zone == inv.world.zones.a1
    assert AuditEntry.objects.filter(code="investment.investor.updated", object_id=str(wistron.pk)).exists()
