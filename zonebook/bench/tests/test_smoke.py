"""CI smoke test of the benchmark: the tiny scale, the three recompute implementations agree.

No timing assertions (CI machines vary); the figures are in docs/performance.md.
"""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from zonebook.bench import altcalc
from zonebook.bench.generate import generate
from zonebook.bench.scales import SCALES
from zonebook.ledger import services as ledger
from zonebook.ledger.models import Balance, InventoryList, InventoryListLine

pytest.importorskip("duckdb")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


BALANCE_CONSUMPTION = list(altcalc.BALANCE_COLUMNS).index("consumption")


def test_tiny_scale_generates_and_the_three_recomputes_agree(db, tmp_path, capsys):
    """One generation (the slow part) serves every check."""
    scale = SCALES["tiny"]
    gen = generate(scale, seed=3, log=lambda *a: None)
    assert gen.counts["books"] == scale.books
    assert gen.counts["items"] == scale.items
    assert gen.counts["lines"] == scale.lines == InventoryListLine.objects.count()
    heavy = InventoryListLine.objects.filter(inventory_list__book__number=gen.heavy_book)
    assert heavy.count() == scale.heavy_lines
    # posting kept every balance current: a recompute would change nothing
    assert ledger.check_balances() == []
    # the generated history: each list posted on its declaration date (local time), not all today
    posted = InventoryList.objects.filter(state="posted")
    assert posted.exists()
    assert all(
        timezone.localtime(p).date() == d for p, d in posted.values_list("posted_at", "declaration_date")
    )

    stored_before = altcalc.product_balances()
    Balance.objects.update(consumption=0, expected_remaining=0)  # make the recompute do real work
    ledger.recompute()
    assert altcalc.product_balances() == stored_before
    product = altcalc.product_result()
    altcalc.export_parquet(tmp_path / "pq")
    results = {
        "product": product,
        "duckdb": altcalc.duckdb_balances(tmp_path / "pq"),
        "pandas": altcalc.pandas_balances(tmp_path / "pq"),
        # read in chunks of 97 lines (how it runs at province scale): the same sums
        "pandas_chunked": altcalc.pandas_balances(tmp_path / "pq", chunk_lines=97),
    }
    assert altcalc.compare(results) == []
    assert (product.values[:, BALANCE_CONSUMPTION] != 0).any()

    # the command: table + JSON; the posting measurement is rolled back
    out = tmp_path / "results.json"
    call_command(
        "bench",
        "run",
        "--scale",
        "tiny",
        "--repeat",
        "1",
        "--post-lines",
        "200",
        "--only",
        "post,recompute,report",
        "--out",
        str(out),
    )
    assert "checked equal" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["environment"]["cpu_count"] >= 1
    assert data["environment"]["cpu_probe_seconds"] > 0
    assert data["environment"]["rows"]["inventory_list_lines"] == scale.lines
    assert data["measurements"]["recompute"]["equal"] is True
    rec = data["measurements"]["recompute"]
    assert rec["bound"]["ok"] is True
    assert {name: a["exact_int"] for name, a in rec["anchors"].items()} == {
        "duckdb_int": True,
        "pandas_int": True,
        "duckdb_decimal": False,
        "pandas_decimal": False,
    }
    post = data["measurements"]["post"]
    assert post["checked"] is True
    assert post["end_to_end_seconds"]["median"] >= post["post_seconds"]["median"] > 0
    assert data["heavy_book"] == {"number": gen.heavy_book, "posted_lines": scale.heavy_lines}
    assert InventoryListLine.objects.count() == scale.lines

    # the query plans (PostgreSQL only): all four heavy statements explained, nothing left behind
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("bench", "explain")
        printed = capsys.readouterr().out
        for title in (
            "recompute: full query",
            "check_balances: full query",
            "report: book",
            "posting: pivot",
        ):
            assert f"=== {title}" in printed
        assert printed.count("Execution Time") == 4
        assert InventoryListLine.objects.count() == scale.lines


def test_heavy_book_is_the_one_with_most_posted_lines(db):
    """Not the first book by id: a later book that holds more posted lines is the heavy one."""
    from zonebook.bench.measure import _header, _product_lines, heavy_book
    from zonebook.core.context import acting_as
    from zonebook.ledger.models import Book

    gen = generate(SCALES["tiny"], seed=2, log=lambda *a: None)
    first, second = Book.objects.order_by("pk")[:2]
    assert first.number == gen.heavy_book
    book = heavy_book()
    assert (book.pk, book.posted_lines) == (first.pk, SCALES["tiny"].heavy_lines)
    before = InventoryListLine.objects.filter(inventory_list__book=second).count()
    with acting_as("command"):
        lst = ledger.create_inventory_list(second, _header(1), _product_lines(second, 400, seed=1))
        ledger.submit_inventory_list(lst)
        draft = ledger.create_inventory_list(second, _header(2), _product_lines(second, 40, seed=2))
        book = heavy_book()
        # only posted lines count: the submitted and the draft list do not
        assert book.pk == first.pk
        ledger.post_inventory_list(lst)
    book = heavy_book()
    assert (book.pk, book.posted_lines) == (second.pk, before + 400)
    assert draft.state == "draft"


def test_compare_reports_a_difference():
    import numpy as np

    ncol = len(altcalc.BALANCE_COLUMNS)
    a = altcalc.Result(np.array([1]), np.zeros((1, ncol), dtype=np.int64))
    b = altcalc.Result(np.array([1]), np.zeros((1, ncol), dtype=np.int64))
    b.values[0, 3] = 100_000
    problems = altcalc.compare({"product": a, "duckdb": b})
    assert problems == [f"item 1: {altcalc.BALANCE_COLUMNS[3]}: product=0.00000 duckdb=1.00000"]
    empty = altcalc.Result(np.array([], dtype=np.int64), np.zeros((0, ncol), dtype=np.int64))
    assert "missing 1" in altcalc.compare({"product": a, "pandas": empty})[0]


def test_web_reads_locust_statistics(tmp_path):
    from zonebook.bench.web import read_stats

    path = tmp_path / "locust_stats.csv"
    path.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
        "GET,ledger: book list,61,0,120,150,10,460,5000,1.0,0.0,120,150,170,190,250,320,400,460,460,460,460\n"
        ",Aggregated,615,0,69,90,5,1600,4000,9.8,0.0,69,80,100,120,200,330,390,420,1600,1600,1600\n"
    )
    rows = read_stats(path)
    assert rows[0]["name"] == "ledger: book list" and rows[0]["p95_ms"] == 320
    assert rows[1] == {
        "type": "",
        "name": "Aggregated",
        "requests": 615,
        "failures": 0,
        "p50_ms": 69.0,
        "p95_ms": 330.0,
        "p99_ms": 420.0,
        "max_ms": 1600.0,
        "rps": 9.8,
    }


def test_cpu_probe_is_a_positive_time():
    from zonebook.bench.measure import cpu_probe

    assert 0 < cpu_probe(300_000) < 60
