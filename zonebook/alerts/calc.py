"""Pure calculations of the alerts app (no Django): due dates, medians, deviations.  Traffic lights:
``zonebook.notify.lights`` (the one implementation).

The set-based code (``deadlines``, ``plausibility``) computes the same things over whole tables; the
tests check both against hand-computed examples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

PCT = Decimal("0.0001")  # percentages: 4 dp
HUNDRED = Decimal(100)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def tax_due_date(declared: dt.date, due_day: int = 15) -> dt.date:
    """内销 tax of a list declared in month M is due on ``due_day`` of month M+1 (GG2017-29: the 15th;
    December → 15 January of the next year, never later)."""
    return add_months(declared, 1).replace(day=due_day)


def writeoff_due_date(
    handbook: bool,
    *,
    last_export: dt.date | None,
    valid_until: dt.date | None,
    cycle_end: dt.date | None,
    grace_days: int = 30,
) -> dt.date | None:
    """报核 deadline (domain doc §6.1).

    * handbook (B/C/D): ``grace_days`` after the later of the last export and the expiry date;
    * periodic books (E/H/T/L): ``grace_days`` after the end of the current write-off cycle.
    """
    if handbook:
        dates = [d for d in (last_export, valid_until) if d is not None]
        base = max(dates) if dates else None
    else:
        base = cycle_end
    return base + dt.timedelta(days=grace_days) if base else None


def median(values: Iterable[Decimal]) -> Decimal | None:
    """Exact median: the middle value, or the mean of the two middle values (Decimal, no float)."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    lo, hi = ordered[(n - 1) // 2], ordered[n // 2]
    return (lo + hi) / 2


def deviation_pct(value: Decimal, reference: Decimal) -> Decimal | None:
    """(value − reference) / reference × 100, 4 dp; None when the reference is zero."""
    if reference is None or reference == 0:
        return None
    return ((value - reference) / reference * HUNDRED).quantize(PCT, rounding=ROUND_HALF_UP)


def exceeds(value: Decimal, reference: Decimal, threshold: Decimal, *, relative: bool) -> bool:
    """Relative metrics (单耗, consumption): |deviation %| > threshold (a zero reference never flags).
    Loss rates: |value − reference| > threshold percentage points."""
    if relative:
        dev = deviation_pct(value, reference)
        return dev is not None and abs(dev) > threshold
    return abs(value - reference) > threshold


def actual_consumption(filed: Decimal, difference: Decimal) -> Decimal:
    """Actual consumption from a stocktake: 差异 = 实际剩余 − 应剩余, so 实际耗用 = 消耗 − 差异."""
    return filed - difference
