"""Pure calculations of investment statistics (domain doc §2.6) and policy-task scoring: plain values
in, Decimal out, no database.  Percentages are returned as percent values rounded to 2 places.

Worked checks (tests/test_calc.py): 履约率 244 ÷ 247 = 98.79 %; 开工率 222 ÷ 247 = 89.88 %; 资金到位率
370 ÷ 1,077 = 34.35 %; 目标完成率 1,005,136 万元 ÷ 80 亿元 = 125.64 %; Jan–Oct time progress 83.33 %,
超进度 125.64 − 83.33 = 42.31, 欠进度 70.41 − 83.33 = −12.92.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# M0–M10 in order (``models.MilestoneKind`` has the same values) and the stage each one reaches
MILESTONE_ORDER = [
    "lead",
    "talks",
    "signed",
    "registered",
    "land",
    "started",
    "statistics",
    "completed",
    "production",
    "above_scale",
    "capacity",
]
STAGE_OF_MILESTONE = {
    "lead": "lead",
    "talks": "talks",
    "signed": "signed",
    "registered": "registered",
    "land": "registered",
    "started": "started",
    "statistics": "building",
    "completed": "completed",
    "production": "producing",
    "above_scale": "producing",
    "capacity": "capacity",
}

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def pct(num, den) -> Decimal | None:
    """``num ÷ den`` in percent (2 places); None when the denominator is 0 or missing."""
    if den in (None, 0) or num is None:
        return None
    return (Decimal(num) * HUNDRED / Decimal(den)).quantize(CENT, ROUND_HALF_UP)


def time_progress(months_elapsed: int, months: int = 12) -> Decimal:
    """Share of the year elapsed after ``months_elapsed`` months, in percent."""
    return (Decimal(months_elapsed) * HUNDRED / Decimal(months)).quantize(CENT, ROUND_HALF_UP)


def schedule_gap(completion_pct, months_elapsed: int) -> Decimal | None:
    """超 / 欠进度: target completion minus time progress (percentage points; negative = behind)."""
    if completion_pct is None:
        return None
    return (Decimal(completion_pct) - time_progress(months_elapsed)).quantize(CENT, ROUND_HALF_UP)


def yoy(now, before) -> Decimal | None:
    """同比增长 in percent: (now − same period last year) ÷ same period last year."""
    if before in (None, 0) or now is None:
        return None
    return ((Decimal(now) - Decimal(before)) * HUNDRED / Decimal(before)).quantize(CENT, ROUND_HALF_UP)


def to_cny(amount, rate) -> Decimal:
    """An amount (万元 in its currency) in 万元 RMB at ``rate`` (2 places)."""
    if amount is None:
        return Decimal(0)
    return (Decimal(amount) * Decimal(rate or 1)).quantize(CENT, ROUND_HALF_UP)


def stage_from(milestones: list[str]) -> str:
    """The stage of a project: the stage reached with its latest milestone (lead without any)."""
    if not milestones:
        return STAGE_OF_MILESTONE["lead"]
    latest = max((str(m) for m in milestones), key=MILESTONE_ORDER.index)
    return STAGE_OF_MILESTONE[latest]


def amounts_overlap(a, b, tolerance_pct) -> bool:
    """Two amounts "overlap" for the duplicate check when they differ by at most ``tolerance_pct`` % of
    the larger one (both missing: overlap; one missing: not)."""
    if a is None and b is None:
        return True
    if a is None or b is None:
        return False
    a, b = Decimal(a), Decimal(b)
    big = max(abs(a), abs(b))
    if big == 0:
        return True
    return abs(a - b) * HUNDRED <= big * Decimal(tolerance_pct or 0)


def rule_score(max_score, achieved, target) -> Decimal:
    """A scoring rule's points: ``max_score`` × achieved ÷ target, capped at 100 % (domain doc §2.7)."""
    if target in (None, 0):
        return Decimal(0)
    share = min(Decimal(achieved or 0) / Decimal(target), Decimal(1))
    share = max(share, Decimal(0))
    return (Decimal(max_score) * share).quantize(CENT, ROUND_HALF_UP)


def rank(totals: dict) -> dict:
    """Competition ranking (1, 2, 2, 4) of ``{key: total}``, highest first."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks, prev, pos = {}, None, 0
    for i, (key, total) in enumerate(ordered, start=1):
        if total != prev:
            pos, prev = i, total
        ranks[key] = pos
    return ranks
