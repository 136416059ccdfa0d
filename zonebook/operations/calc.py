"""Pure calculations of zone operations (no database)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def percentile(values, pct: int) -> int | None:
    """Nearest-rank percentile (the smallest value with at least ``pct`` % of the values at or below it)."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    rank = max(1, math.ceil(pct / 100 * len(vals)))
    return vals[rank - 1]


def mean(values) -> Decimal | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return (Decimal(sum(vals)) / len(vals)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rate(hits: int, total: int) -> Decimal | None:
    """A share in per cent with one decimal."""
    if not total:
        return None
    return (Decimal(hits) * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected_weight(tare, frame, container, goods) -> Decimal:
    """核放单 rule (4): expected total = vehicle + frame + container + goods gross."""
    return sum((Decimal(str(x or 0)) for x in (tare, frame, container, goods)), Decimal(0))


def weight_check(expected: Decimal, weighed: Decimal, pct: Decimal, min_kg: Decimal) -> tuple[bool, Decimal, Decimal]:
    """(within tolerance, deviation kg, deviation %): tolerance is the larger of ``pct`` % of the
    expected weight and ``min_kg``."""
    deviation = abs(Decimal(weighed) - Decimal(expected))
    allowed = max(Decimal(expected) * Decimal(pct) / 100, Decimal(min_kg))
    share = (deviation * 100 / Decimal(expected)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP) if expected else Decimal(0)
    return deviation <= allowed, deviation, share
