"""Organisational units (单位/部门/科室) and their members: services (every write audited) and the
helpers other modules use — ``unit_head``, ``unit_leaders`` (escalation "handler → unit head →
leader"), ``units_for`` (a user's units) and ``unit_tree`` (a list in tree order).

Rules
-----
* A unit has a scope like a user: province (commerce department and divisions), city (city bureau),
  or zone (zone office departments, the zone's customs).  A zone gives its city and province; a city
  gives its province.  Without a scope of its own a unit takes its parent's.
* A child lies inside its parent's scope (a zone department under its zone office, or under a city
  or province unit whose region holds the zone); the tree has no cycles.
* Units and memberships are managed by user administrators, inside their own scope only: a zone
  administrator edits the units of the own zone and sees no other zone's units (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from .choices import MemberRole, ScopeLevel
from .models import Unit, UnitMembership, User

UNIT_FIELDS = (
    "name",
    "short_name",
    "kind",
    "parent",
    "province_code",
    "city_code",
    "zone",
    "head",
    "valid_from",
    "valid_to",
    "is_active",
)


# --- helpers other modules use -------------------------------------------------------------------------


def _valid_on(prefix: str, day: dt.date) -> Q:
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": day})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
    )


def _members(unit: Unit, roles, day: dt.date):
    return (
        User.objects.filter(
            _valid_on("unit_memberships__", day),
            unit_memberships__unit=unit,
            unit_memberships__role_in_unit__in=list(roles),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


def unit_head(unit: Unit, on: dt.date | None = None) -> User | None:
    """The unit's head on ``on`` (default today): the declared head when active, else a current member
    with the role "head"; None when the unit has none."""
    day = on or timezone.localdate()
    if unit.head_id is not None and unit.head.is_active:
        return unit.head
    return _members(unit, [MemberRole.HEAD], day).first()


def unit_leaders(unit: Unit, on: dt.date | None = None) -> list[User]:
    """The leaders above the unit's head, for the escalation step after the head: the unit's leaders
    in charge (分管领导) on ``on``; when none is declared, the parent unit's head and its leaders in
    charge (one level up, then further up until someone is found).  Empty when nobody is above."""
    day = on or timezone.localdate()
    leaders = list(_members(unit, [MemberRole.LEADER], day))
    if leaders:
        return leaders
    seen = {unit.pk}
    parent = unit.parent
    while parent is not None and parent.pk not in seen:
        seen.add(parent.pk)
        found = list(_members(parent, [MemberRole.LEADER], day))
        head = unit_head(parent, day)
        if head is not None and head not in found:
            found.insert(0, head)
        if found:
            return found
        parent = parent.parent
    return []


def units_for(user: User, on: dt.date | None = None):
    """The units ``user`` belongs to on ``on`` (as head or a current member), current units only."""
    day = on or timezone.localdate()
    member_of = UnitMembership.objects.filter(_valid_on("", day), user=user).values("unit_id")
    return Unit.objects.current(day).filter(Q(head=user) | Q(pk__in=member_of)).distinct().order_by("name")


def unit_tree(units) -> list[tuple[Unit, int]]:
    """``units`` (an iterable, e.g. a scoped queryset) in tree order with each unit's depth.  A unit
    whose parent is not among them (out of the reader's scope) is shown as a root."""
    rows = list(units)
    ids = {u.pk for u in rows}
    children: dict[int | None, list[Unit]] = {}
    for u in rows:
        children.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    for kids in children.values():
        kids.sort(key=lambda u: (u.name,))
    out: list[tuple[Unit, int]] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        out.append((unit, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(unit.pk, [])))
    return out


# --- scope ---------------------------------------------------------------------------------------------


def derive_unit_scope(data: dict[str, Any]) -> dict[str, Any]:
    """Set ``scope_level`` and make the scope columns consistent (zone → city → province); a unit
    without a scope of its own takes its parent's."""
    from zonebook.registry.models import Code

    out = dict(data)
    zone, parent = out.get("zone"), out.get("parent")
    province, city = (out.get("province_code") or "").strip(), (out.get("city_code") or "").strip()
    if zone is None and not city and not province and parent is not None:
        zone, city, province = parent.zone, parent.city_code, parent.province_code
    if zone is not None:
        level, province, city = ScopeLevel.ZONE, zone.province_code, zone.city_code
    elif city:
        level = ScopeLevel.CITY
        region = Code.objects.filter(table__key="region", code=city).select_related("parent").first()
        province = region.parent.code if region and region.parent_id else city[:2] + "0000"
    elif province:
        level = ScopeLevel.PROVINCE
    else:
        raise DomainError(
            _("A unit needs a scope: a province, a city or a zone."),
            code="scope_required",
            field="province_code",
        )
    out.update(scope_level=level, province_code=province, city_code=city, zone=zone)
    return out


def _target(data: dict[str, Any]) -> dict[str, Any]:
    zone = data.get("zone")
    return {
        "scope_level": data["scope_level"],
        "province_code": data["province_code"],
        "city_code": data["city_code"] if data["scope_level"] != ScopeLevel.PROVINCE else "",
        "zone_id": zone.pk if zone is not None else None,
        "enterprise_id": None,
    }


def _inside(child: dict[str, Any], parent: Unit) -> bool:
    """Whether the child's scope lies inside the parent's."""
    if parent.scope_level == ScopeLevel.ZONE:
        return child.get("zone") is not None and child["zone"].pk == parent.zone_id
    if parent.scope_level == ScopeLevel.CITY:
        return child["city_code"] == parent.city_code
    return child["province_code"] == parent.province_code


def check_can_manage_unit(by: User, data: dict[str, Any] | None = None) -> None:
    from .services import within_scope

    if not by.is_user_admin:
        raise DomainError(_("Your account may not manage units."), code="not_user_admin")
    if data is not None and not within_scope(by, _target(data)):
        field = {ScopeLevel.ZONE: "zone", ScopeLevel.CITY: "city_code"}.get(
            data["scope_level"], "province_code"
        )
        raise DomainError(
            _("The unit's scope lies outside your own scope; you may only manage units inside it."),
            code="scope_forbidden",
            field=field,
        )


def _validate(data: dict[str, Any], unit: Unit | None, by: User) -> None:
    if not (data.get("name") or "").strip():
        raise DomainError(_("Give the unit a name."), code="required", field="name")
    vf, vt = data.get("valid_from"), data.get("valid_to")
    if vf and vt and vt < vf:
        raise DomainError(_("The end of validity lies before its start."), code="invalid", field="valid_to")
    parent = data.get("parent")
    if parent is not None:
        if unit is not None:
            node, seen = parent, set()
            while node is not None and node.pk not in seen:
                if node.pk == unit.pk:
                    raise DomainError(
                        _("A unit cannot be placed under itself or one of its sub-units."),
                        code="cycle",
                        field="parent",
                    )
                seen.add(node.pk)
                node = node.parent
        if not _inside(data, parent):
            raise DomainError(
                _("The unit's scope must lie inside its parent unit's scope."),
                code="scope_mismatch",
                field="parent",
            )
    if parent is not None and parent.pk is None:
        siblings = (
            Unit.objects.none()
        )  # a parent created in the same import (its file rows are checked there)
    else:
        siblings = Unit.objects.filter(parent=parent, name=data["name"].strip())
    if unit is not None:
        siblings = siblings.exclude(pk=unit.pk)
    if siblings.exists():
        raise DomainError(
            _("A unit named %(name)s already exists there.") % {"name": data["name"]},
            code="duplicate",
            field="name",
        )
    head = data.get("head")
    if head is not None and not User.objects.for_user(by).filter(pk=head.pk).exists():
        raise DomainError(_("Choose a head from the users in your scope."), code="invalid", field="head")


def check_unit(data: dict[str, Any], *, by: User) -> dict[str, Any]:
    """Every rule for a new unit without writing: returns the data with its derived scope, or
    raises ``DomainError`` naming the field (used by ``create_unit`` and the import's preview)."""
    data = derive_unit_scope({k: v for k, v in data.items() if k in UNIT_FIELDS})
    check_can_manage_unit(by, data)
    _validate(data, None, by)
    data["name"] = data["name"].strip()
    if data.get("is_active") is None:
        data["is_active"] = True
    return data


@transaction.atomic
def create_unit(data: dict[str, Any], *, by: User, code: str = "accounts.unit.created") -> Unit:
    return audit.create(Unit, check_unit(data, by=by), by=by, code=code)


def check_unit_update(unit: Unit, data: dict[str, Any], *, by: User) -> dict[str, Any]:
    """Every rule for changing ``unit`` without writing: returns the merged data with its derived
    scope, or raises ``DomainError`` naming the field (``update_unit`` and the import's update mode).
    Both the old and the new scope must be the actor's."""
    current = {k: getattr(unit, k) for k in UNIT_FIELDS}
    check_can_manage_unit(by, {**current, "scope_level": unit.scope_level})
    merged = {**current, **{k: v for k, v in data.items() if k in UNIT_FIELDS}}
    merged = derive_unit_scope(merged)
    check_can_manage_unit(by, merged)
    _validate(merged, unit, by)
    merged["name"] = merged["name"].strip()
    return merged


@transaction.atomic
def update_unit(unit: Unit, data: dict[str, Any], *, by: User) -> dict:
    """Change a unit; returns the recorded changes."""
    merged = check_unit_update(unit, data, by=by)
    return audit.update(unit, merged, by=by, code="accounts.unit.updated")


@transaction.atomic
def add_member(
    unit: Unit,
    user: User,
    *,
    by: User,
    role_in_unit: str = MemberRole.MEMBER,
    title: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> UnitMembership:
    check_can_manage_unit(by, {"scope_level": unit.scope_level, **{k: getattr(unit, k) for k in UNIT_FIELDS}})
    if not User.objects.for_user(by).filter(pk=user.pk).exists() or user.is_machine:
        raise DomainError(_("Choose a member from the users in your scope."), code="invalid", field="user")
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError(_("The end of validity lies before its start."), code="invalid", field="valid_to")
    if role_in_unit not in MemberRole.values:
        raise DomainError(_("Choose a role in the unit."), code="invalid", field="role_in_unit")
    day = valid_from or timezone.localdate()
    if UnitMembership.objects.filter(_valid_on("", day), unit=unit, user=user).exists():
        raise DomainError(
            _("%(user)s is already a member of this unit.") % {"user": user.get_full_name() or user.username},
            code="duplicate",
            field="user",
        )
    return audit.create(
        UnitMembership,
        {
            "unit": unit,
            "user": user,
            "role_in_unit": role_in_unit,
            "title": title,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
        by=by,
        code="accounts.unitmembership.created",
    )


@transaction.atomic
def end_membership(membership: UnitMembership, *, by: User, on: dt.date | None = None) -> dict:
    """End a membership on ``on`` (default today); the row stays as history."""
    unit = membership.unit
    check_can_manage_unit(by, {"scope_level": unit.scope_level, **{k: getattr(unit, k) for k in UNIT_FIELDS}})
    day = on or timezone.localdate()
    if membership.valid_to is not None and membership.valid_to <= day:
        raise DomainError(_("This membership has already ended."), code="already_ended")
    if membership.valid_from and day < membership.valid_from:
        day = membership.valid_from
    return audit.update(membership, {"valid_to": day}, by=by, code="accounts.unitmembership.ended")
