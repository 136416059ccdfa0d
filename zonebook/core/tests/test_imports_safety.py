"""Nothing a user entered is lost, and no file can exhaust a worker (issue 13 §3, issue 14 §6).

* a file with a header and no data rows is refused (every registered import kind, page and command);
* an xlsx formula without a cached result is reported as such on its row and column; a formula whose
  cached result is used is accepted and the preview says so;
* xlsx bombs: every part of the archive is checked on its own, the shared-string table and the cell
  count are capped before parsing (generated files: ``core.testing.xlsx_bombs``).
"""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile

import openpyxl
import pytest
import xlsxwriter
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from zonebook.accounts.testing import user_for
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import all_kinds, get_kind
from zonebook.core.imports.readers import ImportRejected, open_rows
from zonebook.core.testing.xlsx_bombs import shared_strings_bomb
from zonebook.registry.models import Enterprise
from zonebook.registry.testing import ZoneFactory, code, next_uscc

ENTERPRISES = get_kind("enterprises")
HEAD = [
    "企业名称",
    "统一社会信用代码",
    "所在区域",
    "行业代码",
    "注册资本",
    "币种",
    "成立日期",
    "加工贸易",
    "状态",
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(db):
    zone = ZoneFactory(
        name="成都高新综合保税区", short_name="高新综保区", province_code="510000", city_code="510100"
    )
    code("industry", "3971", "电子元件及电子专用材料制造")
    code("currency", "CNY", "人民币")
    code("zone_type", "FTZ", "综合保税区")
    return zone


def row(name="甲电子有限公司", capital="1000000"):
    return [name, next_uscc(), "高新综保区", "3971", capital, "CNY", "2020-05-01", "是", "投产"]


def _headers(kind_cls) -> list[str]:
    with translation.override("zh-hans"):
        return [col.template_header() for col in kind_cls.columns]


def _check(path, kind=ENTERPRISES):
    return pipeline.check(kind, path, path.name, None)


# -- empty files ----------------------------------------------------------------------------------


@pytest.mark.django_db
# kinds with their own file format (customs XML) refuse spreadsheets before reading them (customs tests)
@pytest.mark.parametrize("kind_cls", [k for k in all_kinds() if not k.extensions], ids=lambda k: k.key)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_kind_refuses_a_file_with_a_header_and_no_rows(kind_cls, fmt, tmp_path):
    path = tmp_path / f"empty.{fmt}"
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        wb.active.append(_headers(kind_cls))
        wb.active.append([])  # a trailing blank row is no data either
        wb.save(path)
    else:
        buf = io.StringIO()
        csv.writer(buf).writerows([_headers(kind_cls), ["", ""]])
        path.write_text(buf.getvalue(), encoding="utf-8-sig")
    result = pipeline.run(kind_cls, path, path.name, None)
    assert not result.ok and result.written == 0
    assert [e.reason for e in result.errors] == [
        "The file has a header row (row 1) but no data rows; there is nothing to import."
    ]
    with translation.override("zh-hans"):
        assert "没有数据行" in pipeline.check(kind_cls, path, path.name, None).errors[0].reason


@pytest.mark.django_db
def test_the_command_exits_non_zero_on_a_header_only_file(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text(",".join(HEAD) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("import_data", "enterprises", str(path))
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "no data rows" in err and "0 rows written" not in err


def test_the_upload_page_shows_the_refusal(setup, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(user_for("zone", setup))
    path = tmp_path / "empty.csv"
    path.write_text(",".join(HEAD) + "\n", encoding="utf-8")
    with open(path, "rb") as fh:
        r = client.post(
            reverse("imports:upload", kwargs={"kind": "enterprises"}),
            {"file": fh},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    page = r.content.decode()
    assert "no data rows" in page and "Import 0 rows" not in page


# -- formula cells --------------------------------------------------------------------------------


def test_a_formula_without_a_cached_value_is_named_as_such(setup, tmp_path):
    """openpyxl (like any program that is not a spreadsheet) writes formulas without their result."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append(row())
    ws.append(row(name="乙电子有限公司"))
    ws["E3"] = "=E2*2"
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    result = _check(path)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (
            3,
            "注册资本",
            "The cell holds a formula without a computed value; open the file in Excel or WPS, save it, "
            "and import it again.",
        )
    ]
    assert "A value is required" not in str(result.errors)
    with translation.override("zh-hans"):
        reason = _check(path).errors[0].reason
    assert "公式" in reason and "WPS" in reason and "必填" not in reason


def test_other_readers_refuse_a_formula_without_value_instead_of_reading_a_blank(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.active["B2"] = "=1+1"
    path = tmp_path / "f.xlsx"
    wb.save(path)
    with pytest.raises(ImportRejected) as exc:
        list(open_rows(path))
    assert exc.value.message.startswith("Row 2, column B: The cell holds a formula without a computed value")


def _cached_formula_file(tmp_path):
    path = tmp_path / "cached.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEAD)
    first, second = row(), row(name="乙电子有限公司")
    ws.write_row(1, 0, first)
    ws.write_row(2, 0, second[:4])
    ws.write_formula(2, 4, "=E2*2", None, 2000000)  # the result Excel/WPS would have saved
    ws.write_row(2, 5, second[5:])
    ws.write_formula(2, 9, "=1+1", None, 2)  # a formula outside the imported columns: not mentioned
    wb.close()
    return path


def test_a_formula_with_a_cached_value_is_accepted_and_the_preview_says_so(setup, tmp_path):
    result = pipeline.run(ENTERPRISES, _cached_formula_file(tmp_path), "cached.xlsx", None)
    assert result.ok and result.written == 2
    assert Enterprise.objects.get(name="乙电子有限公司").registered_capital == 2000000
    assert result.notices == ["Row 3, column 注册资本 holds a formula; its computed value was used."]
    with translation.override("zh-hans"):
        notice = _check(_cached_formula_file(tmp_path)).notices
    assert notice == ["第3行“注册资本”列是公式，已使用其计算结果。"]


def test_the_preview_page_lists_the_formula_notice(setup, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(user_for("zone", setup))
    with open(_cached_formula_file(tmp_path), "rb") as fh:
        r = client.post(
            reverse("imports:upload", kwargs={"kind": "enterprises"}),
            {"file": fh},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    page = r.content.decode()
    assert 'id="import-notices"' in page
    assert "Row 3, column 注册资本 holds a formula; its computed value was used." in page
    assert "Import 2 rows" in page


# -- xlsx bombs -----------------------------------------------------------------------------------


def _archive_ratio(path) -> float:
    infos = zipfile.ZipFile(path).infolist()
    return sum(i.file_size for i in infos) / sum(i.compress_size for i in infos)


def test_a_compressible_part_cannot_hide_behind_incompressible_padding(setup, tmp_path, settings):
    path = shared_strings_bomb(tmp_path / "bomb.xlsx", 300_000, padding_bytes=200_000)
    # the archive as a whole is under the ratio limit: the old whole-archive check let it through
    assert _archive_ratio(path) < settings.IMPORT_MAX_UNCOMPRESSED_RATIO
    result = _check(path)
    assert len(result.errors) == 1
    assert result.errors[0].reason.startswith("The part “xl/sharedStrings.xml” of the workbook expands to ")
    assert "refused as unsafe" in result.errors[0].reason


@pytest.mark.parametrize("declared", [-1, None, 10], ids=["declared", "undeclared", "understated"])
def test_the_shared_string_count_is_capped_before_parsing(setup, tmp_path, settings, declared):
    """Distinct strings compress about 10×: under every ratio limit; the count refuses them, whether
    the table declares it, omits it or understates it (then it is counted by streaming)."""
    settings.IMPORT_MAX_SHARED_STRINGS = 20_000
    path = shared_strings_bomb(tmp_path / "many.xlsx", 150_000, distinct=True, declared=declared)
    member = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    assert member.file_size / member.compress_size < settings.IMPORT_MAX_UNCOMPRESSED_RATIO
    tracemalloc.start()
    try:
        result = _check(path)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.reason for e in result.errors] == [
        "The workbook holds more than 20,000 distinct texts; this is refused as unsafe. "
        "Split the file or save it as CSV."
    ]
    # the 150,000 strings were never loaded (loading them takes > 10 MB)
    assert peak < 4 * 1024 * 1024, peak


def test_a_table_under_the_caps_imports(setup, tmp_path, settings):
    settings.IMPORT_MAX_SHARED_STRINGS = 20_000
    path = shared_strings_bomb(
        tmp_path / "fine.xlsx", 19_000, distinct=True, rows=[HEAD, row()], dimension="A1:I2"
    )
    result = _check(path)
    assert result.ok and result.rows == 1, result.errors


def test_the_cell_count_is_capped_by_the_declared_range_and_while_streaming(setup, tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 100
    # the declared used range (A1:I1000000, 9 million cells) refuses before parsing
    declared = shared_strings_bomb(tmp_path / "dim.xlsx", 1, rows=[HEAD, row()], dimension="A1:I1000000")
    assert _check(declared).errors[0].reason == (
        "The worksheet has more than 100 cells; this is refused as unsafe. Split the file."
    )
    # no declared range: the reader stops once it has met more cells than the cap
    rows = [HEAD] + [row(name=f"企业{i}") for i in range(20)]
    streamed = shared_strings_bomb(tmp_path / "nodim.xlsx", 1, rows=rows)
    result = _check(streamed)
    assert [e.reason for e in result.errors] == [
        "The worksheet has more than 100 cells; this is refused as unsafe. Split the file."
    ]
    settings.IMPORT_MAX_CELLS = 1000
    assert _check(streamed).ok
