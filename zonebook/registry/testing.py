"""factory-boy factories for the registry's models (zones, parks, enterprises, codes), for every app's tests."""

from __future__ import annotations

import itertools

import factory

from zonebook.registry import calc
from zonebook.registry.models import Code, CodeTable, Enterprise, Park, Zone

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
