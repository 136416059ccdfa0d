"""Pages and API: who sees which bulletin (province, city, zone, another province), downloads of every
version, the tables as xlsx, the version list export, publishing, the new-bulletin form keeping what
was typed, a fixed number of queries on the list."""

import datetime as dt
import io

import openpyxl
import pytest

from zonebook.accounts.testing import user_for
from zonebook.bulletins.models import Bulletin


def _ids(resp):
    return {r["id"] for r in resp.json()["results"]}


def test_list_is_scoped_city_sees_own_and_published_province(stored, client):
    city = user_for("city", "510700")
    client.force_login(city)
    r = client.get("/bulletins/")
    assert r.status_code == 200
    rows = {b.pk for b in r.context["table"].data}
    # its own bulletin, its zone's and the province's published one; not Chongqing's
    assert rows == {stored["city"].pk, stored["zone"].pk, stored["province"].pk}
    # the province's unpublished draft v1 is not offered to the city
    assert client.get(f"/bulletins/{stored['province'].pk}/v1/pdf/").status_code == 404
    assert client.get(f"/bulletins/{stored['province'].pk}/v2/pdf/").status_code == 200
    assert client.get(f"/bulletins/{stored['other'].pk}/").status_code == 404
    assert client.get(f"/bulletins/{stored['other'].pk}/v1/docx/").status_code == 404


def test_zone_sees_only_its_own(stored, province, client):
    client.force_login(user_for("zone", province["MY"].zone))
    r = client.get("/bulletins/")
    assert {b.pk for b in r.context["table"].data} == {stored["zone"].pk}
    assert client.get(f"/bulletins/{stored['province'].pk}/").status_code == 404


def test_unpublished_province_bulletin_is_hidden_from_cities(stored, client):
    b = stored["province"]
    Bulletin.objects.filter(pk=b.pk).update(published_version=None, published_at=None)
    client.force_login(user_for("city", "510700"))
    assert client.get(f"/bulletins/{b.pk}/").status_code == 404


def test_list_query_count_is_fixed(stored, province, client, django_assert_max_num_queries):
    client.force_login(user_for("province", "510000"))
    client.get("/bulletins/")
    with django_assert_max_num_queries(12) as ctx:
        client.get("/bulletins/")
    n = len(ctx.captured_queries)
    for k in range(5):
        Bulletin.objects.create(entity=province["GX"], frequency="month", period=dt.date(2025, k + 1, 1), title=f"t{k}")
    with django_assert_max_num_queries(n):
        r = client.get("/bulletins/")
    assert len(r.context["table"].data) == 8


def test_downloads_and_exports(stored, client):
    client.force_login(user_for("province", "510000"))
    b = stored["province"]
    r = client.get(f"/bulletins/{b.pk}/v1/docx/")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert b"".join(r.streaming_content)[:2] == b"PK"
    r = client.get(f"/bulletins/{b.pk}/v2/xlsx/")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    ws = wb["表1"]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "进出口总额（亿美元）" in values and 1234.5 in values  # numbers stay numbers
    r = client.get(f"/bulletins/{b.pk}/?export=xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert any(row[:2] == (2, "published") or row[:2] == (2, "已发布") for row in rows)
    r = client.get("/bulletins/", {"export": "xlsx"})
    assert r.status_code == 200
    assert client.get(f"/bulletins/{b.pk}/v9/pdf/").status_code == 404
    assert client.get(f"/bulletins/{b.pk}/v1/exe/").status_code == 404


def test_detail_offers_publish_and_the_page_publishes(stored, client, province):
    user = user_for("province", "510000")
    client.force_login(user)
    b = stored["city"]
    r = client.get(f"/bulletins/{b.pk}/")
    assert [v.version for v in r.context["publishable"]] == [1]
    r = client.post(f"/bulletins/{b.pk}/publish/", {"version": "1"})
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.published_version.version == 1 and b.published_version.published_by == user
    # a draft cannot be published: the page says why
    r = client.post(f"/bulletins/{stored['province'].pk}/publish/", {"version": "1"}, follow=True)
    assert any("draft" in str(m) or "草稿" in str(m) for m in r.context["messages"])
    # a zone user may not publish the city's bulletin (not even see it)
    client.force_login(user_for("zone", province["MY"].zone))
    assert client.post(f"/bulletins/{b.pk}/publish/", {"version": "1"}).status_code == 404


def test_new_form_keeps_input_and_names_the_error(province, client):
    client.force_login(user_for("province", "510000"))
    r = client.get("/bulletins/new/")
    scopes = [c[1] for c in r.context["form"].fields["scope"].choices]
    assert any("四川省" in str(s) for s in scopes) and not any("重庆" in str(s) for s in scopes)
    r = client.post("/bulletins/new/", {"scope": province["sc"].pk, "period": "2026/10"})
    assert r.status_code == 200
    assert r.context["form"]["period"].value() == "2026/10"
    assert "YYYY-MM" in str(r.context["form"].errors["period"])
    r = client.post("/bulletins/new/", {"scope": province["sc"].pk, "period": "2019-01"})
    assert "四川省" in str(r.context["form"].errors["period"])  # no statistics for that period
    client.force_login(user_for("enterprise", __import__("zonebook.registry.testing", fromlist=["x"])
                                .EnterpriseFactory(zone=province["MY"].zone)))
    assert client.get("/bulletins/new/").status_code == 403


def test_api_lists_scoped_bulletins_with_versions_and_publishes(stored, client):
    city = user_for("city", "510700")
    client.force_login(city)
    r = client.get("/api/bulletins/")
    assert r.status_code == 200
    assert _ids(r) == {stored["city"].pk, stored["zone"].pk, stored["province"].pk}
    province_row = next(x for x in r.json()["results"] if x["id"] == stored["province"].pk)
    assert [v["version"] for v in province_row["versions"]] == [2]  # published only
    assert province_row["versions"][0]["pdf_url"].endswith(f"/bulletins/{stored['province'].pk}/v2/pdf/")
    assert client.get(f"/api/bulletins/{stored['other'].pk}/").status_code == 404
    r = client.post(f"/api/bulletins/{stored['city'].pk}/publish/", {"version": 1}, content_type="application/json")
    assert r.status_code == 200 and r.json()["published_version"] == 1
    r = client.post(f"/api/bulletins/{stored['province'].pk}/publish/", {"version": 1},
                    content_type="application/json")
    assert r.status_code in (403, 404)  # the city may not publish the province's bulletin
    client.force_login(user_for("province", "510000"))
    r = client.post(f"/api/bulletins/{stored['province'].pk}/publish/", {"version": 1},
                    content_type="application/json")
    assert r.status_code == 400 and "version" in r.json()
    r = client.get("/api/bulletins/", {"level": "zone"})
    assert _ids(r) == {stored["zone"].pk}


@pytest.mark.parametrize("who", ["province", "city", "zone"])
def test_pages_render_for_each_role(stored, province, client, who):
    user = {"province": lambda: user_for("province", "510000"), "city": lambda: user_for("city", "510700"),
            "zone": lambda: user_for("zone", province["MY"].zone)}[who]()
    client.force_login(user)
    assert client.get("/bulletins/").status_code == 200
    assert client.get(f"/bulletins/{stored['zone'].pk}/").status_code == 200


@pytest.mark.parametrize("year", ["1e40", "99999999999999999999", "2026.5", "-5"])
def test_out_of_range_year_is_a_form_error(stored, client, year):
    client.force_login(user_for("province", "510000"))
    assert client.get("/bulletins/", {"year": year}).status_code in (200, 400)
    assert client.get("/api/bulletins/", {"year": year}).status_code == 400
    assert {r["id"] for r in client.get("/api/bulletins/", {"year": "2026"}).json()["results"]} == {
        stored["province"].pk, stored["city"].pk, stored["zone"].pk}
