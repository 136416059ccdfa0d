"""The SLA engine's dashboard panel (declared in registration.py): the running deadlines of the
user's scope, nearest first, with their lights — a fixed number of queries (the deadlines with their
policies, the tracked items per type, the open pauses, the calendar)."""

from __future__ import annotations

from django.utils import timezone

from . import services
from .models import Deadline

SHOWN = 8


def deadlines_panel(request) -> dict:
    now = timezone.now()
    open_deadlines = Deadline.objects.for_user(request.user).exclude(state=Deadline.State.STOPPED)
    rows = list(
        open_deadlines.select_related("policy", "content_type").prefetch_related("item").order_by("due_at", "id")[:SHOWN]
    )
    lights = services.lights_many(rows, now)
    for d in rows:
        d.remaining, d.light = lights[d.pk]
        d.item_url = getattr(d.item, "get_absolute_url", lambda: "")() if d.item is not None else ""
    return {"deadlines": rows, "now": now}
