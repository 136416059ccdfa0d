"""Machine clients: API tokens for system-to-system calls (a gate system posting passages).

A token belongs to one zone (or to one enterprise of the zone: its account then has the
enterprise scope, as an enterprise's customs client dropping messages needs) and grants write
areas (``choices.GRANTABLE_AREAS[Role.MACHINE]``).
Issuing creates a service account with role ``machine_client`` and the zone's scope (so every
scoped queryset and audit entry works unchanged) and returns the secret ONCE; only its SHA-256 hash
is stored (the secret is 256 random bits, so a fast hash is safe).  Revoking disables the account.
Clients send ``Authorization: Bearer <token>``; an unknown, revoked or expired token is a 401.
Issue and revoke are audited.  A use stamps ``last_used_at`` when the stored stamp is older than
``LAST_USED_RESOLUTION`` (one conditional UPDATE, none at all while the stamp is fresh), so a gate
system posting many events a second does not pay a write and a commit per request; revocation and
expiry are still checked on every request (the token row is read each time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication

from zonebook.audit import services as audit
from zonebook.core.api import TokenRejected
from zonebook.core.errors import DomainError

from .choices import GRANTABLE_AREAS, Role, ScopeLevel
from .models import MachineToken, User

TOKEN_PREFIX = "zbm_"
# last_used_at is kept to this resolution: a use within it of the stored stamp writes nothing
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _check_issuer(by: User, zone, enterprise=None) -> None:
    from .services import within_scope

    if not by.is_user_admin:
        raise DomainError(_("Your account may not manage machine tokens."), code="not_user_admin")
    if enterprise is not None and enterprise.zone_id != zone.pk:
        raise DomainError(
            _("The enterprise is not registered in this zone."), code="invalid", field="enterprise"
        )
    target = {
        "scope_level": ScopeLevel.ENTERPRISE if enterprise is not None else ScopeLevel.ZONE,
        "province_code": zone.province_code,
        "city_code": zone.city_code,
        "zone_id": zone.pk,
        "enterprise_id": enterprise.pk if enterprise is not None else None,
    }
    if not within_scope(by, target):
        if enterprise is not None:
            raise DomainError(
                _("The enterprise lies outside your own scope."), code="scope_forbidden", field="enterprise"
            )
        raise DomainError(_("The zone lies outside your own scope."), code="scope_forbidden", field="zone")


@transaction.atomic
def issue_token(
    *, name: str, zone, areas, by: User, expires_at=None, enterprise=None
) -> tuple[MachineToken, str]:
    """Issue a token for ``zone`` — or, with ``enterprise`` (of that zone), for that enterprise
    only (an enterprise's customs client); returns the token row and the secret (shown once,
    never stored)."""
    _check_issuer(by, zone, enterprise)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the client a name."), code="required", field="name")
    areas = sorted(set(areas or ()))
    bad = [a for a in areas if a not in GRANTABLE_AREAS[Role.MACHINE]]
    if bad:
        raise DomainError(
            _("A machine client may not be granted: %(areas)s.") % {"areas": ", ".join(bad)},
            code="area_forbidden",
            field="areas",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry must lie in the future."), code="invalid", field="expires_at")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    prefix = raw[: len(TOKEN_PREFIX) + 8]
    user = User(
        username=f"machine-{prefix[len(TOKEN_PREFIX) :]}".lower(),
        first_name=name[:150],
        role=Role.MACHINE,
        scope_level=ScopeLevel.ENTERPRISE if enterprise is not None else ScopeLevel.ZONE,
        province_code=zone.province_code,
        city_code=zone.city_code,
        zone=zone,
        enterprise=enterprise,
        must_change_password=False,
        granted_areas=areas,
    )
    user.set_unusable_password()
    user.save()
    token = MachineToken.objects.create(
        name=name,
        user=user,
        zone=zone,
        enterprise=enterprise,
        areas=areas,
        key_prefix=prefix,
        key_hash=hash_key(raw),
        created_by=by,
        expires_at=expires_at,
    )
    audit.record(
        token,
        code="accounts.machinetoken.issued",
        by=by,
        action=audit.AuditEntry.Action.CREATE,
        changes={
            "name": [None, name],
            "zone": [None, str(zone)],
            **({"enterprise": [None, str(enterprise)]} if enterprise is not None else {}),
            "areas": [None, areas],
            "key_prefix": [None, prefix],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
        },
    )
    return token, raw


@transaction.atomic
def revoke_token(token: MachineToken, *, by: User) -> None:
    """Revoke at once: the next call with the token is a 401.  Revoking twice is refused."""
    token = MachineToken.objects.select_for_update().select_related("zone", "user").get(pk=token.pk)
    _check_issuer(by, token.zone)
    if token.revoked_at is not None:
        raise DomainError(_("This token is already revoked."), code="already_revoked")
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    User.objects.filter(pk=token.user_id).update(is_active=False)
    audit.record(
        token,
        code="accounts.machinetoken.revoked",
        by=by,
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )


def stamp(token: MachineToken, now) -> bool:
    """Advance ``last_used_at`` to ``now`` unless it is more recent than ``LAST_USED_RESOLUTION``.

    Nothing is written while the stamp read with the token is fresh; otherwise one
    ``UPDATE … WHERE last_used_at IS NULL OR last_used_at < now - resolution`` (autocommit, no
    surrounding transaction), which concurrent requests with the same token cannot repeat."""
    limit = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at >= limit:
        return False
    done = (
        MachineToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=limit))
        .update(last_used_at=now)
    )
    if done:
        token.last_used_at = now
    return bool(done)


class MachineTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication for machine clients: ``Authorization: Bearer zbm_…``."""

    keyword = "bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.encode():
            return None
        if len(parts) != 2:
            raise TokenRejected(_("Invalid token header."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise TokenRejected(_("Invalid token.")) from exc
        token = MachineToken.objects.select_related("user", "zone").filter(key_hash=hash_key(raw)).first()
        if token is None:
            raise TokenRejected(_("Invalid token."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise TokenRejected(_("This token was revoked."))
        if token.expires_at is not None and token.expires_at <= now:
            raise TokenRejected(_("This token has expired."))
        if not token.user.is_active:
            raise TokenRejected(_("Invalid token."))
        stamp(token, now)
        user = token.user
        if user.zone_id == token.zone_id:
            user.zone = token.zone  # already read with the token: no second query for request.user.zone
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class MachineTokenScheme(OpenApiAuthenticationExtension):
    """OpenAPI: machine clients send ``Authorization: Bearer zbm_…``."""

    target_class = "zonebook.accounts.tokens.MachineTokenAuthentication"
    name = "machineToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Machine-client token issued on /accounts/tokens/"}
