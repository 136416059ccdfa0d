import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.evaluation.models import Category, Scheme, SchemeIndicator, SchemeVersion
from zonebook.stats.models import Entity, Indicator, Observation


def obs(entity, code, year, value, basis="cum"):
    o = Observation(entity=entity, indicator=Indicator.objects.get(code=code), period=dt.date(year, 12, 1),
                    basis=basis, value=D(str(value)), provenance="imported")
    o.save()
    return o


@pytest.fixture
def ents(world):
    """Stats entities for the world's zones (a1, a2, b1 in Sichuan / west, c1 in Chongqing / west) and
    two east peers without a registry zone."""
    out = {}
    for key, z in vars(world.zones).items():
        out[key] = Entity.objects.create(code=key.upper(), name=z.name, level="zone", zone=z,
                                         province_code=z.province_code, city_code=z.city_code, region="west",
                                         zone_type="FTZ")
    out["e1"] = Entity.objects.create(code="E1", name="东部甲综保区", level="zone", province_code="320000",
                                      region="east", zone_type="FTZ")
    out["e2"] = Entity.objects.create(code="E2", name="东部乙综保区", level="zone", province_code="320000",
                                      region="east", zone_type="FTZ")
    return out


@pytest.fixture
def scheme(db):
    """A small test scheme: trade (60, min-max), employees (40, median when missing), 2 groups,
    A = top 20 %, B = top 60 %, C the rest."""
    s = Scheme.objects.create(code="TEST", name="测试方案", kind="ftz", zone_types=["FTZ"])
    v = SchemeVersion.objects.create(scheme=s, version=1, label="v1", groups={"east": "东部", "west": "中西部"},
                                     grade_rules=[["A", "20"], ["B", "60"], ["C", None]], decimals=2)
    c1 = Category.objects.create(version=v, code="scale", name="规模", weight=60, order=1)
    c2 = Category.objects.create(version=v, code="people", name="人员", weight=40, order=2)
    SchemeIndicator.objects.create(version=v, category=c1, indicator=Indicator.objects.get(code="TRADE_CNY"),
                                   weight=60, normaliser="minmax", missing_rule="zero")
    SchemeIndicator.objects.create(version=v, category=c2, indicator=Indicator.objects.get(code="EMPLOYEES"),
                                   weight=40, normaliser="minmax", missing_rule="median")
    return v


@pytest.fixture
def data(ents):
    trade = {"a1": 500, "a2": 100, "b1": 50, "c1": 300, "e1": 900, "e2": 10}
    people = {"a1": 9000, "a2": 3000, "b1": None, "c1": 5000, "e1": 12000, "e2": 1000}
    for k, e in ents.items():
        obs(e, "TRADE_CNY", 2025, trade[k])
        obs(e, "TRADE_CNY", 2024, trade[k] * 0.9)
        if people[k] is not None:
            obs(e, "EMPLOYEES", 2025, people[k], basis="month")
    return ents


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages are checked in English (the catalogue translates them; test_i18n checks it is complete)."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
