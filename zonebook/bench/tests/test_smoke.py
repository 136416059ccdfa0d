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
    product = altcalc.product_balances()
    assert product == stored_before
    altcalc.export_parquet(tmp_path / "pq")
    results = {
        "product": product,
        "duckdb": altcalc.duckdb_balances(tmp_path / "pq"),
        "pandas": altcalc.pandas_balances(tmp_path / "pq"),
        # read in chunks of 97 lines (how it runs at province scale): the same sums
        "pandas_chunked": altcalc.pandas_balances(tmp_path / "pq", chunk_lines=97),
    }
    assert altcalc.compare(results) == []
    assert any(v[BALANCE_CONSUMPTION] != 0 for v in product.values())

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


def test_compare_reports_a_difference():
    a = {1: tuple(altcalc._q(0) for _ in altcalc.BALANCE_COLUMNS)}
    b = {1: tuple(altcalc._q(1 if n == 3 else 0) for n, _ in enumerate(altcalc.BALANCE_COLUMNS))}
    problems = altcalc.compare({"product": a, "duckdb": b})
    assert problems and altcalc.BALANCE_COLUMNS[3] in problems[0]
    assert "missing 1" in altcalc.compare({"product": a, "pandas": {}})[0]


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
