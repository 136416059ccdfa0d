"""Pages and API: scoped lists with a fixed number of queries, exports, 404 out of scope, writes
through the forms, the five databases."""

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.investment import services as svc
from zonebook.investment.models import Project

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(inv):
    for i in range(12):
        z = inv.world.zones.a1 if i % 3 else inv.world.zones.b1
        inv.project(
            zone=z,
            investor=inv.investor(f"客商{i}", zone=z),
            amount=Decimal(1000 * (i + 2)),
            signed=D(2025, 1 + i % 12, 3),
            transfer_mode="expansion" if i % 2 else "",
            name=f"项目{i}",
        )
    return inv


def test_project_list_scoped_with_fixed_queries(projects, client_for, django_assert_max_num_queries):
    c = client_for(projects.world.users.province)
    with django_assert_max_num_queries(12):
        r = c.get("/investment/")
    assert r.status_code == 200 and r.content.decode().count("/investment/projects/") >= 12
    zone_client = client_for(projects.world.users.other_zone)  # zone b1 sees its own 4
    body = zone_client.get("/investment/").content.decode()
    assert "项目0" in body and "项目1<" not in body
    with django_assert_max_num_queries(12):
        x = c.get("/investment/?export=xlsx&stage=signed")
    assert x.status_code == 200
    assert AuditEntry.objects.filter(code="investment.project.exported").exists()


def test_other_scope_gets_404_page_and_api(projects, client_for):
    p = Project.objects.filter(zone=projects.world.zones.a1).first()
    other = client_for(projects.world.users.other_zone)
    assert other.get(f"/investment/projects/{p.pk}/").status_code == 404
    assert (
        other.post(
            f"/investment/projects/{p.pk}/milestones/", {"kind": "registered", "date": "2025-06-01"}
        ).status_code
        == 404
    )
    assert other.get(f"/api/investment/projects/{p.pk}/").status_code == 404
    ids = [row["id"] for row in other.get("/api/investment/projects/").json()["results"]]
    assert p.pk not in ids and len(ids) == 4


def test_project_form_milestone_and_duplicate_warning_on_the_page(inv, client_for):
    c = client_for(inv.world.users.zone)
    investor = inv.investor()
    r = c.post(
        "/investment/projects/new/",
        {
            "name": "新项目",
            "kind": "new",
            "investor": investor.pk,
            "industry": inv.industry.pk,
            "build_kind": "new",
            "zone": inv.world.zones.a1.pk,
            "currency": "CNY",
            "fx_rate": "1",
            "contracted_investment": "20000",
            "funds_in_place": "0",
            "in_monthly_ledger": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Project.objects.get(name="新项目")
    r = c.post(f"/investment/projects/{p.pk}/milestones/", {"kind": "signed", "date": "2025-03-01"})
    assert r.status_code == 302
    # a zone user cannot put a project into another zone
    r = c.post(
        "/investment/projects/new/",
        {
            "name": "越界",
            "kind": "new",
            "zone": inv.world.zones.b1.pk,
            "currency": "CNY",
            "fx_rate": "1",
            "build_kind": "new",
            "funds_in_place": "0",
        },
    )
    assert r.status_code == 400 and not Project.objects.filter(name="越界").exists()
    dup = inv.project(investor=investor, amount=Decimal(20500))
    r = c.post(
        f"/investment/projects/{dup.pk}/milestones/", {"kind": "signed", "date": "2025-04-01"}, follow=True
    )
    assert "DEDUP-1" in r.content.decode()
    # a milestone out of order is refused on the page with the reason
    r = c.post(f"/investment/projects/{p.pk}/milestones/", {"kind": "registered", "date": "2025-02-01"})
    assert r.status_code == 400 and "2025-03-01" in r.content.decode()


def test_read_only_role_cannot_write(inv, client_for):
    c = client_for(inv.world.users.customs)
    assert c.get("/investment/projects/new/").status_code == 403
    assert c.get("/investment/").status_code == 200


def test_api_create_and_milestone(inv, client_for):
    c = client_for(inv.world.users.zone)
    investor = inv.investor()
    r = c.post(
        "/api/investment/projects/",
        {
            "name": "接口项目",
            "zone": inv.world.zones.a1.pk,
            "investor": investor.pk,
            "industry": inv.industry.pk,
            "contracted_investment": "3000.00",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = c.post(
        f"/api/investment/projects/{pk}/milestones/",
        {"kind": "signed", "date": "2025-05-05"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["stage"] == "signed"
    r = c.post(
        f"/api/investment/projects/{pk}/milestones/",
        {"kind": "talks", "date": "2025-06-05"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "not_monotonic"
    r = c.post(
        "/api/investment/projects/",
        {"name": "越界", "zone": inv.world.zones.b1.pk},
        content_type="application/json",
    )
    assert r.status_code == 400


def test_other_lists_and_databases(projects, client_for, django_assert_max_num_queries):
    c = client_for(projects.world.users.province)
    svc.create_event(
        {"kind": "reception", "title": "台湾电机电子公会来访", "date": D(2025, 4, 2)},
        by=projects.world.users.province,
    )
    for url in (
        "/investment/investors/",
        "/investment/events/?year=2025",
        "/investment/databases/",
        "/investment/databases/targets/",
        "/investment/databases/transfers/",
        "/investment/databases/investors/",
        "/investment/databases/industrial-base/",
        "/investment/databases/processing-trade/",
        "/investment/tasks/",
        "/investment/policies/",
        "/investment/scorecards/",
    ):
        with django_assert_max_num_queries(16):
            r = c.get(url)
        assert r.status_code == 200, url
    assert c.get("/investment/databases/nope/").status_code == 404
    body = c.get("/investment/events/?year=2025").content.decode()
    assert 'data-kind="reception">1<' in body
    transfers = c.get("/investment/databases/transfers/?export=csv")
    assert transfers.status_code == 200


def test_project_list_lights_and_overdue_filter(inv, client_for):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    late = inv.project(investor=inv.investor("迟"), signed=today - dt.timedelta(days=120), name="迟迟未开工")
    inv.project(investor=inv.investor("新"), signed=today - dt.timedelta(days=5), name="刚签约")
    c = client_for(inv.world.users.zone)
    body = c.get("/investment/?overdue=true").content.decode()
    assert late.number in body and "刚签约" not in body
    assert 'data-light="overdue"' in body
    assert 'data-light="green"' in c.get("/investment/?overdue=false").content.decode()


def test_capital_increase_entered_as_new_is_refused_on_the_page_with_the_offer_to_record_it_as_one(inv, client_for):
    investor = inv.investor()
    first = inv.project(investor=investor, amount=Decimal(20000), signed=D(2025, 3, 1), name="整机一期")
    second = inv.project(investor=investor, amount=Decimal(4000), name="整机一期追加投资")
    c = client_for(inv.admin)
    url = f"/investment/projects/{second.pk}/milestones/"
    r = c.post(url, {"kind": "signed", "date": "2025-06-01", "evidence": "补充协议"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "ZS-SM-1" in page and f"{first.number} 整机一期" in page
    offer = page[page.index('id="increase-offer"'):]
    offer = offer[: offer.index("</div>")]
    button = offer[offer.index('name="as_increase_of"'):]
    button = button[: button.index("</button>")]
    assert f'value="{first.pk}"' in button and f"{first.number} 整机一期" in button
    assert 'value="补充协议"' in page  # what the user typed is kept
    second.refresh_from_db()
    assert second.signed_on is None
    r = c.post(url, {"kind": "signed", "date": "2025-06-01", "evidence": "补充协议", "as_increase_of": str(first.pk)})
    assert r.status_code == 302
    second.refresh_from_db()
    assert (second.kind, second.parent_id, second.counted, second.counted_amount) == (
        "capital_increase", first.pk, False, Decimal(4000))


def test_api_refuses_a_capital_increase_entered_as_new_and_records_it_as_one_when_asked(inv, client_for):
    investor = inv.investor()
    first = inv.project(investor=investor, amount=Decimal(20000), signed=D(2025, 3, 1))
    second = inv.project(investor=investor, amount=Decimal(4000))
    c = client_for(inv.admin)
    url = f"/api/investment/projects/{second.pk}/milestones/"
    r = c.post(url, {"kind": "signed", "date": "2025-06-01"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "increase_as_new" and first.number in r.json()["detail"]
    r = c.post(url, {"kind": "signed", "date": "2025-06-01", "as_increase_of": first.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    second.refresh_from_db()
    assert (second.kind, second.parent_id, second.counted) == ("capital_increase", first.pk, False)
