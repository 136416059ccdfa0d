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
    # a second run leaves the data alone
    call_command("load_ledger_demo", stdout=out)
    assert Book.objects.count() == 3
    client.force_login(world.users.province)
    assert client.get("/ledger/oversight/").status_code == 200
