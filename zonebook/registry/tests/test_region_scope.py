"""A user never creates or moves a zone outside their own scope, through form, API or import (issue 14 §4).

Every scope-defining field counts: a city user's city *and* province, a province user's province; zone
and enterprise users place no zones at all.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zonebook.accounts.testing import user_for
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.registry.models import Zone
from zonebook.registry.services import region_error
from zonebook.registry.testing import code

pytestmark = pytest.mark.django_db


def api(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user)
    return c


def _zone_payload(**kw):
    return {
        "name": "越界综保区",
        "short_name": "越界",
        "kind": code("zone_type", "FTZ", "综合保税区").code,
        "level": "national",
        "province_code": "510000",
        "city_code": "510100",
        **kw,
    }


def test_region_rule():
    city = user_for("city", "510100", username="c1")
    province = user_for("province", "510000", username="p1")
    assert region_error(city, "510000", "510100") is None
    assert region_error(city, "110000", "510100")[0] in ("province_code", "city_code")
    assert region_error(city, "510000", "510700")[0] == "city_code"
    assert region_error(province, "510000", "510700") is None
    assert region_error(province, "500000", "500100")[0] == "province_code"
    assert region_error(province, "510000", "110100")[0] == "city_code"  # city not in the province
    assert region_error(None, "510000", "510100") is None


def test_city_user_cannot_move_a_zone_to_another_province_by_api(world):
    zone = world.zones.a1
    r = api(world.users.city).patch(
        f"/api/registry/zones/{zone.pk}/", {"province_code": "110000"}, format="json"
    )
    assert r.status_code == 400, r.content
    assert "province_code" in r.content.decode() or "city_code" in r.content.decode()
    zone.refresh_from_db()
    assert zone.province_code == "510000"
    assert api(world.users.province).get(f"/api/registry/zones/{zone.pk}/").status_code == 200
    # both region fields moved to another province's city: refused as well
    r = api(world.users.city).patch(
        f"/api/registry/zones/{zone.pk}/", {"province_code": "110000", "city_code": "110100"}, format="json"
    )
    assert r.status_code == 400
    # a zone user may not move its own zone
    r = api(world.users.zone).patch(f"/api/registry/zones/{zone.pk}/", {"city_code": "510700"}, format="json")
    assert r.status_code in (400, 403)
    zone.refresh_from_db()
    assert (zone.province_code, zone.city_code) == ("510000", "510100")
    # moving inside the own scope still works
    r = api(world.users.province).patch(
        f"/api/registry/zones/{zone.pk}/", {"city_code": "510700"}, format="json"
    )
    assert r.status_code == 200, r.content


def test_city_user_cannot_create_a_zone_in_another_province_by_api_or_form(world, client_for):
    r = api(world.users.city).post(
        "/api/registry/zones/", _zone_payload(province_code="110000"), format="json"
    )
    assert r.status_code == 400, r.content
    assert not Zone.objects.filter(name="越界综保区").exists()
    c = client_for(world.users.city)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = {**_zone_payload(province_code="110000"), "kind": code("zone_type", "FTZ", "综合保税区").pk}
    r = c.post(reverse("registry:zone_create"), form)
    body = r.content.decode()
    assert r.status_code == 400 and ("outside your region" in body or "not in the province given" in body)
    form_other = {**form, "city_code": "110100"}  # a city of the other province: outside the city's scope
    r = c.post(reverse("registry:zone_create"), form_other)
    assert r.status_code == 400 and "outside your region" in r.content.decode()
    assert not Zone.objects.filter(name="越界综保区").exists()
    # the edit form: a city user moving the zone to another province
    zone = world.zones.a1
    r = c.post(
        reverse("registry:zone_edit", args=[zone.pk]),
        {**form, "name": zone.name, "short_name": zone.short_name},
    )
    assert r.status_code == 400
    zone.refresh_from_db()
    assert zone.province_code == "510000"
    # the same form inside the city is accepted
    r = c.post(reverse("registry:zone_create"), {**form, "province_code": "510000"})
    assert r.status_code == 302, r.content.decode()[:2000]


def test_import_uses_the_same_rule(world, tmp_path):
    code("zone_type", "FTZ", "综合保税区")
    path = tmp_path / "zones.csv"
    path.write_text(
        "区域名称,简称,区域类型,省份,城市\n越界一,越一,FTZ,510000,510700\n越界二,越二,FTZ,500000,500100\n",
        encoding="utf-8-sig",
    )
    for user in (world.users.city, world.users.zone):
        result = pipeline.run(get_kind("zones"), path, path.name, user)
        assert len(result.errors) == 2, result.errors
    assert not Zone.objects.filter(name__startswith="越界").exists()
