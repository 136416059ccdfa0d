"""The ledger demo: loads through the services, balances agree with a recompute, the pages show it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from zonebook.ledger import queries, services
from zonebook.ledger.models import Book, InventoryList
from zonebook.registry.models import Enterprise


@pytest.mark.django_db
def test_load_ledger_demo_small(world, client):
    Enterprise.objects.filter(zone__in=[world.zones.a1, world.zones.b1]).update(
        processing_trade=True, processing_mode="imported"
    )
    out = io.StringIO()
    call_command("load_ledger_demo", books=3, stdout=out)
    assert "Ledger demo loaded: 3 books" in out.getvalue()
    assert Book.objects.count() == 3
    assert InventoryList.objects.filter(state="posted").count() >= 3 * 12
    assert services.check_balances() == []
    assert InventoryList.objects.filter(direction=-1).count() == 0  # the reversal is in book 5 of 30
    data = queries.oversight(world.users.province)
    assert data["book_total"] == 3 and data["deadline_counts"]["expiry_red"] >= 1
    _demo_ships_the_hs_codes_and_tax_rates_its_pages_need(world, client, out)
    # a second run leaves the data alone
    call_command("load_ledger_demo", stdout=out)
    assert Book.objects.count() == 3
    client.force_login(world.users.province)
    assert client.get("/ledger/oversight/").status_code == 200


def _demo_ships_the_hs_codes_and_tax_rates_its_pages_need(world, client, out):
    """On first start the domestic-sale calculator works for every demo book: every HS code the demo
    items use is in the HS table with its legal units, and has a tariff and a VAT rate in force today;
    the scrap HS codes of the demo sectors too.  (Part of the demo test: one demo load.)"""
    import datetime as dt

    from django.utils import timezone

    from zonebook.ledger.models import BookItem, TaxRate
    from zonebook.ledger.services import duty
    from zonebook.registry.models import Code

    assert "102 tax rates" in out.getvalue()
    today = timezone.localdate()
    used = set(BookItem.objects.values_list("hs_code", flat=True))
    hs = {c.code: c for c in Code.objects.filter(table__key="hs", code__in=used | {"3915909000"})}
    assert used <= set(hs) and len(used) >= 8
    for item in BookItem.objects.all():
        extra = hs[item.hs_code].extra
        assert (item.legal_unit1, item.legal_unit2) == (extra["legal_unit1"], extra["legal_unit2"])
    for code in used | {"3915909000", "6310900000", "4707100000"}:
        assert duty.tax_rate_on(code, "tariff", today) >= 0
        assert duty.tax_rate_on(code, "vat", today) in (9, 13)
    assert duty.tax_rate_on("8542319000", "vat", dt.date(2018, 6, 1)) == 16  # dated history
    assert TaxRate.objects.filter(source__startswith="Zonebook demo value").exists()
    # the calculator page works on a demo book, for a material and for a sale of its scrap
    book = Book.objects.order_by("number").first()
    client.force_login(world.users.province)
    params = {"book": book.pk, "item_kind": "material", "seq_no": 1, "qty": "10", "date": today.isoformat()}
    r = client.get("/ledger/duty-calculator/", {**params, "exchange_rate": "7.1"})
    assert r.status_code == 200 and "duty-variants" in r.content.decode()
    r = client.get(
        "/ledger/duty-calculator/",
        {**params, "category": "scrap", "value": "100", "scrap_hs": "3915909000", "exchange_rate": "1"},
    )
    assert r.status_code == 200 and 'id="duty-scrap"' in r.content.decode()
    # a second run leaves the rates alone (an office's own table is never mixed with demo values)
    from zonebook.ledger.services.reference import load_demo_tax_rates

    assert load_demo_tax_rates() == 0 and TaxRate.objects.count() == 102
