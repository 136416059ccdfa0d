"""A service office in zone a1: a dispatcher (zone staff), two zone departments with heads and
members, a city unit, and a department of another zone (b1)."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from zonebook.accounts.models import Unit, UnitMembership
from zonebook.accounts.testing import user_for
from zonebook.service.models import Category

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def _unit(name, zone=None, city=None, kind="zone_dept", head=None):
    data = {"name": name, "kind": kind, "head": head}
    if zone is not None:
        data.update(scope_level="zone", zone=zone, province_code=zone.province_code, city_code=zone.city_code)
    else:
        data.update(scope_level="city", city_code=city, province_code=city[:2] + "0000")
    return Unit.objects.create(**data)


@pytest.fixture
def svc(world):
    a1, b1 = world.zones.a1, world.zones.b1
    head = user_for("zone", a1, role="zone_leader", username="svc_head")
    member = user_for("zone", a1, username="svc_member")
    co_member = user_for("zone", a1, username="co_member")
    outsider = user_for("zone", a1, username="svc_outsider")
    service_dept = _unit("企业服务局", zone=a1, head=head)
    econ_dept = _unit("经济发展局", zone=a1)
    city_unit = _unit("成都海关", city="510100", kind="customs")
    other_zone_unit = _unit("绵阳经济发展局", zone=b1)
    UnitMembership.objects.create(unit=service_dept, user=member)
    UnitMembership.objects.create(unit=econ_dept, user=co_member)
    return SimpleNamespace(
        head=head, member=member, co_member=co_member, outsider=outsider, dispatcher=world.users.zone,
        service_dept=service_dept, econ_dept=econ_dept, city_unit=city_unit, other_zone_unit=other_zone_unit,
        cat=Category.objects.get(code="CUS-CLR"), complex_cat=Category.objects.get(code="LND-FAC"),
    )
