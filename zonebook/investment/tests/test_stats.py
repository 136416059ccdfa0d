"""Statistics on a hand-computed data set: signed count and amount, 履约率, 开工率, 资金到位率, YoY,
target completion against time progress; by zone and city; scoped."""

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.investment import queries
from zonebook.investment import services as svc
from zonebook.investment.models import Project

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def data(inv):
    b1 = inv.world.zones.b1
    ent = inv.world.enterprises.a1
    p1 = inv.project(
        investor=inv.investor("甲"), amount=Decimal(10000), funds=Decimal(4000), signed=D(2025, 2, 10)
    )
    svc.update_project(p1, {"enterprise": ent}, by=inv.admin)
    svc.record_milestone(p1, "registered", D(2025, 3, 1), by=inv.admin)
    svc.record_milestone(p1, "started", D(2025, 4, 1), by=inv.admin)
    p2 = inv.project(
        investor=inv.investor("乙"),
        amount=Decimal(1000),
        currency="USD",
        rate=Decimal(7),
        funds=Decimal(200),
        signed=D(2025, 5, 1),
    )
    svc.record_milestone(p2, "registered", D(2025, 6, 1), by=inv.admin)
    inv.project(investor=inv.investor("丙"), amount=Decimal(6000), signed=D(2025, 11, 5))  # after October
    inv.project(
        investor=inv.investor("甲"),
        kind="capital_increase",
        parent=p1,
        amount=Decimal(2000),
        funds=Decimal(500),
        signed=D(2025, 6, 10),
    )
    inv.project(zone=b1, investor=inv.investor("丁", zone=b1), amount=Decimal(5000), signed=D(2025, 3, 3))
    inv.project(investor=inv.investor("戊"), amount=Decimal(8000), signed=D(2024, 7, 1))
    inv.project(investor=inv.investor("己"), amount=Decimal(9000))  # never signed
    svc.set_target(
        year=2025,
        province_code="510000",
        by=inv.admin,
        signed_count=4,
        signed_amount=Decimal(40000),
        funds_in_place=Decimal(10000),
    )
    return inv


def test_january_to_october_by_zone(data):
    user = data.world.users.province
    stats = queries.project_statistics(Project.objects.for_user(user), 2025, 10, "zone")
    rows = {r["label"]: r for r in stats["rows"]}
    a1, b1 = rows[data.world.zones.a1.name], rows[data.world.zones.b1.name]
    assert (a1["signed_count"], a1["signed_amount"]) == (
        2,
        Decimal("19000.00"),
    )  # increase counted, not as a project
    assert (a1["performing_rate"], a1["start_rate"], a1["funds_rate"]) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("31.05"),
    )
    assert (a1["prev_amount"], a1["yoy_amount"]) == (Decimal("8000.00"), Decimal("137.50"))
    assert (b1["signed_count"], b1["performing_rate"], b1["funds_rate"], b1["yoy_amount"]) == (
        1,
        Decimal("0.00"),
        Decimal("0.00"),
        None,
    )
    t = stats["total"]
    assert (t["signed_count"], t["signed_amount"], t["funds"]) == (3, Decimal("24000.00"), Decimal("5900.00"))
    assert (t["performing_rate"], t["start_rate"], t["funds_rate"], t["yoy_amount"]) == (
        Decimal("66.67"),
        Decimal("33.33"),
        Decimal("24.58"),
        Decimal("200.00"),
    )
    progress = queries.target_progress(t, queries.target_for(user, 2025), 10)
    assert progress["funds_completion"] == Decimal("59.00")
    assert progress["time_progress"] == Decimal("83.33")
    assert progress["gap"] == Decimal("-24.33")  # behind schedule
    assert progress["count_completion"] == Decimal("75.00")


def test_by_city_and_scope(data):
    stats = queries.project_statistics(Project.objects.for_user(data.world.users.province), 2025, 12, "city")
    assert {r["key"]: r["signed_count"] for r in stats["rows"]} == {"510100": 3, "510700": 1}
    city = queries.project_statistics(Project.objects.for_user(data.world.users.city), 2025, 12, "zone")
    assert city["total"]["signed_count"] == 3
    assert city["total"]["signed_amount"] == Decimal("25000.00")
    other = queries.project_statistics(
        Project.objects.for_user(data.world.users.other_province), 2025, 12, "zone"
    )
    assert other["total"]["signed_count"] == 0 and other["rows"] == []


def test_statistics_page_and_export(data, client_for, django_assert_max_num_queries):
    c = client_for(data.world.users.province)
    with django_assert_max_num_queries(20):
        r = c.get("/investment/statistics/?year=2025&month=10&group=zone")
    assert r.status_code == 200
    body = r.content.decode()
    assert "24,000.00" in body and "66.67" in body and "-24.33" in body
    x = c.get("/investment/statistics/?year=2025&month=10&group=industry&export=xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxmlformats")
    api = c.get("/api/investment/statistics/?year=2025&month=10&group=source_region")
    assert api.status_code == 200 and api.json()["total"]["signed_count"] == 3


def test_office_sets_its_own_target(inv, client_for):
    c = client_for(inv.world.users.city)
    r = c.post(
        "/investment/targets/",
        {"year": 2025, "signed_count": 12, "signed_amount": "300000", "funds_in_place": "90000"},
    )
    assert r.status_code == 302
    target = queries.target_for(inv.world.users.city, 2025)
    assert (target.city_code, target.zone, target.signed_count) == ("510100", None, 12)
    c.post(
        "/investment/targets/",
        {"year": 2025, "signed_count": 15, "signed_amount": "300000", "funds_in_place": "90000"},
    )
    assert queries.target_for(inv.world.users.city, 2025).signed_count == 15
    assert client_for(inv.world.users.customs).post("/investment/targets/", {"year": 2025}).status_code == 403
