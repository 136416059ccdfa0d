"""Legacy deposit ledger (保证金台账): archive import, bad rows refused, shown on the book page."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger.models import LegacyDeposit
from zonebook.ledger.services.deposit import import_deposits
from zonebook.ledger.tests import factories as f


def test_import_and_book_tab(world, client_for, tmp_path):
    book = f.book(world.enterprises.a1, kind="C")
    # Example H (domain doc §9): restricted materials (10,000 + 20,000) × 50 % = 15,000 (half deposit)
    n = import_deposits(
        [
            {
                "book": book.number,
                "enterprise_class": "B",
                "category": "限制",
                "mode": "半实转",
                "amount": "15000",
                "bank": "1",
                "opened": "2012-03-01",
                "released": "2013-01-15",
            },
            {
                "book": book.number,
                "enterprise_class": "A",
                "category": "allowed",
                "mode": "空转",
                "amount": "0",
                "bank": "3",
                "opened": "2015-05-01",
                "guarantee": "是",
            },
        ],
        source="archive.xlsx",
    )
    assert n == 2 and LegacyDeposit.objects.filter(book=book).count() == 2
    d = LegacyDeposit.objects.get(book=book, mode="half")
    assert (d.amount, d.category, d.bank) == (D("15000.00"), "restricted", "1")
    assert AuditEntry.objects.filter(code="ledger.legacydeposit.imported").count() == 2
    r = client_for(world.users.zone).get(reverse("ledger:book_detail", args=[book.pk]) + "?tab=deposits")
    assert r.status_code == 200 and "15,000.00" in r.content.decode()  # amounts read with separators
    # the command reads an archive file
    path = tmp_path / "deposits.csv"
    path.write_text(
        f"book,enterprise_class,category,mode,amount,bank,opened\n{book.number},C,restricted,full,8000,2,2010-06-01\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("ledger_import_deposits", str(path), stdout=out)
    assert "imported 1" in out.getvalue()


def test_bad_rows_are_refused_and_nothing_is_written(world):
    book = f.book(world.enterprises.a1, kind="C")
    with pytest.raises(DomainError) as exc:
        import_deposits(
            [
                {
                    "book": "C000000000X1",
                    "enterprise_class": "B",
                    "category": "allowed",
                    "mode": "none",
                    "bank": "0",
                    "opened": "2010-01-01",
                },
                {
                    "book": book.number,
                    "enterprise_class": "B",
                    "category": "allowed",
                    "mode": "full",
                    "amount": "0",
                    "bank": "1",
                    "opened": "2010-01-01",
                },
                {
                    "book": book.number,
                    "enterprise_class": "B",
                    "category": "allowed",
                    "mode": "none",
                    "bank": "3",
                    "opened": "2013-01-01",
                },
                {
                    "book": book.number,
                    "enterprise_class": "B",
                    "category": "allowed",
                    "mode": "none",
                    "bank": "1",
                    "opened": "2019-01-01",
                },
                {
                    "book": book.number,
                    "enterprise_class": "B",
                    "category": "allowed",
                    "mode": "none",
                    "amount": "-5",
                    "bank": "1",
                    "opened": "2010-01-01",
                },
            ]
        )
    got = {(e.row, e.column) for e in exc.value.details}
    assert got == {(1, "book"), (2, "amount"), (3, "bank"), (4, "opened"), (5, "amount")}
    assert not LegacyDeposit.objects.exists()
