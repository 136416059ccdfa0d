"""Account administration: scoped user list, create/edit with role ↔ scope rules, reset, unlock — all audited."""

import pytest
from django.urls import reverse

from zonebook.accounts import services
from zonebook.accounts.models import User
from zonebook.accounts.testing import UserFactory, user_for
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError


@pytest.fixture
def city_admin(world):
    return user_for("city", "510100", username="cd_admin", can_manage_users=True)


def _form(**kw):
    data = {"username": "newuser", "role": "zone_staff", "is_active": "on", "password": "Initial-Pass-2026"}
    data.update(kw)
    return data


def test_system_admin_creates_a_zone_user_with_derived_scope(client, world):
    client.force_login(world.users.admin)
    response = client.post(reverse("accounts:user_create"), _form(zone=world.zones.b1.pk))
    assert response.status_code == 302
    user = User.objects.get(username="newuser")
    assert (user.scope_level, user.zone, user.city_code, user.province_code) == (
        "zone",
        world.zones.b1,
        "510700",
        "510000",
    )
    assert user.must_change_password is True
    assert user.check_password("Initial-Pass-2026")
    entry = AuditEntry.objects.get(code="accounts.user.created", object_id=str(user.pk))
    assert entry.actor == world.users.admin
    assert "password" not in entry.changes
    assert entry.changes["role"] == [None, "zone_staff"]


def test_generated_initial_password_is_shown_once_and_satisfies_the_policy(client, world):
    client.force_login(world.users.admin)
    response = client.post(
        reverse("accounts:user_create"), _form(password="", zone=world.zones.a1.pk), follow=True
    )
    text = [str(m) for m in response.context["messages"]][0]
    password = text.split("初始密码为 ")[1].split("。")[0]
    assert User.objects.get(username="newuser").check_password(password)


def test_city_admin_creates_users_only_inside_the_city(client, world, city_admin):
    client.force_login(city_admin)
    ok = client.post(reverse("accounts:user_create"), _form(zone=world.zones.a2.pk))
    assert ok.status_code == 302
    assert User.objects.get(username="newuser").city_code == "510100"

    # A zone of Mianyang is not even offered (and not accepted).
    response = client.post(
        reverse("accounts:user_create"), _form(username="intruder", zone=world.zones.b1.pk)
    )
    assert response.status_code == 400
    assert "zone" in response.context["form"].errors
    # Neither a city user for another city nor a system administrator.
    response = client.post(
        reverse("accounts:user_create"), _form(username="intruder", role="city_commerce", city_code="510700")
    )
    assert response.status_code == 400
    response = client.post(reverse("accounts:user_create"), _form(username="intruder", role="system_admin"))
    assert response.status_code == 400
    assert not User.objects.filter(username="intruder").exists()
    assert AuditEntry.objects.filter(code="accounts.user.created").count() == 1


def test_service_refuses_out_of_scope_and_inconsistent_scope(world, city_admin):
    with pytest.raises(DomainError) as exc:
        services.create_user(
            {"username": "x1", "role": "zone_staff", "zone": world.zones.b1},
            password="Initial-Pass-2026",
            by=city_admin,
        )
    assert exc.value.code == "scope_forbidden"
    assert exc.value.field == "zone"
    with pytest.raises(DomainError) as exc:
        services.create_user(
            {"username": "x2", "role": "enterprise", "zone": world.zones.a1},
            password="Initial-Pass-2026",
            by=city_admin,
        )
    assert exc.value.field == "enterprise"
    with pytest.raises(DomainError) as exc:
        services.create_user(
            {"username": "x3", "role": "system_admin"}, password="Initial-Pass-2026", by=city_admin
        )
    assert exc.value.code == "role_forbidden"
    with pytest.raises(DomainError) as exc:
        services.create_user(
            {"username": "x4", "role": "enterprise", "enterprise": world.enterprises.a1},
            password="short",
            by=city_admin,
        )
    assert exc.value.code == "weak_password"
    assert not User.objects.filter(username__startswith="x").exists()
    assert not AuditEntry.objects.filter(code="accounts.user.created").exists()


def test_enterprise_user_gets_the_enterprise_zone_city_and_province(world):
    user = services.create_user(
        {
            "username": "ent2",
            "role": "enterprise",
            "enterprise": world.enterprises.a1,
            "zone": world.zones.c1,
            "city_code": "999999",
        },
        password="Initial-Pass-2026",
        by=world.users.admin,
    )
    assert (user.zone, user.city_code, user.province_code) == (world.zones.a1, "510100", "510000")


def test_users_without_admin_right_cannot_manage(client, world):
    for u in (world.users.customs, world.users.city, world.users.enterprise):
        client.force_login(u)
        assert client.get(reverse("accounts:user_create")).status_code == 403
        assert client.post(reverse("accounts:user_reset_password", args=[u.pk])).status_code in (403, 404)
    assert not AuditEntry.objects.exists()


def test_edit_changes_role_and_scope_and_is_audited(client, world, city_admin):
    target = world.users.zone
    client.force_login(city_admin)
    response = client.post(
        reverse("accounts:user_edit", args=[target.pk]),
        {"username": target.username, "role": "zone_leader", "zone": world.zones.a2.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.zone) == ("zone_leader", world.zones.a2)
    entry = AuditEntry.objects.get(code="accounts.user.updated", object_id=str(target.pk))
    assert entry.changes["role"] == ["zone_staff", "zone_leader"]
    assert entry.changes["zone"] == [world.zones.a1.pk, world.zones.a2.pk]


def test_out_of_scope_users_are_404_for_a_city_admin(client, world, city_admin):
    client.force_login(city_admin)
    other = world.users.other_zone  # Mianyang
    assert client.get(reverse("accounts:user_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:user_reset_password", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:user_unlock", args=[other.pk])).status_code == 404
    names = {u.username for u in client.get(reverse("accounts:user_list")).context["page"]}
    assert world.users.zone.username in names
    assert other.username not in names
    assert world.users.other_province.username not in names


def test_reset_password_forces_a_change_and_is_audited(client, world):
    target = world.users.enterprise
    client.force_login(world.users.admin)
    response = client.post(reverse("accounts:user_reset_password", args=[target.pk]), follow=True)
    message = [str(m) for m in response.context["messages"]][0]
    target.refresh_from_db()
    assert target.must_change_password is True
    new_password = message.split("重置为 ")[1].split("。")[0]
    assert target.check_password(new_password)
    entry = AuditEntry.objects.get(code="accounts.user.password_reset", object_id=str(target.pk))
    assert new_password not in str(entry.changes)


def test_nobody_deactivates_themselves(world):
    admin = world.users.admin
    with pytest.raises(DomainError):
        services.update_user(admin, {"is_active": False}, by=admin)


def test_user_list_query_count_is_fixed(client, world, django_assert_max_num_queries):
    client.force_login(world.users.admin)
    client.get(reverse("accounts:user_list"))
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("accounts:user_list"))
    UserFactory.create_batch(40, scope_level="zone", role="zone_staff", zone=world.zones.a1)
    with django_assert_max_num_queries(12) as large:
        client.get(reverse("accounts:user_list"))
    assert len(small.captured_queries) == len(large.captured_queries)
