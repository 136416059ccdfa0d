"""Pure settlement arithmetic, no Django: the write-off (报核/核销) formulas — the Python twin of
``ledger.sql.writeoff`` — and the domestic-sale duty and interest (§8).

Domain doc §6.3 and §6.4.  Quantities 5 dp, rates 4 dp (percent), unit prices 4 dp, money 0.01,
ROUND_HALF_UP.  Every function takes and returns plain values.  This is the one set of settlement
formulas: 实际剩余 (``stock_to_material`` + ``actual_remaining``), 差异 (``difference``), 平均单价
(``average_price``, and ``writeoff_unit_price`` = the write-off's use of it), 应剩余价值
(``expected_remaining_value``); 应剩余 itself is ``calc.expected_remaining`` (the sign table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .calc import EQUATION, money, q5, scrap_balance, signed_sum

Q4 = Decimal("0.0001")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
DEFAULT_THRESHOLD = Decimal(1)  # |差异率| above 1 % opens a difference case


def q4(value) -> Decimal:
    return Decimal(value).quantize(Q4, rounding=ROUND_HALF_UP)


def average_price(
    opening_qty, opening_amount, plus_qty, plus_amount, minus_qty=0, minus_amount=0
) -> Decimal | None:
    """平均单价 = (期初额 + 核增额 − 核减额)/(期初 + 核增 − 核减), unrounded (§6.3(b)).

    A negative opening is dropped (its quantity and amount).  None when the quantity is not
    positive (no price can be averaged over nothing).  The e-book formula of §6.3(b) passes its
    核增 and 核减 rows; the write-off passes only the cycle's inflows (``writeoff_unit_price``).
    """
    oq, oa = Decimal(opening_qty), Decimal(opening_amount)
    if oq < 0:
        oq, oa = ZERO, ZERO
    qty = oq + Decimal(plus_qty) - Decimal(minus_qty)
    if qty <= 0:
        return None
    return (oa + Decimal(plus_amount) - Decimal(minus_amount)) / qty


def writeoff_unit_price(opening_qty, opening_amount, in_qty, in_amount, filed_price=None) -> Decimal | None:
    """The write-off's 平均单价 of a material, 4 dp: ``average_price`` over the opening and the cycle's
    inflows (imports, carry-over in, leftover in, returns in, at the declared prices of the cycle's
    material lines; no 核减 term); the filed unit price (``filed_price``) when there is no quantity.

    Why two uses of one formula: docs/ledger-writeoff.md specifies the write-off's price over the
    inflows only, and every stored 差异金额 is computed so; the e-book formula of §6.3(b) also
    subtracts the 核减 rows (returns out, re-export, domestic sale … at their declared amounts).
    Both are ``average_price``; which one customs expects on a 金二 write-off is a question for the
    domain owner.  The SQL twin is ``sql.writeoff.report_sql``.
    """
    price = average_price(opening_qty, opening_amount, in_qty, in_amount)
    if price is None:
        return None if filed_price is None else q4(filed_price)
    return q4(price)


def expected_remaining_value(
    opening_amount, plus_amount, minus_amount, consumption_qty, avg_price
) -> Decimal:
    """应剩余价值 = 核增额 − 核减额 + 期初额 − 耗用 × 平均单价, rounded to 0.01 (§6.3(b))."""
    return money(
        Decimal(plus_amount)
        - Decimal(minus_amount)
        + Decimal(opening_amount)
        - Decimal(consumption_qty) * Decimal(avg_price)
    )


def stock_to_material(units: Iterable, unit_consumption, bonded_share=100) -> Decimal:
    """折料: Σ product units (WIP, finished, defective, one term each) × 单耗 × 保税比例/100, each term 5 dp."""
    k = Decimal(unit_consumption) * Decimal(bonded_share) / HUNDRED
    return sum((q5(Decimal(u) * k) for u in units), ZERO)


def actual_remaining(stock, in_transit, converted) -> Decimal:
    """实际剩余 = 料件库存 + 在途 + Σ 折料 (``stock_to_material``), 5 dp."""
    return q5(Decimal(stock) + Decimal(in_transit) + Decimal(converted))


@dataclass(frozen=True)
class Difference:
    quantity: Decimal  # 差异 = 实际 − 应剩余 (negative = 短少 shortage, positive = 盈余 surplus)
    rate_percent: Decimal | None  # 差异/应剩余 × 100, 4 dp; None when 应剩余 = 0
    amount: Decimal | None  # 差异 × 平均单价, 0.01; None when the material has no price


def difference(actual, expected, avg_price=None) -> Difference:
    """差异, 差异率 and 差异金额 of a stocktake against 应剩余 (§6.3(c)): the quantity is rounded to 5 dp
    first, the rate (4 dp) and the amount (0.01) are computed from it."""
    d = q5(Decimal(actual) - Decimal(expected))
    e = Decimal(expected)
    rate = q4(d / e * HUNDRED) if e != 0 else None
    amount = money(d * Decimal(avg_price)) if avg_price is not None else None
    return Difference(quantity=d, rate_percent=rate, amount=amount)


def over_threshold(diff: Difference, threshold_percent=DEFAULT_THRESHOLD) -> bool:
    """A difference opens a case when |差异率| > threshold, or when 应剩余 = 0 and the difference is not."""
    if diff.quantity == 0:
        return False
    if diff.rate_percent is None:
        return True
    return abs(diff.rate_percent) > Decimal(threshold_percent)


@dataclass(frozen=True)
class Proposal:
    kind: str  # domestic_sale | consumption_change
    reason: str  # suggested reason code
    qty: Decimal
    amount: Decimal


def propose(diff: Difference) -> Proposal:
    """§6.4: a shortage (短少) is proposed as a domestic-sale duty draft (内销补税) of the missing quantity;
    a surplus (盈余) as a consumption change draft (单耗变更).  Only a proposal: the engine never decides.
    A difference without an amount (no price) is proposed at 0."""
    amount = diff.amount if diff.amount is not None else ZERO
    if diff.quantity < 0:
        return Proposal("domestic_sale", "consumption_low", -diff.quantity, -amount)
    return Proposal("consumption_change", "consumption_high", diff.quantity, amount)


@dataclass(frozen=True)
class MaterialResult:
    expected_remaining: Decimal
    actual_remaining: Decimal
    difference: Difference
    scrap_balance: Decimal
    closing: Decimal


def material_line(
    columns: Mapping[str, Decimal],
    *,
    stock=0,
    in_transit=0,
    converted=0,
    avg_price=None,
    scrap_opening=0,
    tangible_loss=0,
    scrap_out=0,
    has_stocktake: bool = True,
) -> MaterialResult:
    """One material of a write-off from its cycle columns (keys of ``calc.EQUATION``).

    本期结余 (closing, the next cycle's opening) = 实际剩余 once a stocktake exists, else 应剩余.
    """
    er = q5(signed_sum(EQUATION, columns, what="columns"))
    actual = actual_remaining(stock, in_transit, converted)
    diff = difference(actual, er, avg_price)
    scrap = q5(scrap_balance(tangible_loss, scrap_out, opening=scrap_opening))
    return MaterialResult(er, actual, diff, scrap, actual if has_stocktake else er)


# ------------------------------------------------------------------ domestic sale (内销): duty and interest (§8)

LEFTOVER_SHARE_PERCENT = Decimal(3)  # ≤ 3 % of the actual imported value of the material …
LEFTOVER_CAP = Decimal(10000)  # … and ≤ RMB 10,000 → licence exemption (limits inclusive)


@dataclass(frozen=True)
class TaxLine:
    value: Decimal  # customs value (完税价格), CNY
    tariff: Decimal
    consumption_tax: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.tariff + self.consumption_tax + self.vat


def taxes(value, tariff_rate=0, consumption_rate=0, vat_rate=0) -> TaxLine:
    """§8.2, rates in %: 关税 = 价格 × rate; 消费税 = (价格 + 关税)/(1 − t) × t; 增值税 = (价格 + 关税 + 消费税) × VAT;
    each rounded to 0.01 (half up) before the next uses it."""
    v = money(value)
    tariff = money(v * Decimal(tariff_rate) / HUNDRED)
    t = Decimal(consumption_rate) / HUNDRED
    consumption = money((v + tariff) / (1 - t) * t) if t else ZERO.quantize(Decimal("0.01"))
    vat = money((v + tariff + consumption) * Decimal(vat_rate) / HUNDRED)
    return TaxLine(v, tariff, consumption, vat)


def interest_days(start, end, inclusive: bool = False) -> int:
    """Days of deferred tax from ``start`` to ``end`` (the tax-notice date); +1 when both ends count."""
    if start is None or end < start:
        return 0
    return (end - start).days + (1 if inclusive else 0)


def deferred_interest(total_tax, days: int, rate_percent) -> Decimal:
    """缓税利息 = 应征税额 × days × rate / 360, 0.01 half up (GG2009-13; Example G: 22,040 × 180 × 0.35 % / 360 = 38.57)."""
    return money(Decimal(total_tax) * Decimal(days) * Decimal(rate_percent) / HUNDRED / Decimal(360))


def leftover_licence_exempt(
    value, imported_value, share_percent=LEFTOVER_SHARE_PERCENT, cap=LEFTOVER_CAP
) -> bool:
    """剩余料件/残次品: no licence when value ≤ share % of the actual imported value of the material AND ≤ cap."""
    v = Decimal(value)
    return v <= Decimal(imported_value) * Decimal(share_percent) / HUNDRED and v <= Decimal(cap)
