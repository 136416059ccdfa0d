"""The notifications' dashboard panel and to-do counter (declared in registration.py)."""

from __future__ import annotations

from .models import Notification

SHOWN = 8


def latest_panel(request) -> dict:
    """The user's latest notifications (one query; titles are rendered from the kinds, no query)."""
    rows = list(Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")[:SHOWN])
    return {"notifications": rows}


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
