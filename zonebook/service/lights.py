"""Traffic lights of requests in lists, from ``zonebook.sla``'s rule (``sla.services.light_of``) and
its working-day calendar — without a query per row: the request carries its running close clock's
policy key and due time (``clock_policy``, ``due_at``), the policies are read once per page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zonebook.notify import lights
from zonebook.sla import services as sla
from zonebook.sla import workcal
from zonebook.sla.models import SlaPolicy, Unit

from .models import Status

NO_CLOCK = (Status.CLOSED, Status.REVISIT)


def policies() -> dict[str, SlaPolicy]:
    return {p.key: p for p in SlaPolicy.objects.filter(key__startswith="service.")}


def remaining(policy: SlaPolicy, due_at: dt.datetime, now: dt.datetime) -> int:
    """Time left in the policy's base unit (days; minutes for working hours), negative once past."""
    cal = workcal.get_calendar()
    a, b = timezone.localtime(now), timezone.localtime(due_at)
    if policy.unit == Unit.WORKING_HOURS:
        left = cal.working_minutes_between(a, b)
    elif policy.unit == Unit.WORKING_DAYS:
        left = cal.working_days_between(a.date(), b.date())
    else:
        left = (b.date() - a.date()).days
    return min(left, -1) if now > due_at else left


def request_light(req, policy_map: dict, now: dt.datetime | None = None) -> str:
    """green / amber / red / overdue of an open request's close clock ('' when none runs)."""
    if req.status in NO_CLOCK or req.due_at is None:
        return ""
    policy = policy_map.get(req.clock_policy)
    if policy is None:
        return ""
    now = now or timezone.now()
    total = policy.limit * (60 if policy.unit == Unit.WORKING_HOURS else 1)
    return sla.light_of(remaining(policy, req.due_at, now), total, policy.warn_pct, policy.red_pct)


def badge(code: str):
    return lights.light_badge(code) if code else ""
