"""Pure calculations of the service figures (domain doc §4.6), tested without the database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# 响应率 30 % + 解决率 35 % + 满意率 35 % (domain doc §4.6, [V H-ZGE])
SCORE_WEIGHTS = (Decimal("0.30"), Decimal("0.35"), Decimal("0.35"))


def rate(numerator: int, denominator: int, places: int = 1) -> Decimal | None:
    """``numerator ÷ denominator`` in per cent, rounded half up to ``places``; None without a denominator.

    办结率 = closed ÷ received; 按时办结率 = closed on time ÷ closed; 满意率 = (满意 + 基本满意) ÷ revisited."""
    if not denominator:
        return None
    q = Decimal(1).scaleb(-places)
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(q, rounding=ROUND_HALF_UP)


def service_score(response_rate: Decimal, solve_rate: Decimal, satisfaction_rate: Decimal) -> Decimal:
    """The weighted "三率" score: 98 / 90 / 95 → 94.15."""
    w1, w2, w3 = SCORE_WEIGHTS
    return (response_rate * w1 + solve_rate * w2 + satisfaction_rate * w3).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def days(seconds) -> Decimal | None:
    """A duration in seconds as days with one decimal (average handling time)."""
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
