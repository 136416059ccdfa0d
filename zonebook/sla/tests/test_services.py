"""Clocks, pauses, policies in each unit, provisional deadlines and the escalation run."""

import datetime as dt
import io
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from zonebook.audit.models import AuditEntry
from zonebook.sla import hooks, services, workcal
from zonebook.sla.models import Deadline, Escalation, PauseInterval

pytestmark = pytest.mark.django_db


def at(y, m, d, h=0, mi=0, s=0):
    return timezone.make_aware(dt.datetime(y, m, d, h, mi, s))


def eod(y, m, d):
    return at(y, m, d, 23, 59, 59)


@pytest.fixture(autouse=True)
def _fresh_calendar_and_hooks():
    workcal.clear()
    saved = dict(hooks.closed_filters)
    yield
    workcal.clear()
    hooks.set_notifier(None)
    hooks.closed_filters.clear()
    hooks.closed_filters.update(saved)


@pytest.fixture
def items(db):
    """Tracked items: any model will do; users are at hand (closed = deactivated)."""
    User = get_user_model()
    return [User.objects.create(username=f"item{i}") for i in range(3)]


@pytest.fixture
def days_policy(db):
    return services.define_policy(
        "test.request", name="Request", legal_limit=20, promised_limit=10,
        steps=[(-1, "handler"), (0, "unit_head"), (2, "leader")],
    )


def test_working_day_deadline_over_national_day(items, days_policy):
    d = services.start_clock(items[0], days_policy, started_at=at(2026, 9, 28, 10))
    # promised 10: 29, 30 Sep, 8, 9, 10 (make-up Saturday), 12–16 Oct
    assert d.due_at == eod(2026, 10, 16)
    assert d.legal_due_at == eod(2026, 10, 30)
    assert not d.provisional
    assert AuditEntry.objects.filter(code="sla.deadline.started", object_id=str(d.pk)).count() == 1
    fire = dict(d.escalations.values_list("target", "fire_at"))
    assert fire == {"handler": eod(2026, 10, 15), "unit_head": eod(2026, 10, 16), "leader": eod(2026, 10, 20)}
    assert services.status(d, at(2026, 9, 29, 9)).light == "green"
    assert services.status(d, at(2026, 10, 13, 9)).light == "amber"  # 3 of 10 left
    assert services.status(d, at(2026, 10, 16, 17)).light == "red"  # the due day itself
    assert services.status(d, at(2026, 10, 17, 9)).overdue


def test_pause_and_resume_move_the_deadline(items):
    policy = services.define_policy("test.short", name="Short", legal_limit=5)
    d = services.start_clock(items[0], policy, started_at=at(2026, 3, 2, 9))  # Monday
    assert d.due_at == eod(2026, 3, 9)
    d = services.pause(d, at=at(2026, 3, 3, 10), reason="补正")
    assert d.state == Deadline.State.PAUSED
    # read while paused: frozen at the pause (4 of 5 working days left), whatever the date
    st = services.status(d, at(2026, 4, 1))
    assert (st.state, st.remaining, st.light) == ("paused", 4, "green")
    d = services.resume(d, at=at(2026, 3, 5, 15))
    # paused 3 Mar → 5 Mar: two working days added
    assert d.state == Deadline.State.RUNNING and d.due_at == eod(2026, 3, 11)
    assert d.escalations.count() == 0
    codes = list(AuditEntry.objects.filter(object_type="sla.deadline", object_id=str(d.pk)).values_list("code", flat=True))
    assert set(codes) == {"sla.deadline.started", "sla.deadline.paused", "sla.deadline.resumed"}


def test_supervision_is_an_overlay(items):
    policy = services.define_policy("test.short", name="Short", legal_limit=5)
    d = services.start_clock(items[0], policy, started_at=at(2026, 3, 2, 9))
    d = services.supervise(d, reason="领导督办")
    st = services.status(d, at(2026, 3, 3, 9))
    assert st.supervised and st.state == "running" and d.due_at == eod(2026, 3, 9)
    assert AuditEntry.objects.filter(code="sla.deadline.supervised", object_id=str(d.pk)).count() == 1
    services.supervise(d)  # already supervised: nothing to record
    assert AuditEntry.objects.filter(code="sla.deadline.supervised").count() == 1


def test_pausing_a_paused_clock_is_refused(items):
    policy = services.define_policy("test.short", name="Short", legal_limit=5)
    d = services.start_clock(items[0], policy, started_at=at(2026, 3, 2, 9))
    services.pause(d, at=at(2026, 3, 3, 10))
    with pytest.raises(services.SlaError) as err:
        services.pause(d, at=at(2026, 3, 4, 10))
    assert err.value.code == "already_paused"
    assert PauseInterval.objects.filter(deadline=d).count() == 1
    services.resume(d, at=at(2026, 3, 4, 10))
    with pytest.raises(services.SlaError) as err:
        services.resume(d, at=at(2026, 3, 4, 11))
    assert err.value.code == "not_paused"


def test_hour_limit_across_lunch_and_weekend(items):
    policy = services.define_policy("test.hours", name="Hours", unit="working_hours", legal_limit=16)
    d = services.start_clock(items[0], policy, started_at=at(2026, 3, 13, 11))  # Friday 11:00
    # Fri 1 h + 4 h, Mon 7.5 h, Tue 3.5 h → 12:00
    assert d.due_at == at(2026, 3, 17, 12)
    st = services.status(d, at(2026, 3, 16, 8, 30))
    assert st.remaining == 11 * 60  # minutes of office time left
    assert st.light == "green"


def test_policy_in_calendar_days_ignores_holidays_and_is_never_provisional(items):
    policy = services.define_policy("test.calendar", name="Calendar", unit="calendar_days", legal_limit=30)
    d = services.start_clock(items[0], policy, started_at=at(2026, 9, 28, 10))
    assert d.due_at == eod(2026, 10, 28)
    d2 = services.start_clock(items[1], policy, started_at=at(2026, 12, 20, 10))
    assert d2.due_at == eod(2027, 1, 19) and not d2.provisional


def test_deadline_into_2027_is_provisional_then_confirmed(items, world):
    policy = services.define_policy("test.short10", name="Ten", legal_limit=10)
    d = services.start_clock(items[0], policy, started_at=at(2026, 12, 25, 10))
    assert d.due_at == eod(2027, 1, 8) and d.provisional
    # the administrator enters 2027's New Year holiday and confirms the year: recomputed, not provisional
    services.add_override(date=dt.date(2027, 1, 1), is_working_day=False, reason="元旦", by=world.users.admin)
    services.confirm_year(2027, by=world.users.admin)
    d.refresh_from_db()
    assert d.due_at == eod(2027, 1, 11) and not d.provisional
    assert AuditEntry.objects.filter(code="sla.deadline.recomputed", object_id=str(d.pk)).exists()


def test_override_that_contradicts_the_package_wins(items, world):
    services.add_override(date=dt.date(2026, 10, 10), is_working_day=False, reason="本地调休", by=world.users.admin)
    policy = services.define_policy("test.short", name="Short", legal_limit=3)
    d = services.start_clock(items[0], policy, started_at=at(2026, 9, 30, 10))
    assert d.due_at == eod(2026, 10, 12)  # 8, 9, 12 Oct: the make-up Saturday is off locally
    assert workcal.add_working_days(dt.date(2026, 9, 30), 3) == (dt.date(2026, 10, 12), False)


def test_an_override_moves_the_open_deadlines_it_falls_into(items, world):
    policy = services.define_policy("test.short", name="Short", legal_limit=3)
    d = services.start_clock(items[0], policy, started_at=at(2026, 9, 30, 10))
    other = services.start_clock(items[1], policy, started_at=at(2026, 11, 2, 10))
    assert d.due_at == eod(2026, 10, 10)  # 8, 9, 10 Oct (make-up Saturday)
    o = services.add_override(date=dt.date(2026, 10, 10), is_working_day=False, reason="本地调休", by=world.users.admin)
    d.refresh_from_db()
    other.refresh_from_db()
    assert d.due_at == eod(2026, 10, 12) and other.due_at == eod(2026, 11, 5)
    entry = AuditEntry.objects.get(code="sla.deadline.recomputed", object_id=str(d.pk))
    assert entry.actor == world.users.admin
    services.remove_override(o, by=world.users.admin)
    d.refresh_from_db()
    assert d.due_at == eod(2026, 10, 10)


def test_escalation_run_fires_due_steps_once_audited_and_notified(world, days_policy):
    sent = []
    hooks.set_notifier(lambda rows: sent.extend(rows))
    ent = world.enterprises.a1
    d = services.start_clock(ent, days_policy, started_at=at(2026, 9, 28, 10))
    assert (d.zone_id, d.enterprise_id, d.province_code) == (ent.zone_id, ent.pk, "510000")
    assert services.run_escalations(at(2026, 10, 15, 12)) == {"fired": 0, "skipped": 0}
    result = services.run_escalations(at(2026, 10, 17, 9))
    assert result == {"fired": 2, "skipped": 0}
    assert sorted(e.target for e in sent) == ["handler", "unit_head"]
    entries = AuditEntry.objects.filter(code="sla.escalation.fired")
    assert entries.count() == 2
    e = entries.get(object_id=str(next(x.pk for x in sent if x.target == "handler")))
    assert (e.object_type, e.action, e.message) == ("sla.escalation", "action", "test.request → handler")
    assert e.changes["state"] == ["pending", "fired"] and e.changes["target"] == "handler"
    assert (e.zone_id, e.enterprise_id, e.province_code) == (ent.zone_id, ent.pk, "510000")
    # the zone's staff see it in their audit log, another zone's do not
    assert AuditEntry.objects.for_user(world.users.zone).filter(pk=e.pk).exists()
    assert not AuditEntry.objects.for_user(world.users.other_zone).filter(pk=e.pk).exists()
    assert services.run_escalations(at(2026, 10, 17, 10)) == {"fired": 0, "skipped": 0}
    st = services.status(d, at(2026, 10, 17, 10))
    assert st.escalated and st.overdue
    # a paused clock does not escalate; a stopped one cancels what is pending
    services.pause(d, at=at(2026, 10, 18, 9))
    assert services.run_escalations(at(2026, 10, 30))["fired"] == 0
    services.stop(d, at=at(2026, 10, 30), reason="decided")
    assert d.escalations.filter(state=Escalation.State.CANCELLED).count() == 1


def test_escalation_for_an_item_closed_meanwhile_is_skipped_and_logged(items, days_policy, caplog):
    User = get_user_model()
    hooks.register_item_type(User, closed=Q(is_active=False))
    sent = []
    hooks.set_notifier(lambda rows: sent.extend(rows))
    open_d = services.start_clock(items[0], days_policy, started_at=at(2026, 9, 28, 10))
    closed_d = services.start_clock(items[1], days_policy, started_at=at(2026, 9, 28, 10))
    User.objects.filter(pk=items[1].pk).update(is_active=False)  # closed without stopping its clock
    with caplog.at_level(logging.INFO, logger="zonebook.sla"):
        result = services.run_escalations(at(2026, 10, 17, 9))
    assert result == {"fired": 2, "skipped": 2}
    assert {e.deadline_id for e in sent} == {open_d.pk}
    closed_d.refresh_from_db()
    assert closed_d.state == Deadline.State.STOPPED and closed_d.stop_reason == "item closed"
    assert closed_d.escalations.filter(state=Escalation.State.SKIPPED).count() == 2
    assert closed_d.escalations.filter(state=Escalation.State.CANCELLED).count() == 1  # the leader step
    assert AuditEntry.objects.filter(code="sla.escalation.skipped").count() == 2
    assert any("escalation skipped" in r.getMessage() for r in caplog.records)


def test_workdays_command():
    out = io.StringIO()
    call_command("workdays", "add", "2026-09-30", "3", stdout=out)
    assert out.getvalue().strip() == "2026-10-10"
    out = io.StringIO()
    call_command("workdays", "add", "2026-12-25", "10", stdout=out)
    assert out.getvalue().strip() == "2027-01-08 provisional"
    out = io.StringIO()
    call_command("workdays", "between", "2026-02-13", "2026-02-27", stdout=out)
    assert out.getvalue().strip() == "5"


def test_bench_command_measures_and_leaves_nothing_behind():
    out = io.StringIO()
    call_command("sla_bench", items=500, open=40, stdout=out)
    text = out.getvalue()
    assert "add_working_days x 500:" in text
    assert "escalation run over 40 open items: 40 fired" in text
    assert not Deadline.objects.exists() and not AuditEntry.objects.filter(code__startswith="sla.").exists()
