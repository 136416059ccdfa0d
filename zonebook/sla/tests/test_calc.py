"""The working-day calendar and the light rule, without the database (hand-checked against the State
Council arrangements for 2026: 国办发明电〔2025〕7号)."""

import datetime as dt

import pytest

from zonebook.sla import calc

D = dt.date


@pytest.fixture(scope="module")
def cal():
    return calc.WorkCalendar()


def test_spring_festival_2026(cal):
    # 春节 15–23 Feb 2026 off; Saturday 14 Feb and Saturday 28 Feb are make-up working days
    assert cal.is_working_day(D(2026, 2, 14))
    assert not cal.is_working_day(D(2026, 2, 16))
    assert not cal.is_working_day(D(2026, 2, 23))
    assert cal.is_working_day(D(2026, 2, 28))
    # Friday 13 Feb + 1 → the make-up Saturday; + 2 → Tuesday 24 Feb after the holiday
    assert cal.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    # 14, 24, 25, 26, 27 Feb
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 27)) == 5
    assert cal.working_days_between(D(2026, 2, 27), D(2026, 2, 13)) == -5
    assert not cal.provisional_between(D(2026, 2, 13), D(2026, 2, 27))


def test_national_day_2026_with_make_up_days(cal):
    # 国庆 1–7 Oct off; Sunday 20 Sep and Saturday 10 Oct are make-up working days
    assert cal.is_working_day(D(2026, 9, 20))
    assert cal.is_working_day(D(2026, 10, 10))
    assert not cal.is_working_day(D(2026, 10, 1)) and not cal.is_working_day(D(2026, 10, 7))
    # 30 Sep + 3 → 8, 9, 10 Oct (the Saturday counts)
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    # backwards across the holiday: the 3rd working day before 10 Oct is 30 Sep
    assert cal.add_working_days(D(2026, 10, 10), -3) == D(2026, 9, 30)
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4


def test_deadline_into_an_uncovered_year_is_provisional_not_an_error(cal):
    assert not calc.package_covers(2027)
    day = cal.add_working_days(D(2026, 12, 25), 10)
    # weekday rule in 2027: 28–31 Dec 2026 (Mon–Thu; 1 Jan 2027 is a Friday, working by the fallback)
    assert day == D(2027, 1, 8)
    assert cal.provisional_between(D(2026, 12, 25), day)
    assert calc.package_is_working_day(D(2027, 1, 4)) is None
    # once the administrator confirms 2027 (its arrangement entered as overrides) it is not provisional
    confirmed = calc.WorkCalendar({D(2027, 1, 1): False}, confirmed_years=[2027])
    assert confirmed.add_working_days(D(2026, 12, 25), 10) == D(2027, 1, 11)
    assert not confirmed.provisional_between(D(2026, 12, 25), D(2027, 1, 11))


def test_local_override_wins_over_the_package():
    # 10 Oct 2026 is a make-up working Saturday in the package; a local day off wins
    cal = calc.WorkCalendar({D(2026, 10, 10): False, D(2026, 10, 1): True})
    assert not cal.is_working_day(D(2026, 10, 10))
    assert cal.is_working_day(D(2026, 10, 1))
    assert cal.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 1)
    assert cal.add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)


def test_many_matches_one_by_one(cal):
    starts = [D(2026, 1, 1) + dt.timedelta(days=i * 3) for i in range(150)]
    ns = [i % 25 for i in range(150)]
    assert cal.add_working_days_many(starts, ns) == [cal.add_working_days(s, n) for s, n in zip(starts, ns, strict=True)]


def test_hour_limits_across_lunch_and_a_weekend(cal):
    # office hours 08:30–12:00, 13:30–17:30 (7.5 h a day)
    assert cal.office_hours.minutes_per_day == 450
    fri = dt.datetime(2026, 3, 13, 11, 0)  # Friday
    # 1 h before lunch, then 2 h after lunch
    assert cal.add_working_minutes(fri, 3 * 60) == dt.datetime(2026, 3, 13, 15, 30)
    # 8 h: 1 h + 4 h on Friday, the weekend skipped, 3 h on Monday morning
    assert cal.add_working_minutes(fri, 8 * 60) == dt.datetime(2026, 3, 16, 11, 30)
    assert cal.working_minutes_between(fri, dt.datetime(2026, 3, 16, 11, 30)) == 8 * 60
    # starting during the lunch break counts from 13:30
    assert cal.add_working_minutes(dt.datetime(2026, 3, 13, 12, 40), 30) == dt.datetime(2026, 3, 13, 14, 0)
    # backwards across the weekend
    assert cal.add_working_minutes(dt.datetime(2026, 3, 16, 11, 30), -8 * 60) == fri


def test_configurable_office_hours():
    hours = calc.OfficeHours.from_mapping({"start": "09:00", "lunch_start": "12:00", "lunch_end": "13:00", "end": "18:00"})
    cal = calc.WorkCalendar(office_hours=hours)
    assert hours.minutes_per_day == 480
    assert cal.add_working_minutes(dt.datetime(2026, 3, 13, 11, 0), 2 * 60) == dt.datetime(2026, 3, 13, 14, 0)


@pytest.mark.parametrize(
    ("remaining", "total", "expected"),
    [(10, 10, "green"), (6, 10, "green"), (5, 10, "amber"), (2, 10, "amber"), (1, 10, "red"), (0, 10, "red"),
     (-1, 10, "overdue"), (None, 10, "")],
)
def test_light_for(remaining, total, expected):
    from zonebook.sla.services import light_of

    assert light_of(remaining, total, 50, 90) == expected
