"""The engine on plain values: normalisers, missing-value rules, weights, adjustments, ranks, grades."""

import math

import numpy as np
import pytest

from zonebook.evaluation import calc, normalisers
from zonebook.evaluation.calc import AdjustmentSpec, IndicatorSpec, Spec

NAN = math.nan


def test_minmax_efficacy_zscore_benchmark():
    x = np.array([10.0, 20.0, 30.0])
    p = np.ones(3, dtype=bool)
    assert normalisers.minmax(x, p, True).tolist() == [0.0, 50.0, 100.0]
    assert normalisers.minmax(x, p, False).tolist() == [100.0, 50.0, 0.0]
    assert normalisers.efficacy(x, p, True).tolist() == [60.0, 80.0, 100.0]
    z = normalisers.zscore(x, p, True)
    assert z[1] == 50.0 and z[2] == pytest.approx(50 + 10 * 10 / np.std(x))
    assert normalisers.benchmark(x, p, True, 25).tolist() == [40.0, 80.0, 100.0]
    assert normalisers.benchmark(x, p, False, None).tolist() == [100.0, 50.0, pytest.approx(100 / 3)]
    # all equal: everyone gets the full score; an excluded value stays NaN
    same = normalisers.minmax(np.array([5.0, 5.0, 7.0]), np.array([True, True, False]), True)
    assert same[:2].tolist() == [100.0, 100.0] and math.isnan(same[2])


def spec(missing="zero", grades=(("A", "20"), ("B", None), ("C", None), ("D", None))):
    return Spec(indicators=[IndicatorSpec("X", "c1", 60.0, missing=missing),
                            IndicatorSpec("Y", "c2", 40.0, higher=False, missing=missing)],
                grade_rules=list(grades), decimals=2)


def test_weighted_totals_and_competition_ranks():
    raw = np.array([[100, 1], [50, 2], [0, 3], [100, 1], [50, 3]], dtype=float)
    out = calc.evaluate(spec(), ["东部", "东部", "中西部", "中西部", "中西部"], raw)
    # X min-max 0..100 × 60, Y inverted (1 best) × 40
    assert out.total.tolist() == [100.0, 50.0, 0.0, 100.0, 30.0]
    assert out.rank_nation.tolist() == [1, 3, 5, 1, 4]  # "1224"-style ties
    assert out.rank_group.tolist() == [1, 2, 3, 1, 2]
    # A = top 20 % of 5 = 1 place; the tie at 1 gets A twice; B is not configured: nothing below A
    assert out.grade == ["A", "", "", "A", ""]
    assert out.categories["c1"].tolist() == [60.0, 30.0, 0.0, 60.0, 30.0]


def test_missing_rules_zero_median_exclude():
    raw = np.array([[100, 1], [NAN, 2], [0, 3]], dtype=float)
    groups = ["g", "g", "g"]
    zero = calc.evaluate(spec("zero"), groups, raw)
    assert zero.rules[1, 0] == "zero" and zero.used[1, 0] == 0
    med = calc.evaluate(spec("median"), groups, raw)
    assert med.rules[1, 0] == "median" and med.used[1, 0] == 50.0
    exc = calc.evaluate(spec("exclude"), groups, raw)
    assert exc.rules[1, 0] == "exclude" and math.isnan(exc.scores[1, 0])
    # Y of entity 1 is 2 -> 50 points of 100 on Y alone; excluded X rescales it to the full weight
    assert exc.total[1] == 50.0 and exc.contributions[1, 1] == pytest.approx(50.0)


def test_group_median_and_group_weights():
    ind = [IndicatorSpec("X", "c", 50.0, missing="median", group_weights={"b": 80.0}),
           IndicatorSpec("Y", "c", 50.0, group_weights={"b": 20.0})]
    raw = np.array([[10, 0], [30, 0], [NAN, 0], [100, 10]], dtype=float)
    out = calc.evaluate(Spec(ind), ["a", "a", "a", "b"], raw)
    assert out.used[2, 0] == 20.0  # median of its own group (10, 30), not of everyone
    # entity 3: X 100 -> 100 × 0.8 = 80, Y 10 -> 100 × 0.2 = 20
    assert out.total[3] == 100.0


def test_adjustments_cap_and_veto():
    s = Spec([IndicatorSpec("X", "c", 100.0)], adjustments=[
        AdjustmentSpec("bonus", "bonus", 1.0, cap=2.0), AdjustmentSpec("minus", "deduction", 0.3),
        AdjustmentSpec("veto", "veto")], grade_rules=[("A", "50"), ("B", None)])
    raw = np.array([[0.0], [50.0], [100.0], [100.0]])
    out = calc.evaluate(s, ["g"] * 4, raw, {"bonus": np.array([5, 0, 0, 0]), "minus": np.array([0, 1, 0, 0]),
                                            "veto": np.array([0, 0, 0, 1])})
    assert out.total.tolist() == [2.0, 49.7, 100.0, 100.0]
    assert bool(out.disqualified[3]) and out.rank_nation[3] == 0 and out.grade[3] == ""
    assert out.n_nation == 3 and out.rank_nation.tolist()[:3] == [3, 2, 1]


def test_grade_cut_offs_round_half_up():
    assert calc.cut_count("20", 137) == 27 and calc.cut_count("20", 154) == 31
    ranks = np.arange(1, 11)
    assert calc.grades_for(ranks, 10, [("A", "20"), ("B", "50"), ("C", "90"), ("D", None)]) == \
        ["A", "A", "B", "B", "B", "C", "C", "C", "C", "D"]


def test_rounding_half_up_at_the_decimals():
    assert calc.round_half_up(np.array([84.125, -1.005, 2.675]), 2).tolist() == [84.13, -1.01, 2.68]
