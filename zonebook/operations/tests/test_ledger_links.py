"""Ledger links: 内销 persists the ledger's calculation, 电子账册备案 links the book, 深加工结转 the
ledger's carry-over application (linked, never copied)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from zonebook.ledger.services import duty
from zonebook.ledger.tests import factories as f
from zonebook.operations import services
from zonebook.operations.models import ApplicationType

pytestmark = pytest.mark.django_db


def test_domestic_sale_persists_the_calculation_and_book_filing_links_the_book(ops):
    for kind, pct in (("tariff", 8), ("vat", 13)):
        duty.save_tax_rate(None, {"hs_code": f.HS_MATERIAL, "kind": kind, "rate": Decimal(pct),
                                  "valid_from": dt.date(2000, 1, 1), "valid_to": None})
    book = f.book(ops.enterprises.a1, kind="C")
    f.material(book, 1)
    f.post(book, "0615", "I", "material", [(1, 10000)], date=dt.date(2026, 1, 10))
    t = ApplicationType.objects.get(code="domestic_sale")
    app = services.create_application(app_type=t, enterprise=ops.enterprises.a1, by=ops.users.enterprise, data={
        "book": book.pk, "item_kind": "material", "seq_no": "1", "qty": "100", "date": "2026-03-02"})
    assert app.book == book
    services.submit(app, by=ops.users.enterprise)
    app.refresh_from_db()
    calc = app.domestic_sale_calc
    assert calc["book"] == book.number and calc["inputs"]["qty"] == "100" and calc["result"]["variants"]
    # another enterprise's book is refused
    other = f.book(ops.enterprises.a1b, kind="C")
    with pytest.raises(ValidationError) as e:
        services.create_application(app_type=t, enterprise=ops.enterprises.a1, by=ops.users.enterprise,
                                    data={"book": other.pk})
    assert "book" in e.value.message_dict
    filing = services.create_application(app_type=ApplicationType.objects.get(code="book_filing"),
                                         enterprise=ops.enterprises.a1, by=ops.users.enterprise,
                                         data={"book": book.pk, "filing": "变更"})
    assert filing.book == book


def test_carry_over_needs_the_ledger_application(ops):
    t = ApplicationType.objects.get(code="carry_over")
    app = services.create_application(app_type=t, enterprise=ops.enterprises.a1, by=ops.users.enterprise, data={})
    with pytest.raises(ValidationError) as e:
        services.submit(app, by=ops.users.enterprise)
    assert "carry_over" in e.value.message_dict
