"""Home-page panels and to-do counters (declared in ``registration.py``)."""

from __future__ import annotations

from django.utils import timezone

from zonebook.accounts import units as org

from . import services, supervision, visits
from .models import ServiceRequest, Status

PANEL_ROWS = 8
UNIT_STEPS = (Status.DISPATCHED, Status.IN_PROGRESS, Status.RESULT_REVIEW)


def liaison_panel(request) -> dict:
    rows = visits.my_enterprises(request.user)
    return {"rows": rows[:PANEL_ROWS], "more": max(0, len(rows) - PANEL_ROWS)}


def supervision_panel(request) -> dict:
    qs = supervision.overdue_deadlines(request.user)
    return {"rows": supervision.rows_for(qs[:PANEL_ROWS]), "count": qs.count()}


def unit_todo_count(user) -> int:
    """Requests waiting for a step of a unit the user belongs to."""
    if not user.is_authenticated or services.is_enterprise_user(user):
        return 0
    units = org.units_for(user).values("pk")
    return ServiceRequest.objects.for_user(user).filter(lead_unit__in=units, status__in=UNIT_STEPS).count()


def overdue_count(user) -> int:
    if not services.is_office(user):
        return 0
    return supervision.overdue_deadlines(user, timezone.now()).count()
