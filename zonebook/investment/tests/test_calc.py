"""The domain doc's worked checks (§2.6, §2.7) on the pure calculations."""

from decimal import Decimal

from zonebook.investment import calc


def test_performing_start_and_funds_rates_xuchang_2017():
    assert calc.pct(244, 247) == Decimal("98.79")  # 履约率 ≈ 98.8 %
    assert calc.pct(222, 247) == Decimal("89.88")  # 开工率 ≈ 90 %
    assert calc.pct(370, 1077) == Decimal("34.35")  # 资金到位率 ≈ 34 %


def test_target_completion_and_schedule_gap_panzhihua():
    completion = calc.pct(Decimal("1005136"), Decimal("800000"))  # 1,005,136 万元 ÷ 80 亿元
    assert completion == Decimal("125.64")
    assert calc.time_progress(10) == Decimal("83.33")
    assert calc.schedule_gap(completion, 10) == Decimal("42.31")  # 超进度
    assert calc.schedule_gap(Decimal("70.41"), 10) == Decimal("-12.92")  # 欠进度


def test_rates_without_denominator_are_none():
    assert calc.pct(3, 0) is None
    assert calc.yoy(5, 0) is None
    assert calc.yoy(Decimal(120), Decimal(100)) == Decimal("20.00")


def test_stage_is_the_latest_milestone():
    assert calc.stage_from([]) == "lead"
    assert calc.stage_from(["lead", "talks", "signed"]) == "signed"
    assert calc.stage_from(["signed", "registered", "land"]) == "registered"
    assert calc.stage_from(["signed", "started", "statistics"]) == "building"
    assert calc.stage_from(["capacity", "signed"]) == "capacity"


def test_amounts_overlap_within_tolerance():
    assert calc.amounts_overlap(Decimal(100), Decimal(91), 10)
    assert not calc.amounts_overlap(Decimal(100), Decimal(89), 10)
    assert not calc.amounts_overlap(None, Decimal(1), 10)


def test_rule_score_capped_and_rank_ties():
    # county 2024 example: (0.8 × 0.5 + 1.2 × 0.5) × 0.5 = 0.50 — with the 100 % cap per item 0.45
    assert calc.rule_score(Decimal("0.25"), 8, 10) + calc.rule_score(Decimal("0.25"), 6, 5) == Decimal("0.45")
    assert calc.rank({"a": Decimal(90), "b": Decimal(95), "c": Decimal(90), "d": Decimal(10)}) == {
        "b": 1,
        "a": 2,
        "c": 2,
        "d": 4,
    }
