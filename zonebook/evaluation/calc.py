"""The evaluation engine on plain values (no database): a matrix of raw values (entities × indicators)
and a scheme spec in, scores, totals, ranks and grades out — vectorised with numpy, one pass per
indicator column and per peer group, never a loop over entities.

Steps (docs/evaluation.md):

1. missing values per the indicator's rule: ``zero`` (counted as 0), ``median`` (the median of the
   entity's peer group, else of all entities; with no value anywhere the value is excluded),
   ``exclude`` (the indicator is left out for that entity and its other weights are scaled up so the
   entity can still reach the full score);
2. normalisation per indicator over every entity of the run (``normalisers``);
3. contribution = score / 100 × weight (the peer group's weight where the scheme sets one);
4. total = Σ contributions (rescaled for exclusions) + bonuses − deductions, rounded half up to the
   version's decimals; a veto disqualifies (no rank, no grade);
5. competition ranks ("1224") nationally and within the peer group, on the rounded totals;
6. grades from the national (and group) rank: cumulative top-% cut-offs, ``round_half_up(p × n)``;
   a cut-off not configured stops grading there (no grade below it is published), the last grade
   takes the rest when every cut-off above it is configured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from . import normalisers

RULE_NONE, RULE_ZERO, RULE_MEDIAN, RULE_EXCLUDE = "", "zero", "median", "exclude"


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    category: str
    weight: float
    higher: bool = True
    normaliser: str = "minmax"
    missing: str = RULE_ZERO
    benchmark: float | None = None
    group_weights: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AdjustmentSpec:
    code: str
    kind: str  # bonus | deduction | veto
    points: float = 0.0
    cap: float | None = None


@dataclass(frozen=True)
class Spec:
    indicators: Sequence[IndicatorSpec]
    adjustments: Sequence[AdjustmentSpec] = ()
    grade_rules: Sequence = ()  # [(grade, top % or None), …]
    decimals: int = 2

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.indicators]


@dataclass
class Outcome:
    raw: np.ndarray  # (n, m) as given, NaN = missing
    used: np.ndarray  # (n, m) after the missing-value rules, NaN = excluded
    rules: np.ndarray  # (n, m) object: the rule applied to a missing value, "" when present
    scores: np.ndarray  # (n, m) 0…100, NaN when excluded
    contributions: np.ndarray  # (n, m) points, rescaled for exclusions
    categories: dict  # category -> (n,) points
    base: np.ndarray  # (n,) Σ contributions
    adjustment: np.ndarray  # (n,) bonuses − deductions
    exact: np.ndarray  # (n,) base + adjustment, unrounded
    total: np.ndarray  # (n,) rounded to the spec's decimals
    disqualified: np.ndarray  # (n,) bool
    rank_nation: np.ndarray  # (n,) int, 0 = not ranked
    n_nation: int
    rank_group: np.ndarray  # (n,) int, 0 = not ranked
    n_group: np.ndarray  # (n,) int
    grade: list
    grade_group: list


def round_half_up(values: np.ndarray, decimals: int) -> np.ndarray:
    """Half away from zero at ``decimals``, after cutting float noise at 6 places below them."""
    scale = 10.0**decimals
    v = np.round(np.asarray(values, dtype=float) * scale, 6)
    return np.sign(v) * np.floor(np.abs(v) + 0.5) / scale


def cut_count(pct, n: int) -> int:
    """How many places a top-``pct`` % cut-off gives among ``n``: round half up of pct × n / 100."""
    return int((Decimal(str(pct)) * n / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def competition_ranks(totals: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, int]:
    """Competition ranks ("1224") of ``totals`` (higher first) among ``eligible``; 0 elsewhere."""
    ranks = np.zeros(totals.shape, dtype=int)
    pool = np.sort(totals[eligible])
    n = len(pool)
    if n:
        greater = n - np.searchsorted(pool, totals[eligible], side="right")
        ranks[eligible] = greater + 1
    return ranks, n


def grades_for(ranks: np.ndarray, n: int, rules: Sequence) -> list[str]:
    out = [""] * len(ranks)
    if not rules or n == 0:
        return out
    bounds: list[tuple[str, int]] = []
    for i, (grade, pct) in enumerate(rules):
        last = i == len(rules) - 1
        if pct is None:
            if last:
                bounds.append((grade, n))
            break
        bounds.append((grade, cut_count(pct, n)))
    for idx, r in enumerate(ranks):
        if r <= 0:
            continue
        for grade, limit in bounds:
            if r <= limit:
                out[idx] = grade
                break
    return out


def evaluate(spec: Spec, groups: Sequence[str], raw: np.ndarray, adjustments: dict | None = None) -> Outcome:
    """Scores of ``raw`` ((n, m) float, NaN = missing; columns in ``spec.indicators`` order) for the
    entities of ``groups`` (peer group per entity); ``adjustments`` maps an adjustment code to the
    (n,) occurrence counts."""
    raw = np.asarray(raw, dtype=float)
    n, m = raw.shape
    groups_arr = np.asarray(list(groups), dtype=object)
    group_names = sorted(set(groups_arr.tolist()))
    group_masks = {g: groups_arr == g for g in group_names}
    missing = np.isnan(raw)
    used = raw.copy()
    rules = np.full((n, m), RULE_NONE, dtype=object)

    # 1. missing values, per indicator rule (vectorised per column, per group)
    national_median = np.full(m, np.nan)
    if n:
        with np.errstate(all="ignore"):
            present_any = ~missing.all(axis=0)
            if present_any.any():
                national_median[present_any] = np.nanmedian(raw[:, present_any], axis=0)
    medians = np.tile(national_median, (n, 1))
    for mask in group_masks.values():
        sub = raw[mask]
        has = ~np.isnan(sub).all(axis=0)
        if has.any():
            med = national_median.copy()
            med[has] = np.nanmedian(sub[:, has], axis=0)
            medians[mask] = med
    for j, ind in enumerate(spec.indicators):
        col_missing = missing[:, j]
        if not col_missing.any():
            continue
        if ind.missing == RULE_ZERO:
            used[col_missing, j] = 0.0
            rules[col_missing, j] = RULE_ZERO
        elif ind.missing == RULE_MEDIAN:
            fill = medians[col_missing, j]
            used[col_missing, j] = fill
            rules[col_missing, j] = np.where(np.isnan(fill), RULE_EXCLUDE, RULE_MEDIAN)
        else:
            rules[col_missing, j] = RULE_EXCLUDE
    present = ~np.isnan(used)

    # 2. normalisation per indicator over all entities
    scores = np.full((n, m), np.nan)
    for j, ind in enumerate(spec.indicators):
        scores[:, j] = normalisers.get(ind.normaliser)(used[:, j], present[:, j], ind.higher, ind.benchmark)

    # 3. weights (per group where set) and contributions; exclusions rescale the entity's weights
    weights = np.tile(np.array([ind.weight for ind in spec.indicators], dtype=float), (n, 1))
    for j, ind in enumerate(spec.indicators):
        for g, w in (ind.group_weights or {}).items():
            if g in group_masks:
                weights[group_masks[g], j] = float(w)
    contrib = np.where(present, np.nan_to_num(scores) / 100.0 * weights, 0.0)
    full = weights.sum(axis=1)
    avail = np.where(present, weights, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(avail > 0, full / np.where(avail > 0, avail, 1.0), 0.0)
    contrib = contrib * factor[:, None]
    base = contrib.sum(axis=1)
    cats: dict[str, np.ndarray] = {}
    for j, ind in enumerate(spec.indicators):
        cats[ind.category] = cats.get(ind.category, np.zeros(n)) + contrib[:, j]

    # 4. bonuses, deductions, vetoes
    adjustment = np.zeros(n)
    disq = np.zeros(n, dtype=bool)
    for a in spec.adjustments:
        counts = np.asarray((adjustments or {}).get(a.code, np.zeros(n)), dtype=float)
        if a.kind == "veto":
            disq |= counts > 0
            continue
        pts = counts * a.points
        if a.cap is not None:
            pts = np.minimum(pts, a.cap)
        adjustment += pts if a.kind == "bonus" else -pts
    exact = base + adjustment
    total = round_half_up(exact, spec.decimals)

    # 5. ranks; 6. grades
    eligible = ~disq
    rank_nation, n_nation = competition_ranks(total, eligible)
    rank_group = np.zeros(n, dtype=int)
    n_group = np.zeros(n, dtype=int)
    grade_group = [""] * n
    for _g, mask in group_masks.items():
        r, k = competition_ranks(np.where(mask, total, -math.inf), eligible & mask)
        rank_group[mask] = r[mask]
        n_group[mask] = k
        gg = grades_for(r, k, spec.grade_rules)
        for i in np.flatnonzero(mask):
            grade_group[i] = gg[i]
    grade = grades_for(rank_nation, n_nation, spec.grade_rules)
    return Outcome(raw=raw, used=used, rules=rules, scores=scores, contributions=contrib, categories=cats,
                   base=base, adjustment=adjustment, exact=exact, total=total, disqualified=disq,
                   rank_nation=rank_nation, n_nation=n_nation, rank_group=rank_group, n_group=n_group,
                   grade=grade, grade_group=grade_group)


def dec(value: float, dp: int = 4) -> Decimal | None:
    """A float result as a Decimal at ``dp`` places (half up); None for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)
