"""Two (or more) users posting to the same book at once: PostgreSQL row locks keep balances exact."""

import threading
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection

from zonebook.core.errors import DomainError
from zonebook.ledger import services
from zonebook.ledger.models import Balance

from . import factories as f

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_concurrently(fns):
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def worker(n, fn):
        try:
            barrier.wait()
            results[n] = fn()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n, fn)) for n, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_postings_to_one_book_stay_exact(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1)
    p = f.product(b, 1)
    f.bom(p, m, 1)
    f.post(b, "0615", "I", "material", [(1, 1000)])
    lists = [f.inv_list(b, "0615", "E", "product", [(1, 150)]) for _ in range(10)]
    results = _run_concurrently([lambda lst=lst: services.post_inventory_list(lst) for lst in lists])
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(ok) == 6 and len(refused) == 4, results
    assert all(r.code == "negative_balance" for r in refused)
    bal = Balance.objects.get(item=m)
    assert bal.consumption == D(900) and bal.expected_remaining == D(100)
    assert services.check_balances() == []


def test_same_list_posted_twice_at_once(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1)
    lst = f.inv_list(b, "0615", "I", "material", [(1, 7)])
    results = _run_concurrently(
        [lambda: services.post_inventory_list(lst), lambda: services.post_inventory_list(lst)]
    )
    assert sorted(r.changed for r in results) == [False, True]
    assert Balance.objects.get(item=m).imports == D(7)
