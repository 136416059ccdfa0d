"""Pure ledger arithmetic (no Django): 单耗, explosion and scrap split, rule lookup, the one sign table
and the balance equation.  The write-off's settlement formulas (实际剩余, 差异, 平均单价) are in
``calc_settlement``.

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


# ------------------------------------------------------------------ the one sign table

# How each balance column moves a material (domain doc §5 "Material effect", §6.3(c)): +1 adds to the
# material's remaining quantity, −1 takes from it.  Product columns move it through the explosion
# (× 单耗: an export consumes, a product return in gives back); ``scrap_out`` moves the scrap balance
# (边角料余额).  Every other sign in the ledger is derived from this table: the §6.3(c) equation
# (``EQUATION``, ``expected_remaining``, the SQL of ``sql.balances`` and ``sql.writeoff``), the
# product outflow (出口总数量), the scrap balance and the sign a PostingRule must carry for its column
# (``choices.COLUMN_SIGN``, checked by ``PostingRule.clean``).
SIGN = {
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
    "scrap_out": -1,
    "exported": -1,
    "carry_out": -1,
    "product_returns_in": 1,
    "product_returns_out": -1,
}


class SignView(Mapping):
    """A read-only view of ``SIGN`` restricted to some columns, in their order (never a copy: a
    change of ``SIGN`` shows in every view)."""

    def __init__(self, columns: Iterable[str]):
        self.columns = tuple(columns)
        unknown = set(self.columns) - set(SIGN)
        if unknown:
            raise KeyError(f"columns without a sign: {sorted(unknown)}")

    def __getitem__(self, column: str) -> int:
        if column not in self.columns:
            raise KeyError(column)
        return SIGN[column]

    def __iter__(self):
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __repr__(self) -> str:
        return f"SignView({dict(self)!r})"


# The §6.3(c) equation of 应剩余, in its order: column → sign.
EQUATION_COLUMNS = (
    "opening",
    "imports",
    "carry_in",
    "leftover_in",
    "returns_in",
    "returns_out",
    "reexport",
    "domestic_sale",
    "leftover_out",
    "destruction",
    "adjust_plus",
    "adjust_minus",
    "consumption",
)
EQUATION = SignView(EQUATION_COLUMNS)
# Product columns: their outflow (成品出口总数量, the base of 消耗) is −Σ sign × quantity.
PRODUCT_OUTFLOW = SignView(("exported", "carry_out", "product_returns_in", "product_returns_out"))


def signed_sum(signs: Mapping[str, int], columns: Mapping, *, what: str = "balance columns") -> Decimal:
    """Σ sign × value over ``columns`` (missing columns count as zero; unknown names are refused)."""
    unknown = set(columns) - set(signs)
    if unknown:
        raise TypeError(f"unknown {what}: {sorted(unknown)}")
    return sum((signs[k] * Decimal(v) for k, v in columns.items()), ZERO)


def signed_sql(signs: Mapping[str, int], expr) -> str:
    """The SQL twin of ``signed_sum``: "+ e(c1) - e(c2) …" with ``expr(column)`` for each column."""
    return " ".join(f"{'+' if signs[c] > 0 else '-'} {expr(c)}" for c in signs)


def expected_remaining(**columns) -> Decimal:
    """应剩余 = 期初 + 进口 + 深加工转入 + 余料转入 + 退换进口 − 退换出口 − 复出 − 内销 − 余料转出 − 销毁
    + 核增 − 核减 − 消耗 (§6.3(c)).  Missing columns count as zero; unknown names are refused."""
    return signed_sum(EQUATION, columns)


def scrap_balance(tangible_loss, scrap_out, opening=0) -> Decimal:
    """边角料余额 = 期初 + Σ有形损耗 − 边角料内销/复出/销毁 (``scrap_out``, sign from ``SIGN``)."""
    return Decimal(opening) + Decimal(tangible_loss) + SIGN["scrap_out"] * Decimal(scrap_out)


def product_consumption_base(exported=0, carry_out=0, product_returns_out=0, product_returns_in=0) -> Decimal:
    """Σ [出口 + 深加工转出 + 成品退换出口 (+ 成品减免, counted in exported) − 成品退换进口] of one product:
    −Σ sign × quantity over the product columns (``PRODUCT_OUTFLOW``)."""
    return ZERO - signed_sum(
        PRODUCT_OUTFLOW,
        {
            "exported": exported,
            "carry_out": carry_out,
            "product_returns_out": product_returns_out,
            "product_returns_in": product_returns_in,
        },
    )
