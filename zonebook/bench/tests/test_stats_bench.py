"""Smoke test of ``manage.py stats_bench`` at a tiny scale: every case it times (from scratch, nothing
changed, one month imported — full and per-year) ends equal to the DuckDB computation, and the imported
month is rolled back.  No timing assertions."""

from io import StringIO

import pytest
from django.core.management import call_command

from zonebook.stats.models import Observation

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")


@pytest.mark.django_db
def test_stats_bench_checks_every_case_against_duckdb():
    out = StringIO()
    call_command("stats_bench", zones=3, months=13, indicators=17, repeat=1, pages=0, stdout=out)
    text = out.getvalue()
    for case in ("from scratch", "nothing changed", "one month imported, full recompute",
                 "one month imported, recompute(years=[2024])"):
        assert f"results equal ({case}): " in text, text
    # the imported month (2024-02: the data cover 2023-01 … 2024-01) was rolled back
    assert not Observation.objects.filter(entity__code__startswith="B-", ym=2024 * 12 + 1).exists()
    assert Observation.objects.filter(entity__code__startswith="B-", ym=2024 * 12).exists()
