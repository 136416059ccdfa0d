"""Account administration: every write to a user goes through here, with an audit entry.

Rules
-----
* Role and scope must agree: system admin ↔ whole installation, province department ↔ province,
  city bureau ↔ city, zone staff/leader and customs liaison ↔ zone, enterprise user ↔ enterprise.
  The scope columns below the chosen level are derived (a zone user's city and province come from
  the zone), so a user's scope values are always consistent.
* A user administrator (system admin, or ``can_manage_users``) acts only inside the own scope:
  a city administrator creates and edits users of the city only, and only system administrators
  create system administrators.
* Password hashes never enter the audit log.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from .choices import GRANTABLE_AREAS, Role, ScopeLevel
from .models import User

ROLE_SCOPE = {
    Role.SYSTEM_ADMIN: ScopeLevel.ALL,
    Role.PROVINCE: ScopeLevel.PROVINCE,
    Role.CITY: ScopeLevel.CITY,
    Role.ZONE_STAFF: ScopeLevel.ZONE,
    Role.ZONE_LEADER: ScopeLevel.ZONE,
    Role.CUSTOMS: ScopeLevel.ZONE,
    Role.ENTERPRISE: ScopeLevel.ENTERPRISE,
}
# Fields an administrator may set; everything else (password, last_login, …) is out of reach.
EDITABLE = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "role",
    "province_code",
    "city_code",
    "zone",
    "enterprise",
    "is_active",
    "can_manage_users",
    "granted_areas",
)
SECRET_FIELDS = {"password"}


def _audit_changes(before: dict, after: dict) -> dict:
    return {k: v for k, v in audit.diff(before, after).items() if k not in SECRET_FIELDS}


def derive_scope(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` with ``scope_level`` set from the role and the scope columns made consistent.

    Raises DomainError naming the field when the role's scope object is missing.
    """
    from zonebook.registry.models import Code

    out = dict(data)
    role = out.get("role")
    if role == Role.MACHINE:
        raise DomainError(
            _("Machine clients are issued on the machine tokens page."), code="role_forbidden", field="role"
        )
    if role not in ROLE_SCOPE:
        raise DomainError(_("Choose a role."), code="role_required", field="role")
    level = ROLE_SCOPE[Role(role)]
    granted = sorted(set(out.get("granted_areas") or ()))
    refused = [a for a in granted if a not in GRANTABLE_AREAS.get(Role(role), set())]
    if refused:
        raise DomainError(
            _("This role may not be granted the write areas: %(areas)s.") % {"areas": ", ".join(refused)},
            code="area_forbidden",
            field="granted_areas",
        )
    out["granted_areas"] = granted
    out["scope_level"] = level
    zone, enterprise = out.get("zone"), out.get("enterprise")
    province, city = (out.get("province_code") or "").strip(), (out.get("city_code") or "").strip()
    if level == ScopeLevel.ALL:
        province = city = ""
        zone = enterprise = None
    elif level == ScopeLevel.PROVINCE:
        if not province:
            raise DomainError(
                _("A provincial user needs a province."), code="scope_required", field="province_code"
            )
        city, zone, enterprise = "", None, None
    elif level == ScopeLevel.CITY:
        if not city:
            raise DomainError(_("A city user needs a city."), code="scope_required", field="city_code")
        region = Code.objects.filter(table__key="region", code=city).select_related("parent").first()
        province = region.parent.code if region and region.parent_id else city[:2] + "0000"
        zone, enterprise = None, None
    elif level == ScopeLevel.ZONE:
        if zone is None:
            raise DomainError(_("A zone user needs a zone."), code="scope_required", field="zone")
        province, city, enterprise = zone.province_code, zone.city_code, None
    else:
        if enterprise is None:
            raise DomainError(
                _("An enterprise user needs an enterprise."), code="scope_required", field="enterprise"
            )
        zone = enterprise.zone
        province, city = zone.province_code, zone.city_code
    out.update(province_code=province, city_code=city, zone=zone, enterprise=enterprise)
    return out


def within_scope(actor: User, target: dict[str, Any]) -> bool:
    """Whether scope values ``target`` (keys as ``User.scope_values``) lie inside the actor's scope."""
    if actor.is_superuser or actor.scope_level == ScopeLevel.ALL:
        return True
    if target.get("scope_level") == ScopeLevel.ALL:
        return False
    key = {
        ScopeLevel.PROVINCE: "province_code",
        ScopeLevel.CITY: "city_code",
        ScopeLevel.ZONE: "zone_id",
        ScopeLevel.ENTERPRISE: "enterprise_id",
    }.get(actor.scope_level)
    if key is None:
        return False
    mine = getattr(actor, key)
    return mine not in (None, "") and target.get(key) == mine


def _target_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "scope_level": data["scope_level"],
        "province_code": data["province_code"],
        "city_code": data["city_code"],
        "zone_id": data["zone"].pk if data["zone"] is not None else None,
        "enterprise_id": data["enterprise"].pk if data["enterprise"] is not None else None,
    }


def check_can_manage(actor: User, data: dict[str, Any] | None = None) -> None:
    if not actor.is_user_admin:
        raise DomainError(_("Your account may not manage users."), code="not_user_admin")
    if data is None:
        return
    if data.get("role") == Role.SYSTEM_ADMIN and not (actor.is_superuser or actor.role == Role.SYSTEM_ADMIN):
        raise DomainError(
            _("Only system administrators may create system administrators."),
            code="role_forbidden",
            field="role",
        )
    if not within_scope(actor, _target_values(data)):
        raise DomainError(
            _("The user's scope lies outside your own scope; you may only manage users inside it."),
            code="scope_forbidden",
            field=_scope_field(data["scope_level"]),
        )


def _scope_field(level: str) -> str:
    return {
        ScopeLevel.PROVINCE: "province_code",
        ScopeLevel.CITY: "city_code",
        ScopeLevel.ZONE: "zone",
        ScopeLevel.ENTERPRISE: "enterprise",
    }.get(level, "role")


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="weak_password", field="password") from exc


def _validate_model(user: User) -> None:
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), code="invalid", field=field) from exc


def generate_password(length: int = 14, *, avoid: str = "") -> str:
    """A random initial password that satisfies the password policy (four character classes) and does
    not contain ``avoid`` (the user name, which the policy forbids in a password)."""
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*-_=+"]
    alphabet = "".join(pools)
    while True:
        chars = [secrets.choice(p) for p in pools]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        if len(avoid) < 3 or avoid.casefold() not in password.casefold():
            return password


@transaction.atomic
def create_user(data: dict[str, Any], *, password: str, by: User, must_change_password: bool = True) -> User:
    """Create a user; the initial password must be changed at first login unless told otherwise."""
    data = derive_scope({k: v for k, v in data.items() if k in EDITABLE})
    check_can_manage(by, data)
    user = User(**data)
    user.must_change_password = must_change_password
    _check_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    _validate_model(user)
    user.save()
    audit.record(
        user,
        code="accounts.user.created",
        by=by,
        action=audit.AuditEntry.Action.CREATE,
        changes=_audit_changes({}, audit.snapshot(user)),
    )
    return user


@transaction.atomic
def update_user(user: User, data: dict[str, Any], *, by: User) -> dict:
    """Change a user's profile, role or scope.  Returns the recorded changes."""
    check_can_manage(by, {"scope_level": user.scope_level, **_current(user)})
    merged = {k: getattr(user, k) for k in EDITABLE}
    merged.update({k: v for k, v in data.items() if k in EDITABLE})
    merged = derive_scope(merged)
    check_can_manage(by, merged)
    if user.pk == by.pk and (merged.get("is_active") is False or merged["role"] != user.role):
        raise DomainError(
            _("You cannot deactivate yourself or change your own role."), code="self_change", field="role"
        )
    before = audit.snapshot(user)
    for k, v in merged.items():
        setattr(user, k, v)
    _validate_model(user)
    changes = _audit_changes(before, audit.snapshot(user))
    if changes:
        user.save()
        audit.record(
            user, code="accounts.user.updated", by=by, action=audit.AuditEntry.Action.UPDATE, changes=changes
        )
    return changes


def _current(user: User) -> dict:
    return {
        "role": user.role,
        "province_code": user.province_code,
        "city_code": user.city_code,
        "zone": user.zone,
        "enterprise": user.enterprise,
    }


@transaction.atomic
def reset_password(user: User, *, by: User, password: str | None = None) -> str:
    """Give the user a new initial password (returned once) that must be changed at next login."""
    check_can_manage(by, {"scope_level": user.scope_level, **_current(user)})
    password = password or generate_password(avoid=user.get_username())
    _check_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit.record(
        user, code="accounts.user.password_reset", by=by, changes={"must_change_password": [None, True]}
    )
    return password


@transaction.atomic
def unlock_user(user: User, *, by: User) -> int:
    """Clear the login lockout (django-axes) of the user.  Returns the number of cleared attempt rows."""
    from axes.utils import reset

    check_can_manage(by, {"scope_level": user.scope_level, **_current(user)})
    cleared = reset(username=user.get_username())
    audit.record(user, code="accounts.user.unlocked", by=by, changes={"cleared_attempts": [None, cleared]})
    return cleared


@transaction.atomic
def password_changed(user: User) -> dict:
    """Called after a user changed the own password: clears the forced-change flag, audited."""
    before = audit.snapshot(user, ["must_change_password", "password_changed_at"])
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["must_change_password", "password_changed_at"])
    changes = audit.diff(before, audit.snapshot(user, ["must_change_password", "password_changed_at"]))
    audit.record(user, code="accounts.user.password_changed", by=user, changes=changes)
    return changes


# --- login attacks -------------------------------------------------------------------------------------

ATTACK_CODE = "accounts.login.attack_suspected"


def check_login_attack(username: str):
    """After a failed login: when one user name failed ``LOGIN_ALERT_FAILURES`` times within
    ``LOGIN_ALERT_WINDOW_HOURS`` — from any addresses, so no single address is locked yet — alert the
    administrators once per window instead of locking the account for everybody: a warning in the log,
    ``mail_admins`` (``ADMINS``) and an audit entry (scoped like the user, so the user's administrators
    see it in the audit log).  Returns the audit entry when an alert was raised."""
    import datetime as dt
    import logging

    from django.conf import settings
    from django.core.mail import mail_admins

    from zonebook.audit.models import AuditEntry

    from .models import LoginEvent

    limit = int(getattr(settings, "LOGIN_ALERT_FAILURES", 20))
    since = timezone.now() - dt.timedelta(hours=float(getattr(settings, "LOGIN_ALERT_WINDOW_HOURS", 1)))
    if not username or limit <= 0:
        return None
    failures = LoginEvent.objects.filter(username=username, kind=LoginEvent.Kind.FAILURE, at__gte=since)
    count = failures.count()
    if count < limit:
        return None
    if AuditEntry.objects.filter(code=ATTACK_CODE, object_repr=username, at__gte=since).exists():
        return None  # already alerted in this window
    addresses = sorted({ip for ip in failures.values_list("ip", flat=True) if ip})
    user = User.objects.filter(username=username).first()
    message = _("%(n)d failed logins for user name %(user)s within %(hours)s h from %(ips)d addresses.") % {
        "n": count,
        "user": username,
        "hours": getattr(settings, "LOGIN_ALERT_WINDOW_HOURS", 1),
        "ips": len(addresses),
    }
    logging.getLogger("zonebook.security").warning("%s Addresses: %s", message, ", ".join(addresses[:50]))
    mail_admins(
        _("Zonebook: possible password attack on %(user)s") % {"user": username},
        f"{message}\n\n" + "\n".join(addresses[:200]),
        fail_silently=True,
    )
    return audit.record_event(
        ATTACK_CODE,
        message=message,
        object_type="accounts.user" if user else "",
        object_id=str(user.pk) if user else "",
        object_repr=username,
        scope=user.audit_scope() if user else {},
        changes={"failures": [None, count], "addresses": [None, addresses[:50]]},
    )
