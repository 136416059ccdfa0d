"""The one sign table and the one set of settlement formulas (issue 23 §2), hand-computed.

Pure checks of ``calc`` / ``calc_settlement``, then the SQL twin (``sql.writeoff.report_sql``) on a
book whose figures are worked out in the comments: a price averaged over a priced and an unpriced
line, a negative opening dropped from the price, the filed price when nothing came in, 差异率 empty
when 应剩余 = 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from zonebook.ledger import calc, calc_settlement, choices
from zonebook.ledger.models import PostingRule, WriteOffLine
from zonebook.ledger.services import writeoff as svc
from zonebook.ledger.sql import writeoff as sql_writeoff
from zonebook.ledger.tests import factories as f

# ------------------------------------------------------------------ the sign table


def test_equation_and_rule_validation_read_the_same_sign_table(monkeypatch):
    """Change a sign in ``calc.SIGN`` and the equation, the rule check and the write-off SQL all follow."""
    assert calc.expected_remaining(opening=10, imports=5, reexport=2) == D(13)
    rule = PostingRule(
        supervision_mode="0615",
        ie_mark="I",
        item_kind="material",
        valid_from=dt.date(2026, 1, 1),
        target="imports",
        sign=1,
    )
    monkeypatch.setitem(calc.SIGN, "imports", -1)
    # 10 − 5 − 2 = 3 now that imports subtract
    assert calc.expected_remaining(opening=10, imports=5, reexport=2) == D(3)
    assert choices.COLUMN_SIGN["imports"] == -1
    with pytest.raises(ValidationError) as exc:
        rule.clean()  # a +1 imports rule no longer agrees with the table
    assert "sign" in exc.value.message_dict
    sql, _params = sql_writeoff.report_sql(1, ("1 = 1", []))
    assert "b.opening - b.imports + b.carry_in" in " ".join(sql.split())


def test_the_views_of_the_sign_table_agree_with_it():
    for column, sign in calc.EQUATION.items():
        assert sign == calc.SIGN[column]
    for column, sign in choices.COLUMN_SIGN.items():
        assert sign == calc.SIGN[column]
    # every rule column has a sign, and the equation's columns are in the domain doc's order
    assert list(choices.COLUMN_SIGN) == list(choices.RULE_COLUMNS)
    assert list(calc.EQUATION)[:2] == ["opening", "imports"] and list(calc.EQUATION)[-1] == "consumption"
    with pytest.raises(KeyError):
        calc.SignView(["no_such_column"])
    with pytest.raises(KeyError):
        calc.EQUATION["exported"]  # a product column is not a term of 应剩余


def test_product_outflow_and_scrap_balance_from_the_table():
    # 出口总数量 = 10,000 + 1,500 + 300 − 300 = 11,500 (Example C)
    assert calc.product_consumption_base(
        exported=10000, carry_out=1500, product_returns_out=300, product_returns_in=300
    ) == D(11500)
    # scrap: 期初 5 + 有形 37.89474 − 处置 30 = 12.89474
    assert calc.scrap_balance(D("37.89474"), 30, opening=5) == D("12.89474")


# ------------------------------------------------------------------ settlement formulas (pure)


def test_average_price_ebook_and_writeoff_uses():
    # §6.3(b) Example D: (10,000 + 52,000 − 5,100)/(1,000 + 5,000 − 500) = 56,900/5,500 = 10.345454…
    avg = calc_settlement.average_price(1000, 10000, 5000, 52000, 500, 5100)
    assert avg.quantize(D("0.000001")) == D("10.345455")
    # the write-off: opening and inflows only, 4 dp: (2,000 + 4,850)/(200 + 400) = 11.41666… → 11.4167
    assert calc_settlement.writeoff_unit_price(200, 2000, 400, 4850) == D("11.4167")
    # a negative opening is dropped: 1,000/80 = 12.5
    assert calc_settlement.writeoff_unit_price(-10, -100, 80, 1000) == D("12.5000")
    # nothing came in: the filed price (4 dp), else no price
    assert calc_settlement.writeoff_unit_price(0, 0, 0, 0, D("7.12345")) == D("7.1235")
    assert calc_settlement.writeoff_unit_price(0, 0, 0, 0) is None
    # net quantity not positive → no average
    assert calc_settlement.average_price(0, 0, 5, 50, 5, 50) is None
    assert calc_settlement.average_price(0, 0, 5, 50, 8, 80) is None


def test_difference_rate_and_amount():
    # 差异 = 590 − 600 = −10; rate −10/600 × 100 = −1.666… → −1.6667; amount −10 × 11.4167 = −114.167 → −114.17
    d = calc_settlement.difference(590, 600, D("11.4167"))
    assert (d.quantity, d.rate_percent, d.amount) == (D("-10.00000"), D("-1.6667"), D("-114.17"))
    # 应剩余 = 0: no rate, always over the threshold when not zero
    d = calc_settlement.difference(3, 0, D("7.1235"))
    assert (d.quantity, d.rate_percent, d.amount) == (D(3), None, D("21.37"))
    assert calc_settlement.over_threshold(d)
    # no price: no amount (the SQL gives NULL); the proposal is at 0
    d = calc_settlement.difference(D("4.5"), 5)
    assert (d.quantity, d.rate_percent, d.amount) == (D("-0.50000"), D("-10.0000"), None)
    p = calc_settlement.propose(d)
    assert (p.kind, p.qty, p.amount) == ("domestic_sale", D("0.50000"), 0)


def test_actual_remaining_and_expected_value():
    # Example C: 820 + 94.73684 + 56.84211 + 9.47368 = 981.05263
    converted = calc_settlement.stock_to_material([100, 60, 10], D("0.947368421"))
    assert calc_settlement.actual_remaining(820, 0, converted) == D("981.05263")
    # bonded share 80 %: 100 × 0.947368421 × 0.8 = 75.78947368 → 75.78947; + in transit 5
    assert calc_settlement.actual_remaining(
        0, 5, calc_settlement.stock_to_material([100], D("0.947368421"), 80)
    ) == D("80.78947")
    # §6.3(b) Example D: 应剩余价值 = 52,000 − 5,100 + 10,000 − 4,200 × 10.3454… = 13,449.09
    avg = calc_settlement.average_price(1000, 10000, 5000, 52000, 500, 5100)
    assert calc_settlement.expected_remaining_value(10000, 52000, 5100, 4200, avg) == D("13449.09")


# ------------------------------------------------------------------ the SQL twin


@pytest.mark.django_db
def test_writeoff_sql_prices_and_differences_by_hand(world):
    day = dt.date(2026, 3, 1)
    book = f.book(world.enterprises.a1, kind="C")
    f.material(book, 1, opening=200, opening_amount=D("2000.00"))
    f.material(book, 2, opening=-10, opening_amount=D("-100.00"))
    f.material(book, 3, unit_price=D("7.1235"))
    f.product(book, 1)
    # m1: 300 at 12.00 (3,600.00) + 100 unpriced (valued at the filed 12.50: 1,250.00); m2: 80 at 12.50
    f.post(book, "0615", "I", "material", [(1, 300, {"unit_price": "12"}), (1, 100), (2, 80)], date=day)
    wo = svc.create_writeoff(book, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    wo = svc.import_stocktake(
        wo,
        [
            {"kind": "material", "seq_no": "1", "stock": "590"},
            {"kind": "material", "seq_no": "2", "stock": "70.5"},
            {"kind": "material", "seq_no": "3", "stock": "3"},
        ],
    )
    got = {
        ln.seq_no: (
            ln.expected_remaining,
            ln.avg_price,
            ln.difference_qty,
            ln.difference_rate,
            ln.difference_amount,
        )
        for ln in WriteOffLine.objects.filter(writeoff=wo, kind="material")
    }
    # m1: 应剩余 200 + 400 = 600; price (2,000 + 3,600 + 1,250)/600 = 11.41666… → 11.4167;
    #     差异 590 − 600 = −10, −1.6667 %, −114.17
    # m2: 应剩余 −10 + 80 = 70; price 1,000/80 = 12.5 (negative opening dropped);
    #     差异 0.5, 0.5/70 = 0.714285…% → 0.7143, 6.25
    # m3: nothing moved: price = filed 7.1235; 差异 3 − 0 = 3, no rate, 3 × 7.1235 = 21.3705 → 21.37
    assert got == {
        1: (D("600"), D("11.4167"), D("-10"), D("-1.6667"), D("-114.17")),
        2: (D("70"), D("12.5"), D("0.5"), D("0.7143"), D("6.25")),
        3: (D("0"), D("7.1235"), D("3"), None, D("21.37")),
    }
    # the one set of formulas gives the same
    for seq, (opening, opening_amount, in_qty, in_amount, filed, stock) in {
        1: (200, 2000, 400, 4850, D("12.5"), 590),
        2: (-10, -100, 80, 1000, D("12.5"), D("70.5")),
        3: (0, 0, 0, 0, D("7.1235"), 3),
    }.items():
        price = calc_settlement.writeoff_unit_price(opening, opening_amount, in_qty, in_amount, filed)
        r = calc_settlement.material_line(
            {"opening": opening, "imports": in_qty}, stock=stock, avg_price=price
        )
        assert (
            r.expected_remaining,
            price,
            r.difference.quantity,
            r.difference.rate_percent,
            r.difference.amount,
        ) == got[seq]
    # the shortage and the surplus totals of the header: −114.17; 6.25 + 21.37 = 27.62
    assert (wo.shortage_amount, wo.surplus_amount) == (D("-114.17"), D("27.62"))
