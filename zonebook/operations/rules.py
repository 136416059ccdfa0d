"""Zone rule lists (``004_*``): the environmental negative list (环保负面清单) checked by 项目入区审核
and 企业入区准入, and the safety-production responsibility list (安全生产责任清单)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError
from zonebook.core.permissions import require_write

from .models import NegativeListRule, ResponsibilityEntry, RuleKind


def _industry_codes(app) -> list[str]:
    codes = []
    if app.enterprise.industry_id:
        codes.append(app.enterprise.industry.code)
    for name in ("industry", "industry_code"):
        if app.data.get(name):
            codes.append(str(app.data[name]).strip())
    return codes


def _texts(app) -> list[str]:
    return [str(v) for v in (app.data or {}).values() if isinstance(v, str)] + [app.subject or ""]


def matching_rule(app) -> NegativeListRule | None:
    """The first active negative-list rule of the application's zone that its industry, goods (HS) or
    described processes hit, or None."""
    rules = list(NegativeListRule.objects.filter(zone_id=app.zone_id, active=True).order_by("kind", "pattern"))
    if not rules:
        return None
    industries = _industry_codes(app)
    hs_codes = list(app.lines.values_list("hs_code", flat=True))
    texts = _texts(app)
    for rule in rules:
        p = rule.pattern.strip()
        if not p:
            continue
        if rule.kind == RuleKind.INDUSTRY and any(c.startswith(p) for c in industries):
            return rule
        if rule.kind == RuleKind.HS_CHAPTER and any(h.startswith(p) for h in hs_codes):
            return rule
        if rule.kind == RuleKind.PROCESS and any(p in t for t in texts):
            return rule
    return None


@transaction.atomic
def add_negative_rule(*, zone, kind: str, pattern: str, description: str, source: str, by) -> NegativeListRule:
    require_write(by, "ops")
    if by.zone_id and by.zone_id != zone.pk and not by.is_superuser:
        raise DomainError(_("The zone lies outside your own scope."), code="scope_forbidden", field="zone")
    return audit.create(NegativeListRule, {"zone": zone, "kind": kind, "pattern": (pattern or "").strip(),
                                           "description": description, "source": source}, by=by)


@transaction.atomic
def add_responsibility(*, zone, position: str, duty: str, by, unit=None, unit_name: str = "", person=None,
                       person_name: str = "", order: int = 100) -> ResponsibilityEntry:
    require_write(by, "ops")
    if by.zone_id and by.zone_id != zone.pk and not by.is_superuser:
        raise DomainError(_("The zone lies outside your own scope."), code="scope_forbidden", field="zone")
    return audit.create(ResponsibilityEntry, {"zone": zone, "unit": unit, "unit_name": unit_name, "position": position,
                                              "person": person, "person_name": person_name, "duty": duty,
                                              "order": order}, by=by)


def safety_recipients(zone):
    """The users of the zone's responsibility list (the recipients of safety notices)."""
    from django.contrib.auth import get_user_model

    ids = ResponsibilityEntry.objects.filter(zone=zone, person__isnull=False).values("person_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True)


@transaction.atomic
def send_safety_notice(*, zone, title: str, body: str, by) -> int:
    """A safety-production notice (安全生产通知) from the zone office to the people of the zone's
    responsibility list (``safety_recipients``); audited; returns how many were notified."""
    from django.urls import reverse

    from zonebook.notify import services as notify

    require_write(by, "ops")
    if by.role not in ("zone_staff", "zone_leader") or by.zone_id != zone.pk:
        raise DomainError(_("Safety notices are sent by the zone office of the zone."), code="scope_forbidden")
    title, body = (title or "").strip()[:120], (body or "").strip()[:1000]
    if not title:
        raise DomainError(_("Give the notice a title."), code="required", field="title")
    users = list(safety_recipients(zone))
    if not users:
        raise DomainError(_("Nobody on the responsibility list has a user account: add the people first."),
                          code="no_recipients")
    n = notify.notify(users, "operations.safety_notice", {"title": title, "body": body, "zone": zone.short_name
                                                          or zone.name},
                      url=reverse("operations:rule_lists"), by=by)
    audit.record_event("operations.safety_notice.sent", by=by, message=f"{title} → {n}")
    return n
