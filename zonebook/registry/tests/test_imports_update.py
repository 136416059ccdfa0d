"""Update mode of the enterprise and HS code imports (``core.imports.updates``): key = USCC / HS code.

Every bad input names the row and the column and writes nothing; unchanged rows write nothing at
all (no audit entry); the update path runs a fixed number of queries whatever the row count.
"""

from __future__ import annotations

import csv
import io
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.registry.models import Code, Enterprise, EnterpriseStatusEvent
from zonebook.registry.testing import EnterpriseFactory, ZoneFactory, code, next_uscc

pytestmark = pytest.mark.django_db
ENTERPRISES = get_kind("enterprises")
HEAD = ["企业名称", "统一社会信用代码", "海关编码", "所在区域", "行业代码", "注册资本", "状态"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(db):
    zone = ZoneFactory(
        name="成都高新综合保税区", short_name="高新综保区", province_code="510000", city_code="510100"
    )
    other = ZoneFactory(
        name="绵阳综合保税区", short_name="绵阳综保区", province_code="510000", city_code="510700"
    )
    code("industry", "3971", "电子元件及电子专用材料制造")
    code("industry", "3972", "电子器件制造")
    user = user_for("province", "510000")
    return zone, other, user


def csv_file(tmp_path, rows, name="data.csv"):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


_customs = itertools.count(5101230000)


def existing(zone, n=3):
    return [
        EnterpriseFactory(
            zone=zone,
            name=f"甲电子{i}",
            customs_code=str(next(_customs)),
            industry=code("industry", "3971"),
            registered_capital=Decimal("1000000.00"),
            status="operating",
        )
        for i in range(n)
    ]


def as_rows(ents, **override):
    out = []
    for e in ents:
        values = {
            "name": e.name,
            "uscc": e.uscc,
            "customs": e.customs_code,
            "zone": "高新综保区",
            "industry": e.industry.code,
            "capital": "1,000,000.00",
            "status": "投产",
        }
        values.update(override.get(e.uscc, {}))
        out.append(list(values.values()))
    return out


def run(path, user, mode="update", dry_run=False):
    return pipeline.run(ENTERPRISES, path, path.name, user, mode=mode, dry_run=dry_run)


def test_unchanged_rows_write_nothing_and_preview_says_zero_changed(setup, tmp_path):
    zone, _other, user = setup
    ents = existing(zone)
    path = csv_file(tmp_path, [HEAD, *as_rows(ents)])
    before = AuditEntry.objects.count()
    preview = run(path, user, dry_run=True)
    assert preview.ok, preview.errors
    assert (preview.new_rows, preview.changed_rows, preview.unchanged_rows) == (0, 0, 3)
    assert preview.changes == []
    result = run(path, user)
    assert result.ok and result.written == 0
    assert AuditEntry.objects.count() == before
    assert EnterpriseStatusEvent.objects.count() == 0


def test_changed_new_and_unchanged_rows_are_counted_and_audited_with_before_after(setup, tmp_path):
    zone, _other, user = setup
    a, b, c = existing(zone)
    new_uscc = next_uscc()
    rows = as_rows(
        [a, b, c],
        **{
            a.uscc: {"name": "甲电子（改名）", "capital": "2,500,000.50"},
            b.uscc: {"industry": "3972", "status": "停产"},
        },
    )
    rows.append(["新企业", new_uscc, "", "高新综保区", "3971", "100", "投产"])
    path = csv_file(tmp_path, [HEAD, *rows])
    preview = run(path, user, dry_run=True)
    assert preview.ok, preview.errors
    assert (preview.new_rows, preview.changed_rows, preview.unchanged_rows) == (1, 2, 1)
    first = preview.changes[0]
    assert first["row"] == 2 and first["key"] == a.uscc
    assert {(ch["field"], ch["before"], ch["after"]) for ch in first["changes"]} == {
        ("企业名称", "甲电子0", "甲电子（改名）"),
        ("注册资本", "1,000,000.00", "2,500,000.50"),
    }
    # related records by name, choices by label
    second = {ch["field"]: (ch["before"], ch["after"]) for ch in preview.changes[1]["changes"]}
    industry = {c.code: str(c) for c in Code.objects.filter(table__key="industry", code__in=["3971", "3972"])}
    assert second["行业代码"] == (industry["3971"], industry["3972"])
    assert second["状态"] == ("In production", "Suspended")
    assert Enterprise.objects.count() == 3  # a preview writes nothing

    result = run(path, user)
    assert result.ok, result.errors
    assert result.written == 3
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.name == "甲电子（改名）" and a.registered_capital == Decimal("2500000.50")
    assert b.industry.code == "3972" and b.status == "suspended"
    assert Enterprise.objects.filter(uscc=new_uscc).exists()
    entry = AuditEntry.objects.get(code="registry.enterprise.updated", object_id=str(a.pk))
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.changes == {
        "name": ["甲电子0", "甲电子（改名）"],
        "registered_capital": ["1000000.00", "2500000.50"],
    }
    assert entry.zone_id == zone.pk  # scoped like every entry of the enterprise
    assert not AuditEntry.objects.filter(object_id=str(c.pk), code="registry.enterprise.updated").exists()
    assert EnterpriseStatusEvent.objects.filter(enterprise=b, status="suspended").count() == 1


def test_create_only_mode_refuses_existing_keys_with_a_hint(setup, tmp_path):
    zone, _other, user = setup
    ents = existing(zone, 1)
    path = csv_file(tmp_path, [HEAD, *as_rows(ents)])
    result = run(path, user, mode="create")
    assert not result.ok
    err = result.errors[0]
    assert (err.row, err.column) == (2, "统一社会信用代码")
    assert "update existing ones" in err.reason


def test_a_customs_code_of_another_enterprise_is_refused_naming_the_row(setup, tmp_path):
    zone, _other, user = setup
    a, b, c = existing(zone)
    rows = as_rows([a, b], **{b.uscc: {"customs": c.customs_code, "name": "乙改名"}})
    path = csv_file(tmp_path, [HEAD, *rows])
    before = AuditEntry.objects.count()
    result = run(path, user)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "海关编码")]
    assert c.uscc in result.errors[0].reason
    b.refresh_from_db()
    assert b.name != "乙改名" and AuditEntry.objects.count() == before


def test_changing_the_zone_of_an_existing_enterprise_is_refused(setup, tmp_path):
    zone, other, user = setup
    ents = existing(zone, 2)
    rows = as_rows(ents, **{ents[1].uscc: {"zone": "绵阳综保区", "name": "改名"}})
    path = csv_file(tmp_path, [HEAD, *rows])
    result = run(path, user)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "所在区域")]
    assert "cannot be changed" in result.errors[0].reason
    ents[1].refresh_from_db()
    assert ents[1].zone_id == zone.pk and ents[1].name != "改名"


def test_an_enterprise_outside_the_importers_scope_is_not_updated(setup, tmp_path):
    zone, other, _user = setup
    ents = existing(zone, 1)
    user = user_for("zone", other)  # sees only 绵阳
    rows = as_rows(ents, **{ents[0].uscc: {"zone": "绵阳综保区", "name": "越权"}})
    path = csv_file(tmp_path, [HEAD, *rows])
    result = run(path, user)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(2, "统一社会信用代码")]
    ents[0].refresh_from_db()
    assert ents[0].name != "越权"


def test_blank_cells_keep_the_stored_value(setup, tmp_path):
    zone, _other, user = setup
    (a,) = existing(zone, 1)
    rows = as_rows([a], **{a.uscc: {"customs": "", "industry": "", "capital": "", "name": "新名"}})
    path = csv_file(tmp_path, [HEAD, *rows])
    result = run(path, user)
    assert result.ok, result.errors
    a.refresh_from_db()
    assert (
        a.name == "新名"
        and a.customs_code
        and a.industry_id
        and a.registered_capital == Decimal("1000000.00")
    )


def _update_queries(setup, tmp_path, n):
    zone, _other, user = setup
    ents = existing(zone, n)
    rows = as_rows(ents, **{e.uscc: {"name": e.name + "改"} for e in ents})
    path = csv_file(tmp_path, [HEAD, *rows], name=f"q{n}.csv")
    with CaptureQueriesContext(connection) as ctx:
        result = run(path, user)
    assert result.ok and result.changed_rows == n
    return len(ctx.captured_queries)


def test_the_update_path_runs_no_query_per_row(setup, tmp_path):
    small = _update_queries(setup, tmp_path, 5)
    large = _update_queries(setup, tmp_path, 200)
    # the same statements; only the multi-row INSERT of the audit entries may be split in chunks
    # (SQLite's bind-parameter limit): a query per row would add 195
    assert small <= large <= small + 4, (small, large)


# -- HS codes -----------------------------------------------------------------------------------

HS_HEAD = "商品编码,商品名称,法定第一计量单位,法定第二计量单位,生效日期\n"


def test_hs_codes_reimported_in_update_mode_change_only_what_differs(world, tmp_path):
    admin = world.users.province
    path = tmp_path / "hs.csv"
    path.write_text(
        HS_HEAD + "8542319011,处理器,007,,2024-01-01\n8542319012,控制器,035,,2024-01-01\n", encoding="utf-8"
    )
    first = pipeline.run(get_kind("hs_codes"), path, path.name, admin)
    assert first.ok, first.errors
    path.write_text(
        HS_HEAD
        + "8542319011,其他处理器及控制器,007,035,2024-01-01\n"  # name and second unit change
        + "8542319012,控制器,035,,2024-01-01\n"  # unchanged
        + "8542319013,新编码,035,,\n",  # new
        encoding="utf-8",
    )
    audits = AuditEntry.objects.count()
    refused = pipeline.run(get_kind("hs_codes"), path, path.name, admin)
    assert not refused.ok and [e.row for e in refused.errors] == [2, 3]
    result = pipeline.run(get_kind("hs_codes"), path, path.name, admin, mode="update")
    assert result.ok, result.errors
    assert (result.new_rows, result.changed_rows, result.unchanged_rows) == (1, 1, 1)
    assert {(c["field"], c["before"], c["after"]) for c in result.changes[0]["changes"]} == {
        ("商品名称", "处理器", "其他处理器及控制器"),
        ("Legal units", "legal_unit1: 007", "legal_unit1: 007; legal_unit2: 035"),
    }
    assert AuditEntry.objects.count() == audits + 2  # one created, one updated, none for the unchanged
    hs = Code.objects.get(table__key="hs", code="8542319011")
    assert hs.name == "其他处理器及控制器" and hs.extra == {"legal_unit1": "007", "legal_unit2": "035"}
    entry = AuditEntry.objects.get(code="registry.code.updated")
    assert entry.changes["name"] == ["处理器", "其他处理器及控制器"]
