"""Stats pages and API: scope (404 for other zones, in lists, API and exports), fixed query counts,
xlsx exports, the direct-reporting page, the figures endpoint."""

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from zonebook.stats import services
from zonebook.stats.models import Entity, ReportForm, Submission, Target

from .conftest import ind, obs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def data(world):
    z = world.zones
    cn = Entity.objects.create(code="CN", name="全国", level="nation")
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", parent=cn, province_code="510000",
                               region="west")
    cq = Entity.objects.create(code="P500000", name="重庆市", level="province", parent=cn, province_code="500000",
                               region="west")
    ents = {k: services.ensure_entity_for_zone(getattr(z, k), parent=sc if k != "c1" else cq, code=k.upper())
            for k in ("a1", "a2", "b1", "c1")}
    for y, base in ((2025, 10), (2026, 12)):
        for m in (1, 2, 3):
            for k, e in ents.items():
                obs(e, "TRADE_USD", y, m, "month", base + len(k) + (3 if k == "a1" else 0) + m)
            obs(sc, "TRADE_USD", y, m, "month", base * 10 + m)
            obs(cq, "TRADE_USD", y, m, "month", base * 8 + m)
    Target.objects.create(entity=ents["a1"], indicator=ind("TRADE_USD"), start_year=2026, end_year=2026, value=D(200))
    Target.objects.create(entity=sc, indicator=ind("TRADE_USD"), start_year=2026, end_year=2026, value=D(400))
    services.recompute()
    return dict(world=world, ents=ents, sc=sc, cq=cq)


def test_dashboard_per_role(data, client_for, django_assert_max_num_queries):
    u = data["world"].users
    c = client_for(u.province)
    with django_assert_max_num_queries(25):
        r = c.get(reverse("stats:dashboard"))
    html = r.content.decode()
    assert r.status_code == 200 and "四川省" in html and 'id="zones"' in html
    assert "成都高新综合保税区" in html and "重庆西永综合保税区" not in html
    # zone user: their zone only
    html = client_for(u.zone).get(reverse("stats:dashboard")).content.decode()
    assert "成都高新综合保税区" in html and "绵阳综合保税区" not in html


def test_dashboard_query_count_does_not_grow(data, client_for, django_assert_max_num_queries):
    """More zones and targets: the same number of queries."""
    from zonebook.registry.testing import ZoneFactory

    u = data["world"].users
    c = client_for(u.province)
    c.get(reverse("stats:dashboard"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        c.get(reverse("stats:dashboard"))
    for i in range(5):
        e = services.ensure_entity_for_zone(ZoneFactory(name=f"测试综保区扩{i}"), parent=data["sc"], code=f"X{i}")
        obs(e, "TRADE_USD", 2026, 3, "month", 5 + i)
        Target.objects.create(entity=e, indicator=ind("TRADE_USD"), start_year=2026, end_year=2026, value=D(50))
    services.recompute()
    with CaptureQueriesContext(connection) as after:
        c.get(reverse("stats:dashboard"))
    assert len(after) == len(before)


def test_entity_page_scope(data, client_for):
    u = data["world"].users
    a1, b1 = data["ents"]["a1"], data["ents"]["b1"]
    assert client_for(u.zone).get(reverse("stats:entity", args=[a1.pk])).status_code == 200
    assert client_for(u.zone).get(reverse("stats:entity", args=[b1.pk])).status_code == 404
    assert client_for(u.other_province).get(reverse("stats:entity", args=[a1.pk])).status_code == 404


def test_lists_scope_export_and_queries(data, client_for, django_assert_max_num_queries):
    u = data["world"].users
    c = client_for(u.city)
    with django_assert_max_num_queries(12):
        r = c.get(reverse("stats:observation_list"))
    html = r.content.decode()
    assert "成都高新综合保税区" in html and "绵阳综合保税区" not in html
    r = c.get(reverse("stats:ranking") + "?export=xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content))
    cells = [str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert "成都高新综合保税区" in cells and "绵阳综合保税区" not in cells and "重庆西永综合保税区" not in cells
    c = client_for(u.province)
    with django_assert_max_num_queries(12):
        r = c.get(reverse("stats:ranking") + "?period=2026-03&basis=cum&level=zone")
    html = r.content.decode()
    # a1 leads: 12+2+3+3 = 20 for March
    assert "成都高新综合保税区" in html and "1 / 4" in html


def test_api_values_ranking_and_figures(data, client_for):
    u = data["world"].users
    c = client_for(u.zone)
    r = c.get(f"/api/stats/values/?indicator={ind('TRADE_USD').pk}&basis=cum")
    assert r.status_code == 200
    body = r.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows and {x["entity"] for x in rows} == {"A1"}
    r = c.get("/api/stats/figures/?entity=A1&indicator=TRADE_USD&period=2026-03")
    f = r.json()
    assert r.status_code == 200 and f["value"] == "57.0000" and f["prior_year"] == "51.0000"
    assert f["yoy_pct"]["value"] == "11.7647" and f["ranks"]["nation"] == {"rank": 1, "of": 4}
    assert f["targets"][0]["completion_pct"] == "28.5000" and f["targets"][0]["time_progress_pct"] == "25.0000"
    assert c.get("/api/stats/figures/?entity=B1&indicator=TRADE_USD&period=2026-03").status_code == 404
    assert c.get("/api/stats/figures/?entity=A1&indicator=TRADE_USD&period=2026/03").status_code == 400
    # no base via the API: "—" with its reason, never an error
    r = c.get("/api/stats/figures/?entity=A1&indicator=TRADE_USD&period=2024-03").json()
    assert r["yoy_pct"]["value"] is None and r["yoy_pct"]["reason"] == "missing_base"
    assert r["yoy_pct"]["reason_text"] in ("no value for the base period", "基期无数据")


def test_report_page_flow_and_other_zone_404(data, client_for):
    u = data["world"].users
    c = client_for(u.zone)
    a1, b1 = data["ents"]["a1"], data["ents"]["b1"]
    assert c.get(reverse("stats:report", args=[b1.pk, "2026-03"])).status_code == 404
    r = c.get(reverse("stats:report", args=[a1.pk, "2026-03"]))
    assert r.status_code == 302
    sub = Submission.objects.get(entity=a1)
    page = c.get(r.url)
    assert page.status_code == 200 and "Submit for review" in page.content.decode()
    post = {"v_TRADE_USD__cum": "50", "v_EXPORT_USD__cum": "20", "v_IMPORT_USD__cum": "20", "action": "submit"}
    html = c.post(r.url, post).content.decode()
    assert "not the sum of its parts" in html
    sub.refresh_from_db()
    assert sub.status == "draft"
    # another zone's return is not found, by id
    other = services.get_or_create_submission(
        services.open_period(ReportForm.objects.get(code="ZONE_MONTHLY"), dt.date(2026, 3, 1)), b1, by=u.other_zone)
    assert c.get(reverse("stats:submission", args=[other.pk])).status_code == 404
    assert c.post(reverse("stats:review", args=[other.pk]), {"decision": "approve"}).status_code == 404


def test_home_panel_context(data, rf):
    from zonebook.stats.dashboard import headline_panel, returns_waiting

    u = data["world"].users
    req = rf.get("/")
    req.user = u.province
    ctx = headline_panel(req)
    assert ctx["home"].code == "P510000" and ctx["figures"].value == D(366)
    assert returns_waiting(u.province) == 0
