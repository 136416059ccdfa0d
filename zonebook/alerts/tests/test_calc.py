"""Pure calculations against hand-computed examples."""

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.alerts import calc
from zonebook.notify import lights

d = dt.date


@pytest.mark.parametrize(
    "declared, due",
    [
        (d(2026, 3, 10), d(2026, 4, 15)),  # March → 15 April
        (d(2026, 3, 31), d(2026, 4, 15)),  # the last day of the month counts for that month
        (d(2026, 12, 1), d(2027, 1, 15)),  # December → 15 January of the next year (year end)
        (d(2026, 12, 31), d(2027, 1, 15)),
        (d(2027, 1, 1), d(2027, 2, 15)),
    ],
)
def test_tax_due_is_the_15th_of_the_next_month(declared, due):
    assert calc.tax_due_date(declared) == due


def test_tax_due_day_is_configurable():
    assert calc.tax_due_date(d(2026, 11, 20), due_day=10) == d(2026, 12, 10)


def test_writeoff_deadline_of_a_handbook_is_30_days_after_the_later_of_export_and_expiry():
    # last export 2026-05-20, expiry 2026-06-30 → later = 2026-06-30; + 30 days = 2026-07-30
    assert calc.writeoff_due_date(
        True, last_export=d(2026, 5, 20), valid_until=d(2026, 6, 30), cycle_end=None
    ) == d(2026, 7, 30)
    # export after expiry (2026-07-10) → 2026-07-10 + 30 = 2026-08-09
    assert calc.writeoff_due_date(
        True, last_export=d(2026, 7, 10), valid_until=d(2026, 6, 30), cycle_end=None
    ) == d(2026, 8, 9)
    # no export yet: expiry + 30 (2026-12-15 + 30 = 2027-01-14, across the year end)
    assert calc.writeoff_due_date(True, last_export=None, valid_until=d(2026, 12, 15), cycle_end=None) == d(
        2027, 1, 14
    )
    assert calc.writeoff_due_date(True, last_export=None, valid_until=None, cycle_end=d(2026, 1, 1)) is None


def test_writeoff_deadline_of_an_ebook_is_the_cycle_end_plus_grace():
    # cycle end 2026-06-30 + 30 = 2026-07-30; grace 10 → 2026-07-10
    assert calc.writeoff_due_date(False, last_export=None, valid_until=None, cycle_end=d(2026, 6, 30)) == d(
        2026, 7, 30
    )
    assert calc.writeoff_due_date(
        False, last_export=d(2026, 1, 1), valid_until=d(2027, 1, 1), cycle_end=d(2026, 6, 30), grace_days=10
    ) == d(2026, 7, 10)


@pytest.mark.parametrize(
    "days, light",
    [(-5, "red"), (0, "red"), (30, "red"), (31, "amber"), (60, "amber"), (61, "green"), (None, "")],
)
def test_traffic_light_boundaries(days, light):
    assert lights.traffic_light(days, amber=60, red=30) == light


def test_median_odd_and_even():
    assert calc.median([D("1.5"), D("1.0"), D("1.2")]) == D("1.2")  # sorted 1.0 1.2 1.5 → middle
    assert calc.median([D("2.0"), D("1.0"), D("1.5"), D("1.2")]) == D("1.35")  # (1.2 + 1.5) / 2
    assert calc.median([D("0.000000001"), D("0.000000002")]) == D("0.0000000015")  # exact, no float
    assert calc.median([]) is None


def test_deviation_and_thresholds():
    assert calc.deviation_pct(D("1.5"), D("1.2")) == D("25.0000")
    assert calc.deviation_pct(D("1.5"), D("1.35")) == D("11.1111")
    assert calc.deviation_pct(D("1"), D("0")) is None
    assert calc.exceeds(D("1.15"), D("1"), D("10"), relative=True)
    assert not calc.exceeds(D("1.10"), D("1"), D("10"), relative=True)  # exactly 10 % is not "more than"
    assert not calc.exceeds(D("1"), D("0"), D("10"), relative=True)
    assert calc.exceeds(D("4"), D("1"), D("2"), relative=False)  # 3 points > 2
    assert not calc.exceeds(D("3"), D("1"), D("2"), relative=False)


def test_actual_consumption_from_the_stocktake_difference():
    # filed 200, 差异 = 实际 80 − 应剩余 100 = −20 (short) → actual 220
    assert calc.actual_consumption(D("200"), D("-20")) == D("220")
    assert calc.actual_consumption(D("200"), D("15")) == D("185")
