"""Reading applications: scoped querysets with what the lists need, and the traffic light of a row by
the SLA engine's rule (``sla.services.light_of``) on the SLA calendar, without a query per row."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from zonebook.accounts.choices import Role
from zonebook.notify import lights
from zonebook.sla import services as sla
from zonebook.sla import workcal

from .choices import OPEN_STATUSES, STAFF_TODO, Status
from .models import Application, GateEvent, GateException, GatePass

RUNNING = (Status.SUBMITTED, Status.ACCEPTED, Status.REVIEWED, Status.APPROVED)


def applications(user):
    return Application.objects.for_user(user).select_related(
        "type", "enterprise", "zone", "handler", "type_version__sla_policy"
    )


def todo_q(user) -> Q:
    """What waits for the user: the zone office's open steps; an enterprise's returned applications."""
    if user.role == Role.ENTERPRISE:
        return Q(status=Status.RETURNED)
    return Q(status__in=STAFF_TODO)


def mine_q(user) -> Q:
    if user.role == Role.ENTERPRISE:
        return Q(enterprise_id=user.enterprise_id)
    return Q(handler=user) | Q(created_by=user)


def overdue_q(now=None) -> Q:
    return Q(status__in=RUNNING, due_at__lt=now or timezone.now())


def light_for(app: Application, cal=None, now=None) -> str:
    """green / amber / red / overdue of an open application ('' when its clock is paused or stopped),
    by the SLA engine's rule for the policy's unit (``sla.services.light_at``)."""
    if app.status not in RUNNING or app.due_at is None:
        return ""
    return sla.light_at(app.type_version.sla_policy, app.due_at, now or timezone.now(), cal)[1]


def annotate_lights(rows) -> list:
    cal, now = workcal.get_calendar(), timezone.now()
    for row in rows:
        row.light = light_for(row, cal, now)
    return rows


def open_statuses():
    return OPEN_STATUSES


def gate_passes(user):
    return GatePass.objects.for_user(user).select_related("zone", "enterprise", "vehicle")


def gate_events(user):
    return GateEvent.objects.for_user(user).select_related("zone", "gate_pass__enterprise")


def open_exceptions(user):
    return GateException.objects.for_user(user).filter(state="open").select_related("gate_pass__vehicle", "event")


__all__ = ["applications", "light_for", "lights"]
