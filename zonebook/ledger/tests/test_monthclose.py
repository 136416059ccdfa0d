"""Month close (月结): verified snapshots, the everyday check, back-dated postings, bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger import services, sql
from zonebook.ledger.models import (
    BALANCE_COLUMNS,
    Balance,
    BalanceSnapshot,
    InventoryList,
    InventoryListLine,
    MonthClose,
    MonthCloseStatus,
)
from zonebook.ledger.services import monthclose

from . import factories as f

JAN, FEB, MAR = dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10)


@pytest.fixture
def ledger(world):
    """A book with two materials and a product (exploded through its consumption version), lines in
    January, February and March 2026."""
    b = f.book(world.enterprises.a1, kind="C")
    m1 = f.material(b, 1, opening=1000)
    m2 = f.material(b, 2)
    p = f.product(b, 1)
    f.bom(p, m1, "0.9", t=4, i=1)
    f.bom(p, m2, "1.333333", t=3)
    f.post(b, "0615", "I", "material", [(1, "500.5"), (2, "300")], date=JAN)
    f.post(b, "0615", "E", "product", [(1, "7"), (1, "11")], date=JAN)
    f.post(b, "0615", "I", "material", [(2, "40.25")], date=FEB)
    f.post(b, "0615", "E", "product", [(1, "13")], date=FEB)
    f.post(b, "0615", "E", "product", [(1, "3")], date=MAR)
    return b, m1, m2, p


def _snapshot(book, month) -> dict[int, dict]:
    mc = MonthClose.objects.get(book=book, month=month)
    return {
        s["item_id"]: {c: s[c] for c in BALANCE_COLUMNS}
        for s in BalanceSnapshot.objects.filter(close=mc).values("item_id", *BALANCE_COLUMNS)
    }


def _nonzero(rows: dict[int, dict]) -> dict[int, dict]:
    return {k: v for k, v in rows.items() if any(x != 0 for x in v.values())}


def test_close_stores_the_balances_of_a_full_computation_and_is_idempotent(ledger):
    b, m1, m2, p = ledger
    r1 = monthclose.close_month(2026, 1)
    r2 = monthclose.close_month(2026, 2)
    assert (r1.closed, r2.closed) == (1, 1) and r2.verified == 3
    for month, last in ((dt.date(2026, 1, 1), dt.date(2026, 1, 31)), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))):
        expected = _nonzero(sql.as_of_rows(b.pk, last))
        assert _snapshot(b, month) == expected
    feb = _snapshot(b, dt.date(2026, 2, 1))
    assert feb[m2.pk]["imports"] == D("340.25000")
    assert feb[m1.pk]["consumption"] > 0 and feb[m1.pk]["expected_remaining"] < D("1500.5")
    mc = MonthClose.objects.get(book=b, month=dt.date(2026, 2, 1))
    assert (mc.status, mc.items, mc.verified_items) == (MonthCloseStatus.CLOSED, 3, 3)
    assert AuditEntry.objects.filter(code="ledger.month.closed", object_id=str(mc.pk)).count() == 1
    again = monthclose.close_month(2026, 2)
    assert (again.closed, again.already) == (0, 1)
    assert BalanceSnapshot.objects.filter(close__book=b).count() == 6


def test_close_of_a_month_whose_previous_month_is_open_is_refused(ledger):
    b = ledger[0]
    with pytest.raises(DomainError) as exc:
        monthclose.close_month(2026, 2)
    assert exc.value.code == "previous_month_open"
    assert b.number in str(exc.value.message) and "2026-01" in str(exc.value.message)
    assert not MonthClose.objects.exists() and not BalanceSnapshot.objects.exists()
    # January is the book's first month with lines: it needs no December
    assert monthclose.close_month(2026, 1).closed == 1


def test_a_month_that_has_not_ended_cannot_be_closed(ledger):
    today = dt.date.today()
    with pytest.raises(DomainError) as exc:
        monthclose.close_month(today.year, today.month)
    assert exc.value.code == "month_not_ended"


def test_tampered_line_in_a_closed_month_fails_the_next_close_naming_the_item(ledger):
    b, m1, m2, p = ledger
    monthclose.close_month(2026, 1)
    before = BalanceSnapshot.objects.count()
    # a January line changed behind the ledger's back (no posting, so no reopening)
    line = InventoryListLine.objects.get(item=m2, inventory_list__declaration_date=JAN)
    InventoryListLine.objects.filter(pk=line.pk).update(qty=D("301"))
    with pytest.raises(DomainError) as exc:
        monthclose.close_month(2026, 2)
    err = exc.value
    assert err.code == "snapshot_mismatch" and "nothing was stored" in str(err.message)
    named = {(d.column, d.value) for d in err.details}
    item = f"{b.number} Material (料件) #2 ({m2.part_no})"
    assert ("imports", item) in named and ("expected_remaining", item) in named
    assert all(m1.part_no not in d.value for d in err.details)
    assert not MonthClose.objects.filter(month=dt.date(2026, 2, 1)).exists()
    assert BalanceSnapshot.objects.count() == before


def test_tampered_snapshot_fails_the_next_close(ledger):
    b, m1, *_ = ledger
    monthclose.close_month(2026, 1)
    BalanceSnapshot.objects.filter(item=m1).update(consumption=D("1.00001"))
    with pytest.raises(DomainError) as exc:
        monthclose.close_month(2026, 2)
    assert {d.column for d in exc.value.details} >= {"consumption", "expected_remaining"}
    assert not MonthClose.objects.filter(month=dt.date(2026, 2, 1)).exists()


def test_everyday_check_reads_snapshot_plus_open_months_and_finds_tampered_balances(ledger):
    b, m1, m2, p = ledger
    assert monthclose.check_open() == [] == services.check_balances()
    monthclose.close_month(2026, 1)
    monthclose.close_month(2026, 2)
    assert monthclose.check_open() == [] and monthclose.check_open([b.pk]) == []
    Balance.objects.filter(item=m2).update(imports=D("340.24"))
    found = monthclose.check_open()
    assert [(d["item_id"], sorted(d["columns"])) for d in found] == [(m2.pk, ["imports"])]
    assert found[0]["columns"]["imports"]["stored"] == D("340.24")
    assert found[0]["columns"]["imports"]["recomputed"] == D("340.25")
    assert [(d["item_id"], sorted(d["columns"])) for d in services.check_balances()] == [(m2.pk, ["imports"])]


def test_everyday_check_trusts_the_snapshot_not_the_closed_lines(ledger):
    """Proof that the check starts from the snapshot: a closed month's line changed behind the
    ledger's back is not read (the full check sees it; the next close fails on it)."""
    b, m1, m2, p = ledger
    monthclose.close_month(2026, 1)
    InventoryListLine.objects.filter(item=m2, inventory_list__declaration_date=JAN).update(qty=D("301"))
    assert monthclose.check_open() == []
    assert [d["item_id"] for d in services.check_balances()] == [m2.pk]


def test_back_dated_posting_reopens_the_month_and_every_later_one(ledger):
    b, m1, m2, p = ledger
    monthclose.close_month(2026, 1)
    monthclose.close_month(2026, 2)
    late = f.post(b, "0615", "I", "material", [(1, "2.5")], date=dt.date(2026, 1, 31)).inventory_list
    closes = {mc.month.month: mc for mc in MonthClose.objects.filter(book=b)}
    assert {m: mc.status for m, mc in closes.items()} == {1: "reopened", 2: "reopened"}
    assert all(mc.reopened_by_list_id == late.pk for mc in closes.values())
    entries = AuditEntry.objects.filter(code="ledger.month.reopened")
    assert entries.count() == 2 and all(e.changes["list"] == late.number for e in entries)
    assert monthclose.check_open() == [] == services.check_balances()
    # the next close re-closes January and February from the lines, then March
    r = monthclose.close_through(dt.date(2026, 3, 31))
    assert [m["month"] for m in r.months] == ["2026-01", "2026-02", "2026-03"]
    assert _snapshot(b, dt.date(2026, 1, 1))[m1.pk]["imports"] == D("503.00000")
    assert monthclose.check_open() == []


def test_back_dated_reversal_and_batch_posting_reopen(ledger):
    b, m1, m2, p = ledger
    monthclose.close_month(2026, 1)
    monthclose.close_month(2026, 2)
    feb_list = InventoryList.objects.get(book=b, declaration_date=FEB, item_kind="product")
    services.reverse_inventory_list(feb_list, number=f.list_number("E"), declaration_date=dt.date(2026, 2, 20))
    assert dict(MonthClose.objects.filter(book=b).values_list("month__month", "status")) == {
        1: "closed",
        2: "reopened",
    }
    assert monthclose.check_open() == [] == services.check_balances()
    monthclose.close_month(2026, 2)
    lst = f.inv_list(b, "0615", "I", "material", [(2, "1")], date=dt.date(2026, 1, 5))
    services.post_inventory_lists(b, [lst.pk])
    assert set(MonthClose.objects.filter(book=b).values_list("status", flat=True)) == {"reopened"}
    assert monthclose.check_open() == [] == services.check_balances()


def test_posting_into_the_open_month_reopens_nothing(ledger):
    b = ledger[0]
    monthclose.close_month(2026, 1)
    f.post(b, "0615", "I", "material", [(1, "1")], date=dt.date(2026, 2, 1))
    assert set(MonthClose.objects.values_list("status", flat=True)) == {"closed"}
    assert not AuditEntry.objects.filter(code="ledger.month.reopened").exists()


def test_close_covers_only_the_books_given_and_other_books_stay_open(world, ledger):
    b = ledger[0]
    other = f.book(world.enterprises.b1, kind="C")
    f.material(other, 1)
    f.post(other, "0615", "I", "material", [(1, "5")], date=JAN)
    monthclose.close_month(2026, 1, book_ids=[b.pk])
    assert list(MonthClose.objects.values_list("book_id", flat=True)) == [b.pk]
    # the other book has no closed month: the everyday check reads all its lines
    Balance.objects.filter(book=other).update(imports=D("4"))
    assert [d["book_id"] for d in monthclose.check_open()] == [other.pk]
    assert monthclose.months_to_close(dt.date(2026, 2, 28)) == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
