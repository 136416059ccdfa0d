"""The exact integer recompute engine (``ledger.engine``), its bound and fallback, the scaled-integer
columns and the one explosion builder (``sql.movements.explosion_sql``)."""

import random
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from django.db import connection, transaction
from django.test import override_settings

from zonebook.ledger import engine, services, sql
from zonebook.ledger.models import BALANCE_COLUMNS, Balance, Consumption, InventoryListLine
from zonebook.ledger.sql.movements import GROUPS, explosion_sql

from . import factories as f

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the integer engine runs on PostgreSQL")
WARN = {"LEDGER_NEGATIVE_BALANCE": "warn"}


def _round5(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)


def test_exploded_rounds_exactly_half_away_from_zero():
    """ROUND(qty × factor, 5) from the split integers equals Decimal arithmetic, ties included."""
    rnd = random.Random(7)
    qs, his, los, expected = [], [], [], []
    for n in range(4000):
        q = rnd.choice([1, 5, 10**5, rnd.randint(1, 10**8), rnd.randint(1, 10**12), rnd.randint(10**8, 9 * 10**10)])
        if n % 4 == 0:
            # a tie: q × K ≡ 5 × 10¹⁵ (mod 10¹⁶) with q = 1 → K = m × 10¹⁶ + 5 × 10¹⁵
            q, k = 1, rnd.randint(0, 10**6) * 10**16 + 5 * 10**15
        elif n % 4 == 1:
            k = rnd.randint(0, 10**9) * 10**7  # typical factors: 9 decimals
        else:
            k = rnd.randint(0, 10**17)
        hi, lo = divmod(k, 10**8)
        if q * (hi + 1) + 1.5e8 >= 2**63:
            continue
        qs.append(q)
        his.append(hi)
        los.append(lo)
        exact = Decimal(q) / 10**5 * Decimal(k) / 10**16
        expected.append(int(_round5(exact) * 10**5))
    got = engine.exploded(np.array(qs, np.int64), np.array(his, np.int64), np.array(los, np.int64))
    assert got.tolist() == expected
    # the ties really round up (away from zero)
    assert engine.exploded(np.array([1]), np.array([5 * 10**7]), np.array([0])).tolist() == [1]
    assert engine.exploded(np.array([1]), np.array([5 * 10**7 - 1]), np.array([99_999_999])).tolist() == [0]


@pytest.mark.django_db
def test_scaled_integer_columns_are_exact(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1)
    p = f.product(b, 1)
    c = f.bom(p, m, "1.234567891", t="2.5", i="0.33333", bonded="55.55555")
    c.refresh_from_db()
    if connection.vendor == "postgresql":
        for part, rate in (("kc", c.bonded_share), ("kt", c.tangible_rate), ("ki", c.intangible_rate)):
            k = c.unit_consumption * rate * Decimal("0.01")
            hi, lo = divmod(int(k * 10**16), 10**8)
            assert (getattr(c, f"{part}_hi"), getattr(c, f"{part}_lo")) == (hi, lo)
            assert Decimal(hi * 10**8 + lo) / 10**16 == k  # exact: 16 decimals
    # (SQLite's DECIMAL is a float: 19 significant digits are PostgreSQL's only)
    top = "89999999999999.99999" if connection.vendor == "postgresql" else "89999999999.5"
    with override_settings(ZONEBOOK=WARN):
        f.post(b, "0615", "I", "material", [(1, "12.34567"), (1, top), (1, "90000000000000")])
    got = sorted(InventoryListLine.objects.values_list("qty", "qty_i"))
    assert got[0] == (Decimal("12.34567"), 1234567)
    assert got[1] == (Decimal(top), int(Decimal(top) * 10**5))
    assert got[2] == (Decimal("90000000000000"), None)  # past the 64-bit bound: NULL


def _world_data(world, seed: int):
    """Two books with random BOMs (several versions, rates, bonded shares), lists of every kind,
    reversals (negative consumption) and quantities that make rounding ties."""
    rnd = random.Random(seed)
    books = []
    for _n in range(2):
        b = f.book(world.enterprises.a1)
        mats = [f.material(b, s, opening=Decimal(rnd.randint(0, 10**6)) / 100) for s in range(1, 5)]
        prods = [f.product(b, s) for s in range(1, 4)]
        for p in prods:
            for version in ("0", "1"):
                for m in rnd.sample(mats, 3):
                    f.bom(
                        p,
                        m,
                        rnd.choice(["0.5", "1", "0.123456789", str(Decimal(rnd.randint(1, 3 * 10**9)) / 10**9)]),
                        t=rnd.choice(["0", "2.5", str(Decimal(rnd.randint(0, 2000)) / 100)]),
                        i=rnd.choice(["0", "0.5", "1.23"]),
                        bonded=rnd.choice(["100", "55.5", "80", "33.33333"]),
                        version=version,
                    )
        books.append(b)
    qtys = ["0.00001", "0.00003", "1", "2.5", "0.00005", "1000", "123.45678", "7"]
    with override_settings(ZONEBOOK=WARN):
        for b in books:
            posted = []
            for _k in range(12):
                kind = rnd.choice(["material", "product", "product"])
                if kind == "material":
                    mode, ie = rnd.choice([("0615", "I"), ("0654", "I"), ("0700", "E"), ("0664", "E"), ("0844", "I")])
                    lines = [(rnd.randint(1, 4), rnd.choice(qtys)) for _ in range(rnd.randint(1, 4))]
                else:
                    mode, ie = rnd.choice([("0615", "E"), ("0654", "E"), ("4600", "I"), ("4600", "E")])
                    lines = [
                        (rnd.randint(1, 3), rnd.choice(qtys), {"consumption_version": rnd.choice(["0", "1"])})
                        for _ in range(rnd.randint(1, 5))
                    ]
                posted.append(f.post(b, mode, ie, kind, lines).inventory_list)
            for lst in rnd.sample(posted, 3):
                services.reverse_inventory_list(lst, number=f.list_number(lst.ie_mark))
    return books


def _rows(select: str, params) -> dict:
    with connection.cursor() as cur:
        cur.execute(f"SELECT f.item_id, {', '.join('f.' + c for c in BALANCE_COLUMNS)} FROM ({select}) f", params)
        return {r[0]: tuple(Decimal(v) for v in r[1:]) for r in cur.fetchall()}


@pg_only
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_engine_equals_the_numeric_sql_to_the_last_decimal(world, seed, monkeypatch):
    books = _world_data(world, seed)
    book_ids = [b.pk for b in books]
    for ids, chunk, pack in ((book_ids, 10**6, 2**62), (book_ids[:1], 10**6, 0), (None, 10**6, 2**62), (None, 7, 0)):
        monkeypatch.setattr(engine, "CHUNK_ROWS", chunk)  # 7: many chunks, summed by two threads
        monkeypatch.setattr(engine, "PACK_LIMIT", pack)  # 0: ids read unpacked
        monkeypatch.setattr(engine, "DENSE_KEYS", 16_000_000 if pack else 0)  # 0: groups by searchsorted
        full, params = sql.full_sql(ids)
        expected = _rows(full, params)
        with transaction.atomic(), connection.cursor() as cur:
            info = engine.stage(cur, ids)
            got = _rows(engine.staged_select(), [])
        assert info["lines"] > 0 and info["exploded_rows"] > 7
        assert got == expected
    # both paths write the same balances; the check is clean either way
    with override_settings(ZONEBOOK={"LEDGER_RECOMPUTE_ENGINE": "sql"}):
        Balance.objects.update(consumption=0, imports=0)
        assert len(services.check_balances(book_ids)) > 0
        services.recompute(book_ids)
        assert sql.LAST_RUN["path"] == "sql"
    by_sql = list(Balance.objects.order_by("item_id").values_list("item_id", *BALANCE_COLUMNS))
    Balance.objects.update(consumption=0, imports=0, expected_remaining=1)
    diffs = services.check_balances(book_ids)
    assert sql.LAST_RUN["path"] == "engine" and len(diffs) == len(by_sql)
    assert {d["item_id"] for d in diffs} == {r[0] for r in by_sql}
    services.recompute(book_ids)
    assert sql.LAST_RUN["path"] == "engine"
    assert list(Balance.objects.order_by("item_id").values_list("item_id", *BALANCE_COLUMNS)) == by_sql
    assert services.check_balances(book_ids) == [] and sql.LAST_RUN["path"] == "engine"


@pg_only
@pytest.mark.django_db
@override_settings(ZONEBOOK=WARN)
@pytest.mark.parametrize("qty", ["1000000000000", "95000000000000"])
def test_past_the_bound_falls_back_to_numeric_with_the_same_figures(world, qty):
    """A quantity × factor past 2⁶³ (or a quantity past the qty_i column) runs the numeric SQL."""
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=5)
    p = f.product(b, 1)
    f.bom(p, m, "12.345678901", t="3.5", bonded="55.5")
    f.post(b, "0615", "E", "product", [(1, qty), (1, "0.00003")])
    with transaction.atomic(), connection.cursor() as cur, pytest.raises(engine.Unsupported):
        engine.stage(cur, [b.pk])
    stored = dict(Balance.objects.filter(item=m).values_list("item_id", "consumption"))
    Balance.objects.update(consumption=0)
    services.recompute([b.pk])
    assert sql.LAST_RUN["path"] == "sql" and "bound" in sql.LAST_RUN["reason"]
    c = Consumption.objects.get()
    expected = _round5(Decimal(qty) * c.k_cons) + _round5(Decimal("0.00003") * c.k_cons)
    assert dict(Balance.objects.filter(item=m).values_list("item_id", "consumption")) == stored == {m.pk: expected}
    assert services.check_balances([b.pk]) == []


@pytest.mark.django_db
@override_settings(ZONEBOOK=WARN)
def test_one_explosion_builder_groups(world):
    """"line" and "fold" round each (line, material) amount; "sum" rounds once per (product, version)."""
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1)
    p = f.product(b, 1)
    f.bom(p, m, "0.5")  # factor 0.5: 0.00001 → 0.000005, a tie
    f.post(b, "0615", "E", "product", [(1, "0.00001"), (1, "0.00001"), (1, "0.00001")])
    got = {}
    for group in GROUPS:
        with connection.cursor() as cur:
            cur.execute(explosion_sql("lst.book_id = %s", group=group), [b.pk])
            got[group] = [(r[0], Decimal(str(r[1])).quantize(Decimal("0.00001"))) for r in cur.fetchall()]
    assert got["line"] == got["fold"] == [(m.pk, Decimal("0.00003"))]  # 3 × ROUND(0.000005, 5)
    assert got["sum"] == [(m.pk, Decimal("0.00002"))]  # ROUND(0.000015, 5)
    # the write-off's consumption term is the builder's
    from zonebook.ledger.sql import writeoff

    assert writeoff.bom_consumption("TRUE") == explosion_sql("TRUE", group="sum", order="factor")
    with override_settings(ZONEBOOK={**WARN, "LEDGER_WRITEOFF_ROUNDING": "line"}):
        assert writeoff.bom_consumption("TRUE") == explosion_sql("TRUE", group="fold", order="factor")
    with pytest.raises(ValueError):
        explosion_sql("TRUE", group="other")


@pytest.mark.django_db
@override_settings(ZONEBOOK=WARN)
def test_ledger_recompute_timing_compares_both_paths(world):
    from io import StringIO

    from django.core.management import CommandError, call_command

    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=3)
    p = f.product(b, 1)
    f.bom(p, m, "0.5", t="1.5", bonded="80")
    f.post(b, "0615", "I", "material", [(1, "10")])
    f.post(b, "0615", "E", "product", [(1, "0.00001"), (1, "7")])
    out = StringIO()
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError):
            call_command("ledger_recompute", "--timing", "--repeat", "1", stdout=out)
        return
    call_command("ledger_recompute", "--timing", "--repeat", "1", "--book", b.number, stdout=out)
    text = out.getvalue()
    assert "engine == numeric SQL to the last decimal" in text
    assert "3 lines" in text  # the book's three posted lines
    k = Consumption.objects.get().k_cons
    # nothing written (rolled back); the stored balance is posting's
    assert Balance.objects.get(item=m).consumption == _round5(7 * k) + _round5(Decimal("0.00001") * k)


def _pivot_rows(select: str, params) -> dict:
    from zonebook.ledger.sql.posting import STAGE_COLUMNS

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT p.list_id, p.item_id, {', '.join('p.' + c for c in STAGE_COLUMNS)} FROM ({select}) p",
            params,
        )
        return {
            (r[0], r[1]): tuple(Decimal(v).quantize(Decimal("0.00001")) for v in r[2:])
            for r in cur.fetchall()
        }


@pg_only
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_posting_pivot_equals_the_numeric_sql_to_the_last_decimal(world, seed):
    """The engine's by-list pivot of a posting batch has the rows and figures of ``pivot_sql(by_list=True)``."""
    from zonebook.ledger.models import InventoryList
    from zonebook.ledger.sql.movements import pivot_sql
    from zonebook.ledger.sql.posting import STAGE_COLUMNS

    books = _world_data(world, seed)
    for book in books:
        ids = list(InventoryList.objects.filter(book=book).values_list("pk", flat=True))
        for batch in (ids, ids[:1], ids[-3:]):
            marks = ", ".join(["%s"] * len(batch))
            expected = _pivot_rows(pivot_sql(f"lst.id IN ({marks})", by_list=True), batch * 2)
            with transaction.atomic(), connection.cursor() as cur:
                info = engine.posting_stage(cur, batch, "zb_test_stage", STAGE_COLUMNS)
                got = _pivot_rows("SELECT * FROM zb_test_stage", [])
                transaction.set_rollback(True)
            assert got == expected and info["rows"] == len(expected)
    assert any(v[STAGE_COLUMNS.index("consumption")] for v in expected.values())


def _one_row_per_item(rows: dict) -> dict:
    """By-list stage rows {(list, item): figures} summed per item, under the item's last list."""
    out = {}
    for item in {i for _l, i in rows}:
        mine = [(lid, v) for (lid, i), v in rows.items() if i == item]
        sums = tuple(sum(col) for col in zip(*(v for _l, v in mine), strict=True))
        out[(max(lid for lid, _v in mine), item)] = sums
    return out


@pg_only
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_collapsed_posting_stage_keeps_the_withdrawing_rows_and_the_item_sums(world, seed):
    """``collapse=True`` (what posting stages): the rows of an item some list withdraws from are the
    by-list rows of ``pivot_sql``; every other item is one row holding the exact sum of its rows,
    under its last list."""
    from zonebook.ledger.models import InventoryList
    from zonebook.ledger.sql.movements import pivot_sql
    from zonebook.ledger.sql.posting import STAGE_COLUMNS

    er, sb = STAGE_COLUMNS.index("er"), STAGE_COLUMNS.index("sb")
    books = _world_data(world, seed)
    folded_any = kept_any = False
    for book in books:
        ids = list(InventoryList.objects.filter(book=book).values_list("pk", flat=True))
        marks = ", ".join(["%s"] * len(ids))
        expected = _pivot_rows(pivot_sql(f"lst.id IN ({marks})", by_list=True), ids * 2)
        with transaction.atomic(), connection.cursor() as cur:
            engine.posting_stage(cur, ids, "zb_test_stage", STAGE_COLUMNS, collapse=True)
            got = _pivot_rows("SELECT * FROM zb_test_stage", [])
            transaction.set_rollback(True)
        withdrawing = {i for (_l, i), v in expected.items() if v[er] < 0 or v[sb] < 0}
        for item in {i for _l, i in expected}:
            want = {k: v for k, v in expected.items() if k[1] == item}
            have = {k: v for k, v in got.items() if k[1] == item}
            if item in withdrawing:
                assert have == want
                kept_any = True
            else:
                assert have == _one_row_per_item(want)
                folded_any = folded_any or len(want) > 1
    assert folded_any and kept_any


@pg_only
@pytest.mark.django_db
def test_a_batch_that_only_adds_is_staged_one_row_per_item(world):
    """No list of the batch withdraws (imports, a reversal of an export): the stage holds one row per
    item — the exact sums of ``pivot_sql``'s by-list rows — under the item's last list."""
    from zonebook.ledger.sql.movements import pivot_sql
    from zonebook.ledger.sql.posting import STAGE_COLUMNS

    b = f.book(world.enterprises.a1)
    f.material(b, 1)
    f.material(b, 2)
    f.material(b, 3)
    ids = [
        f.post(b, "0615", "I", "material", lines).inventory_list.pk
        for lines in ([(1, "10.5"), (2, "3")], [(2, "0.00001"), (3, "7")], [(1, "123.45678"), (1, "1")])
    ]
    marks = ", ".join(["%s"] * len(ids))
    by_list = _pivot_rows(pivot_sql(f"lst.id IN ({marks})", by_list=True), ids * 2)
    with transaction.atomic(), connection.cursor() as cur:
        info = engine.posting_stage(cur, ids, "zb_test_stage", STAGE_COLUMNS, collapse=True)
        got = _pivot_rows("SELECT * FROM zb_test_stage", [])
        transaction.set_rollback(True)
    assert got == _one_row_per_item(by_list) and info["rows"] == 3 and len(by_list) == 5


@pg_only
@pytest.mark.django_db
@override_settings(ZONEBOOK=WARN)
def test_posting_on_the_engine_and_on_the_sql_write_the_same_balances(world):
    from zonebook.ledger.sql import posting as sql_posting

    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=5)
    m2 = f.material(b, 2)
    p = f.product(b, 1)
    f.bom(p, m, "0.123456789", t="2.5", i="0.5", bonded="55.5")
    f.bom(p, m2, "0.5", t="1", bonded="100")
    lines = [(1, "0.00001"), (1, "0.00003"), (1, "7"), (1, "123.45678")]
    got = {}
    for choice in ("numpy", "sql"):
        with transaction.atomic():
            with override_settings(ZONEBOOK={**WARN, "LEDGER_RECOMPUTE_ENGINE": choice}):
                f.post(b, "0615", "I", "material", [(1, "10"), (2, "3")])
                res = f.post(b, "0615", "E", "product", lines)
                assert sql_posting.LAST_STAGE["path"] == ("engine" if choice == "numpy" else "sql")
            got[choice] = (
                res.balances_changed,
                list(Balance.objects.filter(item__book=b).order_by("item_id").values_list(*BALANCE_COLUMNS)),
            )
            transaction.set_rollback(True)
    assert got["numpy"] == got["sql"]
    assert got["numpy"][0] == 3  # the product and its two materials


@pg_only
@pytest.mark.django_db
@override_settings(ZONEBOOK=WARN)
def test_posting_past_the_bound_runs_the_numeric_sql(world):
    from zonebook.ledger.sql import posting as sql_posting

    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=5)
    p = f.product(b, 1)
    f.bom(p, m, "12.345678901", t="3.5", bonded="55.5")
    f.post(b, "0615", "E", "product", [(1, "95000000000000"), (1, "0.00003")])
    assert sql_posting.LAST_STAGE["path"] == "sql" and "bound" in sql_posting.LAST_STAGE["reason"]
    assert services.check_balances([b.pk]) == []
