"""The zone office's dashboard panel and to-do counters (declared in ``registration.py``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import queries
from .choices import EventResult, Status
from .models import Application, GateEvent, GateException


def todo_count(user) -> int:
    return Application.objects.for_user(user).filter(queries.todo_q(user)).count()


def overdue_count(user) -> int:
    return Application.objects.for_user(user).filter(queries.overdue_q()).count()


def gate_exception_count(user) -> int:
    return GateException.objects.for_user(user).filter(state="open").count()


def returned_count(user) -> int:
    return Application.objects.for_user(user).filter(status=Status.RETURNED).count()


def office_panel(request) -> dict:
    user = request.user
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = GateEvent.objects.for_user(user).filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
    overdue = list(queries.applications(user).filter(queries.overdue_q()).order_by("due_at")[:5])
    return {
        "todo": todo_count(user),
        "overdue_count": overdue_count(user),
        "overdue": overdue,
        "gate_today": today.filter(result=EventResult.RELEASED).count(),
        "gate_held": today.filter(result=EventResult.HELD).count(),
        "gate_exceptions": gate_exception_count(user),
    }
