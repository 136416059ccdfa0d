"""factory-boy factories for users (every app's tests): ``UserFactory``, ``user_for(scope, obj)``."""

from __future__ import annotations

import factory
from django.utils import timezone

from zonebook.accounts.choices import Role, ScopeLevel
from zonebook.accounts.models import User

PASSWORD = "Zonebook-Test-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ENTERPRISE
    scope_level = ScopeLevel.ENTERPRISE
    must_change_password = False
    password_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


def user_for(scope: str, obj=None, role: str | None = None, **kw) -> User:
    """A user with the given scope level; obj is a province/city code, a Zone or an Enterprise."""
    roles = {
        "all": Role.SYSTEM_ADMIN,
        "province": Role.PROVINCE,
        "city": Role.CITY,
        "zone": Role.ZONE_STAFF,
        "enterprise": Role.ENTERPRISE,
    }
    fields = {"scope_level": scope, "role": role or roles[scope]}
    if scope == "province":
        fields["province_code"] = obj
    elif scope == "city":
        fields["city_code"] = obj
        fields["province_code"] = obj[:2] + "0000"
    elif scope == "zone":
        fields.update(zone=obj, city_code=obj.city_code, province_code=obj.province_code)
    elif scope == "enterprise":
        fields.update(enterprise=obj, zone=obj.zone, city_code=obj.zone.city_code, province_code=obj.zone.province_code)
    elif scope == "all":
        fields["is_superuser"] = False
    fields.update(kw)
    return UserFactory(**fields)
