"""The working-day calendar page: admins only, overrides added/removed with audit, the next-year
warning, and an override that contradicts the package shown as winning."""

import datetime as dt

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.sla import views, workcal
from zonebook.sla.models import CalendarOverride

pytestmark = pytest.mark.django_db
URL = "/sla/calendar/"


@pytest.fixture(autouse=True)
def _fresh_calendar():
    workcal.clear()
    yield
    workcal.clear()


@pytest.mark.parametrize("who", ["zone", "enterprise", "city", "customs"])
def test_only_reference_maintainers_reach_the_page(world, client, who):
    client.force_login(getattr(world.users, who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "add", "date": "2026-10-10", "is_working_day": "0", "reason": "x"}).status_code == 403
    assert not CalendarOverride.objects.exists()


def test_next_year_warning_when_the_package_does_not_cover_it(world, client, monkeypatch):
    client.force_login(world.users.admin)
    monkeypatch.setattr(views, "_today", lambda: dt.date(2026, 12, 4))
    body = client.get(URL).content.decode()
    assert "请录入下一年度国务院节假日安排" in body
    monkeypatch.setattr(views, "_today", lambda: dt.date(2025, 12, 4))  # 2026 is published
    assert "请录入下一年度国务院节假日安排" not in client.get(URL).content.decode()


def test_add_an_override_that_contradicts_the_package_then_remove_it(world, client):
    client.force_login(world.users.province)
    r = client.post(URL, {"action": "add", "date": "2026-10-10", "is_working_day": "0", "reason": "本地调休"})
    assert r.status_code == 302
    o = CalendarOverride.objects.get()
    assert (o.date, o.is_working_day, o.reason) == (dt.date(2026, 10, 10), False, "本地调休")
    assert AuditEntry.objects.filter(code="sla.calendaroverride.created", actor=world.users.province).exists()
    # the calendar uses it at once: the package's make-up Saturday is a local day off
    assert workcal.add_working_days(dt.date(2026, 10, 9), 1)[0] == dt.date(2026, 10, 12)
    body = client.get(URL).content.decode()
    assert 'id="override-2026-10-10"' in body and "本地调整优先" in body and "本地调休" in body and "国庆节" in body
    # a reason is required
    r = client.post(URL, {"action": "add", "date": "2026-10-11", "is_working_day": "1", "reason": "  "})
    assert r.status_code == 200 and CalendarOverride.objects.count() == 1
    client.post(URL, {"action": "remove", "override": o.pk})
    assert not CalendarOverride.objects.exists()
    assert AuditEntry.objects.filter(code="sla.calendaroverride.deleted").exists()
    assert workcal.add_working_days(dt.date(2026, 10, 9), 1)[0] == dt.date(2026, 10, 10)


def test_confirm_a_year_from_the_page(world, client):
    client.force_login(world.users.admin)
    assert workcal.get_calendar().is_provisional_year(2027)
    client.post(URL, {"action": "confirm", "year": "2027"})
    assert not workcal.get_calendar().is_provisional_year(2027)
    assert AuditEntry.objects.filter(code="sla.calendaryear.confirmed").exists()
