"""Dashboards with charts (issue 20 §4): the overview and entity pages draw their figures with the
platform's chart tag next to the tables; every table exports to xlsx; growth against zero is "—" with
its reason; scope holds for the exports."""

import io

import openpyxl
import pytest
from django.urls import reverse

from zonebook.stats.models import Figure

from . import test_pages
from .conftest import ind, obs

data, english = test_pages.data, test_pages.english  # the fixtures of the page tests

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[c for c in row] for row in ws.iter_rows(values_only=True)]


def test_overview_draws_charts_instead_of_meters(data, client_for):
    u = data["world"].users
    r = client_for(u.province).get(reverse("stats:dashboard"))
    charts = r.context["charts"]
    assert set(charts) == {"months", "yoy", "shares", "targets"}
    months = charts["months"]
    assert months.kind == "bar" and months.unit == "亿美元" and [s.name for s in months.series] == ["2026", "2025"]
    assert [v for v in months.series[0].values] == [r["value"] for r in r.context["months"]]
    # the zones' share of the province: A1 (12+3+2+m …) of Sichuan's months, the rest outside the zones
    shares = charts["shares"]
    assert shares.kind == "ranked_bar" and shares.unit == "%" and "成都高新综合保税区" in shares.categories
    assert sum(shares.series[0].values) == pytest.approx(100, abs=0.01)
    html = r.content.decode()
    assert "<meter" not in html and html.count('class="zb-chart"') == 4
    assert 'id="months"' in html and 'id="zones"' in html and 'id="targets"' in html  # tables kept


def test_zone_user_sees_its_value_not_shares(data, client_for):
    r = client_for(data["world"].users.zone).get(reverse("stats:dashboard"))
    assert r.context["charts"]["shares"].unit == "亿美元"
    assert r.context["charts"]["shares"].categories == ["成都高新综合保税区"]


def test_entity_page_value_rank_and_target_charts(data, client_for):
    r = client_for(data["world"].users.province).get(reverse("stats:entity", args=[data["ents"]["a1"].pk]))
    charts = r.context["charts"]
    assert set(charts) == {"value", "ranks", "targets"}
    ranks = {s.name: s.values for s in charts["ranks"].series}
    assert ranks["National rank"] == [f.rank_nation for f in Figure.objects.filter(
        entity=data["ents"]["a1"], indicator=ind("TRADE_USD"), basis="cum").order_by("ym")]


def test_every_dashboard_table_exports_to_xlsx(data, client_for):
    c = client_for(data["world"].users.province)
    rows = _sheet(c.get(reverse("stats:dashboard") + "?export=months"))
    header = next(r for r in rows if r and r[0] == "Month")
    assert header[1] == "2026 (亿美元)"
    body = rows[rows.index(header) + 1:]
    assert [r[0] for r in body] == [1, 2, 3] and [float(r[1]) for r in body] == [121, 122, 123]
    rows = _sheet(c.get(reverse("stats:dashboard") + "?export=targets"))
    assert any(r and r[0] == "四川省" for r in rows)
    rows = _sheet(c.get(reverse("stats:entity", args=[data["ents"]["a1"].pk]) + "?export=ranks"))
    assert any(r and r[0] == "2026-03" for r in rows)
    assert c.get(reverse("stats:dashboard") + "?export=nothing").status_code == 404


def test_entity_exports_are_scoped(data, client_for):
    c = client_for(data["world"].users.zone)
    assert c.get(reverse("stats:entity", args=[data["ents"]["b1"].pk]) + "?export=ranks").status_code == 404
    assert c.get(reverse("stats:entity", args=[data["ents"]["a1"].pk]) + "?export=ranks").status_code == 200


def test_growth_against_zero_is_a_dash_with_its_reason(data, client_for):
    sc = data["sc"]
    obs(sc, "EXPORT_USD", 2025, 1, "month", "0")
    obs(sc, "EXPORT_USD", 2026, 1, "month", "5")
    c = client_for(data["world"].users.province)
    r = c.get(reverse("stats:dashboard") + "?indicator=EXPORT_USD&period=2026-01")
    (jan,) = r.context["months"]
    assert jan["yoy"].value is None and jan["reason"] == "the base is zero"
    assert "— <small>(the base is zero)</small>" in r.content.decode()
    rows = _sheet(c.get(reverse("stats:dashboard") + "?indicator=EXPORT_USD&period=2026-01&export=months"))
    assert rows[-1] == [1, 5, 0, "— (the base is zero)"]


def test_city_without_its_own_totals_sees_the_total_of_its_zones(data, client_for, rf):
    from zonebook.stats import dashboard
    from zonebook.stats.models import Entity

    Entity.objects.create(code="C510100", name="成都市", level="city", parent=data["sc"], province_code="510000",
                          city_code="510100")
    u = data["world"].users
    r = client_for(u.city).get(reverse("stats:dashboard"))
    assert r.context["subject_label"] == "成都市, total of its zones"
    ym = 2026 * 12 + 2
    zones = Figure.objects.filter(entity__in=[data["ents"]["a1"], data["ents"]["a2"]], indicator=ind("TRADE_USD"),
                                  ym=ym, basis="cum")
    trade = next(h for h in r.context["headline"] if h["indicator"].code == "TRADE_USD")
    assert trade["value"] == sum(f.value for f in zones) and trade["yoy"].value is not None
    # March, summed over the two zones: a1 12 + 2 + 3 + 3, a2 12 + 2 + 3 (test_pages.data)
    assert r.context["months"][2]["value"] == 37
    request = rf.get("/")
    request.user = u.city
    panel = dashboard.headline_panel(request)
    assert panel["total"]["value"] == trade["value"] and panel["total"]["label"] == "成都市, total of its zones"


def test_growth_across_a_definition_break_is_flagged_on_the_overview(data, client_for):
    import datetime as dt

    from zonebook.stats.models import IndicatorDefinition

    c = client_for(data["world"].users.province)
    assert c.get(reverse("stats:dashboard")).context["breaks"] == []
    IndicatorDefinition.objects.create(indicator=ind("TRADE_USD"), valid_from=dt.date(2026, 1, 1), text="新口径",
                                       is_break=True)
    r = c.get(reverse("stats:dashboard"))
    assert r.context["breaks"] == [dt.date(2026, 1, 1)]
    assert 'id="definition-break"' in r.content.decode()
