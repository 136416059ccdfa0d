"""Import kind ``hs_codes``: the HS code table (商品编码) loaded from the official file, not the admin."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.registry.models import Code

pytestmark = pytest.mark.django_db
HEAD = "商品编码,商品名称,法定第一计量单位,法定第二计量单位,生效日期\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _csv(tmp_path, text, name="hs.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _run(path, user):
    return pipeline.run(get_kind("hs_codes"), path, path.name, user)


def _hs(code):
    return Code.objects.filter(table__key="hs", code=code).first()


def test_template_has_chinese_headers(world, client):
    client.force_login(world.users.province)
    r = client.get("/imports/hs_codes/template.xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[1]] == [
        "商品编码",
        "商品名称",
        "法定第一计量单位",
        "法定第二计量单位",
        "生效日期",
        "失效日期",
    ]
    assert ws["A2"].value == "8542319000"


def test_good_file_adds_codes_with_legal_units(world, tmp_path):
    path = _csv(
        tmp_path,
        HEAD
        + "８５４２．３１．９０．１０,测试处理器,007,千克,2024-01-01\n"  # full-width digits and dots
        + "74040000,铜废碎料,035,,45292\n",  # 8-digit tariff line; Excel serial date
    )
    result = _run(path, world.users.province)
    assert result.ok and result.written == 2, [str(e) for e in result.errors]
    a, b = _hs("8542319010"), _hs("7404000000")
    assert (a.name, a.extra["legal_unit1"], a.extra["legal_unit2"], str(a.valid_from)) == (
        "测试处理器",
        "007",
        "035",  # the unit's name resolved to its code
        "2024-01-01",
    )
    assert (b.extra["legal_unit1"], str(b.valid_from)) == ("035", "2024-01-01")
    assert AuditEntry.objects.filter(code="registry.code.imported").count() == 2


def test_numeric_cell_that_lost_its_leading_zero(world, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商品编码", "商品名称", "法定第一计量单位"])
    ws.append([402219000, "测试奶粉", "035"])  # 0402219000 typed as a number
    path = tmp_path / "hs.xlsx"
    wb.save(path)
    result = _run(path, world.users.admin)
    assert result.ok, [str(e) for e in result.errors]
    assert _hs("0402219000").name == "测试奶粉"


@pytest.mark.parametrize(
    "line, column, reason",
    [
        ("85423190001,太长,007,,", "商品编码", "8 digits (tariff line) or 10 digits, got 11"),
        ("854231900,九位,007,,", "商品编码", "8 digits (tariff line) or 10 digits, got 9"),
        ("8542A19000,字母,007,,", "商品编码", "only digits"),
        ("8542319000,已有,007,,", "商品编码", "already in the HS code table"),
        ("8542319011,单位,999,,", "法定第一计量单位", "Unit code “999” is not in the unit code table"),
        ("8542319011,单位,007,斤两,", "法定第二计量单位", "3 digits"),
        ("8542319011,日期,007,,2024-02-30", "生效日期", "No such date"),
        ("8542319011,,007,,", "商品名称", "A value is required"),
    ],
)
def test_bad_rows_name_row_column_and_reason(world, tmp_path, line, column, reason):
    path = _csv(tmp_path, HEAD + "8542319012,好的一行,007,,\n" + line + "\n")
    before = Code.objects.filter(table__key="hs").count()
    result = _run(path, world.users.province)
    msgs = [str(e) for e in result.errors]
    assert len(msgs) == 1 and msgs[0].startswith(f"row 3, column {column}: ") and reason in msgs[0], msgs
    assert Code.objects.filter(table__key="hs").count() == before  # all or nothing
    assert not _hs("8542319012")


def test_duplicate_in_file_and_dates(world, tmp_path):
    path = _csv(
        tmp_path,
        "商品编码,商品名称,生效日期,失效日期\n"
        "8542319013,甲,2024-01-01,\n"
        "85423190.13,乙,2024-01-01,\n"  # the same code written differently
        "8542319014,丙,2024-06-01,2024-01-01\n",
    )
    msgs = [str(e) for e in _run(path, world.users.province).errors]
    assert msgs == [
        "row 3, column 商品编码: Duplicate: the same value is already in row 2 of this file.",
        "row 4, column 失效日期: The code ends before it starts.",
    ]


def test_who_may_import(world, tmp_path, client, capsys):
    """Code tables are installation-wide: system administrators and the provincial department import
    them; city, zone and enterprise users may not (page and command)."""
    for user, status in ((world.users.province, 200), (world.users.zone, 403), (world.users.enterprise, 403)):
        client.force_login(user)
        assert client.get("/imports/hs_codes/").status_code == status
    path = _csv(tmp_path, HEAD + "8542319015,甲,007,,\n")
    with pytest.raises(CommandError, match="may not import hs_codes"):
        call_command("import_data", "hs_codes", str(path), "--user", world.users.city.username)
    assert not _hs("8542319015")
    call_command("import_data", "hs_codes", str(path), "--user", world.users.province.username)
    assert _hs("8542319015").name == "甲"
