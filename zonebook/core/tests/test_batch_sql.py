"""The set-based helpers of the batch services: ``field__any`` (core.lookups), ``update_rows``
(core.vector) and ``audit.save_entries`` (COPY on PostgreSQL), on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.vector import update_rows
from zonebook.registry.models import Enterprise, Zone

pytestmark = pytest.mark.django_db


def test_any_matches_like_in_with_one_parameter(world):
    ids = [world.enterprises.a1.pk, world.enterprises.b1.pk, 10**9]
    assert set(Enterprise.objects.filter(pk__any=ids)) == set(Enterprise.objects.filter(pk__in=ids))
    assert set(Enterprise.objects.filter(zone_id__any={world.zones.a1.pk})) == {
        world.enterprises.a1,
        world.enterprises.a1b,
    }
    assert set(Enterprise.objects.filter(zone__any=[world.zones.b1.pk])) == {world.enterprises.b1}
    names = [world.enterprises.c1.name]
    assert list(Enterprise.objects.filter(name__any=names)) == [world.enterprises.c1]
    assert not Enterprise.objects.filter(pk__any=[]).exists()
    assert Enterprise.objects.exclude(pk__any=[]).count() == Enterprise.objects.count()
    inner = Enterprise.objects.filter(pk__any=ids, zone_id=OuterRef("pk"))
    assert set(Zone.objects.filter(Exists(inner))) == {world.zones.a1, world.zones.b1}
    with CaptureQueriesContext(connection) as ctx:
        list(Enterprise.objects.filter(pk__any=list(range(1, 3001))))
    if connection.vendor == "postgresql":
        assert "= ANY(" in ctx.captured_queries[0]["sql"] and ctx.captured_queries[0]["sql"].count("%s") == 0


def test_update_rows_sets_each_row_its_own_values(world):
    a, b, c = world.enterprises.a1, world.enterprises.a2, world.enterprises.b1
    table = Enterprise._meta.db_table
    with connection.cursor() as cur:
        n = update_rows(
            cur,
            table,
            [a.pk, b.pk],
            {"name": ("text", ["新名甲", "新名乙"]), "address": ("text", ["甲地", ""])},
        )
        assert update_rows(cur, table, [], {"name": ("text", [])}) == 0
    assert n == 2
    got = dict(Enterprise.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "name"))
    assert got == {a.pk: "新名甲", b.pk: "新名乙", c.pk: c.name}
    assert Enterprise.objects.get(pk=a.pk).address == "甲地" and Enterprise.objects.get(pk=b.pk).address == ""


@pytest.mark.parametrize("count", [3, audit.COPY_FROM + 5])
def test_save_entries_stores_every_field(world, count):
    """Below ``COPY_FROM`` through ``bulk_create``, from it on (PostgreSQL) one COPY: the same rows."""
    zone = world.zones.a1
    with transaction.atomic():
        entries = [
            audit.entry(
                zone,
                code="registry.zone.tested",
                by=world.users.zone,
                changes={"k": k, "名称": ["前", "后"], "at": dt.date(2026, 3, k % 28 + 1)},
                message=f"第{k}条",
            )
            for k in range(count)
        ]
        assert audit.save_entries(entries) == count
    rows = list(AuditEntry.objects.filter(code="registry.zone.tested").order_by("id"))
    assert len(rows) == count
    first, last = rows[0], rows[-1]
    assert first.changes == {"k": 0, "名称": ["前", "后"], "at": "2026-03-01"}
    assert last.message == f"第{count - 1}条" and last.changes["k"] == count - 1
    assert first.actor_id == world.users.zone.pk and first.actor_name == world.users.zone.username
    assert (first.object_type, first.object_id) == ("registry.zone", str(zone.pk))
    assert first.zone_id == zone.pk and first.province_code == "510000" and first.at is not None



@pytest.mark.parametrize("keys", [True, False])
def test_copy_create_stores_what_bulk_create_stores(world, keys):
    """``copy_create``: the same rows as ``bulk_create`` (decimals, dates, foreign keys, auto_now_add);
    with ``keys`` the objects get the stored primary keys."""
    from decimal import Decimal

    from zonebook.core.vector import copy_create
    from zonebook.ledger.models import InventoryList
    from zonebook.ledger.tests import factories as f

    book = f.book(world.enterprises.a1, kind="C")

    def make(n):
        return InventoryList(
            book=book,
            enterprise_id=book.enterprise_id,
            number=f.list_number("I"),
            internal_number=f"CC-{keys}-{n}",
            ie_mark="I",
            supervision_mode="0615",
            item_kind="material",
            declaration_date=dt.date(2026, 3, n + 1),
            line_count=n + 1,
            total_amount=Decimal("1234.56") * n,
            note=f"备注\t{n}\\",
        )

    objs = copy_create(InventoryList, [make(n) for n in range(3)], keys=keys)
    stored = list(InventoryList.objects.filter(book=book).order_by("declaration_date"))
    assert [(s.internal_number, s.line_count, s.total_amount, s.note) for s in stored] == [
        (f"CC-{keys}-{n}", n + 1, Decimal("1234.56") * n, f"备注\t{n}\\") for n in range(3)
    ]
    assert all(s.created_at is not None and s.state == "draft" for s in stored)
    if keys or connection.vendor != "postgresql":
        assert [o.pk for o in objs] == [s.pk for s in stored]
    assert copy_create(InventoryList, []) == []
