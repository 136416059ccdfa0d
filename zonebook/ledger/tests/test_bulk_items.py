"""``add_items``: the rules of ``add_item`` checked set-based, same rows, balances and audit entries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db.models import Count

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger import services
from zonebook.ledger.models import Balance, Book, BookItem, BookSummary

from . import factories as f

pytestmark = pytest.mark.django_db


def _rows(n, start=1, **kw):
    return [
        {
            "seq_no": i,
            "part_no": f"M{i:04d}",
            "hs_code": f.HS_MATERIAL,
            "name": f"料件{i}",
            "unit": "007",
            "unit_price": D("12.5"),
            "opening_qty": D(i),
            **kw,
        }
        for i in range(start, start + n)
    ]


def _fields(item):
    return {
        k: getattr(item, k)
        for k in ("seq_no", "part_no", "hs_code", "name", "unit", "unit_price", "opening_qty")
    }


def test_same_result_as_add_item_one_by_one(world):
    one, bulk = f.book(world.enterprises.a1, kind="C"), f.book(world.enterprises.a1, kind="C")
    rows = _rows(5)
    for r in rows:
        services.add_item(one, "material", r)
    created = services.add_items(bulk, "material", rows)
    assert [_fields(i) for i in created] == [_fields(i) for i in one.items.order_by("seq_no")]
    # a balance per item with the opening quantity (1 + 2 + 3 + 4 + 5 = 15)
    assert sorted(Balance.objects.filter(book=bulk).values_list("opening", "expected_remaining")) == [
        (D(i), D(i)) for i in range(1, 6)
    ]
    # one audit entry per item, with the same code and changes as add_item
    entries = AuditEntry.objects.filter(
        code="ledger.bookitem.created", object_id__in=[str(i.pk) for i in created]
    )
    assert entries.count() == 5 and all(e.zone_id == bulk.zone_id for e in entries)
    solo = AuditEntry.objects.get(code="ledger.bookitem.created", object_id=str(one.items.get(seq_no=3).pk))
    mine = entries.get(object_id=str(created[2].pk))
    assert {k: v for k, v in mine.changes.items() if k not in ("id", "book")} == {
        k: v for k, v in solo.changes.items() if k not in ("id", "book")
    }
    # the book's summary knows the openings: 15 in stock x 12.50
    assert BookSummary.objects.get(book=bulk).bonded_value == D("187.5")
    # one change filing (the book is in use)
    assert Book.objects.get(pk=bulk.pk).change_count == Book.objects.get(pk=one.pk).change_count - 4


def test_every_problem_is_reported_with_its_row_and_nothing_is_written(world):
    b = f.book(world.enterprises.a1, kind="C")
    f.material(b, 1)  # seq 1 / part M0001 exist
    rows = _rows(3, start=2)
    rows[0]["seq_no"] = 1  # row 1: sequence taken on the book
    rows[1]["hs_code"] = "9999999999"  # row 2: not in the HS table
    rows.append({**_rows(1, start=4)[0], "part_no": "M0004"})  # row 4: seq 4 and part M0004 repeat row 3
    rows.append({**_rows(1, start=9)[0], "unit": "7"})  # row 5: unit code malformed
    rows.append({**_rows(1, start=10)[0], "colour": "red"})  # row 6: unknown field
    before = BookItem.objects.count()
    with pytest.raises(DomainError) as exc:
        services.add_items(b, "material", rows)
    got = sorted((e.row, e.column) for e in exc.value.details)
    assert got == [(1, "seq_no"), (2, "hs_code"), (4, "part_no"), (4, "seq_no"), (5, "unit"), (6, "colour")]
    assert BookItem.objects.count() == before
    with pytest.raises(DomainError) as exc:
        services.add_items(
            b,
            "product",
            [
                {
                    "seq_no": 1,
                    "part_no": "P1",
                    "hs_code": f.HS_PRODUCT,
                    "name": "成品",
                    "unit": "001",
                    "opening_qty": 5,
                }
            ],
        )
    assert exc.value.details[0].column == "opening_qty"


def test_bulk_insert_is_set_based(world, django_assert_max_num_queries):
    """A handful of statements whatever the number of rows (SQLite splits long INSERTs by its
    variable limit, so 200 rows may take a few more INSERT batches — never one statement per row)."""
    b = f.book(world.enterprises.a1, kind="C")
    with django_assert_max_num_queries(16):
        services.add_items(b, "material", _rows(5))
    with django_assert_max_num_queries(30):
        services.add_items(b, "material", _rows(200, start=6))
    assert BookItem.objects.filter(book=b).aggregate(n=Count("id"))["n"] == 205


def test_add_consumptions_same_as_one_by_one_and_reports_every_row(world):
    from zonebook.ledger.models import Consumption

    one, bulk = f.book(world.enterprises.a1, kind="C"), f.book(world.enterprises.a1, kind="C")
    for b in (one, bulk):
        f.material(b, 1)
        f.material(b, 2)
        f.product(b, 1)
    data = {"net": D("0.9"), "tangible_rate": D("4"), "intangible_rate": D("1")}
    services.add_consumption(one.items.get(kind="product"), one.items.get(kind="material", seq_no=1), data)
    p, m1, m2 = (
        bulk.items.get(kind="product"),
        bulk.items.get(kind="material", seq_no=1),
        bulk.items.get(seq_no=2, kind="material"),
    )
    created = services.add_consumptions(bulk, [(p, m1, data)])
    # Example C: 单耗 = 0.9 / (1 - 5 %) = 0.947368421, the same as add_consumption stores
    assert (
        created[0].unit_consumption == D("0.947368421") == Consumption.objects.get(book=one).unit_consumption
    )
    assert AuditEntry.objects.filter(code="ledger.consumption.created", object_id=str(created[0].pk)).exists()
    with pytest.raises(DomainError) as exc:
        services.add_consumptions(
            bulk,
            [
                (p, m1, data),  # row 1: already on the book in version 0
                (p, m2, {**data, "tangible_rate": D("99")}),  # row 2: loss rates ≥ 100 %
                (m1, m2, data),  # row 3: not a product
                (p, m2, data),  # row 4: fine alone...
                (p, m2, data),  # row 5: ...but repeated
                (p, m2, {**data, "colour": 1}),  # row 6: unknown field
            ],
        )
    assert sorted((e.row, e.column) for e in exc.value.details) == [
        (1, "version"),
        (2, "tangible_rate"),
        (3, "product"),
        (5, "version"),
        (6, "colour"),
    ]
    assert Consumption.objects.filter(book=bulk).count() == 1


def test_add_consumptions_query_count_does_not_grow_with_rows(world):
    """The audit entries take the book (and its zone) from the service, not one query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (2, 30):
        b = f.book(world.enterprises.a1, kind="C")
        services.add_items(b, "material", _rows(n))
        prods = services.add_items(
            b,
            "product",
            [{"seq_no": 1, "part_no": "P1", "hs_code": f.HS_PRODUCT, "name": "成品", "unit": "001"}],
        )
        b = Book.objects.get(pk=b.pk)  # nothing cached
        mats = list(BookItem.objects.filter(book=b, kind="material"))
        rows = [(prods[0], m, {"net": D("0.5")}) for m in mats]
        with CaptureQueriesContext(connection) as ctx:
            services.add_consumptions(b, rows)
        counts.append(len(ctx))
    assert counts[0] == counts[1]
