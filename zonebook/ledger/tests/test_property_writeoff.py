"""Property: after random postings and reversals (the one posting engine), the write-off report's
cycle figures — per item, every in/out column — equal the recompute's balances of the same lists.
Only public functions: services.recompute, services.writeoff.report_for_cycle."""

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, given, settings

from zonebook.ledger import services
from zonebook.ledger.models import BALANCE_COLUMNS, WRITEOFF_LINE_COLUMNS, Balance
from zonebook.ledger.services import writeoff

from .test_property import build, scenario

# One cycle holding every list: the lists are declared on 2026-03-01, the reversals today.
CYCLE = (dt.date(2000, 1, 1), dt.date(2999, 12, 31))
COMPARED = [c for c in BALANCE_COLUMNS if c in WRITEOFF_LINE_COLUMNS]


@pytest.mark.django_db
@pytest.mark.xfail(
    connection.vendor == "sqlite",
    strict=False,
    reason="SQLite only (DECIMAL is a float): the write-off report's own explosion multiplies "
    "unit consumption × share first, the posting pivot qty × unit consumption first, and the float "
    "products can round apart by 0.00001 (found by this test: consumption 0.00277 vs 0.00276). "
    "PostgreSQL (exact numeric) agrees; one shared explosion builder for both removes it (issue 23).",
)
@override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn"})
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sc=scenario)
def test_writeoff_cycle_figures_equal_the_recompute(world, sc):
    b, items, _posted = build(world, sc)
    services.recompute([b.pk])
    balances = {r["item_id"]: r for r in Balance.objects.filter(book=b).values("item_id", *COMPARED)}
    _wo, rows = writeoff.report_for_cycle(b, *CYCLE)
    by_item = {r["item_id"]: r for r in rows}
    assert set(items.values()) <= set(by_item)
    compared = 0
    for (kind, seq), item_id in items.items():
        row, bal = by_item[item_id], balances[item_id]
        for c in COMPARED:
            if row.get(c) is None:  # the column is not one of this item kind's report columns
                continue
            assert row[c] == bal[c], (kind, seq, c, row[c], bal[c])
            compared += 1
    assert compared >= len(items) * 3
