"""Registry write services: every change to zones, parks, enterprises and contacts goes through here.

Each function checks that ``by`` may write registry data and that the target lies inside the user's
scope, validates, writes and records an audit entry in one transaction.  Out-of-scope targets raise
``Http404`` (the caller must not learn they exist); a role without write access raises
``PermissionDenied``.  Invalid input raises Django ``ValidationError`` (field-keyed) or ``DomainError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.permissions import require_write
from zonebook.core.scoping import ALL, CITY, PROVINCE

from .choices import STATUS_EVENTS, EnterpriseStatus, ZoneEvent
from .models import Enterprise, EnterpriseContact, EnterpriseStatusEvent, Park, Zone, ZoneStatusEvent

AREA = "registry"

ZONE_FIELDS = (
    "name",
    "short_name",
    "kind",
    "level",
    "province_code",
    "city_code",
    "planned_area_km2",
    "fenced_area_km2",
    "boundaries",
    "approval_doc",
    "approval_date",
    "acceptance_date",
    "customs_office",
    "is_converted",
)
PARK_FIELDS = ("name", "bonded", "area_km2", "address", "boundaries")
ENTERPRISE_FIELDS = (
    "name",
    "uscc",
    "customs_code",
    "zone",
    "park",
    "industry",
    "ownership",
    "investor_country",
    "fortune500",
    "credit_class",
    "processing_trade",
    "processing_mode",
    "registered_capital",
    "capital_currency",
    "address",
    "established",
)
CONTACT_FIELDS = ("name", "position", "phone", "email", "is_customs_contact")


# --- checks -----------------------------------------------------------------------------------------------


def check_write(by) -> None:
    require_write(by, AREA, _("Your role may not change registry data."))


def _check_visible(by, model: type[models.Model], pk) -> None:
    if pk is None or not model.objects.for_user(by).filter(pk=pk).exists():
        raise Http404(_("Not found."))


def _locked(model: type[models.Model], pk):
    """A fresh, locked copy of the row (forms may have changed the instance they were given)."""
    return model.objects.select_for_update().get(pk=pk)


def _pick(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({k: _("This field cannot be set here.") for k in sorted(unknown)})
    return dict(data)


def region_error(by, province_code: str, city_code: str) -> tuple[str, str] | None:
    """Why a zone may not lie in (province, city) for ``by``, as (field, message), or None.

    The one rule for every path that places a zone (form, API, import; create and move): the city
    belongs to the province (the same first two digits, a province code ends in 0000), and the place
    lies inside the user's own scope in every scope-defining field — a province user's province, a
    city user's city *and* province.  Zone and enterprise users place no zones (their scope is the zone
    itself; moving it would take it out of the offices above them)."""
    province_code, city_code = str(province_code or ""), str(city_code or "")
    if province_code and (len(province_code) != 6 or province_code[2:] != "0000"):
        return "province_code", _("Not a province code (a province code ends in 0000).")
    if province_code and city_code and (city_code[:2] != province_code[:2] or city_code == province_code):
        return "city_code", _("This city is not in the province given.")
    level = getattr(by, "scope_level", None)
    if by is None or by.is_superuser or level == ALL:
        return None
    outside = _("Zones outside your region cannot be created or moved there.")
    if level == PROVINCE:
        return None if province_code == by.province_code else ("province_code", outside)
    if level == CITY:
        if city_code != by.city_code:
            return "city_code", outside
        if province_code != (by.province_code or city_code[:2] + "0000"):
            return "province_code", outside
        return None
    return "city_code", outside


def _check_zone_area_in_scope(by, province_code: str, city_code: str) -> None:
    """A new zone (or a zone moved to another region) must stay inside the user's scope."""
    err = region_error(by, province_code, city_code)
    if err:
        raise ValidationError({err[0]: err[1]})


def phone_visible(user, enterprise: Enterprise) -> bool:
    """Full phone numbers are shown only to users scoped to that enterprise or its zone."""
    return phone_visible_in(user, {"zone": enterprise.zone_id, "enterprise": enterprise.pk})


def phone_visible_in(user, scope: Mapping[str, Any]) -> bool:
    """The rule of ``phone_visible`` on scope values (``{"zone": id, "enterprise": id}``) — also what the
    audit log applies to recorded contact phone numbers (registered in ``RegistryConfig.ready``)."""
    level = getattr(user, "scope_level", None)
    if level == "enterprise":
        return scope.get("enterprise") is not None and user.enterprise_id == scope.get("enterprise")
    if level == "zone":
        return scope.get("zone") is not None and user.zone_id == scope.get("zone")
    return False


# --- zones ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_zone(data: Mapping[str, Any], *, by) -> Zone:
    check_write(by)
    data = _pick(data, ZONE_FIELDS)
    _check_zone_area_in_scope(by, data.get("province_code", ""), data.get("city_code", ""))
    return audit.create(Zone, data, by=by, code="registry.zone.created")


@transaction.atomic
def update_zone(zone: Zone, data: Mapping[str, Any], *, by) -> dict:
    check_write(by)
    _check_visible(by, Zone, zone.pk)
    data = _pick(data, ZONE_FIELDS)
    zone = _locked(Zone, zone.pk)
    province = data.get("province_code", zone.province_code)
    city = data.get("city_code", zone.city_code)
    if (province, city) != (zone.province_code, zone.city_code):
        _check_zone_area_in_scope(by, province, city)
    return audit.update(zone, data, by=by, code="registry.zone.updated")


@transaction.atomic
def add_zone_status_event(
    zone: Zone,
    *,
    event: str,
    date: dt.date,
    doc_no: str = "",
    successor: Zone | None = None,
    note: str = "",
    by,
) -> ZoneStatusEvent:
    """Append a dated event to the zone's history; status events move the zone's current status.

    A back-dated event is recorded but leaves a newer current status alone.  Integration needs the
    successor zone and links the zone to it (``integrated_into``).
    """
    check_write(by)
    _check_visible(by, Zone, zone.pk)
    if event not in ZoneEvent.values:
        raise ValidationError({"event": _("Unknown event.")})
    if event == ZoneEvent.INTEGRATED:
        if successor is None:
            raise ValidationError(
                {"successor": _("Integration needs the zone this zone was integrated into.")}
            )
        if successor.pk == zone.pk:
            raise ValidationError({"successor": _("A zone cannot be integrated into itself.")})
        if not Zone.objects.for_user(by).filter(pk=successor.pk).exists():
            raise ValidationError({"successor": _("The successor zone is not in your scope.")})
    elif successor is not None:
        raise ValidationError({"successor": _("Only an integration names a successor zone.")})
    zone = _locked(Zone, zone.pk)
    ev = audit.create(
        ZoneStatusEvent,
        {"zone": zone, "event": event, "date": date, "doc_no": doc_no, "successor": successor, "note": note},
        by=by,
        code="registry.zone_status_event.created",
    )
    if event in STATUS_EVENTS and (zone.status_date is None or date >= zone.status_date):
        changes: dict[str, Any] = {"status": event, "status_date": date}
        if event == ZoneEvent.INTEGRATED:
            changes["integrated_into"] = successor
        audit.update(zone, changes, by=by, code="registry.zone.status_changed")
    return ev


# --- parks ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_park(zone: Zone, data: Mapping[str, Any], *, by) -> Park:
    check_write(by)
    _check_visible(by, Zone, zone.pk)
    data = _pick(data, PARK_FIELDS)
    return audit.create(Park, {**data, "zone": zone}, by=by, code="registry.park.created")


@transaction.atomic
def update_park(park: Park, data: Mapping[str, Any], *, by) -> dict:
    check_write(by)
    _check_visible(by, Zone, park.zone_id)
    data = _pick(data, PARK_FIELDS)
    park = _locked(Park, park.pk)
    return audit.update(park, data, by=by, code="registry.park.updated")


# --- enterprises ------------------------------------------------------------------------------------------


def _check_enterprise_refs(by, data: Mapping[str, Any]) -> None:
    zone = data.get("zone")
    if zone is not None and not Zone.objects.for_user(by).filter(pk=zone.pk).exists():
        raise ValidationError({"zone": _("This zone is not in your scope.")})


@transaction.atomic
def create_enterprise(data: Mapping[str, Any], *, by) -> Enterprise:
    check_write(by)
    data = _pick(data, ENTERPRISE_FIELDS)
    if data.get("zone") is None:
        raise ValidationError({"zone": _("Choose the zone of the enterprise.")})
    _check_enterprise_refs(by, data)
    status_date = data.get("established") or None
    return audit.create(
        Enterprise,
        {**data, "status": EnterpriseStatus.PREPARING, "status_date": status_date},
        by=by,
        code="registry.enterprise.created",
    )


@transaction.atomic
def update_enterprise(enterprise: Enterprise, data: Mapping[str, Any], *, by) -> dict:
    check_write(by)
    _check_visible(by, Enterprise, enterprise.pk)
    data = _pick(data, ENTERPRISE_FIELDS)
    _check_enterprise_refs(by, data)
    enterprise = _locked(Enterprise, enterprise.pk)
    return audit.update(enterprise, data, by=by, code="registry.enterprise.updated")


@transaction.atomic
def change_enterprise_status(
    enterprise: Enterprise, *, status: str, date: dt.date, note: str = "", by
) -> EnterpriseStatusEvent:
    """Record a status change (筹建/投产/停产/注销) in the history and, unless back-dated, as current status."""
    check_write(by)
    _check_visible(by, Enterprise, enterprise.pk)
    if status not in EnterpriseStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    enterprise = _locked(Enterprise, enterprise.pk)
    ev = audit.create(
        EnterpriseStatusEvent,
        {"enterprise": enterprise, "status": status, "date": date, "note": note},
        by=by,
        code="registry.enterprise_status_event.created",
    )
    if enterprise.status_date is None or date >= enterprise.status_date:
        audit.update(
            enterprise,
            {"status": status, "status_date": date},
            by=by,
            code="registry.enterprise.status_changed",
        )
    return ev


# --- contacts ---------------------------------------------------------------------------------------------


@transaction.atomic
def add_contact(enterprise: Enterprise, data: Mapping[str, Any], *, by) -> EnterpriseContact:
    check_write(by)
    _check_visible(by, Enterprise, enterprise.pk)
    data = _pick(data, CONTACT_FIELDS)
    return audit.create(
        EnterpriseContact, {**data, "enterprise": enterprise}, by=by, code="registry.contact.created"
    )


@transaction.atomic
def update_contact(contact: EnterpriseContact, data: Mapping[str, Any], *, by) -> dict:
    check_write(by)
    _check_visible(by, Enterprise, contact.enterprise_id)
    data = _pick(data, CONTACT_FIELDS)
    contact = _locked(EnterpriseContact, contact.pk)
    return audit.update(contact, data, by=by, code="registry.contact.updated")


@transaction.atomic
def delete_contact(contact: EnterpriseContact, *, by) -> None:
    check_write(by)
    _check_visible(by, Enterprise, contact.enterprise_id)
    contact = _locked(EnterpriseContact, contact.pk)
    audit.delete(contact, by=by, code="registry.contact.deleted")
