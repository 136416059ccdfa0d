"""The alerts' dashboard panel and to-do counter (declared in registration.py)."""

from __future__ import annotations

from django.utils import timezone

from . import queries
from .choices import AlertState, FlagState
from .models import PlausibilityFlag

LATEST = 8


def latest_panel(request) -> dict:
    """The open alerts seen most recently (one query, plus the settings row for the lights)."""
    today = timezone.localdate()
    rows = list(
        queries.alerts(request.user, today).filter(state=AlertState.OPEN).order_by("-first_seen_at", "-id")[:LATEST]
    )
    for a in rows:
        a.days_left = (a.due_date - today).days
    return {"latest_alerts": rows}


def open_flags_count(user) -> int:
    return PlausibilityFlag.objects.for_user(user).filter(state=FlagState.OPEN).count()
