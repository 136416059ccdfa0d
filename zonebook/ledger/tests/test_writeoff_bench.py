"""``manage.py writeoff_bench`` runs end to end on a tiny book (it is a measurement, not a test of
speed: only that it runs, reports every step and leaves nothing behind)."""

from io import StringIO

import pytest
from django.core.management import call_command

from zonebook.ledger.models import Book, WriteOff


@pytest.mark.django_db
def test_writeoff_bench_runs_and_rolls_back():
    out = StringIO()
    call_command(
        "writeoff_bench",
        "--lines=40",
        "--materials=6",
        "--products=3",
        "--bom=2",
        "--lists=2",
        "--repeat=1",
        stdout=out,
    )
    text = out.getvalue()
    for step in (
        "create_writeoff",
        "import_stocktake (9 rows",
        "pre_check",
        "report query (9 rows",
        "(rolled back)",
    ):
        assert step in text, text
    assert not Book.objects.exists() and not WriteOff.objects.exists()
