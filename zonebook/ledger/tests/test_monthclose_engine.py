"""The everyday check (``monthclose.check_open``) on the exact integer engine: the same result as the
numeric statement, its fallback past the 64-bit bound, and its second connection on the same snapshot."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import connection, transaction

from zonebook.ledger import engine, sql
from zonebook.ledger.models import Balance, BalanceSnapshot, MonthClose
from zonebook.ledger.services import monthclose
from zonebook.ledger.sql import snapshots as snap_sql

from . import factories as f
from .test_monthclose import JAN, ledger  # noqa: F401  (the fixture)
from .test_monthclose_concurrency import _book

pg_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="the integer engine runs on PostgreSQL"
)
JAN_END = dt.date(2026, 1, 31)


def _engine_rows(book_ids=None):
    """``engine.check`` from the snapshot itself (inside the test's transaction: no confirmation by the SQL)."""
    where, params = snap_sql.open_where(JAN_END, [])
    with transaction.atomic(), connection.cursor() as cur:
        return engine.check(cur, book_ids, (where, params), from_snapshot=True)


@pg_only
@pytest.mark.django_db
def test_engine_check_equals_the_numeric_statement_item_by_item(ledger):  # noqa: F811
    b, m1, m2, p = ledger
    monthclose.close_month(2026, 1)
    rows, info = _engine_rows()
    assert rows == [] and info["lines"] == 3 and info["items"] == 3  # Feb + Mar lines only
    assert snap_sql.check_open_sql(None, JAN_END, []) == []
    # several columns of one item, one item's row missing, a product's exported quantity
    Balance.objects.filter(item=m1).update(consumption=D("1"), expected_remaining=D("-2.00001"))
    Balance.objects.filter(item=m2).delete()
    Balance.objects.filter(item=p).update(exported=D("33.00001"))
    rows, info = _engine_rows()
    expected = snap_sql.check_open_sql(None, JAN_END, [])
    assert rows == expected and info["differences"] == 3
    got = {r["item_id"]: (r["missing"], sorted(r["columns"])) for r in rows}
    assert got == {m1.pk: (False, ["consumption", "expected_remaining"]), m2.pk: (True, got[m2.pk][1]),
                   p.pk: (False, ["exported"])}
    assert rows[0]["columns"]["consumption"]["stored"] == D("1")
    # limit and order (book, item) as the statement's
    assert _engine_rows()[0][:2] == expected[:2] and [r["item_id"] for r in rows] == sorted(got)
    # through the service inside a transaction: the engine's differences are confirmed by the statement
    assert monthclose.check_open() == expected
    assert sql.LAST_RUN["path"] == "engine" and sql.LAST_RUN["confirmed_by_sql"]


@pg_only
@pytest.mark.django_db
@pytest.mark.parametrize("where", ["balance", "snapshot"])
def test_a_stored_value_past_the_bound_falls_back_to_the_numeric_statement(ledger, where):  # noqa: F811
    b, m1, m2, p = ledger
    monthclose.close_month(2026, 1)
    huge = D("95000000000000")  # × 10⁵ is past int8
    if where == "balance":
        Balance.objects.filter(item=m2).update(carry_in=huge)
    else:
        BalanceSnapshot.objects.filter(item=m2, close__month=dt.date(2026, 1, 1)).update(carry_in=huge)
    with pytest.raises(engine.Unsupported, match="64-bit"):
        _engine_rows()
    found = monthclose.check_open()
    assert sql.LAST_RUN["path"] == "sql" and "64-bit" in sql.LAST_RUN["reason"]
    assert [r["item_id"] for r in found] == [m2.pk]
    assert found == snap_sql.check_open_sql(None, JAN_END, [])


@pg_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outermost_check_reads_on_two_connections_of_one_snapshot(world, monkeypatch):
    b, m = _book(world)  # January: a material and a product exploding through it
    f.post(b, "0615", "E", "product", [(1, "4")], date=dt.date(2026, 2, 3))
    monthclose.close_month(2026, 1)
    assert MonthClose.objects.filter(status="closed").count() == 1
    assert not connection.in_atomic_block
    assert monthclose.check_open() == []
    assert sql.LAST_RUN["path"] == "engine" and sql.LAST_RUN["parallel"] and sql.LAST_RUN["lines"] == 1
    right = Balance.objects.get(item=m).consumption
    Balance.objects.filter(item=m).update(consumption=right + D("0.00001"))
    found = monthclose.check_open()
    assert sql.LAST_RUN["parallel"] and "confirmed_by_sql" not in sql.LAST_RUN
    assert found == snap_sql.check_open_sql(None, JAN_END, [])
    assert [(r["item_id"], r["columns"]) for r in found] == [
        (m.pk, {"consumption": {"stored": right + D("0.00001"), "recomputed": right}})
    ]
    # no second connection to be had (connection limit, a pooler): the same result on one connection
    import psycopg
    from django.db import connections

    def refuse(params):
        raise psycopg.OperationalError("sorry, too many clients already")

    monkeypatch.setattr(connections["default"], "get_new_connection", refuse)
    assert monthclose.check_open() == found and sql.LAST_RUN["parallel"] is False
    from zonebook.ledger import services

    assert services.check_balances() == found and sql.LAST_RUN["parallel"] is False


@pg_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outermost_recompute_and_full_check_split_the_lines_over_two_connections(world):
    """Outside a transaction the full check and the recompute read (and compute) the two halves of
    the line table's pages on two connections of one snapshot: the same figures as the numeric SQL."""
    from django.test import override_settings

    from zonebook.ledger import services
    from zonebook.ledger.models import BALANCE_COLUMNS, InventoryListLine

    b = f.book(world.enterprises.a1)
    mats = [f.material(b, k, opening=1000) for k in range(1, 4)]
    p = f.product(b, 1)
    f.bom(p, mats[0], "0.123456789", t="1.5", i="0.25")
    f.bom(p, mats[1], "2.5", t=3)
    with override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn"}):
        for n in range(4):
            f.post(b, "0615", "I", "material", [(1 + k % 3, f"{100 + k}.{n}3") for k in range(150)], date=JAN)
            f.post(b, "0615", "E", "product", [(1, f"{k % 7}.{n}0005") for k in range(1, 150)], date=JAN)
    with connection.cursor() as cur:
        cur.execute(f"SELECT pg_relation_size('{InventoryListLine._meta.db_table}') / 8192")
        assert cur.fetchone()[0] >= 4  # the halves are not empty
    assert services.check_balances() == []
    assert sql.LAST_RUN["path"] == "engine" and sql.LAST_RUN["parallel"] and sql.LAST_RUN["lines"] == 1196
    right = {r[0]: r[1:] for r in Balance.objects.values_list("item_id", *BALANCE_COLUMNS)}
    Balance.objects.filter(item__in=mats[:2]).update(consumption=D("7"), tangible_loss=D("0.00001"))
    found = services.check_balances()
    assert sql.LAST_RUN["parallel"] and "confirmed_by_sql" not in sql.LAST_RUN
    with override_settings(ZONEBOOK={"LEDGER_RECOMPUTE_ENGINE": "sql"}):
        assert found == services.check_balances() and sql.LAST_RUN["path"] == "sql"
    assert [r["item_id"] for r in found] == [m.pk for m in mats[:2]]
    assert services.recompute() == 2  # only the two changed rows are written
    assert sql.LAST_RUN["path"] == "engine" and sql.LAST_RUN["parallel"]
    assert {r[0]: r[1:] for r in Balance.objects.values_list("item_id", *BALANCE_COLUMNS)} == right
    assert services.recompute() == 0 and services.check_balances() == []
