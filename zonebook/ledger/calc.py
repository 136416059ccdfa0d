"""Pure ledger arithmetic (no Django): 单耗, explosion and scrap split, sign lookup, balance equations.

Every function takes and returns plain values (Decimal, dates, dicts).  The set-based SQL of
``ledger.sql`` is the twin of these functions and is tested against them on the same data.
Rounding: 单耗 9 dp, quantities 5 dp, money 0.01, ROUND_HALF_UP (domain doc §2.4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Q9 = Decimal("0.000000001")
Q5 = Decimal("0.00001")
Q2 = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def q5(value) -> Decimal:
    return Decimal(value).quantize(Q5, rounding=ROUND_HALF_UP)


def q9(value) -> Decimal:
    return Decimal(value).quantize(Q9, rounding=ROUND_HALF_UP)


def money(value) -> Decimal:
    return Decimal(value).quantize(Q2, rounding=ROUND_HALF_UP)


class LossRateError(ValueError):
    """Loss rates negative or summing to 100 % or more."""


def unit_consumption(net, tangible_rate=0, intangible_rate=0) -> Decimal:
    """单耗 = 净耗 / (1 − (有形 + 无形)/100), rounded to 9 dp (金二, §2.4 formula 3)."""
    net, t, i = Decimal(net), Decimal(tangible_rate), Decimal(intangible_rate)
    if t < 0 or i < 0:
        raise LossRateError("loss rates cannot be negative")
    if t + i >= HUNDRED:
        raise LossRateError("tangible + intangible loss rates must stay below 100 %")
    if net < 0:
        raise ValueError("net consumption cannot be negative")
    return q9(net / (1 - (t + i) / HUNDRED))


@dataclass(frozen=True)
class Explosion:
    """Material effect of ``qty`` product units through one BOM line (each value rounded to 5 dp)."""

    gross: Decimal  # qty × 单耗
    consumption: Decimal  # qty × 单耗 × bonded share/100  (the 消耗 term of §6.3(c))
    tangible: Decimal  # scrap generated (边角料)
    intangible: Decimal  # disappears


def explode(
    qty, unit_cons, tangible_rate=0, intangible_rate=0, bonded_share=100, scrap_bonded: bool = False
) -> Explosion:
    """Explode ``qty`` product units into material use (§2.4 formulas 5–6).

    Every value is computed from the unrounded product qty × 单耗 and rounded once to 5 dp, as
    the posting SQL does per (line, material).  ``scrap_bonded``: apply the bonded share to the
    losses too (an open question of the domain doc, setting ``LEDGER_SCRAP_BONDED_SHARE``).
    """
    raw = Decimal(qty) * Decimal(unit_cons)
    share = Decimal(bonded_share) / HUNDRED
    loss_share = share if scrap_bonded else Decimal(1)
    return Explosion(
        gross=q5(raw),
        consumption=q5(raw * share),
        tangible=q5(raw * Decimal(tangible_rate) / HUNDRED * loss_share),
        intangible=q5(raw * Decimal(intangible_rate) / HUNDRED * loss_share),
    )


def scrap_split(consumption_qty, tangible_rate, intangible_rate) -> tuple[Decimal, Decimal, Decimal]:
    """Split a consumption quantity into (tangible loss = scrap, intangible loss, net use), 5 dp.

    Net use is the remainder, so the three parts always add up to the rounded consumption.
    """
    c = Decimal(consumption_qty)
    tangible = q5(c * Decimal(tangible_rate) / HUNDRED)
    intangible = q5(c * Decimal(intangible_rate) / HUNDRED)
    return tangible, intangible, q5(c) - tangible - intangible


class AmbiguousRuleError(ValueError):
    pass


def find_rule(
    rules: Iterable[Mapping], supervision_mode: str, ie_mark: str, item_kind: str, on: dt.date
) -> Mapping | None:
    """The rule row in force on ``on`` for the key, from plain dicts (PostingRule.as_dict()).

    Rows carry valid_from (inclusive) and valid_to (inclusive, None = open).  None when no row is
    in force; AmbiguousRuleError when two are.
    """
    hits = [
        r
        for r in rules
        if r["supervision_mode"] == supervision_mode
        and r["ie_mark"] == ie_mark
        and r["item_kind"] == item_kind
        and r["valid_from"] <= on
        and (r.get("valid_to") is None or r["valid_to"] >= on)
    ]
    if len(hits) > 1:
        raise AmbiguousRuleError(
            f"{len(hits)} rules in force for {supervision_mode} {ie_mark} {item_kind} on {on}"
        )
    return hits[0] if hits else None


def sign_of(
    rules: Iterable[Mapping], supervision_mode: str, ie_mark: str, item_kind: str, on: dt.date
) -> int:
    """Material-effect sign (+1 / −1) of the rule in force, 0 if the rule posts nothing or none exists."""
    rule = find_rule(rules, supervision_mode, ie_mark, item_kind, on)
    if rule is None or not rule.get("target"):
        return 0
    return int(rule["sign"])


# The §6.3(c) equation: column → sign.
EQUATION = {
    "opening": 1,
    "imports": 1,
    "carry_in": 1,
    "leftover_in": 1,
    "returns_in": 1,
    "returns_out": -1,
    "reexport": -1,
    "domestic_sale": -1,
    "leftover_out": -1,
    "destruction": -1,
    "adjust_plus": 1,
    "adjust_minus": -1,
    "consumption": -1,
}


def expected_remaining(**columns) -> Decimal:
    """应剩余 = 期初 + 进口 + 深加工转入 + 余料转入 + 退换进口 − 退换出口 − 复出 − 内销 − 余料转出 − 销毁
    + 核增 − 核减 − 消耗 (§6.3(c)).  Missing columns count as zero; unknown names are refused."""
    unknown = set(columns) - set(EQUATION)
    if unknown:
        raise TypeError(f"unknown balance columns: {sorted(unknown)}")
    return sum((EQUATION[k] * Decimal(v) for k, v in columns.items()), ZERO)


def scrap_balance(tangible_loss, scrap_out) -> Decimal:
    """边角料余额 = Σ有形损耗 − 边角料内销 − 复出 − 销毁."""
    return Decimal(tangible_loss) - Decimal(scrap_out)


def product_consumption_base(exported=0, carry_out=0, product_returns_out=0, product_returns_in=0) -> Decimal:
    """Σ [出口 + 深加工转出 + 成品退换出口 (+ 成品减免, counted in exported) − 成品退换进口] of one product."""
    return Decimal(exported) + Decimal(carry_out) + Decimal(product_returns_out) - Decimal(product_returns_in)


def average_unit_price(
    opening_qty, opening_amount, plus_qty, plus_amount, minus_qty, minus_amount
) -> Decimal | None:
    """平均单价 = (期初额 + 核增额 − 核减额)/(期初 + 核增 − 核减); opening dropped if 期初 < 0 (§6.3(b)).

    Unrounded (callers round money at the end); None when the quantity is zero.
    """
    oq, oa = Decimal(opening_qty), Decimal(opening_amount)
    if oq < 0:
        oq, oa = ZERO, ZERO
    qty = oq + Decimal(plus_qty) - Decimal(minus_qty)
    if qty == 0:
        return None
    return (oa + Decimal(plus_amount) - Decimal(minus_amount)) / qty


def expected_remaining_value(
    opening_amount, plus_amount, minus_amount, consumption_qty, avg_price
) -> Decimal:
    """应剩余价值 = 核增额 − 核减额 + 期初额 − 耗用 × 平均单价, rounded to 0.01."""
    return money(
        Decimal(plus_amount)
        - Decimal(minus_amount)
        + Decimal(opening_amount)
        - Decimal(consumption_qty) * Decimal(avg_price)
    )


@dataclass(frozen=True)
class Difference:
    quantity: Decimal  # 差异 = 实际 − 应剩余 (negative = 短少)
    rate_percent: Decimal | None  # 差异/应剩余 × 100, 4 dp
    amount: Decimal | None  # 差异 × 平均单价, 0.01


def difference(actual, expected, unit_price=None) -> Difference:
    """差异, 差异率 and 差异金额 of a stocktake against 应剩余 (§6.3(c))."""
    d = Decimal(actual) - Decimal(expected)
    rate = (
        (d / Decimal(expected) * HUNDRED).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        if Decimal(expected)
        else None
    )
    amount = money(d * Decimal(unit_price)) if unit_price is not None else None
    return Difference(quantity=q5(d), rate_percent=rate, amount=amount)


def actual_remaining(raw_stock, product_units: Iterable[tuple], unit_cons) -> Decimal:
    """实际剩余 = material stock + Σ product units (WIP, finished, defective) × 单耗 (折料), each term 5 dp."""
    return Decimal(raw_stock) + sum((q5(Decimal(u) * Decimal(unit_cons)) for u in product_units), ZERO)
