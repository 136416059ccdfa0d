"""Chinese number and date formatting for official documents (简报, 通报, 公报 …).

Decimal-exact, rounding half up (四舍五入), independent of the process locale.  Pages use
``zonebook.core.formatting`` (grouped numbers, 万元/亿元 with a space); documents use these, which
follow the written style of government documents:

* ``yi_yuan(Decimal("1234567890"))`` → ``"12.35亿元"``; ``yi_yuan(x, currency="美元")`` → ``"12.35亿美元"``;
  ``yi_yuan(Decimal("123456.7"), unit="万元")`` → ``"12.35亿元"`` (the value is given in 万元).
* ``wan_yuan(Decimal("12043033.78"))`` → ``"1204.30万元"``; ``amount(x)`` picks 亿元 from 1 亿 on.
* ``yoy_pct(current, previous)`` → the growth in percent (``None`` when the base is missing or 0);
  ``yoy_text(Decimal("12.34"))`` → ``"同比增长12.3%"``, ``"同比下降4.0%"``, ``"与上年持平"``, ``"—"``.
* ``chinese_date(date(2026, 12, 5))`` → ``"二〇二六年十二月五日"``; ``chinese_month(date)`` →
  ``"2026年11月"``; ``chinese_month_upper(date)`` → ``"二〇二六年十二月"``; ``date_text(date)`` →
  ``"2026年12月5日"``.
* ``section_number(depth, n)`` → ``"一、"`` / ``"（一）"`` / ``"1."`` / ``"（1）"`` by depth (0-based).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EMPTY = "—"
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
_UNIT_FACTORS = {"元": Decimal(1), "万元": WAN, "亿元": YI}

DIGITS = "〇一二三四五六七八九"


def to_decimal(value) -> Decimal | None:
    """``value`` as a Decimal (floats through their repr, strings without grouping); ``None`` if not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        d = Decimal(repr(value))
        return d if d.is_finite() else None
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fixed(value, decimals: int = 2, *, grouping: bool = False) -> str:
    """``value`` with exactly ``decimals`` decimals (half up), optionally with thousands separators;
    ``"—"`` for a missing value.  ``-0.00`` is written ``0.00``."""
    d = to_decimal(value)
    if d is None:
        return EMPTY if value is None or value == "" else str(value)
    q = round_half_up(d, decimals)
    if q == 0:
        q = abs(q)
    text = f"{q:,.{decimals}f}" if grouping else f"{q:.{decimals}f}"
    return text


def _in_yuan(value, unit: str) -> Decimal | None:
    d = to_decimal(value)
    if d is None:
        return None
    try:
        return d * _UNIT_FACTORS[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}: use 元, 万元 or 亿元") from None


def yi_yuan(value, decimals: int = 2, *, unit: str = "元", currency: str = "元") -> str:
    """An amount in 亿元 (or 亿美元 with ``currency="美元"``): ``"12.35亿元"``.

    ``unit`` says what ``value`` is expressed in (元, 万元 or 亿元)."""
    y = _in_yuan(value, unit)
    if y is None:
        return EMPTY
    return f"{fixed(y / YI, decimals)}亿{currency}"


def wan_yuan(value, decimals: int = 2, *, unit: str = "元", currency: str = "元") -> str:
    """An amount in 万元 (or 万美元): ``"1204.30万元"``."""
    y = _in_yuan(value, unit)
    if y is None:
        return EMPTY
    return f"{fixed(y / WAN, decimals)}万{currency}"


def amount(value, decimals: int = 2, *, unit: str = "元", currency: str = "元") -> str:
    """亿元 from 1 亿 on (after rounding), 万元 below: the way a 简报 writes an amount in a sentence."""
    y = _in_yuan(value, unit)
    if y is None:
        return EMPTY
    if abs(round_half_up(y / YI, decimals)) >= 1:
        return yi_yuan(y, decimals, currency=currency)
    return wan_yuan(y, decimals, currency=currency)


def yoy_pct(current, previous) -> Decimal | None:
    """Growth of ``current`` over ``previous`` in percent (unrounded); ``None`` when either is missing or
    the base is zero (a growth rate from nothing has no meaning: write "—")."""
    c, p = to_decimal(current), to_decimal(previous)
    if c is None or p is None or p == 0:
        return None
    return (c - p) / abs(p) * 100


def yoy_text(pct, decimals: int = 1, *, basis: str = "同比", same: str = "与上年持平") -> str:
    """``"同比增长12.3%"`` / ``"同比下降4.0%"`` / ``"与上年持平"`` (zero after rounding) / ``"—"`` (no base).

    ``basis="环比"`` with ``same="与上月持平"`` for month-on-month figures."""
    d = to_decimal(pct)
    if d is None:
        return EMPTY
    q = round_half_up(d, decimals)
    if q == 0:
        return same
    word = "增长" if q > 0 else "下降"
    return f"{basis}{word}{abs(q):.{decimals}f}%"


def pct_text(value, decimals: int = 1) -> str:
    """A share or rate: ``"12.3%"``; ``"—"`` when missing."""
    d = to_decimal(value)
    if d is None:
        return EMPTY
    return f"{fixed(d, decimals)}%"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 31 → 三十一, 105 → 一百零五 (0 → 〇)."""
    if n < 0:
        return "负" + chinese_numeral(-n)
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + DIGITS[rest] if rest < 10 else _tens_in_hundreds(rest))
        return DIGITS[n // 100] + "百" + tail
    return "".join(DIGITS[int(c)] for c in str(n))


def _tens_in_hundreds(n: int) -> str:
    # inside a larger number 10..19 reads 一十… (一百一十五)
    return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")


def chinese_year(year: int) -> str:
    """2026 → 二〇二六 (digit by digit, zero written 〇)."""
    return "".join(DIGITS[int(c)] for c in str(year))


def chinese_date(value: dt.date | None) -> str:
    """The date of an official document (成文日期): ``"二〇二六年十二月五日"``."""
    if value is None:
        return ""
    return f"{chinese_year(value.year)}年{chinese_numeral(value.month)}月{chinese_numeral(value.day)}日"


def chinese_month_upper(value: dt.date) -> str:
    """``"二〇二六年十二月"``."""
    return f"{chinese_year(value.year)}年{chinese_numeral(value.month)}月"


def chinese_month(value: dt.date | None = None, *, year: int | None = None, month: int | None = None) -> str:
    """A reporting period: ``"2026年11月"`` (from a date, or ``year=``/``month=``)."""
    if value is not None:
        year, month = value.year, value.month
    if year is None or month is None:
        return ""
    return f"{year}年{month}月"


def date_text(value: dt.date | None) -> str:
    """``"2026年12月5日"`` (Arabic digits, as in body text and tables)."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def cumulative_period(year: int, month: int) -> str:
    """The cumulative period of a monthly report: ``"1—11月"`` (``"1月"`` in January)."""
    return f"1—{month}月" if month > 1 else "1月"


def section_number(depth: int, n: int) -> str:
    """The official heading numbers by depth (0-based): 一、 / （一） / 1. / （1）; deeper levels repeat （1）."""
    if depth <= 0:
        return f"{chinese_numeral(n)}、"
    if depth == 1:
        return f"（{chinese_numeral(n)}）"
    if depth == 2:
        return f"{n}."
    return f"（{n}）"


def document_number(series: str, year: int, seq: int) -> str:
    """文号: ``"川商开发〔2026〕12号"`` (六角括号 around the year, no leading zeros)."""
    return f"{series}〔{year}〕{seq}号"


def cell_text(value, decimals: int | None = None) -> str:
    """A table cell: numbers with thousands separators (``decimals`` fixed, or as given), dates as
    ``2026年12月5日``, ``None`` as ``"—"``, anything else as its text."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, int | float | Decimal):
        d = to_decimal(value)
        if d is None:
            return EMPTY
        if decimals is not None:
            return fixed(d, decimals, grouping=True)
        if isinstance(value, int) or d == d.to_integral_value() and isinstance(value, float):
            return f"{int(d):,}"
        exp = -d.as_tuple().exponent if d.as_tuple().exponent < 0 else 0  # type: ignore[operator]
        return fixed(d, exp, grouping=True)
    return str(value)


def is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
