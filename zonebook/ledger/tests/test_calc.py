"""Hand-computed examples for ledger.calc (no database).  Arithmetic written out in the comments."""

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.ledger import calc, calc_settlement
from zonebook.ledger.services.reference import read_posting_rules


def test_example_a_unit_consumption_and_explosion():
    # Example A: net 0.9, tangible 4 %, intangible 1 %, bonded 80 %.
    # 单耗 = 0.9 / (1 − 5/100) = 0.9 / 0.95 = 0.947368421052… → 9 dp: 0.947368421
    uc = calc.unit_consumption(D("0.9"), D("4"), D("1"))
    assert uc == D("0.947368421")
    # 1,000 units: gross = 947.368421 → 947.36842; bonded = 947.368421 × 0.8 = 757.8947368 → 757.89474
    # scrap = 947.368421 × 4 % = 37.89473684 → 37.89474; intangible = 947.368421 × 1 % = 9.47368421 → 9.47368
    e = calc.explode(1000, uc, 4, 1, 80)
    assert (e.gross, e.consumption, e.tangible, e.intangible) == (
        D("947.36842"),
        D("757.89474"),
        D("37.89474"),
        D("9.47368"),
    )
    # net use = 947.36842 − 37.89474 − 9.47368 = 900.00000
    assert calc.scrap_split(e.gross, 4, 1) == (D("37.89474"), D("9.47368"), D("900.00000"))


def test_unit_consumption_rounding_and_refusals():
    # 1 / (1 − 3/100) = 1/0.97 = 1.030927835051… → 1.030927835 (next digit 0 → down)
    assert calc.unit_consumption(1, 3, 0) == D("1.030927835")
    # 2 / (1 − 0.5/100) = 2/0.995 = 2.010050251256… → 2.010050251
    assert calc.unit_consumption(2, D("0.5"), 0) == D("2.010050251")
    # no loss: 单耗 = 净耗
    assert calc.unit_consumption(D("0.123456789"), 0, 0) == D("0.123456789")
    with pytest.raises(calc.LossRateError):
        calc.unit_consumption(1, 60, 40)  # 60 + 40 = 100 ≥ 100
    with pytest.raises(calc.LossRateError):
        calc.unit_consumption(1, 99, D("1.5"))
    with pytest.raises(calc.LossRateError):
        calc.unit_consumption(1, -1, 0)


def test_example_c_handbook_balance():
    uc = D("0.947368421")  # Example A's 单耗, no bonded split
    # imports 10,000 + 0654 in 2,000 + 0657 in 500 − 0700 out 200 = 12,300
    inflow = D(10000) + D(2000) + D(500) - D(200)
    assert inflow == D(12300)
    # products: 10,000 + 0654 out 1,500 − 4600 in 300 + 4600 out 300 = 11,500
    base = calc.product_consumption_base(
        exported=10000, carry_out=1500, product_returns_in=300, product_returns_out=300
    )
    assert base == D(11500)
    # 耗用 = 11,500 × 0.947368421 = 10,894.7368415 → 10,894.73684; scrap = × 4 % = 435.78947366 → 435.78947
    e = calc.explode(base, uc, 4, 1)
    assert e.consumption == D("10894.73684")
    assert e.tangible == D("435.78947")
    # 应剩余 = 12,300 − 10,894.73684 − 复出 100 − 内销 300 = 1,005.26316
    er = calc.expected_remaining(
        imports=10000,
        carry_in=2000,
        leftover_in=500,
        returns_out=200,
        consumption=e.consumption,
        reexport=100,
        domestic_sale=300,
    )
    assert er == D("1005.26316")
    # stocktake: 820 + 100×uc (94.7368421→94.73684) + 60×uc (56.84210526→56.84211) + 10×uc (9.47368421→9.47368) = 981.05263
    actual = calc_settlement.actual_remaining(820, 0, calc_settlement.stock_to_material([100, 60, 10], uc))
    assert actual == D("981.05263")
    # 差异 = 981.05263 − 1,005.26316 = −24.21053; rate = −24.21053/1,005.26316 = −2.40837…% → −2.4084; × 12.50 = −302.631625 → −302.63
    diff = calc_settlement.difference(actual, er, D("12.50"))
    assert diff == calc_settlement.Difference(D("-24.21053"), D("-2.4084"), D("-302.63"))


def test_example_d_ebook_balance_and_average_price():
    # 应剩余 = 期初 1,000 + 核增 5,000 − 核减 500 − 耗用 4,200 = 1,300
    assert calc.expected_remaining(opening=1000, adjust_plus=5000, adjust_minus=500, consumption=4200) == D(
        1300
    )
    # 平均单价 = (10,000 + 52,000 − 5,100) / (1,000 + 5,000 − 500) = 56,900 / 5,500 = 10.3454545…
    avg = calc_settlement.average_price(1000, 10000, 5000, 52000, 500, 5100)
    assert avg.quantize(D("0.000001")) == D("10.345455")
    # 应剩余价值 = 52,000 − 5,100 + 10,000 − 4,200 × 10.3454545… = 56,900 − 43,450.909… = 13,449.0909 → 13,449.09
    assert calc_settlement.expected_remaining_value(10000, 52000, 5100, 4200, avg) == D("13449.09")


def test_average_price_drops_negative_opening():
    # 期初 −10 (−100 CNY) is dropped: (0 + 1,000 − 0)/(0 + 80 − 0) = 12.5
    assert calc_settlement.average_price(-10, -100, 80, 1000, 0, 0) == D("12.5")
    # nothing left → no price
    assert calc_settlement.average_price(0, 0, 5, 50, 5, 50) is None


def test_scrap_balance_and_rounding_half_up():
    # 有形 37.89474 − 边角料复出 30 − 销毁 7.89474 = 0
    assert calc.scrap_balance(D("37.89474"), D("37.89474")) == 0
    # 5 × 0.000005 = 0.000025 → ROUND_HALF_UP at 5 dp → 0.00003 (banker's rounding would give 0.00002)
    assert calc.explode(5, D("0.000005")).gross == D("0.00003")


def test_sign_lookup_by_date():
    rules = read_posting_rules()
    # 0615 I material → imports, +1 (金二 row from 2018-07-01, H2000 row before)
    assert calc.sign_of(rules, "0615", "I", "material", dt.date(2026, 1, 1)) == 1
    assert calc.find_rule(rules, "0615", "I", "material", dt.date(2010, 1, 1))["valid_to"] == dt.date(
        2018, 6, 30
    )
    # 0664 E material → re-export, −1; 4600 I product → returns, +1 (reversal of consumption)
    assert calc.sign_of(rules, "0664", "E", "material", dt.date(2026, 1, 1)) == -1
    assert calc.sign_of(rules, "4600", "I", "product", dt.date(2026, 1, 1)) == 1
    # zone rows only from 2019-05-01
    assert calc.find_rule(rules, "5015", "I", "material", dt.date(2019, 4, 30)) is None
    assert calc.find_rule(rules, "5100", "E", "product", dt.date(2019, 5, 1))["target"] == "exported"
    # 9700: tax only, no material effect
    assert calc.sign_of(rules, "9700", "I", "material", dt.date(2026, 1, 1)) == 0
    # 0815 低值辅料 only from 2020-01-01
    assert calc.find_rule(rules, "0815", "I", "material", dt.date(2019, 12, 31)) is None
    with pytest.raises(calc.AmbiguousRuleError):
        calc.find_rule(
            rules + [dict(rules[0])],
            rules[0]["supervision_mode"],
            rules[0]["ie_mark"],
            rules[0]["item_kind"],
            rules[0]["valid_from"],
        )


def test_fixture_rules_are_consistent_with_the_equation():
    from zonebook.ledger.choices import COLUMN_SIGN

    for r in read_posting_rules():
        if r["target"]:
            assert COLUMN_SIGN[r["target"]] == r["sign"], r


def test_expected_remaining_refuses_unknown_columns():
    with pytest.raises(TypeError):
        calc.expected_remaining(imported=1)
