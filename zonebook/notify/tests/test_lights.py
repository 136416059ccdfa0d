"""THE traffic-light rule: boundaries, overdue, share of a clock, labels, and its SQL twin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import DateField, Value
from django.utils import translation

from zonebook.notify import lights
from zonebook.notify.models import Notification


@pytest.mark.parametrize(
    "days, light",
    [(-5, "red"), (0, "red"), (30, "red"), (31, "amber"), (60, "amber"), (61, "green"), (None, "")],
)
def test_boundaries(days, light):
    assert lights.traffic_light(days, amber=60, red=30) == light


@pytest.mark.parametrize("days, light", [(-1, "overdue"), (0, "red"), (3, "red"), (4, "amber"), (11, "green")])
def test_overdue_is_opt_in(days, light):
    assert lights.traffic_light(days, amber=10, red=3, overdue_below=0) == light


def test_red_above_amber_is_a_programming_error():
    with pytest.raises(ValueError, match="exceeds amber"):
        lights.traffic_light(5, amber=3, red=10)


@pytest.mark.parametrize(
    "remaining, light",
    # a 20-working-day clock warning at 25 % left (5 days): amber at ≤ 5, red when none left, then overdue
    [(20, "green"), (6, "green"), (5, "amber"), (Decimal("0.5"), "amber"), (0, "red"), (-1, "overdue")],
)
def test_share_light_of_a_clock(remaining, light):
    assert lights.share_light(remaining, 20, warn_pct=25) == light


def test_info_and_badge_are_translated():
    with translation.override("zh-hans"):
        assert lights.light_info("amber").label == "黄灯"
        assert lights.light_info("overdue").label == "已逾期"
        html = lights.light_badge("red", 5)
    assert html == '<span class="badge text-bg-danger" data-light="red">5</span>'
    assert lights.light_info("").css == "text-bg-secondary"
    assert lights.SEVERITY["overdue"] > lights.SEVERITY["red"] > lights.SEVERITY["amber"]


@pytest.mark.django_db
@pytest.mark.parametrize("overdue", [False, True])
def test_sql_twin_classifies_exactly_as_python(world, overdue):
    """``date_light_case`` / ``date_light_q`` agree with ``traffic_light`` for every day around the
    thresholds (a date column: days left = due − today)."""
    Notification.objects.create(recipient=world.users.zone, kind="x", dedupe_key="k")
    today = dt.date(2026, 6, 10)
    for days in range(-3, 40):
        due = today + dt.timedelta(days=days)
        qs = Notification.objects.annotate(due=Value(due, output_field=DateField()))
        whens = lights.date_light_whens("due", today, amber_days=30, red_days=7, overdue=overdue)
        got = qs.annotate(light=lights.date_light_case(whens)).values_list("light", flat=True).get()
        expected = lights.traffic_light(days, amber=30, red=7, overdue_below=0 if overdue else None)
        assert got == expected, days
        for light in lights.LIGHTS:
            matches = qs.filter(
                lights.date_light_q(light, "due", today, amber_days=30, red_days=7, overdue=overdue)
            ).exists()
            assert matches == (light == expected), (days, light)
