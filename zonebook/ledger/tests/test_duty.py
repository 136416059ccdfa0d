"""Domestic sale (内销): taxes per line, deferred-tax interest with dated rates, scrap, zone selective levy.

Arithmetic in the comments; money 0.01 half up per tax line (domain doc §8)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger import calc_settlement as cs
from zonebook.ledger.models import TaxRate
from zonebook.ledger.services import duty
from zonebook.ledger.tests import factories as f

MAT_HS, PROD_HS = f.HS_MATERIAL, f.HS_PRODUCT


def rate(hs, kind, pct, start="2000-01-01", end=None):
    return duty.save_tax_rate(
        None,
        {
            "hs_code": hs,
            "kind": kind,
            "rate": D(pct),
            "valid_from": dt.date.fromisoformat(start),
            "valid_to": dt.date.fromisoformat(end) if end else None,
        },
    )


def test_examples_e_f_g():
    # E: 100,000 × 8 % = 8,000.00; VAT (108,000) × 13 % = 14,040.00 → 22,040.00
    e = cs.taxes(100000, 8, 0, 13)
    assert (e.tariff, e.consumption_tax, e.vat, e.total) == (
        D("8000.00"),
        D("0.00"),
        D("14040.00"),
        D("22040.00"),
    )
    # F: tariff 10,000.00; consumption (110,000)/(0.9) × 0.1 = 12,222.22; VAT (122,222.22) × 13 % = 15,888.89
    f_ = cs.taxes(100000, 10, 10, 13)
    assert (f_.tariff, f_.consumption_tax, f_.vat, f_.total) == (
        D("10000.00"),
        D("12222.22"),
        D("15888.89"),
        D("38111.11"),
    )
    # G: 22,040.00 × 180 × 0.35 % / 360 = 38.57
    assert cs.deferred_interest(D("22040.00"), 180, D("0.35")) == D("38.57")
    assert cs.interest_days(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == 30
    assert cs.interest_days(dt.date(2026, 1, 1), dt.date(2026, 1, 31), inclusive=True) == 31
    # leftover rule: 3 % of 500,000 = 15,000 but capped at 10,000 (limits inclusive)
    assert cs.leftover_licence_exempt(9000, 500000) and cs.leftover_licence_exempt(10000, 500000)
    assert not cs.leftover_licence_exempt(12000, 500000)


def handbook(world, first_import):
    book = f.book(world.enterprises.a1, kind="C")
    f.material(book, 1)  # filed price 12.50
    f.post(
        book, "0615", "I", "material", [(1, 10000)], date=first_import
    )  # imported 10,000 × 12.50 = 125,000
    return book


def test_interest_spanning_a_rate_change_uses_the_rate_on_the_notice_date(world):
    """Handbook: interest from the first import (2011-01-10) to the notice (2011-05-01) = 111 days;
    the demand-deposit rate changed on 2011-02-09 (0.40) and 2011-04-06 (0.50): the rate in force on the
    notice date applies to the whole period."""
    rate(MAT_HS, "tariff", 8)
    rate(MAT_HS, "vat", 17, end="2018-04-30")
    rate(MAT_HS, "vat", 16, start="2018-05-01")
    book = handbook(world, dt.date(2011, 1, 10))
    r = duty.simulate_domestic_sale(book, item_kind="material", seq_no=1, qty=1000, on=dt.date(2011, 5, 1))
    v = r["variants"][0]
    ln = v["lines"][0]
    # value 1,000 × 12.50 = 12,500.00; tariff 8 % = 1,000.00; VAT (13,500) × 17 % = 2,295.00 → 3,295.00
    assert (ln["value"], ln["tariff"], ln["vat"], v["total_tax"]) == (
        D("12500.00"),
        D("1000.00"),
        D("2295.00"),
        D("3295.00"),
    )
    i = v["interest"]
    # 3,295.00 × 111 × 0.50 % / 360 = 5.0798 → 5.08
    assert (i["start"], i["days"], i["rate"], i["amount"]) == (
        dt.date(2011, 1, 10),
        111,
        D("0.50"),
        D("5.08"),
    )
    assert v["grand_total"] == D("3300.08")
    # leftover rule shown for materials: 12,500 > 3 % × 125,000 = 3,750 → a licence would be needed
    assert r["leftover"]["materials"][0]["licence_exempt"] is False
    assert r["balance_effect"][0]["delta"] == D(-1000)


def test_interest_waived_in_2020(world):
    """Notice 2020-06-01 lies in the 2020-04-15 → 2020-12-31 waiver: interest 0 whatever the days."""
    rate(MAT_HS, "tariff", 0)
    rate(MAT_HS, "vat", 13, start="2019-04-01")
    book = handbook(world, dt.date(2020, 1, 10))
    r = duty.simulate_domestic_sale(
        book, item_kind="material", seq_no=1, qty=200, on=dt.date(2020, 6, 1), category="leftover"
    )
    v = r["variants"][0]
    # value 2,500.00; tariff 0; VAT 325.00
    assert v["total_tax"] == D("325.00")
    assert (
        v["interest"]["days"],
        v["interest"]["rate"],
        v["interest"]["basis"],
        v["interest"]["amount"],
    ) == (143, D("0"), "waiver", D("0.00"))
    # leftover 2,500 ≤ 3 % × 125,000 = 3,750 and ≤ 10,000 → no licence
    assert r["leftover"]["applies"] and r["leftover"]["licence_exempt"]


SCRAP_HS = "3915909000"  # 其他塑料的废碎料及下脚料: the scrap's own HS code, not the material's


def scrap_book(world, kind="C"):
    """Material 1 (12.50) imported 10,000 on 2026-01-05; product 1 uses it at net 0.95 with 4 % tangible
    and 1 % intangible loss → 单耗 0.95 / 0.95 = 1; 1,000 products exported on 2026-02-10 consume 1,000
    and leave 1,000 × 1 × 4 % = 40 of scrap (边角料余额 40) and 9,000 expected remaining."""
    mode = {"C": "0615", "B": "0214"}[kind]
    book = f.book(world.enterprises.a1, kind=kind)
    m = f.material(book, 1)
    p = f.product(book, 1)
    f.bom(p, m, "0.95", 4, 1)
    f.post(book, mode, "I", "material", [(1, 10000)], date=dt.date(2026, 1, 5))
    f.post(book, mode, "E", "product", [(1, 1000)], date=dt.date(2026, 2, 10))
    bal = m.balance
    bal.refresh_from_db()
    assert (bal.scrap_balance, bal.expected_remaining) == (D(40), D(9000))
    return book


def test_scrap_sale_uses_its_own_hs_and_assessed_price_and_the_scrap_balance(world):
    """Worked example (spec §8.1): 25 of material 1's scrap sold at an assessed price of 600.00 under the
    scrap's HS 3915909000 (tariff 6.5 %, VAT 13 %), not the material's 8542319000 (tariff 8 %):
    tariff 600.00 × 6.5 % = 39.00; VAT (600.00 + 39.00) × 13 % = 83.07; total 122.07; interest exempt.
    (With the material's HS and filed price it would have been 25 × 12.50 = 312.50 → 25.00 + 43.88.)
    The sale posts as 0844 (进料 book): scrap balance 40 − 25 = 15; the remaining 9,000 is untouched."""
    rate(MAT_HS, "tariff", 8)
    rate(MAT_HS, "vat", 13)
    rate(SCRAP_HS, "tariff", "6.5")
    rate(SCRAP_HS, "vat", 13)
    book = scrap_book(world)
    r = duty.simulate_domestic_sale(
        book,
        item_kind="material",
        seq_no=1,
        qty=25,
        on=dt.date(2026, 3, 1),
        category="scrap",
        value="600",
        scrap_hs=SCRAP_HS,
    )
    v = r["variants"][0]
    ln = v["lines"][0]
    assert (ln["hs_code"], ln["value"], ln["tariff_rate"], ln["tariff"], ln["vat"], ln["total"]) == (
        SCRAP_HS,
        D("600.00"),
        D("6.5"),
        D("39.00"),
        D("83.07"),
        D("122.07"),
    )
    assert ln["name"] == "其他塑料的废碎料及下脚料"
    assert (v["total_tax"], v["interest"]["amount"], v["interest"]["days"], v["grand_total"]) == (
        D("122.07"),
        D("0.00"),
        0,
        D("122.07"),
    )
    assert r["scrap"] == {
        "hs_code": SCRAP_HS,
        "supervision_mode": "0844",
        "ie_mark": "I",
        "column": "scrap_out",
    }
    assert r["balance_effect"] == [
        {
            "seq_no": 1,
            "part_no": "M0001",
            "column": "scrap_balance",
            "before": D(40),
            "delta": D(-25),
            "after": D(15),
            "negative": False,
        }
    ]
    assert any("exempt" in rule for rule in r["rules"]) and any("0844" in rule for rule in r["rules"])
    # more than the scrap balance: flagged (R9), the material's remaining quantity is not the limit
    over = duty.simulate_domestic_sale(
        book,
        item_kind="material",
        seq_no=1,
        qty=50,
        on=dt.date(2026, 3, 1),
        category="scrap",
        value="1200",
        scrap_hs=SCRAP_HS,
    )
    assert (over["balance_effect"][0]["after"], over["balance_effect"][0]["negative"]) == (D(-10), True)


def test_scrap_sale_on_a_processing_handbook_posts_as_0845(world):
    rate(SCRAP_HS, "tariff", "6.5")
    rate(SCRAP_HS, "vat", 13)
    book = scrap_book(world, kind="B")
    r = duty.simulate_domestic_sale(
        book,
        item_kind="material",
        seq_no=1,
        qty=10,
        on=dt.date(2026, 3, 1),
        category="scrap",
        value="240",
        scrap_hs=SCRAP_HS,
    )
    # 240.00 × 6.5 % = 15.60; (255.60) × 13 % = 33.228 → 33.23; total 48.83
    assert r["variants"][0]["total_tax"] == D("48.83")
    assert r["scrap"]["supervision_mode"] == "0845" and r["balance_effect"][0]["after"] == D(30)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"value": None}, "value"),  # the assessed price is required
        ({"scrap_hs": ""}, "scrap_hs"),  # the scrap's HS code is required
        ({"scrap_hs": "1234567890"}, "scrap_hs"),  # … and must be in the HS table
        ({"item_kind": "product"}, "item_kind"),  # scrap belongs to a material
    ],
)
def test_scrap_sale_needs_material_hs_and_assessed_price(world, kwargs, field):
    rate(SCRAP_HS, "tariff", "6.5")
    rate(SCRAP_HS, "vat", 13)
    book = scrap_book(world)
    args = {
        "item_kind": "material",
        "seq_no": 1,
        "qty": 5,
        "on": dt.date(2026, 3, 1),
        "category": "scrap",
        "value": "100",
        "scrap_hs": SCRAP_HS,
        **kwargs,
    }
    with pytest.raises(DomainError) as exc:
        duty.simulate_domestic_sale(book, **args)
    assert exc.value.field == field


def test_scrap_sale_on_the_calculator_page_api_and_command(world, client_for):
    from rest_framework.test import APIClient

    rate(SCRAP_HS, "tariff", "6.5")
    rate(SCRAP_HS, "vat", 13)
    book = scrap_book(world)
    params = {
        "book": book.pk,
        "item_kind": "material",
        "seq_no": 1,
        "qty": "25",
        "date": "2026-03-01",
        "category": "scrap",
        "value": "600",
        "scrap_hs": SCRAP_HS,
        "exchange_rate": "1",
    }
    page = client_for(world.users.zone).get("/ledger/duty-calculator/", params)
    html = page.content.decode()
    assert page.status_code == 200 and "122.07" in html and 'id="duty-scrap"' in html and "0844" in html
    missing = client_for(world.users.zone).get("/ledger/duty-calculator/", {**params, "scrap_hs": ""})
    assert missing.status_code == 400
    api = APIClient()
    api.force_authenticate(world.users.zone)
    r = api.post(
        "/api/ledger/duty-calc/",
        {
            "book": book.number,
            "seq_no": 1,
            "qty": "25",
            "date": "2026-03-01",
            "category": "scrap",
            "value": "600",
            "scrap_hs": SCRAP_HS,
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["variants"][0]["grand_total"] == "122.07"
    assert (
        body["balance_effect"][0]["column"] == "scrap_balance"
        and body["balance_effect"][0]["after"] == "15.00000"
    )
    out = io.StringIO()
    call_command(
        "duty_calc",
        "--book",
        book.number,
        "--item",
        "1",
        "--qty",
        "25",
        "--date",
        "2026-03-01",
        "--category",
        "scrap",
        "--value",
        "600",
        "--scrap-hs",
        SCRAP_HS,
        stdout=out,
    )
    assert "grand_total 122.07" in out.getvalue() and "1,M0001,scrap_balance,40" in out.getvalue()


def test_zone_selective_levy_comparison(world):
    """Zone book: 100 products (单耗 2 of material 1 at 12.50), sold at 50,000.00 CNY.
    As presented: tariff 5 % = 2,500.00; VAT (52,500) × 13 % = 6,825.00 → 9,325.00, no interest.
    Selective levy: materials 200 × 12.50 = 2,500.00 × tariff 8 % = 200.00; VAT on the goods 50,000 ×
    13 % = 6,500.00 → 6,700.00; interest on the tariff 200.00 from the first import 2026-01-05 to
    2026-03-01 = 55 days × 0.35 % / 360 = 0.1069 → 0.11; grand total 6,700.11."""
    rate(MAT_HS, "tariff", 8)
    rate(MAT_HS, "vat", 13)
    rate(PROD_HS, "tariff", 5)
    rate(PROD_HS, "vat", 13)
    book = f.book(world.enterprises.a1, kind="H")
    f.material(book, 1)
    p = f.product(book, 1)
    f.bom(p, book.items.get(kind="material", seq_no=1), "2")
    f.post(book, "5000", "I", "material", [(1, 1000)], date=dt.date(2026, 1, 5))
    r = duty.simulate_domestic_sale(
        book, item_kind="product", seq_no=1, qty=100, on=dt.date(2026, 3, 1), value="50000"
    )
    prod, mats = r["variants"]
    assert (prod["key"], prod["total_tax"], prod["interest"]["amount"], prod["grand_total"]) == (
        "product",
        D("9325.00"),
        D("0.00"),
        D("9325.00"),
    )
    assert mats["key"] == "materials"
    assert [ln["total"] for ln in mats["lines"]] == [D("200.00"), D("6500.00")]
    assert (mats["interest"]["base"], mats["interest"]["days"], mats["interest"]["amount"]) == (
        D("200.00"),
        55,
        D("0.11"),
    )
    assert mats["grand_total"] == D("6700.11")
    assert r["balance_effect"] == [
        {
            "seq_no": 1,
            "part_no": "M0001",
            "column": "expected_remaining",
            "before": D(1000),
            "delta": D(-200),
            "after": D(800),
            "negative": False,
        }
    ]


def test_rate_gap_is_an_error_naming_hs_and_date(world):
    rate(MAT_HS, "tariff", 8)
    rate(MAT_HS, "vat", 13, end="2025-12-31")
    book = handbook(world, dt.date(2026, 1, 5))
    with pytest.raises(DomainError) as exc:
        duty.simulate_domestic_sale(book, item_kind="material", seq_no=1, qty=10, on=dt.date(2026, 3, 1))
    assert exc.value.code == "rate_missing"
    assert MAT_HS in exc.value.message and "2026-03-01" in exc.value.message
    with pytest.raises(DomainError) as exc:
        duty.interest_rate_on(dt.date(2005, 1, 1))
    assert exc.value.code == "interest_rate_missing" and "2005-01-01" in exc.value.message


def test_rate_tables_validate_and_audit(world):
    r = rate(MAT_HS, "tariff", 8, start="2026-01-01")
    assert AuditEntry.objects.filter(code="ledger.taxrate.created", object_id=str(r.pk)).exists()
    with pytest.raises(DomainError) as exc:
        rate(MAT_HS, "tariff", 6, start="2026-06-01")  # overlaps the open-ended row
    assert exc.value.field == "valid_from"
    duty.save_tax_rate(r, {"valid_to": dt.date(2026, 5, 31)})
    rate(MAT_HS, "tariff", 6, start="2026-06-01")
    assert duty.tax_rate_on(MAT_HS, "tariff", dt.date(2026, 7, 1)) == D("6")
    assert TaxRate.objects.filter(hs_code=MAT_HS).count() == 2
    assert AuditEntry.objects.filter(code="ledger.taxrate.updated", object_id=str(r.pk)).exists()


def test_duty_calc_command(world):
    rate(MAT_HS, "tariff", 8)
    rate(MAT_HS, "vat", 17)
    book = handbook(world, dt.date(2011, 1, 10))
    out = io.StringIO()
    call_command(
        "duty_calc", "--book", book.number, "--item", "1", "--qty", "1000", "--date", "2011-05-01", stdout=out
    )
    text = out.getvalue()
    assert (
        "total_tax 3295.00" in text
        and "days 111" in text
        and "amount 5.08" in text
        and "grand_total 3300.08" in text
    )
    with pytest.raises(CommandError):
        call_command("duty_calc", "--book", book.number, "--item", "9", "--qty", "1", "--date", "2011-05-01")


def test_calculator_page_and_api(world, client_for):
    from rest_framework.test import APIClient

    rate(MAT_HS, "tariff", 8)
    rate(MAT_HS, "vat", 17)
    book = handbook(world, dt.date(2011, 1, 10))
    c = client_for(world.users.zone)  # read-only role: the simulation writes nothing
    params = {
        "book": book.pk,
        "item_kind": "material",
        "seq_no": 1,
        "qty": "1000",
        "date": "2011-05-01",
        "exchange_rate": "1",
    }
    r = c.get("/ledger/duty-calculator/", params)
    assert r.status_code == 200 and "3,300.08" in r.content.decode()  # amounts read with separators
    r = c.get("/ledger/duty-calculator/", {**params, "date": "1999-01-01"})
    assert r.status_code == 400  # no rate on that date: the form names HS and date
    o = client_for(world.users.other_enterprise)
    assert o.get("/ledger/duty-calculator/", params).status_code == 400  # book not a choice out of scope
    api = APIClient()
    api.force_authenticate(world.users.zone)
    r = api.post(
        "/api/ledger/duty-calc/",
        {"book": book.number, "seq_no": 1, "qty": "1000", "date": "2011-05-01"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["variants"][0]["grand_total"] == "3300.08"
    r = api.post(
        "/api/ledger/duty-calc/",
        {"book": book.number, "seq_no": 1, "qty": "1000", "date": "1999-01-01"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "rate_missing"
    api.force_authenticate(world.users.other_enterprise)
    r = api.post(
        "/api/ledger/duty-calc/",
        {"book": book.number, "seq_no": 1, "qty": "1", "date": "2011-05-01"},
        format="json",
    )
    assert r.status_code == 404
    assert not AuditEntry.objects.filter(code__startswith="ledger.writeoff").exists()
