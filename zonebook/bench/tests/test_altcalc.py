"""The recompute anchors of ``bench run``: every anchor (exact int64 DuckDB and pandas, DECIMAL DuckDB,
Decimal pandas) equals the product's recompute on every item and column — rounding ties, reversals
(negative amounts) and the DECIMAL fallback when the int64 bound does not hold included.
"""

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from zonebook.bench import altcalc
from zonebook.bench.generate import generate
from zonebook.bench.scales import SCALES
from zonebook.core.context import acting_as
from zonebook.ledger import services as ledger
from zonebook.ledger.models import Balance, Book, InventoryList

pytest.importorskip("duckdb")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

ANCHORS = ("duckdb_int", "pandas_int", "duckdb_decimal", "pandas_decimal")


def _exact(q: int, k: int) -> int:
    """round_half_away(q × 10⁻⁵ × k × 10⁻¹⁶) in units of 10⁻⁵, by Decimal."""
    v = (Decimal(q).scaleb(-5) * Decimal(k).scaleb(-16)).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
    return int(v.scaleb(5))


def test_integer_rounding_equals_decimal_half_away_from_zero():
    rnd = random.Random(5)
    qs = [1, -1, 3, -3, 150_000, -150_000, 5 * 10**7, -(5 * 10**7), 123_456_789]
    ks = [5 * 10**15, 15 * 10**15, 25 * 10**14, 10**16, 3_199_999_999_999_999, 0, 1, 99_999_999, 10**8]
    pairs = [(q, k) for q in qs for k in ks]
    pairs += [(rnd.randint(-(10**9), 10**9), rnd.randint(0, 4 * 10**16)) for _ in range(2000)]
    q = np.array([p[0] for p in pairs], dtype=np.int64)
    k = np.array([p[1] for p in pairs], dtype=np.int64)
    expected = [_exact(a, b) for a, b in pairs]
    # ties really occur: 1 × 0.5 × 10⁻⁵ = 0.000005 → 0.00001, and −0.000005 → −0.00001
    assert _exact(1, 5 * 10**15) == 1 and _exact(-1, 5 * 10**15) == -1 and _exact(3, 5 * 10**15) == 2
    got = altcalc._round_scaled(q, k // altcalc.SPLIT, k % altcalc.SPLIT)
    assert got.tolist() == expected

    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t (n INTEGER, q BIGINT, hi BIGINT, lo BIGINT)")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?)",
        [(n, a, b // altcalc.SPLIT, b % altcalc.SPLIT) for n, (a, b) in enumerate(pairs)],
    )
    rows = con.execute(f"SELECT {altcalc._rounded_sql('q', 'hi', 'lo')} FROM t ORDER BY n").fetchall()
    assert [r[0] for r in rows] == expected


def _tie_and_reversal_lists(book: Book) -> None:
    """A product whose factor is 0.5 (单耗 0.5, bonded 100 %, tangible 0 %) and 0.3 / 0.1 for the
    losses, exported in quantities that make exact ties (0.00001 × 0.5 = 0.000005 → 0.00001, …),
    and a reversal of one of the generated export lists (negative amounts)."""
    materials = list(book.items.filter(kind="material").order_by("seq_no")[:2])
    seq = book.items.filter(kind="product").order_by("-seq_no").values_list("seq_no", flat=True).first()
    (tie,) = ledger.add_items(
        book,
        "product",
        [
            {
                "seq_no": seq + 1,
                "part_no": "TIE-1",
                "hs_code": materials[0].hs_code,
                "name": "tie",
                "unit": "001",
            }
        ],
    )
    ledger.add_consumptions(
        book,
        [
            (tie, materials[0], {"net": Decimal("0.5"), "tangible_rate": 0, "intangible_rate": 0}),
            (
                tie,
                materials[1],
                {"net": Decimal("0.5"), "tangible_rate": Decimal("30"), "intangible_rate": Decimal("10")},
            ),
        ],
    )
    header = {
        "number": "QD790825E900000001",
        "internal_number": "TIE-1",
        "ie_mark": "E",
        "supervision_mode": "0615",
        "item_kind": "product",
        "declaration_date": dt.date(2025, 12, 30),
    }
    qtys = ["0.00001", "0.00003", "0.00005", "1.00001", "2.5", "0.00007"]
    lines = [{"line_no": n + 1, "item_seq_no": tie.seq_no, "qty": Decimal(q)} for n, q in enumerate(qtys)]
    lst = ledger.create_inventory_list(book, header, lines)
    ledger.submit_inventory_list(lst)
    ledger.post_inventory_list(lst)
    original = (
        InventoryList.objects.filter(book=book, state="posted", ie_mark="E", declaration_date__year=2025)
        .exclude(pk=lst.pk)
        .order_by("-declaration_date", "-pk")
        .first()
    )
    ledger.reverse_inventory_list(
        original, number="QD790825E900000002", declaration_date=dt.date(2025, 12, 30)
    )


@pytest.fixture
def dataset(db, tmp_path):
    generate(SCALES["tiny"], seed=4, log=lambda *a: None)
    book = Book.objects.order_by("pk").first()
    with acting_as("command"):
        _tie_and_reversal_lists(book)
    stored = altcalc.product_result()
    Balance.objects.update(consumption=0, expected_remaining=0, tangible_loss=0)  # real work for recompute
    ledger.recompute()
    product = altcalc.product_result()
    assert altcalc.compare({"stored": stored, "recomputed": product}) == []
    directory = tmp_path / "pq"
    altcalc.export_parquet(directory)
    return product, directory


def test_every_anchor_equals_the_product(dataset):
    product, directory = dataset
    bound = altcalc.int_bound(directory)
    assert bound.ok, bound.reasons
    assert bound.figures["max_q"] >= 250_000  # 2.5 units of the tie list, in 10⁻⁵
    results = {"product": product}
    for name in ANCHORS:
        raw, seconds, info = altcalc.run_anchor(name, directory, bound)
        assert seconds >= 0 and info.fallback == "" and info.exact_int == name.endswith("_int")
        results[name] = altcalc.to_result(raw)
    assert altcalc.compare(results) == []
    # the integer anchors return int64 without a Python object per value
    assert results["pandas_int"].values.dtype == np.int64
    assert results["duckdb_int"].values.dtype == np.int64
    # the ties and the reversal are in the figures: the tie product's two materials
    tie_materials = list(
        Book.objects.order_by("pk").first().items.filter(kind="material").order_by("seq_no")[:2]
    )
    col = altcalc.BALANCE_COLUMNS.index("consumption")
    row = np.searchsorted(product.ids, tie_materials[0].pk)
    # 0.00001+0.00003+0.00005+1.00001+2.5+0.00007 at 0.5 → 0.00001+0.00002+0.00003+0.50001+1.25+0.00004
    tie_only = sum(Decimal(x) for x in ("0.00001", "0.00002", "0.00003", "0.50001", "1.25", "0.00004"))
    assert Decimal(int(product.values[row, col])).scaleb(-5) >= tie_only
    # chunked pandas (how it runs at province scale): the same sums
    assert (
        altcalc.compare({"product": product, "chunked": altcalc.pandas_int(directory, chunk_lines=97)}) == []
    )

    # a difference is named by item and column (one generation serves every check: it is the slow part)
    other = altcalc.pandas_int(directory)
    other.values[3, 5] += 1
    problems = altcalc.compare({"product": product, "pandas_int": other})
    assert len(problems) == 1
    assert problems[0].startswith(f"item {int(product.ids[3])}: {altcalc.BALANCE_COLUMNS[5]}: ")
    assert (
        "missing 1"
        in altcalc.compare({"product": product, "x": altcalc.Result(product.ids[1:], product.values[1:])})[0]
    )

    # the DECIMAL fallback when the bound does not hold
    bound = altcalc.int_bound(directory, limit=10**12)  # forced: q·K_hi and the sums exceed 10¹²
    assert not bound.ok
    assert "DECIMAL variant" in bound.describe()
    for name in ("duckdb_int", "pandas_int"):
        raw, _seconds, info = altcalc.run_anchor(name, directory, bound)
        assert info.exact_int is False and "does NOT hold" in info.fallback
        assert altcalc.compare({"product": product, name: altcalc.to_result(raw)}) == []
