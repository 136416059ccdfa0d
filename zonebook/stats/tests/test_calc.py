"""Hand-computed checks of ``stats.calc`` (domain spec §7.3–§7.4, §10; seed 000: Chengdu EPZ 2008)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.stats import calc


def r1(p):
    return p.rounded(1)


class TestChengduEPZ2008:
    """Seed 000: 进出口总额47.5亿美元, 同比增长101.3%; 出口17.4 (+91.2 %, 55.6 % of Sichuan processing-trade
    exports), 进口30.1 (+107.6 %, 88.3 %); 超额完成全年目标任务的70% (=170 %)."""

    def test_2007_base_from_growth(self):
        # 47.5 / 2.013 = 23.597… -> 23.60, and 9.10 + 14.50 = 23.60
        assert calc.base_from_growth(D("47.5"), D("101.3")).quantize(D("0.01")) == D("23.60")

    def test_yoy_trade_exports_imports(self):
        # (47.5 − 23.6) / 23.6 = 23.9 / 23.6 = 1.012711… -> 101.3 %
        assert r1(calc.yoy(D("47.5"), D("23.6"))) == D("101.3")
        # 8.3 / 9.1 = 0.912087… -> 91.2 % ; 15.6 / 14.5 = 1.075862… -> 107.6 %
        assert r1(calc.yoy(D("17.4"), D("9.10"))) == D("91.2")
        assert r1(calc.yoy(D("30.1"), D("14.50"))) == D("107.6")

    def test_shares_of_province(self):
        # 17.4 / 31.3 = 0.555910… -> 55.6 % ; 30.1 / 34.1 = 0.882697… -> 88.3 %
        assert r1(calc.share(D("17.4"), D("31.3"))) == D("55.6")
        assert r1(calc.share(D("30.1"), D("34.1"))) == D("88.3")

    def test_target_completion_170(self):
        # 47.5 / 27.9 = 1.702508… -> 170 % ("超额完成…70%")
        assert calc.completion(D("47.5"), D("27.9")).rounded(0) == D("170")
        assert calc.completion(D("47.5"), D("27.9")).value == D("170.2509")

    def test_rank_5_nationally_first_in_central_west(self):
        values = {"sz": D(95), "sh": D(80), "km": D(70), "tj": D(60), "cd": D("47.5"), "xa": D(20), "wh": D(30)}
        groups = {"sz": "east", "sh": "east", "km": "east", "tj": "east", "cd": "cw", "xa": "cw", "wh": "cw"}
        assert calc.rank(values)["cd"] == 5
        ranks = calc.rank_in_groups((k, groups[k], v) for k, v in values.items())
        assert ranks["cd"] == (1, 3)
        assert ranks["sz"] == (1, 4)


class TestMonthsAndCumulatives:
    def test_month_from_cumulative(self):
        assert calc.month_from_cumulative(D(30), D(18), 3) == D(12)
        assert calc.month_from_cumulative(D(7), None, 1) == D(7)  # January = cumulative
        assert calc.month_from_cumulative(D(30), None, 3) is None  # never guessed

    def test_months_from_cumulative_skips_gaps(self):
        assert calc.months_from_cumulative({1: D(5), 2: D(12), 4: D(30)}) == {1: D(5), 2: D(7)}

    def test_cumulative_from_months(self):
        assert calc.cumulative_from_months({1: D(5), 2: D(7), 3: D("0.5")}) == {1: D(5), 2: D(12), 3: D("12.5")}
        assert calc.cumulative_from_months({1: D(5), 3: D(7)}) == {1: D(5)}

    def test_round_trip(self):
        months = {m: D(m * 3 + 1) for m in range(1, 13)}
        assert calc.months_from_cumulative(calc.cumulative_from_months(months)) == months


class TestGrowth:
    def test_guangzhou_total_2021(self):
        # 16,745,149 / 13,761,247 − 1 = 0.216834… -> 21.68 %
        assert calc.yoy(D(16745149), D(13761247)).rounded(2) == D("21.68")

    @pytest.mark.parametrize(
        ("cur", "prior", "reason"),
        [(D(5), D(0), calc.ZERO_BASE), (D(5), None, calc.MISSING_BASE), (None, D(5), calc.MISSING_VALUE),
         (D(5), D(-2), calc.NEGATIVE_BASE)],
    )
    def test_growth_without_base_is_a_dash_with_reason(self, cur, prior, reason):
        p = calc.yoy(cur, prior)
        assert p.value is None and p.reason == reason and str(p) == "—"

    def test_two_year_average(self):
        # √(1.2 × 1.1) − 1 = √1.32 − 1 = 0.148913… -> 14.89 %
        assert calc.two_year_avg(D(20), D(10)).rounded(2) == D("14.89")
        # from values: 132 two years after 100 -> same
        assert calc.two_year_avg_from_values(D(132), D(100)).rounded(2) == D("14.89")
        assert calc.two_year_avg_from_values(D(132), D(0)).reason == calc.ZERO_BASE

    def test_growth_multiple(self):
        assert calc.growth_multiple(D("1.1")) == D("2.1")  # Sichuan 2020: "增长1.1倍"
        assert (D(500) / calc.growth_multiple(D("1.1"))).quantize(D(1)) == D(238)
        assert D(50) * (1 + D(50) / 100) == D(75)  # Hunan 2013

    def test_haikou_base(self):
        # 成都高新 2024: 5,021 (+23.4 %) -> 2023 ≈ 4,069
        assert calc.base_from_growth(D(5021), D("23.4")).quantize(D(1)) == D(4069)


class TestSharesTargetsSchedule:
    def test_share_change_in_pp(self):
        now, before = calc.share(D("17.4"), D("31.3")), calc.share(D("9.1"), D("20"))  # 55.5911 vs 45.5
        assert calc.pp_change(now, before).value == D("10.0911")
        assert calc.pp_change(now, None).reason == calc.MISSING_BASE

    def test_share_zero_whole(self):
        assert calc.share(D(1), D(0)).reason == calc.ZERO_BASE

    def test_schedule_progress_and_ahead(self):
        assert calc.schedule_progress(6) == D(50)
        assert calc.ahead_pp(D("56.6"), calc.schedule_progress(6)).value == D("6.6")
        assert calc.ahead_pp(D("40"), calc.schedule_progress(9)).value == D("-35")
        assert calc.schedule_progress(15) == D(100)
        # a 2016–2020 goal in 2018-06: 30 of 60 months
        assert calc.schedule_progress(calc.months_elapsed((2016, 1), (2018, 6)), 60) == D(50)

    def test_no_target(self):
        assert calc.completion(D(5), None).reason == calc.NO_TARGET
        assert calc.ahead_pp(calc.completion(D(5), None), D(50)).reason == calc.NO_TARGET


class TestRanks:
    def test_competition_ranking_1224(self):
        assert calc.rank({"a": D(10), "b": D(8), "c": D(8), "d": D(5), "e": None}) == {"a": 1, "b": 2, "c": 2, "d": 4}

    def test_ascending(self):
        assert calc.rank({"a": D(1), "b": D(2)}, descending=False) == {"a": 1, "b": 2}


class TestCurrency:
    def test_no_silent_mix(self):
        with pytest.raises(calc.CurrencyMismatch):
            calc.share(D(1), D(2), currencies=("USD", "CNY"))
        with pytest.raises(calc.CurrencyMismatch):
            calc.yoy(D(1), D(2), currencies=("CNY", "USD"))
        assert calc.share(D(1), D(2), currencies=("USD", "USD")).value == D(50)

    def test_conversion_names_its_rate(self):
        c = calc.convert(D("47.5"), "USD", "CNY", D("6.9451"), "2008 annual average, PBoC")
        assert c.value == D("329.892250") and c.rate == D("6.9451") and c.rate_note
        with pytest.raises(ValueError):
            calc.convert(D(1), "USD", "CNY", D("6.9"), "")


class TestDefinitionsAndValidation:
    def test_comparison_across_a_break(self):
        breaks = [dt.date(2021, 1, 1)]
        assert calc.crosses_break(dt.date(2020, 6, 1), dt.date(2021, 6, 1), breaks) == [dt.date(2021, 1, 1)]
        assert calc.crosses_break(dt.date(2021, 6, 1), dt.date(2022, 6, 1), breaks) == []

    def test_magnitude_jump(self):
        assert calc.magnitude_jump(D(475000), D("47.5")) == 4  # 万 given for 亿
        assert calc.magnitude_jump(D("0.00475"), D("47.5")) == -4
        assert calc.magnitude_jump(D("4750000000"), D("47.5")) == 8
        assert calc.magnitude_jump(D("52"), D("47.5")) == 0
