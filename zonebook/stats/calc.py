"""Statistical figures as pure functions on plain values (no Django, no database).

Every function here has a set-based SQL twin in ``stats/sql.py``; ``tests/test_sql_twins.py`` runs
both on the same data and compares them.  Definitions follow ``shared/domain/zones-and-evaluation.md``
§7.3:

=====================  ==========================================================================
月度值 (from 累计)      ``cum(N) − cum(N−1)``; January's month is its cumulative
累计 (from months)      Σ months 1…N of the same year
同比 (YoY, %)           ``(cur − prior) / prior × 100``; a zero, negative or missing base gives no
                        value but a reason ("—" on pages, never an error or infinity)
两年平均增长 (%)        ``√((1 + g₁)(1 + g₂)) − 1`` (geometric), or ``√(cur / base₂) − 1`` from values
占比 (%)                ``part / whole × 100``, same currency, period and basis; change in 百分点 (pp)
目标完成率 (%)          ``cumulative / target × 100``
时序进度 (%)            ``months elapsed / months of the target × 100``; ahead/behind = completion −
                        time progress, in pp ("超时序进度6.6个百分点")
排名                    competition ranking ("1224"), larger is better unless told otherwise
RMB / USD              never mixed: a ratio of two money figures requires the same currency;
                        ``convert`` names its rate
=====================  ==========================================================================

Percentages are Decimals rounded half away from zero (``ROUND_HALF_UP``) to ``PCT_DP`` places; the
SQL twins use ``ROUND(x, PCT_DP)``, which rounds the same way on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

PCT_DP = 4
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Reasons a figure has no value (codes; ``stats.figures.REASONS`` translates them).
ZERO_BASE = "zero_base"
NEGATIVE_BASE = "negative_base"
MISSING_BASE = "missing_base"
MISSING_VALUE = "missing_value"
CURRENCY_MISMATCH = "currency_mismatch"
NO_TARGET = "no_target"


class CurrencyMismatch(ValueError):
    """A ratio or sum of an RMB and a USD figure was asked for without a conversion."""


@dataclass(frozen=True)
class Pct:
    """A percentage (or percentage-point) figure, or the reason there is none."""

    value: Decimal | None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.value is not None

    def __str__(self) -> str:
        return "—" if self.value is None else f"{self.value:.1f}"

    def rounded(self, dp: int = 1) -> Decimal | None:
        return None if self.value is None else q(self.value, dp)


def q(value: Decimal, dp: int = PCT_DP) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def _d(v: Any) -> Decimal | None:
    if v is None:
        return None
    return v if isinstance(v, Decimal) else Decimal(str(v))


def check_currency(*currencies: str | None) -> None:
    """Raise ``CurrencyMismatch`` when two money figures are in different currencies ("" = not money)."""
    money = {c for c in currencies if c}
    if len(money) > 1:
        raise CurrencyMismatch(f"figures in {', '.join(sorted(money))} cannot be combined without a rate")


# --- months and cumulatives -------------------------------------------------------------------------------


def month_from_cumulative(cum_n: Decimal | None, cum_prev: Decimal | None, month: int) -> Decimal | None:
    """The month's value of a cumulative-only series: cum(N) − cum(N−1); January is its cumulative."""
    cum_n = _d(cum_n)
    if cum_n is None:
        return None
    if month == 1:
        return cum_n
    cum_prev = _d(cum_prev)
    if cum_prev is None:
        return None
    return cum_n - cum_prev


def months_from_cumulative(cums: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """``{month: cumulative}`` of one year -> ``{month: month value}`` (a month whose previous
    cumulative is missing is left out, never guessed)."""
    out = {}
    for m, v in cums.items():
        mv = month_from_cumulative(v, cums.get(m - 1), m)
        if mv is not None:
            out[m] = mv
    return out


def cumulative_from_months(months: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """``{month: value}`` of one year -> ``{month: Σ 1…month}``, only while no month is missing."""
    out, total = {}, ZERO
    for m in range(1, 13):
        if m not in months:
            break
        total += _d(months[m])
        out[m] = total
    return out


# --- growth ------------------------------------------------------------------------------------------------


def yoy(cur: Decimal | None, prior: Decimal | None, *, currencies: tuple[str, str] = ("", "")) -> Pct:
    """同比 in %: ``(cur − prior) / prior × 100``; no value against a zero, negative or missing base."""
    check_currency(*currencies)
    cur, prior = _d(cur), _d(prior)
    if prior is None:
        return Pct(None, MISSING_BASE)
    if cur is None:
        return Pct(None, MISSING_VALUE)
    if prior == 0:
        return Pct(None, ZERO_BASE)
    if prior < 0:
        return Pct(None, NEGATIVE_BASE)
    return Pct(q((cur - prior) * HUNDRED / prior))


def base_from_growth(cur: Decimal, growth_pct: Decimal) -> Decimal:
    """The prior-year value implied by a value and its growth: ``cur / (1 + g/100)``."""
    return _d(cur) / (1 + _d(growth_pct) / HUNDRED)


def growth_multiple(times: Decimal) -> Decimal:
    """增长X倍 means ×(1 + X): "增长1.1倍" -> 2.1; 翻一番 is growth_multiple(1) = 2."""
    return 1 + _d(times)


def two_year_avg(g1_pct: Decimal | None, g2_pct: Decimal | None) -> Pct:
    """两年平均增长 from two yearly growth rates in %: (√((1+g₁)(1+g₂)) − 1) × 100."""
    if g1_pct is None or g2_pct is None:
        return Pct(None, MISSING_BASE)
    product = (1 + _d(g1_pct) / HUNDRED) * (1 + _d(g2_pct) / HUNDRED)
    if product <= 0:
        return Pct(None, NEGATIVE_BASE)
    with localcontext() as ctx:
        ctx.prec = 28
        return Pct(q((product.sqrt() - 1) * HUNDRED))


def two_year_avg_from_values(cur: Decimal | None, base2: Decimal | None) -> Pct:
    """两年平均增长 from the value and the value two years before: (√(cur / base₂) − 1) × 100."""
    cur, base2 = _d(cur), _d(base2)
    if base2 is None:
        return Pct(None, MISSING_BASE)
    if cur is None:
        return Pct(None, MISSING_VALUE)
    if base2 == 0:
        return Pct(None, ZERO_BASE)
    if base2 < 0 or cur < 0:
        return Pct(None, NEGATIVE_BASE)
    with localcontext() as ctx:
        ctx.prec = 28
        return Pct(q(((cur / base2).sqrt() - 1) * HUNDRED))


# --- shares ------------------------------------------------------------------------------------------------


def share(part: Decimal | None, whole: Decimal | None, *, currencies: tuple[str, str] = ("", "")) -> Pct:
    """占比 in %: part / whole × 100 (same currency, period and basis)."""
    check_currency(*currencies)
    part, whole = _d(part), _d(whole)
    if whole is None:
        return Pct(None, MISSING_BASE)
    if part is None:
        return Pct(None, MISSING_VALUE)
    if whole == 0:
        return Pct(None, ZERO_BASE)
    return Pct(q(part * HUNDRED / whole))


def pp_change(now: Pct | Decimal | None, before: Pct | Decimal | None) -> Pct:
    """Change of a share in 百分点 (percentage points)."""
    a = now.value if isinstance(now, Pct) else _d(now)
    b = before.value if isinstance(before, Pct) else _d(before)
    if b is None:
        return Pct(None, MISSING_BASE)
    if a is None:
        return Pct(None, MISSING_VALUE)
    return Pct(q(a - b))


# --- targets -----------------------------------------------------------------------------------------------


def completion(value: Decimal | None, target: Decimal | None) -> Pct:
    """目标完成率 in %: value (cumulative, or the level reached for a level target) / target × 100."""
    value, target = _d(value), _d(target)
    if target is None:
        return Pct(None, NO_TARGET)
    if value is None:
        return Pct(None, MISSING_VALUE)
    if target == 0:
        return Pct(None, ZERO_BASE)
    return Pct(q(value * HUNDRED / target))


def schedule_progress(months_elapsed: int, months_total: int = 12) -> Decimal:
    """时序进度 in %: months elapsed / months of the target period × 100 (6 of 12 -> 50)."""
    if months_total <= 0:
        raise ValueError("a target period has at least one month")
    elapsed = max(0, min(months_elapsed, months_total))
    return q(Decimal(elapsed) * HUNDRED / Decimal(months_total))


def months_elapsed(start: tuple[int, int], period: tuple[int, int]) -> int:
    """Months from the first month ``start`` = (year, month) up to and including ``period``."""
    return (period[0] - start[0]) * 12 + period[1] - start[1] + 1


def ahead_pp(completion_pct: Pct | Decimal | None, progress_pct: Decimal) -> Pct:
    """Ahead (+) or behind (−) schedule in pp: completion − time progress (56.6 at H1 -> +6.6)."""
    c = completion_pct.value if isinstance(completion_pct, Pct) else _d(completion_pct)
    if c is None:
        return Pct(None, completion_pct.reason if isinstance(completion_pct, Pct) else MISSING_VALUE)
    return Pct(q(c - _d(progress_pct)))


# --- ranks -------------------------------------------------------------------------------------------------


def rank(values: Mapping[Any, Decimal | None], *, descending: bool = True) -> dict[Any, int]:
    """Competition ranking ("1224"): equal values share the best rank, the next rank skips.
    Entities without a value are not ranked."""
    present = [(k, _d(v)) for k, v in values.items() if v is not None]
    ordered = sorted((v for _, v in present), reverse=descending)
    first: dict[Decimal, int] = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return {k: first[v] for k, v in present}


def rank_in_groups(
    rows: Iterable[tuple[Any, Any, Decimal | None]], *, descending: bool = True
) -> dict[Any, tuple[int, int]]:
    """``(key, group, value)`` rows -> ``{key: (rank within its group, ranked entities in the group)}``."""
    groups: dict[Any, dict[Any, Decimal | None]] = {}
    for key, group, value in rows:
        groups.setdefault(group, {})[key] = value
    out = {}
    for members in groups.values():
        ranks = rank(members, descending=descending)
        n = len(ranks)
        out.update({k: (r, n) for k, r in ranks.items()})
    return out


# --- currency ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    value: Decimal
    currency: str
    rate: Decimal
    rate_note: str


def convert(value: Decimal, from_currency: str, to_currency: str, rate: Decimal, rate_note: str) -> Converted:
    """A conversion that names its rate: ``rate`` = units of ``to_currency`` per unit of
    ``from_currency`` (e.g. 6.9451 CNY per USD), ``rate_note`` where it comes from."""
    if not rate_note:
        raise ValueError("a conversion must name its rate (source and date)")
    rate = _d(rate)
    if rate is None or rate <= 0:
        raise ValueError("the rate must be positive")
    if from_currency == to_currency:
        raise ValueError("nothing to convert")
    return Converted(_d(value) * rate, to_currency, rate, rate_note)


# --- definitions -------------------------------------------------------------------------------------------


def crosses_break(prior: dt.date, current: dt.date, break_dates: Iterable[dt.date]) -> list[dt.date]:
    """The definition breaks (dates a new definition took effect, not comparable with the old one)
    that fall after ``prior`` and on or before ``current``: a comparison across them is flagged."""
    return sorted(d for d in break_dates if prior < d <= current)


def same_period_last_year(period: dt.date) -> dt.date:
    return period.replace(year=period.year - 1)


# --- validation helpers used by direct reporting ---------------------------------------------------------


def magnitude_jump(value: Decimal | None, reference: Decimal | None, *, factor: int = 1000) -> int:
    """The power of ten (±4 for 万, ±8 for 亿) by which ``value`` looks mis-scaled against ``reference``,
    or 0.  A ratio ≥ ``factor`` (or ≤ 1/``factor``) that is close to 10⁴ or 10⁸ suggests 元/万元/亿元."""
    value, reference = _d(value), _d(reference)
    if not value or not reference or value <= 0 or reference <= 0:
        return 0
    ratio = value / reference
    if Decimal(1) / factor < ratio < factor:
        return 0
    exponent = ratio.adjusted()  # floor(log10(ratio))
    for power in (8, 4, -4, -8):
        if abs(exponent - power) <= 1:
            return power
    return 3 if ratio > 1 else -3


def jump_pct(value: Decimal | None, last_year: Decimal | None) -> Pct:
    """Growth against last year used by the "jump > N % needs an explanation" rule."""
    return yoy(value, last_year)
