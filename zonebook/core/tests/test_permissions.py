"""The one declared permission (core.permissions): areas by role, granted areas, and the API class."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from rest_framework.test import APIRequestFactory

from zonebook.accounts import services as account_services
from zonebook.core.api import WriteAreaPermission
from zonebook.core.errors import DomainError
from zonebook.core.permissions import (
    may_write,
    require_role,
    require_write,
    write_required,
)

pytestmark = pytest.mark.django_db


class _View:
    def __init__(self, area, kwargs=None):
        self.write_area = area
        self.kwargs = kwargs or {}


def _allowed(user, method, area, kwargs=None):
    request = getattr(APIRequestFactory(), method)("/api/x/")
    request.user = user
    return WriteAreaPermission().has_permission(request, _View(area, kwargs))


def test_api_permission_refuses_without_the_area_and_allows_with_it(world):
    u = world.users
    assert _allowed(u.zone, "get", "stats")  # reads are scoped, not area-bound
    assert not _allowed(u.zone, "post", "stats")
    assert _allowed(u.province, "post", "stats")
    assert not _allowed(u.customs, "post", "registry")
    assert _allowed(u.zone, "post", "registry")


def test_ops_and_stats_are_grantable_to_zone_and_enterprise_users_only_where_allowed(world):
    u = world.users
    admin = u.admin
    assert not may_write(u.zone, "stats") and not may_write(u.enterprise, "ops")
    account_services.update_user(u.zone, {"granted_areas": ["stats"]}, by=admin)
    account_services.update_user(u.enterprise, {"granted_areas": ["ops", "stats"]}, by=admin)
    u.zone.refresh_from_db()
    u.enterprise.refresh_from_db()
    assert may_write(u.zone, "stats") and _allowed(u.zone, "post", "stats")
    assert may_write(u.enterprise, "ops") and may_write(u.enterprise, "stats")
    # a zone office may not be granted the enterprises' ledger, a customs liaison nothing
    for user, areas in ((u.zone, ["ledger"]), (u.customs, ["stats"]), (u.city, ["ops"])):
        with pytest.raises(DomainError) as exc:
            account_services.update_user(user, {"granted_areas": areas}, by=admin)
        assert exc.value.code == "area_forbidden"
    # a granted area outside the role's grantable set is ignored even if stored directly
    u.customs.granted_areas = ["stats"]
    assert not may_write(u.customs, "stats")


def test_the_user_form_grants_areas(world, client_for):
    admin = world.users.admin
    admin.can_manage_users = True
    admin.save()
    target = world.users.enterprise
    data = {
        "username": target.username,
        "role": "enterprise",
        "enterprise": target.enterprise_id,
        "is_active": "on",
        "granted_areas": ["ops"],
    }
    r = client_for(admin).post(f"/accounts/users/{target.pk}/edit/", data)
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.granted_areas == ["ops"] and target.can_write("ops")


def test_view_decorator_and_service_check(world):
    u = world.users

    @write_required("stats")
    def view(request):
        return "ok"

    request = RequestFactory().post("/x/")
    request.user = u.zone
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = u.city
    assert view(request) == "ok"
    with pytest.raises(PermissionDenied, match="nope"):
        require_write(u.customs, "registry", "nope")
    require_write(u.zone, "registry")
    with pytest.raises(PermissionDenied):
        require_role(u.zone, "zone_leader")
    require_role(u.zone_leader, "zone_leader")


def test_per_app_write_checks_use_the_declared_permission(world, client_for):
    """The replaced helpers keep their answers: registry page write (403 for customs), import (403)."""
    c = client_for(world.users.customs)
    assert c.get("/registry/zones/new/").status_code == 403
    assert c.get("/imports/enterprises/").status_code == 403
    assert c.get("/imports/units/").status_code == 403  # units need the "accounts" area
    assert client_for(world.users.admin).get("/imports/units/").status_code == 200
    assert client_for(world.users.admin).get("/imports/units/template.xlsx").status_code == 200
    assert client_for(world.users.zone).get("/registry/zones/new/").status_code == 200
