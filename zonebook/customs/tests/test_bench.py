"""The benchmark command runs small (its own checks pass) and writes the zips a real import of a large
file is measured with (``--write-zip --write-receipts --keep-book``, then ``import_data``)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from zonebook.ledger.choices import ListState
from zonebook.ledger.models import InventoryList

pytestmark = pytest.mark.django_db


def test_the_benchmark_checks_its_result_and_prints_its_figures():
    out = io.StringIO()
    call_command("customs_bench", messages=3, lines=2, items=3, stdout=out)
    text = out.getvalue()
    assert "balances checked equal to the generated lines (3 items)" in text
    assert "end to end" in text and "anchor:" in text
    assert not InventoryList.objects.exists()  # (rolled back)


def test_the_written_zips_import_for_real_into_posted_lists(tmp_path):
    msgs, recs = tmp_path / "inv101.zip", tmp_path / "inv201.zip"
    call_command(
        "customs_bench", messages=4, lines=3, items=2, write_zip=str(msgs), write_receipts=str(recs),
        keep_book=True, stdout=io.StringIO(),
    )
    call_command("import_data", "customs_inv101", str(msgs), stdout=io.StringIO())
    call_command("import_data", "customs_receipts", str(recs), stdout=io.StringIO())
    assert set(InventoryList.objects.values_list("state", flat=True)) == {ListState.POSTED}
    assert InventoryList.objects.count() == 4
