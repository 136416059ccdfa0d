"""ledger_report and ledger_recompute commands."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zonebook.ledger.management.commands.ledger_report import HEADERS
from zonebook.ledger.models import Balance

from . import factories as f


@pytest.fixture
def book(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1)
    p = f.product(b, 1)
    f.bom(p, m, "0.9", 4, 1)
    f.post(b, "0615", "I", "material", [(1, 1000)], date=dt.date(2026, 3, 1))
    f.post(b, "0615", "E", "product", [(1, 100)], date=dt.date(2026, 4, 1))
    return b


def _csv(*args):
    out = io.StringIO()
    call_command("ledger_report", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_report_csv_one_row_per_item_with_all_columns(book):
    rows = _csv("balances", "--book", book.number, "--format", "csv")
    assert list(rows[0]) == HEADERS
    assert [(r["kind"], r["seq_no"]) for r in rows] == [("material", "1"), ("product", "1")]
    assert rows[0]["consumption"] == "94.73684" and rows[0]["expected_remaining"] == "905.26316"
    assert rows[1]["exported"] == "100.00000"


def test_report_as_of(book):
    rows = _csv("balances", "--book", book.number, "--as-of", "2026-03-31")
    assert rows[0]["imports"] == "1000.00000" and rows[0]["consumption"] == "0.00000"


def test_report_xlsx_and_errors(book, tmp_path):
    path = tmp_path / "b.xlsx"
    call_command(
        "ledger_report", "balances", "--book", book.number, "--format", "xlsx", "--output", str(path)
    )
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[1]] == HEADERS and ws.max_row == 3
    with pytest.raises(CommandError, match="unknown book"):
        call_command("ledger_report", "balances", "--book", "C00000000000")
    with pytest.raises(CommandError, match="not a date"):
        call_command("ledger_report", "balances", "--book", book.number, "--as-of", "2026-13-01")


def test_recompute_check_and_repair(book):
    out = io.StringIO()
    call_command("ledger_recompute", "--check", stdout=out)
    assert "match" in out.getvalue()
    Balance.objects.filter(item__kind="material").update(consumption=D(0))
    with pytest.raises(CommandError) as e:
        call_command("ledger_recompute", "--check", stdout=io.StringIO())
    assert e.value.returncode == 1
    call_command("ledger_recompute", "--book", book.number, stdout=io.StringIO())
    call_command("ledger_recompute", "--check", stdout=io.StringIO())
