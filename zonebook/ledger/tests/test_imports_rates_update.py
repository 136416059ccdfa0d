"""Import kind ``tax_rates`` in update mode: a rate whose HS code, tax and start date exist takes the
file's rate, end date and source; new keys are added; overlaps stay errors; nothing is deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.ledger.models import TaxRate
from zonebook.ledger.services import duty
from zonebook.ledger.tests import factories as f

pytestmark = pytest.mark.django_db
HEAD = "商品编码,税种,税率,生效日期,失效日期,来源\n"
FIRST = (
    HEAD
    + "8542319000,关税,0,2024-01-01,,2024年方案\n"
    + "8542319000,增值税,13,2024-01-01,,\n"
    + "85076000,关税,10,2024-01-01,,\n"  # tariff line: 8507600010 and 8507600090
)


@pytest.fixture(autouse=True)
def hs_table():
    f.reference()
    with translation.override("en"):
        yield


def _run(tmp_path, text, user, mode="update", dry_run=False):
    p = tmp_path / "rates.csv"
    p.write_text(text, encoding="utf-8")
    return pipeline.run(get_kind("tax_rates"), p, p.name, user, mode=mode, dry_run=dry_run)


def test_rates_reimported_update_only_what_changed(world, tmp_path):
    user = world.users.province
    assert _run(tmp_path, FIRST, user, mode="create").ok
    audits = AuditEntry.objects.count()
    text = (
        HEAD
        + "8542319000,关税,5,2024-01-01,,2025年方案\n"  # rate and source change
        + "8542319000,增值税,13,2024-01-01,,\n"  # unchanged
        + "85076000,关税,10,2024-01-01,2024-12-31,\n"  # the tariff line ends: both rates change
        + "85076000,关税,8,2025-01-01,,\n"  # its successor: new
    )
    preview = _run(tmp_path, text, user, dry_run=True)
    assert preview.ok, preview.errors
    assert (preview.new_rows, preview.changed_rows, preview.unchanged_rows) == (1, 2, 1)
    assert {(c["field"], c["before"], c["after"]) for c in preview.changes[0]["changes"]} == {
        ("税率", "0", "5"),
        ("来源", "2024年方案", "2025年方案"),
    }
    assert TaxRate.objects.get(hs_code=f.HS_MATERIAL, kind="tariff").rate == D("0")  # preview wrote nothing

    result = _run(tmp_path, text, user)
    assert result.ok, result.errors
    assert result.written == 3
    assert duty.tax_rate_on(f.HS_MATERIAL, "tariff", dt.date(2025, 1, 1)) == D("5")
    assert duty.tax_rate_on("8507600010", "tariff", dt.date(2025, 6, 1)) == D("8")
    assert duty.tax_rate_on("8507600090", "tariff", dt.date(2024, 6, 1)) == D("10")
    updated = AuditEntry.objects.filter(code="ledger.taxrate.updated")
    assert updated.count() == 3  # 1 + the tariff line's 2 rates; none for the unchanged VAT row
    assert AuditEntry.objects.count() == audits + 3 + 2  # and 2 created by the successor line
    entry = updated.get(object_id=str(TaxRate.objects.get(hs_code=f.HS_MATERIAL, kind="tariff").pk))
    assert entry.changes == {"rate": ["0.0000", "5.0000"], "source": ["2024年方案", "2025年方案"]}
    assert TaxRate.objects.count() == 6  # nothing deleted


def test_unchanged_file_writes_nothing(world, tmp_path):
    user = world.users.province
    assert _run(tmp_path, FIRST, user, mode="create").ok
    audits = AuditEntry.objects.count()
    result = _run(tmp_path, FIRST, user)
    assert result.ok and result.written == 0
    assert (result.new_rows, result.changed_rows, result.unchanged_rows) == (0, 0, 3)
    assert AuditEntry.objects.count() == audits


def test_an_update_that_would_overlap_another_period_is_refused(world, tmp_path):
    user = world.users.province
    assert _run(tmp_path, FIRST + "8542319000,关税,7,2025-01-01,,\n", user, mode="create").ok is False
    assert _run(tmp_path, HEAD + "8542319000,关税,0,2024-01-01,2024-12-31,\n", user, mode="create").ok
    assert _run(tmp_path, HEAD + "8542319000,关税,7,2025-01-01,,\n", user, mode="create").ok
    # re-opening the 2024 rate would overlap the 2025 one: refused, row and column named
    result = _run(tmp_path, HEAD + "8542319000,关税,0,2024-01-01,2025-06-30,\n", user)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(2, "生效日期")]
    assert "Overlaps" in result.errors[0].reason
    assert TaxRate.objects.get(hs_code=f.HS_MATERIAL, valid_from=dt.date(2024, 1, 1)).valid_to == dt.date(
        2024, 12, 31
    )
