"""Dashboard panels and to-do counters of the investment app (declared in registration.py)."""

from __future__ import annotations

from django.utils import timezone

from . import queries
from .models import InvestmentEvent, PolicyTask, Project


def pipeline(request) -> dict:
    rows = queries.pipeline(Project.objects.for_user(request.user))
    top = max([r["count"] for r in rows] + [1])
    for r in rows:
        r["width"] = round(r["count"] * 100 / top)
    return {"rows": [r for r in rows if r["count"]] or rows[:3]}


def target(request) -> dict:
    today = timezone.localdate()
    stats = queries.project_statistics(
        Project.objects.for_user(request.user), today.year, today.month, "zone"
    )
    goal = queries.target_for(request.user, today.year)
    return {
        "total": stats["total"],
        "progress": queries.target_progress(stats["total"], goal, today.month),
        "year": today.year,
    }


def events(request) -> dict:
    year = timezone.localdate().year
    return {"rows": queries.event_counts(InvestmentEvent.objects.for_user(request.user), year), "year": year}


def terminal_requests(user) -> int:
    return (
        Project.objects.for_user(user)
        .exclude(terminal_state="")
        .filter(terminal_approved_at__isnull=True)
        .count()
    )


def overdue_tasks(user) -> int:
    today = timezone.localdate()
    return PolicyTask.objects.for_user(user).filter(done=False, recurrence="", deadline__lt=today).count()
