"""SLA escalations reach the target role through notify (handler, unit head, leader)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from zonebook.accounts.models import Unit, UnitMembership
from zonebook.jobs import schedules
from zonebook.notify import escalations
from zonebook.notify.models import Notification
from zonebook.sla import hooks, services

pytestmark = pytest.mark.django_db


def at(y, m, d, h=0):
    return timezone.make_aware(dt.datetime(y, m, d, h))


@pytest.fixture
def org():
    User = get_user_model()
    handler, head, leader, other = (User.objects.create(username=n) for n in ("handler", "head", "leader", "other"))
    parent = Unit.objects.create(name="商务厅", kind=Unit._meta.get_field("kind").choices[0][0],
                                 scope_level="province", province_code="510000", head=leader)
    unit = Unit.objects.create(name="外资处", kind=Unit._meta.get_field("kind").choices[0][0], parent=parent,
                               scope_level="province", province_code="510000", head=head)
    UnitMembership.objects.create(unit=unit, user=handler)
    return {"handler": handler, "head": head, "leader": leader, "other": other, "item": other}


def test_each_fired_step_notifies_its_role_once(org):
    hooks.set_notifier(escalations.notify_escalations)
    policy = services.define_policy(
        "test.escalate", name="诉求办理", legal_limit=20, promised_limit=10,
        steps=[(-1, "handler"), (0, "unit_head"), (2, "leader")],
    )
    services.start_clock(org["item"], policy, started_at=at(2026, 9, 28, 10), handler=org["handler"])
    assert services.run_escalations(at(2026, 10, 17, 9))["fired"] == 2
    got = sorted(Notification.objects.filter(kind=escalations.KIND).values_list("recipient__username", flat=True))
    assert got == ["handler", "head"]
    assert services.run_escalations(at(2026, 10, 30))["fired"] == 1  # the leader's step
    got = sorted(Notification.objects.filter(kind=escalations.KIND).values_list("recipient__username", flat=True))
    assert got == ["handler", "head", "leader"]
    n = Notification.objects.get(kind=escalations.KIND, recipient=org["head"])
    assert n.params["count"] == 1 and "诉求办理" in n.params["items"] and n.params["roles"]


def test_one_digest_per_recipient_and_run(org):
    """A run that fires many steps sends each recipient one notice naming the first few items."""
    hooks.set_notifier(escalations.notify_escalations)
    policy = services.define_policy("test.digest", name="审批", legal_limit=5, steps=[(0, "handler"), (0, "unit_head")])
    User = get_user_model()
    for i in range(8):
        item = User.objects.create(username=f"digest-item-{i}")
        services.start_clock(item, policy, started_at=at(2026, 9, 28, 10), handler=org["handler"])
    assert services.run_escalations(at(2026, 10, 30))["fired"] == 16
    notes = Notification.objects.filter(kind=escalations.KIND)
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["handler", "head"]
    n = notes.get(recipient=org["handler"])
    assert n.params["count"] == 8 and n.params["items"].count("审批") == escalations.MAX_NAMED
    # the same run delivered again (e.g. a retried notifier) creates nothing more
    from zonebook.sla.models import Escalation

    assert escalations.notify_escalations(Escalation.objects.filter(state="fired")) == 0


def test_no_handler_no_notice(org):
    hooks.set_notifier(escalations.notify_escalations)
    policy = services.define_policy("test.nohandler", name="x", legal_limit=1, steps=[(0, "handler")])
    services.start_clock(org["item"], policy, started_at=at(2026, 9, 28, 10))
    assert services.run_escalations(at(2026, 10, 30))["fired"] == 1
    assert not Notification.objects.filter(kind=escalations.KIND).exists()


def test_escalations_are_a_scheduled_job():
    s = schedules.get("sla.escalations")
    assert s is not None and s.func_path == "zonebook.sla.jobs.run_escalations_job"
