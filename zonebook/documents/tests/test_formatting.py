"""Chinese number and date formatting, with hand-computed examples (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.documents import formatting as f


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (Decimal("1234567890"), {}, "12.35亿元"),  # 12.3456789 → 12.35
        (Decimal("1234500000"), {}, "12.35亿元"),  # exactly half: up, not to even (12.34)
        (Decimal("1232500000"), {}, "12.33亿元"),  # 12.325 → 12.33 (banker's rounding would give 12.32)
        (Decimal("-1232500000"), {}, "-12.33亿元"),  # half away from zero
        (Decimal("123456.7"), {"unit": "万元"}, "12.35亿元"),  # 123456.7 万元 = 12.34567 亿
        (Decimal("12.345"), {"unit": "亿元", "decimals": 1}, "12.3亿元"),
        (Decimal("250000000"), {"currency": "美元"}, "2.50亿美元"),
        (0.1 + 0.2, {"unit": "亿元"}, "0.30亿元"),  # floats through their repr, never binary noise
        (None, {}, "—"),
        (Decimal("-400000"), {}, "0.00亿元"),  # -0.004 亿 rounds to zero: no "-0.00"
    ],
)
def test_yi_yuan(value, kwargs, expected):
    assert f.yi_yuan(value, **kwargs) == expected


def test_wan_yuan_and_amount():
    assert f.wan_yuan(Decimal("12043033.78")) == "1204.30万元"
    assert f.wan_yuan(Decimal("5"), unit="万元", currency="美元") == "5.00万美元"
    # amount: 亿 from 1 亿 after rounding on, 万 below
    assert f.amount(Decimal("99999999")) == "1.00亿元"
    assert f.amount(Decimal("99499999")) == "9950.00万元"
    assert f.amount(Decimal("150000000")) == "1.50亿元"
    with pytest.raises(ValueError):
        f.yi_yuan(1, unit="千元")


@pytest.mark.parametrize(
    ("pct", "expected"),
    [
        (Decimal("12.34"), "同比增长12.3%"),
        (Decimal("12.35"), "同比增长12.4%"),  # half up
        (Decimal("-4"), "同比下降4.0%"),
        (Decimal("-0.04"), "与上年持平"),  # rounds to 0.0
        (Decimal("0"), "与上年持平"),
        (None, "—"),
    ],
)
def test_yoy_text(pct, expected):
    assert f.yoy_text(pct) == expected


def test_yoy_pct_and_missing_base():
    assert f.yoy_pct(Decimal("112.3"), Decimal("100")) == Decimal("12.3")
    assert f.yoy_text(f.yoy_pct(80, 100)) == "同比下降20.0%"
    # from a loss of 100 to a loss of 50 is an improvement: growth over |base|
    assert f.yoy_pct(-50, -100) == Decimal("50")
    assert f.yoy_pct(5, 0) is None  # zero base: no rate
    assert f.yoy_text(f.yoy_pct(5, 0)) == "—"
    assert f.yoy_text(f.yoy_pct(5, None)) == "—"
    assert f.yoy_text(Decimal("3.21"), basis="环比", same="与上月持平") == "环比增长3.2%"
    assert f.yoy_text(Decimal("0.01"), basis="环比", same="与上月持平") == "与上月持平"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2026, 12, 5), "二〇二六年十二月五日"),
        (dt.date(2020, 1, 10), "二〇二〇年一月十日"),
        (dt.date(2006, 10, 20), "二〇〇六年十月二十日"),
        (dt.date(2026, 3, 31), "二〇二六年三月三十一日"),
        (dt.date(2026, 11, 30), "二〇二六年十一月三十日"),
        (dt.date(2026, 2, 11), "二〇二六年二月十一日"),
        (dt.date(2026, 7, 29), "二〇二六年七月二十九日"),
    ],
)
def test_chinese_date(date, expected):
    assert f.chinese_date(date) == expected


def test_months_and_periods():
    assert f.chinese_month(dt.date(2026, 11, 3)) == "2026年11月"
    assert f.chinese_month(year=2026, month=1) == "2026年1月"
    assert f.chinese_month_upper(dt.date(2026, 12, 1)) == "二〇二六年十二月"
    assert f.date_text(dt.date(2026, 12, 5)) == "2026年12月5日"
    assert f.cumulative_period(2026, 11) == "1—11月"
    assert f.cumulative_period(2026, 1) == "1月"


def test_numerals_and_section_numbers():
    assert [f.chinese_numeral(n) for n in (1, 10, 11, 19, 20, 21, 99, 100, 105, 115, 120)] == [
        "一", "十", "十一", "十九", "二十", "二十一", "九十九", "一百", "一百零五", "一百一十五", "一百二十",
    ]
    assert f.section_number(0, 3) == "三、"
    assert f.section_number(0, 12) == "十二、"
    assert f.section_number(1, 2) == "（二）"
    assert f.section_number(2, 4) == "4."
    assert f.section_number(3, 1) == "（1）"
    assert f.document_number("川商开发", 2026, 12) == "川商开发〔2026〕12号"


def test_cell_text():
    assert f.cell_text(1234567) == "1,234,567"
    assert f.cell_text(Decimal("1234.5")) == "1,234.5"
    assert f.cell_text(Decimal("1234.505"), 2) == "1,234.51"
    assert f.cell_text(Decimal("-0.001"), 2) == "0.00"
    assert f.cell_text(None) == "—"
    assert f.cell_text(dt.date(2026, 1, 2)) == "2026年1月2日"
    assert f.cell_text("<b>x</b>") == "<b>x</b>"  # text is text; the writers escape it
