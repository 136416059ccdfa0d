"""Reading applications: scoped querysets with what the lists need, and the traffic light of a row by
the SLA engine's rule (``sla.services.light_of``) on the SLA calendar, without a query per row."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from zonebook.accounts.choices import Role
from zonebook.notify import lights
from zonebook.sla import services as sla
from zonebook.sla import workcal

from .choices import OPEN_STATUSES, STAFF_TODO, PassStatus, Status
from .models import Application, Container, GateEvent, GateException, GatePass, GatePassDocument, StockNote

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


def usage_label(passed, bound) -> str:
    """一票多车 usage: "已过卡 n / m 车"."""
    from django.utils.translation import gettext as _

    return _("passed %(n)s / %(m)s vehicles") % {"n": passed or 0, "m": bound or 0}


def open_exceptions(user):
    return GateException.objects.for_user(user).filter(state="open").select_related("gate_pass__vehicle", "event")


__all__ = ["applications", "light_for", "lights"]


PASSED_STATUSES = (PassStatus.PASSED, PassStatus.SECOND_GATE)


def _note_count(note_ref, passed: bool):
    """Subquery: passes (not cancelled) bound to the stock note ``note_ref``; only those through the
    gate (已过卡 / 已过二卡) when ``passed``."""
    docs = GatePassDocument.objects.filter(stock_note_id=note_ref).exclude(gate_pass__status=PassStatus.CANCELLED)
    if passed:
        docs = docs.filter(gate_pass__status__in=PASSED_STATUSES)
    counted = docs.values("stock_note_id").annotate(c=Count("gate_pass_id", distinct=True)).values("c")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_note_usage(qs):
    """StockNote rows with ``passes_bound`` (m) and ``passes_passed`` (n): 一票多车 "已过卡 n / m 车"."""
    return qs.annotate(passes_bound=_note_count(OuterRef("pk"), False),
                       passes_passed=_note_count(OuterRef("pk"), True))


def stock_notes(user):
    return with_note_usage(StockNote.objects.for_user(user).select_related("zone", "enterprise"))


def events_with_usage(qs):
    """Gate events with the usage counter of the stock note their pass carries (first one)."""
    note = GatePassDocument.objects.filter(gate_pass_id=OuterRef("gate_pass_id"), stock_note__isnull=False)
    return (qs.annotate(usage_note=Subquery(note.values("stock_note_id")[:1]))
            .annotate(passes_bound=_note_count(OuterRef("usage_note"), False),
                      passes_passed=_note_count(OuterRef("usage_note"), True)))


def containers(user):
    return (Container.objects.for_user(user).select_related("zone")
            .annotate(pass_count=Count("passes", distinct=True)))
