"""The evaluation bench at a small size: the engine and the DuckDB anchor agree on every total and rank
(the command refuses to print times otherwise), and the bench runs are removed. No timing asserted."""

import pytest
from django.core.management import call_command

from zonebook.accounts.testing import user_for
from zonebook.evaluation.models import EvaluationRun

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")


@pytest.mark.django_db
def test_bench_small_scale_matches_duckdb(capsys):
    user_for("all", username="bench_admin", is_superuser=True)
    user_for("province", "510000", username="bench_prov")
    call_command("evaluation_bench", zones=62, indicators=12, repeat=2, whatif=2)
    out = capsys.readouterr().out
    assert "results equal: 62 totals" in out
    assert "same computation in DuckDB SQL" in out and "what-if page" in out
    assert EvaluationRun.objects.count() == 0
