"""How numbers read on a page: the one place for quantities, money, 万元/亿元 and digit grouping.

Decimal-exact (never through float) and independent of the process locale: both interface
languages (Simplified Chinese, English) group thousands with "," and use "." as decimal point.

* ``quantity(Decimal("252.00000"))`` → ``"252"``; ``quantity(Decimal("1234.50000"))`` →
  ``"1,234.5"`` — the decimals the value needs (trailing zeros dropped), never rounded.
* ``money(Decimal("3150"), "USD")`` → ``"3,150.00 USD"`` — two decimals and the currency.
* ``wan_yuan(Decimal("12043033.78"))`` → ``"1,204.30 万元"``; from 1 亿 on ``"x.xx 亿元"``;
  ``wan_yuan(x, "USD", "美元")`` → ``"1,204.30 万美元"``.
* ``money_by_currency([("USD", 10), ("CNY", 5), ("USD", 1)])`` → ``[("CNY", 5), ("USD", 11)]``:
  a total over several currencies is shown split by currency, never added up.

Exports keep the raw values (django-tables2 ``value_*``); only pages use these.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import get_language

EMPTY = "—"
WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


def group(digits: str) -> str:
    """``"1234567"`` → ``"1,234,567"`` (the integer part only)."""
    head = len(digits) % 3
    parts = [digits[:head]] if head else []
    parts += [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ",".join(parts)


def number(value, places: int | None = None, *, min_places: int = 0) -> str:
    """A number with thousands separators.  ``places`` fixes the decimals (rounded half up);
    ``None`` shows the decimals the value needs (at least ``min_places``).  Non-numbers are
    returned as given; ``None`` is ``"—"``."""
    d = _decimal(value)
    if d is None:
        return EMPTY if value is None or value == "" else str(value)
    if not d.is_finite():
        return str(d)
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{d:f}"
    else:
        text = f"{d:f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if min_places:
            whole, _dot, frac = text.partition(".")
            text = f"{whole}.{frac.ljust(min_places, '0')}"
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    whole, dot, frac = text.partition(".")
    if sign and not whole.strip("0") and not frac.strip("0"):
        sign = ""  # no "-0"
    return f"{sign}{group(whole)}{dot}{frac}"


def quantity(value) -> str:
    """A quantity with the decimals it needs: 252.00000 → 252, 0.02000 → 0.02."""
    return number(value)


def money(value, currency: str = "") -> str:
    """An amount with two decimals and its currency code: ``3,150.00 USD``."""
    text = number(value, 2)
    if text == EMPTY or not currency:
        return text
    return f"{text} {currency}"


def wan_yuan(value, currency: str = "CNY", currency_name: str = "") -> str:
    """An amount as an official reads it (Chinese interface): below 1 万 in 元, then 万元, from 1 亿
    on 亿元, two decimals; a foreign currency is named (``1,204.30 万美元`` with ``currency_name``
    "美元", else ``1,204.30 万 USD``).  The English interface shows the plain amount and code."""
    d = _decimal(value)
    if d is None:
        return EMPTY
    currency = (currency or "CNY").upper()
    if not (get_language() or "").lower().startswith("zh"):
        return money(d, currency)
    if abs(d) >= YI:
        amount, unit = number(d / YI, 2), "亿"
    elif abs(d) >= WAN:
        amount, unit = number(d / WAN, 2), "万"
    else:
        amount, unit = number(d, 2), ""
    if currency in ("CNY", "RMB"):
        return f"{amount} {unit}元"
    if currency_name:
        return f"{amount} {unit}{currency_name}"
    return f"{amount} {unit} {currency}".replace("  ", " ")


def money_by_currency(rows: Iterable[tuple[str, object]]) -> list[tuple[str, Decimal]]:
    """Sum ``(currency, amount)`` pairs per currency, sorted by currency code."""
    totals: dict[str, Decimal] = {}
    for currency, amount in rows:
        d = _decimal(amount)
        if d is None:
            continue
        key = currency or ""
        totals[key] = totals.get(key, Decimal(0)) + d
    return sorted(totals.items())
