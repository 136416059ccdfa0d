"""Machine clients: issue from the page (secret shown once, stored hashed), use, revoke → 401."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from zonebook.accounts import tokens
from zonebook.accounts.models import MachineToken, User
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError

pytestmark = pytest.mark.django_db

BOOKS = "/api/ledger/books/"


@pytest.fixture
def zone_admin(world):
    leader = world.users.zone_leader
    leader.can_manage_users = True
    leader.save()
    return leader


def bearer(raw):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_issue_use_revoke(world, zone_admin, client_for):
    c = client_for(zone_admin)
    form = c.get("/accounts/tokens/new/").content.decode()
    assert "成都高新综合保税区" in form and "绵阳综合保税区" not in form
    r = c.post("/accounts/tokens/new/", {"name": "卡口系统", "zone": world.zones.a1.pk, "areas": ["ledger"]})
    assert r.status_code == 200
    token = MachineToken.objects.get()
    raw = r.context["raw"]
    assert raw.startswith("zbm_") and raw in r.content.decode()
    assert r["Cache-Control"] == "no-store"
    # hashed at rest: neither the token row, nor its account, nor the audit log holds the secret
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(MachineToken.objects.values().get())
    assert not AuditEntry.objects.filter(changes__icontains=raw[8:]).exists()
    assert AuditEntry.objects.filter(code="accounts.machinetoken.issued", actor=zone_admin).count() == 1
    # shown once: the list shows only the prefix
    listing = c.get("/accounts/tokens/").content.decode()
    assert token.key_prefix in listing and raw not in listing

    assert token.last_used_at is None
    r = bearer(raw).get(BOOKS)
    assert r.status_code == 200, r.content
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert c.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    r = bearer(raw).get(BOOKS)
    assert r.status_code == 401
    assert r.json()["code"] == "token_rejected" and r["WWW-Authenticate"].startswith("Bearer")
    assert AuditEntry.objects.filter(code="accounts.machinetoken.revoked").count() == 1
    with pytest.raises(DomainError):
        tokens.revoke_token(token, by=zone_admin)


def test_expired_unknown_and_malformed_tokens_are_401(world, zone_admin):
    token, raw = tokens.issue_token(name="闸口", zone=world.zones.a1, areas=["ledger"], by=zone_admin)
    MachineToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(raw).get(BOOKS).status_code == 401
    assert bearer("zbm_" + "x" * 43).get(BOOKS).status_code == 401
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer a b")
    assert api.get(BOOKS).status_code == 401


def test_limited_to_granted_areas_and_no_pages(world, zone_admin, client):
    token, raw = tokens.issue_token(name="统计接口", zone=world.zones.a1, areas=["stats"], by=zone_admin)
    # the ledger area is not granted: refused, reads included
    assert bearer(raw).get(BOOKS).status_code == 403
    assert bearer(raw).get("/api/accounts/units/").status_code == 403
    assert bearer(raw).get("/api/notifications/").status_code == 403  # no area: no API view
    # the client's account has no password and a session of it is refused on pages and the API
    user = token.user
    assert not user.has_usable_password() and user.role == "machine_client"
    client.force_login(user)
    assert client.get("/").status_code == 403
    client.force_login(user)
    assert client.get(BOOKS).status_code in (401, 403)


def test_issuing_is_limited_to_the_issuers_scope_and_to_machine_areas(world, zone_admin, client_for):
    with pytest.raises(DomainError) as exc:
        tokens.issue_token(name="x", zone=world.zones.b1, areas=["ledger"], by=zone_admin)
    assert exc.value.code == "scope_forbidden"
    with pytest.raises(DomainError) as exc:
        tokens.issue_token(name="x", zone=world.zones.a1, areas=["registry"], by=zone_admin)
    assert exc.value.code == "area_forbidden"
    with pytest.raises(DomainError):
        tokens.issue_token(name="x", zone=world.zones.a1, areas=[], by=world.users.zone)  # no user admin
    other, _ = tokens.issue_token(
        name="绵阳卡口", zone=world.zones.b1, areas=["ledger"], by=world.users.admin
    )
    c = client_for(zone_admin)
    assert other.key_prefix not in c.get("/accounts/tokens/").content.decode()
    assert c.post(f"/accounts/tokens/{other.pk}/revoke/").status_code == 404
    assert client_for(world.users.zone).get("/accounts/tokens/").status_code == 403
    # the user form never offers or accepts the machine role
    assert User.objects.filter(role="machine_client").count() == 1


def test_machine_accounts_are_not_managed_as_users(world, zone_admin, client_for):
    token, _raw = tokens.issue_token(name="卡口", zone=world.zones.a1, areas=["ops"], by=zone_admin)
    c = client_for(zone_admin)
    assert token.user.username not in c.get("/accounts/users/").content.decode()
    assert c.post(f"/accounts/users/{token.user.pk}/reset-password/").status_code == 404
    assert c.get(f"/accounts/users/{token.user.pk}/edit/").status_code == 404


def test_last_used_stamp_is_throttled_and_revocation_stays_immediate(world, zone_admin):
    """A use writes ``last_used_at`` only when the stamp is older than a minute (no UPDATE, no commit per
    request); the stamp still advances, and a revoked or expired token is refused at once."""
    token, raw = tokens.issue_token(name="卡口系统", zone=world.zones.a1, areas=["ops"], by=zone_admin)
    api = bearer(raw)
    url = "/api/operations/gate-events/"
    assert api.get(url).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    # within the resolution: the token is read (select token+user+zone), nothing is written
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first
    # older than the resolution: the next use advances the stamp (one conditional UPDATE)
    old = timezone.now() - tokens.LAST_USED_RESOLUTION - dt.timedelta(seconds=5)
    MachineToken.objects.filter(pk=token.pk).update(last_used_at=old)
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]) == 1
    token.refresh_from_db()
    assert token.last_used_at > first
    # the stamp is fresh, yet revocation is immediate: the row is read on every request
    tokens.revoke_token(token, by=zone_admin)
    assert api.get(url).status_code == 401
    # and so is expiry
    token2, raw2 = tokens.issue_token(name="卡口系统二", zone=world.zones.a1, areas=["ops"], by=zone_admin)
    assert bearer(raw2).get(url).status_code == 200
    MachineToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(raw2).get(url).status_code == 401


def test_stamp_is_one_conditional_update(world, zone_admin):
    """Two requests racing with the same stale stamp: only the first UPDATE matches."""
    token, _raw = tokens.issue_token(name="卡口系统", zone=world.zones.a1, areas=["ops"], by=zone_admin)
    now = timezone.now()
    stale = MachineToken.objects.get(pk=token.pk)
    assert tokens.stamp(stale, now) is True and stale.last_used_at == now
    racer = MachineToken.objects.get(pk=token.pk)
    racer.last_used_at = None  # read before the first stamp landed
    assert tokens.stamp(racer, now + dt.timedelta(seconds=1)) is False
    assert MachineToken.objects.get(pk=token.pk).last_used_at == now
    later = now + tokens.LAST_USED_RESOLUTION + dt.timedelta(seconds=1)
    assert tokens.stamp(MachineToken.objects.get(pk=token.pk), later) is True
    assert MachineToken.objects.get(pk=token.pk).last_used_at == later


def test_a_token_for_one_enterprise_of_the_zone_from_the_page(world, zone_admin, client_for):
    c = client_for(zone_admin)
    a1, b1 = world.enterprises.a1, world.enterprises.b1
    form = {"name": "企业金二客户端", "zone": world.zones.a1.pk, "enterprise": a1.pk, "areas": ["ledger"]}
    r = c.post("/accounts/tokens/new/", form)
    assert r.status_code == 200, r.content
    token = MachineToken.objects.get()
    assert token.enterprise == a1
    assert (token.user.scope_level, token.user.enterprise_id, token.user.zone_id) == (
        "enterprise",
        a1.pk,
        a1.zone_id,
    )
    issued = AuditEntry.objects.get(code="accounts.machinetoken.issued")
    assert issued.changes["enterprise"] == [None, str(a1)] and issued.enterprise_id == a1.pk
    listing = c.get("/accounts/tokens/").content.decode()
    assert a1.name in listing
    # an enterprise outside the issuer's scope is not offered, and not accepted
    r = c.post("/accounts/tokens/new/", dict(form, enterprise=b1.pk))
    assert r.status_code == 400 and MachineToken.objects.count() == 1
    # an enterprise of another zone than the token's is refused naming the field
    r = client_for(world.users.admin).post(
        "/accounts/tokens/new/", dict(form, zone=world.zones.a2.pk, enterprise=a1.pk)
    )
    assert r.status_code == 400 and r.context["form"].errors.get("enterprise")
