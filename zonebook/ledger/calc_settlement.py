"""Pure write-off (报核/核销) arithmetic, no Django: the Python twin of ``ledger.sql_writeoff``.

Domain doc §6.3(c) and §6.4.  Quantities 5 dp, rates 4 dp (percent), unit prices 4 dp, money 0.01,
ROUND_HALF_UP.  Every function takes and returns plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .calc import EQUATION, money, q5

Q4 = Decimal("0.0001")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
DEFAULT_THRESHOLD = Decimal(1)  # |差异率| above 1 % opens a difference case


def q4(value) -> Decimal:
    return Decimal(value).quantize(Q4, rounding=ROUND_HALF_UP)


def average_price(opening_qty, opening_amount, in_qty, in_amount, fallback=None) -> Decimal | None:
    """平均单价 of a material over the cycle = (期初额 + inflow amount)/(期初 + inflow qty), 4 dp.

    Inflow = imports, carry-over in, leftover in and returns in (the declared prices of the cycle's
    material lines).  A negative opening is dropped (§6.3(b)).  ``fallback`` (the filed unit price)
    when the quantity is zero.
    """
    oq, oa = Decimal(opening_qty), Decimal(opening_amount)
    if oq < 0:
        oq, oa = ZERO, ZERO
    qty = oq + Decimal(in_qty)
    if qty <= 0:
        return None if fallback is None else q4(fallback)
    return q4((oa + Decimal(in_amount)) / qty)


def stock_to_material(units: Iterable, unit_consumption, bonded_share=100) -> Decimal:
    """折料: Σ product units (WIP, finished, defective, one term each) × 单耗 × 保税比例/100, each term 5 dp."""
    k = Decimal(unit_consumption) * Decimal(bonded_share) / HUNDRED
    return sum((q5(Decimal(u) * k) for u in units), ZERO)


def actual_remaining(stock, in_transit, converted) -> Decimal:
    """实际剩余 = 料件库存 + 在途 + Σ 折料."""
    return q5(Decimal(stock) + Decimal(in_transit) + Decimal(converted))


@dataclass(frozen=True)
class Difference:
    quantity: Decimal  # 差异 = 实际 − 应剩余 (negative = 短少 shortage, positive = 盈余 surplus)
    rate_percent: Decimal | None  # 差异/应剩余 × 100, 4 dp; None when 应剩余 = 0
    amount: Decimal  # 差异 × 平均单价, 0.01


def difference(actual, expected, avg_price) -> Difference:
    d = q5(Decimal(actual) - Decimal(expected))
    e = Decimal(expected)
    rate = q4(d / e * HUNDRED) if e != 0 else None
    amount = money(d * Decimal(avg_price)) if avg_price is not None else ZERO
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
    a surplus (盈余) as a consumption change draft (单耗变更).  Only a proposal: the engine never decides."""
    if diff.quantity < 0:
        return Proposal("domestic_sale", "consumption_low", -diff.quantity, -diff.amount)
    return Proposal("consumption_change", "consumption_high", diff.quantity, diff.amount)


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
    unknown = set(columns) - set(EQUATION)
    if unknown:
        raise TypeError(f"unknown columns: {sorted(unknown)}")
    er = q5(sum((EQUATION[k] * Decimal(v) for k, v in columns.items()), ZERO))
    actual = actual_remaining(stock, in_transit, converted)
    diff = difference(actual, er, avg_price)
    scrap = q5(Decimal(scrap_opening) + Decimal(tangible_loss) - Decimal(scrap_out))
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
