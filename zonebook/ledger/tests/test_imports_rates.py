"""Import kind ``tax_rates``: the dated tariff / VAT / consumption tax table of the domestic-sale
calculator, loaded from the official tables instead of the admin."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.ledger.models import TaxRate
from zonebook.ledger.services import duty
from zonebook.ledger.tests import factories as f

pytestmark = pytest.mark.django_db
HEAD = "商品编码,税种,税率,生效日期,失效日期,来源\n"


@pytest.fixture(autouse=True)
def hs_table():
    f.reference()  # the HS table (商品编码) the rates refer to


def _run(tmp_path, text, user, name="rates.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return pipeline.run(get_kind("tax_rates"), p, p.name, user)


def test_template_has_chinese_headers(world, client):
    client.force_login(world.users.admin)
    r = client.get("/imports/tax_rates/template.xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[1]] == ["商品编码", "税种", "税率", "生效日期", "失效日期", "来源"]


def test_good_file_feeds_the_calculator(world, tmp_path):
    result = _run(
        tmp_path,
        HEAD
        + "8542319000,关税,0,2024-01-01,,2024年关税调整方案\n"
        + "8542319000,增值税,13%,45383,,\n"  # Excel serial 45383 = 2024-04-01; "13%" is 13
        + "8542319000,增值税,16,2018-05-01,2019-03-31,\n"
        + "85076000,关税,10,2024-01-01,,\n"  # tariff line: both 8507600010 and 8507600090
        + "８４７１３０００００,进口环节消费税,５,2024-01-01,,\n",  # full-width digits
        world.users.province,
    )
    assert result.ok and result.written == 5, [str(e) for e in result.errors]
    assert duty.tax_rate_on(f.HS_MATERIAL, "vat", dt.date(2024, 4, 1)) == D("13")
    assert duty.tax_rate_on(f.HS_MATERIAL, "vat", dt.date(2018, 6, 1)) == D("16")
    assert duty.tax_rate_on(f.HS_MATERIAL, "tariff", dt.date(2025, 1, 1)) == D("0")
    assert duty.tax_rate_on("8507600090", "tariff", dt.date(2025, 1, 1)) == D("10")
    assert duty.tax_rate_on("8507600010", "tariff", dt.date(2025, 1, 1)) == D("10")
    assert TaxRate.objects.get(hs_code="8471300000").kind == "consumption"
    assert TaxRate.objects.get(hs_code=f.HS_MATERIAL, kind="tariff").source == "2024年关税调整方案"
    assert AuditEntry.objects.filter(code="ledger.taxrate.imported").count() == 6


@pytest.mark.parametrize(
    "line, column, reason",
    [
        ("1234567890,关税,5,2024-01-01", "商品编码", "HS code 1234567890 is not in the HS code table"),
        ("12345678,关税,5,2024-01-01", "商品编码", "begins with the tariff line 12345678"),
        ("854231900,关税,5,2024-01-01", "商品编码", "8 digits (tariff line) or 10 digits, got 9"),
        ("8542319000,印花税,5,2024-01-01", "税种", "Unknown value"),
        ("8542319000,关税,100,2024-01-01", "税率", "from 0 to below 100"),
        ("8542319000,关税,-1,2024-01-01", "税率", "Must not be less than 0"),
        ("8542319000,关税,五,2024-01-01", "税率", "Not a number"),
        ("8542319000,关税,5,2024-13-01", "生效日期", "No such date"),
        ("8542319000,关税,5,", "生效日期", "A value is required"),
        ("8542319000,关税,5,2024-06-01,2024-01-01", "失效日期", "The rate ends before it starts"),
        ("8542319000,消费税,5,2024-01-01", "生效日期", "Duplicate: row 2 of this file"),
        ("8542319000,消费税,5,2023-01-01,2024-03-31", "生效日期", "Overlaps the Consumption tax"),
        ("8542319000,增值税,13,2020-01-01", "生效日期", "already in the rate table"),
        (
            "8542319000,增值税,13,2021-01-01",
            "生效日期",
            "Overlaps the Import VAT (增值税) rate of HS 8542319000 in the rate table",
        ),
    ],
)
def test_bad_rows_name_row_column_and_reason(world, tmp_path, line, column, reason):
    duty.save_tax_rate(
        None, {"hs_code": f.HS_MATERIAL, "kind": "vat", "rate": D(13), "valid_from": dt.date(2020, 1, 1)}
    )
    result = _run(tmp_path, HEAD + "8542319000,消费税,5,2024-01-01\n" + line + "\n", world.users.admin)
    msgs = [str(e) for e in result.errors]
    assert len(msgs) == 1 and msgs[0].startswith(f"row 3, column {column}: ") and reason in msgs[0], msgs
    assert TaxRate.objects.count() == 1  # all or nothing


def test_who_may_import(world, client):
    """Tax rates are installation-wide reference data: system administrators and the provincial
    department import them; zone and enterprise users may not."""
    for user, status in (
        (world.users.admin, 200),
        (world.users.province, 200),
        (world.users.zone, 403),
        (world.users.enterprise, 403),
    ):
        client.force_login(user)
        assert client.get("/imports/tax_rates/").status_code == status


def test_upload_preview_shows_row_errors_then_imports(world, client, tmp_path):
    client.force_login(world.users.province)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEAD + "8542319000,关税,0,2024-01-01,,\n9999999999,关税,5,2024-01-01,,\n", encoding="utf-8"
    )
    with open(bad, "rb") as fh:
        r = client.post("/imports/tax_rates/", {"file": fh})
    assert r.status_code == 302
    text = client.get(r.url).content.decode()
    assert "HS code 9999999999 is not in the HS code table." in text and "Import 2 rows" not in text
    assert not TaxRate.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text(
        HEAD + "8542319000,关税,0,2024-01-01,,\n8542319000,增值税,13,2024-01-01,,\n", encoding="utf-8"
    )
    with open(good, "rb") as fh:
        r = client.post("/imports/tax_rates/", {"file": fh})
    assert "Import 2 rows" in client.get(r.url).content.decode()
    client.post(r.url)
    assert TaxRate.objects.count() == 2
