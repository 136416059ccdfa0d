"""List exports look like a spreadsheet a user expects: the filter and the export time on top, headers in
the user's language, numbers as numbers with the domain's decimals and a thousands separator, dates as
dates in Beijing time without microseconds, columns as wide as their header, a translated sheet name."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.utils import timezone

from zonebook.core import exports
from zonebook.ledger.models import Balance, InventoryList
from zonebook.ledger.tests import ledger_world

pytestmark = pytest.mark.django_db


def _xlsx(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_balance_export_numbers_formats_widths_heading(world, client_for):
    led = ledger_world.build(world)
    Balance.objects.filter(item=led.m1).update(opening=D("1234567.12345"))
    c = client_for(world.users.province)
    r = c.get("/ledger/balances/", {"export": "xlsx", "book": led.book.pk, "kind": "material"})
    wb = _xlsx(r)
    ws = wb.active
    assert wb.sheetnames == ["余额"]
    assert ws["A1"].value == f"筛选条件：账册：{led.book}；料件/成品：料件"
    stamp = dt.datetime.strptime(ws["A2"].value, "导出时间：%Y-%m-%d %H:%M:%S（北京时间）")
    beijing_now = timezone.localtime().replace(tzinfo=None)
    assert abs((beijing_now - stamp).total_seconds()) < 120
    header = [cell.value for cell in ws[3]]
    assert header[:3] == ["账册", "企业", "料件/成品"] and "期初" in header
    assert ws.freeze_panes == "A4"
    rows = {row[header.index("备案序号")].value: row for row in ws.iter_rows(min_row=4)}
    assert set(rows) == {1, 2}
    opening = rows[1][header.index("期初")]
    # a number (not "<a href=…>1234567.12345</a>", not text), 5 decimals and a thousands separator
    assert opening.value == pytest.approx(1234567.12345) and opening.number_format == "#,##0.00000"
    assert rows[1][header.index("备案序号")].number_format == "0"  # an identifier: no separator
    expected = rows[1][header.index("应剩余")]
    assert isinstance(expected.value, float) and expected.number_format == "#,##0.00000"
    # every column at least as wide as its header (CJK characters count double)
    for i, title in enumerate(header):
        letter = openpyxl.utils.get_column_letter(i + 1)
        assert ws.column_dimensions[letter].width >= exports.display_width(title), title
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(header.index("期初") + 1)].width >= len(
        "1,234,567.12345"
    )


def test_dates_are_dates_in_beijing_time_without_microseconds(world, client_for):
    led = ledger_world.build(world)
    posted = dt.datetime(2026, 3, 1, 16, 30, 5, 123456, tzinfo=dt.UTC)  # 2026-03-02 00:30:05 in Beijing
    InventoryList.objects.filter(pk=led.imp.pk).update(posted_at=posted)
    c = client_for(world.users.province)
    ws = _xlsx(c.get("/ledger/lists/", {"export": "xlsx"})).active
    assert ws.title == "核注清单"
    header = [cell.value for cell in ws[3]]
    row = next(r for r in ws.iter_rows(min_row=4) if r[header.index("清单编号")].value == led.imp.number)
    cell = row[header.index("核扣时间")]
    assert cell.value == dt.datetime(2026, 3, 2, 0, 30, 5) and cell.number_format == "yyyy-mm-dd hh:mm:ss"
    day = row[header.index("申报日期")]
    assert day.value == dt.datetime(2026, 3, 1) and day.number_format == "yyyy-mm-dd"
    rows = _csv(c.get("/ledger/lists/", {"export": "csv"}))
    head = rows[0]
    line = next(r for r in rows if r[head.index("清单编号")] == led.imp.number)
    assert (
        line[head.index("核扣时间")] == "2026-03-02 00:30:05" and line[head.index("申报日期")] == "2026-03-01"
    )


def test_english_user_gets_english_sheet_and_headers(world, client_for):
    ledger_world.build(world)
    c = client_for(world.users.province)
    r = c.get("/ledger/balances/", {"export": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    ws = _xlsx(r).active
    assert ws.title == "Balances" and ws["A1"].value == "Filter: none (every row)"
    assert [cell.value for cell in ws[3]][:2] == ["Book", "Enterprise"]
    assert _csv(c.get("/ledger/balances/", {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="en"))[0][:2] == [
        "Book",
        "Enterprise",
    ]


def test_sheet_names_and_widths_helpers():
    assert exports.sheet_name("a/b:c*d?[e]\\f") == "a b c d  e  f"
    assert len(exports.sheet_name("账" * 40)) == 31
    assert exports.sheet_name("'") == "Sheet1"
    assert exports.display_width("账册ab") == 6
    assert exports.decimals_of(D("0.947368421")) == 9 and exports.decimals_of(D("2.50")) == 2
