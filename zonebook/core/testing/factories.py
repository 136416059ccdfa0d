"""factory-boy factories shared by every app's tests."""

from __future__ import annotations

import itertools

import factory
from django.utils import timezone

from zonebook.accounts.choices import Role, ScopeLevel
from zonebook.accounts.models import User
from zonebook.registry import calc
from zonebook.registry.models import Code, CodeTable, Enterprise, Park, Zone

PASSWORD = "Zonebook-Test-2026"
_org = itertools.count(10000001)


def code(table: str, value: str, name: str | None = None, parent: Code | None = None, **extra) -> Code:
    t, _ = CodeTable.objects.get_or_create(key=table, defaults={"name": table, "version": "test"})
    obj, _ = Code.objects.get_or_create(
        table=t, code=value, defaults={"name": name or value, "parent": parent, "level": extra.pop("level", 1), "extra": extra}
    )
    return obj


def next_uscc(region: str = "510100") -> str:
    n = next(_org)
    org9 = f"{n:08d}" + "0"
    return calc.make_uscc("9", "1", region, org9[:9])


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    name = factory.Sequence(lambda n: f"测试综合保税区{n}")
    short_name = factory.Sequence(lambda n: f"测试综保区{n}")
    kind = factory.LazyFunction(lambda: code("zone_type", "FTZ", "综合保税区"))
    province_code = "510000"
    city_code = "510100"
    planned_area_km2 = factory.Faker("pydecimal", left_digits=1, right_digits=2, positive=True)
    status = "operating"


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Park

    zone = factory.SubFactory(ZoneFactory)
    name = factory.Sequence(lambda n: f"园区{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试电子有限公司{n}")
    uscc = factory.LazyFunction(next_uscc)
    customs_code = factory.Sequence(lambda n: f"5101{n:06d}"[:10])
    zone = factory.SubFactory(ZoneFactory)
    status = "operating"


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
