"""Two month closes at once, and a close racing a back-dated posting (PostgreSQL advisory lock)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings

from zonebook.ledger import services, sql
from zonebook.ledger.models import BALANCE_COLUMNS, BalanceSnapshot, MonthClose
from zonebook.ledger.services import monthclose

from . import factories as f
from .test_concurrency import _run_concurrently

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="advisory locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

JAN = dt.date(2026, 1, 10)


def _book(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=5)
    p = f.product(b, 1)
    f.bom(p, m, "0.5", t=2)
    f.post(b, "0615", "I", "material", [(1, "100")], date=JAN)
    f.post(b, "0615", "E", "product", [(1, "9")], date=JAN)
    return b, m


def test_two_closes_of_one_month_at_once_one_closes_the_other_finds_it_closed(world):
    b, m = _book(world)
    results = _run_concurrently([lambda: monthclose.close_month(2026, 1) for _ in range(2)])
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted((r.closed, r.already) for r in results) == [(0, 1), (1, 0)]
    assert MonthClose.objects.count() == 1 and BalanceSnapshot.objects.count() == 2
    assert monthclose.check_open() == []


def test_a_close_racing_a_back_dated_posting_stays_exact(world):
    b, m = _book(world)
    late = f.inv_list(b, "0615", "I", "material", [(1, "2.5")], date=dt.date(2026, 1, 20))
    results = _run_concurrently(
        [lambda: monthclose.close_month(2026, 1), lambda: services.post_inventory_list(late)]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    mc = MonthClose.objects.get(book=b)
    if mc.status == "closed":  # the posting committed first: the close counted it
        snap = {c: getattr(BalanceSnapshot.objects.get(close=mc, item=m), c) for c in BALANCE_COLUMNS}
        assert snap == sql.as_of_rows(b.pk, dt.date(2026, 1, 31))[m.pk] and snap["imports"] == D("102.5")
    else:  # the close committed first: the posting reopened it
        assert mc.reopened_by_list_id == late.pk
    assert monthclose.check_open() == [] == services.check_balances()
