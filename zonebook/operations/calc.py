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


def _iso6346_values() -> dict[str, int]:
    values, n = {}, 10
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:  # multiples of 11 are skipped
            n += 1
        values[ch] = n
        n += 1
    values.update({str(d): d for d in range(10)})
    return values


ISO6346 = _iso6346_values()


def container_problem(number: str) -> str | None:
    """Why ``number`` is not an ISO 6346 container number (owner code of 3 letters, category U/J/Z,
    6-digit serial, check digit), or None.  Returns a code: ``format`` or ``check_digit``."""
    number = (number or "").strip().upper()
    if len(number) != 11 or not number[:3].isalpha() or number[3] not in "UJZ" or not number[4:].isdigit() \
            or not number[:4].isascii():
        return "format"
    if container_check_digit(number[:10]) != int(number[10]):
        return "check_digit"
    return None


def container_check_digit(first10: str) -> int:
    """ISO 6346 check digit: Σ value(c) × 2^i over the first ten characters, mod 11, mod 10."""
    return sum(ISO6346[c] * (2 ** i) for i, c in enumerate(first10.upper())) % 11 % 10
