"""Property: after random postings and reversals (the one posting engine), the write-off report's
cycle figures — per item, every in/out column — equal the recompute's balances of the same lists.
Only public functions: services.recompute, services.writeoff.report_for_cycle.

With ``LEDGER_WRITEOFF_ROUNDING = "line"`` the write-off rounds every (line, material) amount as
posting does and must equal the balances to the last digit; with the default "product" rounding
(§6.3: each (product, version, material) term rounded once) the columns taken from the lines are
equal and the exploded ones differ by less than one rounding unit per product line."""

import datetime as dt
from decimal import Decimal as D

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
EXPLODED = {"consumption", "tangible_loss", "intangible_loss", "expected_remaining", "scrap_balance"}
SQLITE = pytest.mark.xfail(
    connection.vendor == "sqlite",
    strict=False,
    reason="SQLite only (DECIMAL is a float): the write-off multiplies unit consumption x share "
    "first, the posting pivot qty x unit consumption first; the float products can round apart by "
    "0.00001.  PostgreSQL (exact numeric) is checked strictly.",
)
HYPOTHESIS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _figures(world, sc):
    b, items, posted = build(world, sc)
    services.recompute([b.pk])
    balances = {r["item_id"]: r for r in Balance.objects.filter(book=b).values("item_id", *COMPARED)}
    _wo, rows = writeoff.report_for_cycle(b, *CYCLE)
    by_item = {r["item_id"]: r for r in rows}
    assert set(items.values()) <= set(by_item)
    product_lines = sum(len(lines) for kind, _key, lines, _d in posted if kind == "product")
    pairs = []
    for (kind, seq), item_id in items.items():
        for c in COMPARED:
            if by_item[item_id].get(c) is not None:  # one of this item kind's report columns
                pairs.append(((kind, seq, c), by_item[item_id][c], balances[item_id][c]))
    assert len(pairs) >= len(items) * 3
    return pairs, product_lines


@pytest.mark.django_db
@SQLITE
@override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn", "LEDGER_WRITEOFF_ROUNDING": "line"})
@HYPOTHESIS
@given(sc=scenario)
def test_writeoff_with_line_rounding_equals_the_recompute(world, sc):
    pairs, _n = _figures(world, sc)
    for where, report, balance in pairs:
        assert report == balance, (where, report, balance)


@pytest.mark.django_db
@SQLITE
@override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn"})
@HYPOTHESIS
@given(sc=scenario)
def test_writeoff_with_product_rounding_differs_only_by_rounding(world, sc):
    pairs, product_lines = _figures(world, sc)
    bound = D("0.00001") * max(product_lines, 1)
    for (kind, seq, c), report, balance in pairs:
        if c in EXPLODED:
            assert abs(report - balance) <= bound, ((kind, seq, c), report, balance)
        else:
            assert report == balance, ((kind, seq, c), report, balance)
