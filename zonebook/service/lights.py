"""Traffic lights of requests in lists, from ``zonebook.sla``'s rule (``sla.services.light_of``) and
its working-day calendar — without a query per row: the request carries its running close clock's
policy key and due time (``clock_policy``, ``due_at``), the policies are read once per page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zonebook.notify import lights
from zonebook.sla import services as sla
from zonebook.sla.models import SlaPolicy

from .models import Status

NO_CLOCK = (Status.CLOSED, Status.REVISIT)


def policies() -> dict[str, SlaPolicy]:
    return {p.key: p for p in SlaPolicy.objects.filter(key__startswith="service.")}


def remaining(policy: SlaPolicy, due_at: dt.datetime, now: dt.datetime) -> int:
    """Time left in the policy's base unit (days; minutes for working hours), negative once past."""
    return sla.remaining_at(policy, due_at, now)


def request_light(req, policy_map: dict, now: dt.datetime | None = None) -> str:
    """green / amber / red / overdue of an open request's close clock ('' when none runs)."""
    if req.status in NO_CLOCK or req.due_at is None:
        return ""
    policy = policy_map.get(req.clock_policy)
    if policy is None:
        return ""
    return sla.light_at(policy, req.due_at, now or timezone.now())[1]


def badge(code: str):
    return lights.light_badge(code) if code else ""
