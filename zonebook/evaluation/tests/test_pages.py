"""Pages, exports and API: scope (a zone office sees its own row with its positions, never the other
zones' scores), refusals shown as messages, query counts."""

import io
from decimal import Decimal as D

import openpyxl
import pytest

from zonebook.evaluation import services
from zonebook.evaluation.models import EntityResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(world, scheme, data):
    return services.run(scheme, exercise_year=2025, data_year=2025, by=world.users.admin)


def _xlsx(resp):
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    return [[c.value for c in row] for row in wb.active.iter_rows()]


def test_run_page_province_sees_all_zone_sees_its_own_row(world, run, client_for, django_assert_max_num_queries):
    c = client_for(world.users.admin)
    with django_assert_max_num_queries(20):
        r = c.get(f"/evaluation/runs/{run.code}/")
    assert r.status_code == 200
    names = {x.entity.name for x in r.context["results"]}
    assert "东部甲综保区" in names and "重庆西永综合保税区" in names
    assert len(r.context["charts"]) >= 2
    c = client_for(world.users.zone)
    r = c.get(f"/evaluation/runs/{run.code}/")
    assert [x.entity.name for x in r.context["results"]] == ["成都高新综合保税区"]
    assert r.context["partial"]
    rows = _xlsx(c.get(f"/evaluation/runs/{run.code}/", {"export": "xlsx"}))
    flat = [str(v) for row in rows for v in row if v is not None]
    assert "成都高新综合保税区" in flat and "东部甲综保区" not in flat and "重庆西永综合保税区" not in flat


def test_result_page_out_of_scope_is_404_and_shows_reasons(world, run, data, client_for):
    other = EntityResult.objects.get(run=run, entity=data["b1"])
    own = EntityResult.objects.get(run=run, entity=data["a1"])
    c = client_for(world.users.zone)
    assert c.get(f"/evaluation/runs/{run.code}/results/{other.pk}/").status_code == 404
    assert c.get(f"/evaluation/entities/{data['b1'].pk}/").status_code == 404
    assert c.get(f"/evaluation/runs/{run.code}/results/{own.pk}/").status_code == 200
    c = client_for(world.users.other_zone)
    r = c.get(f"/evaluation/runs/{run.code}/results/{other.pk}/")
    lines = r.context["lines"]
    assert lines[1]["raw"] is None and str(lines[1]["rule"]) == "peer-group median"
    assert str(lines[1]["reason"]) == "no value for the data year"
    rows = _xlsx(c.get(f"/evaluation/runs/{run.code}/results/{other.pk}/", {"export": "xlsx"}))
    assert any(row and row[1] == "期末从业人员" and row[8] == "peer-group median" for row in rows)


def test_entity_history_lists_runs(world, run, data, client_for):
    c = client_for(world.users.zone)
    r = c.get(f"/evaluation/entities/{data['a1'].pk}/")
    assert r.status_code == 200 and [x.run_id for x in r.context["results"]] == [run.pk]


def test_editing_a_used_version_is_refused_on_the_page(world, run, scheme, client_for):
    c = client_for(world.users.admin)
    si = scheme.indicators.get(indicator__code="EMPLOYEES")
    t = scheme.indicators.get(indicator__code="TRADE_CNY")
    cats = {x.code: x for x in scheme.categories.all()}
    post = {f"w_{si.pk}": "40", f"w_{t.pk}": "60", f"c_{cats['scale'].pk}": "60", f"c_{cats['people'].pk}": "40",
            "weights_sum_100": "on", f"n_{si.pk}": "zscore"}
    r = c.post(f"/evaluation/schemes/TEST/v{scheme.version}/edit/", post)
    assert r.status_code == 400
    assert "make a new version" in " ".join(r.context["errors"])
    si.refresh_from_db()
    assert si.normaliser == "minmax"
    # a new version from the page, then an edit with a wrong sum: refused, typed values kept
    r = c.post(f"/evaluation/schemes/TEST/v{scheme.version}/new/", {"label": "v2"})
    assert r.status_code == 302
    new = scheme.scheme.versions.get(version=2)
    si2 = new.indicators.get(indicator__code="EMPLOYEES")
    t2 = new.indicators.get(indicator__code="TRADE_CNY")
    c2 = {x.code: x for x in new.categories.all()}
    post = {f"w_{si2.pk}": "45", f"w_{t2.pk}": "60", f"c_{c2['scale'].pk}": "60", f"c_{c2['people'].pk}": "40",
            "weights_sum_100": "on"}
    r = c.post("/evaluation/schemes/TEST/v2/edit/", post)
    assert r.status_code == 400
    assert any("105" in e for e in r.context["errors"])
    assert 'value="45"' in r.content.decode()
    post[f"w_{si2.pk}"] = "40"
    assert c.post("/evaluation/schemes/TEST/v2/edit/", post).status_code == 302


def test_scheme_pages_show_assumptions_and_export(world, client_for):
    c = client_for(world.users.zone)
    r = c.get("/evaluation/schemes/")
    assert r.status_code == 200 and len(r.context["rows"]) >= 3
    r = c.get("/evaluation/schemes/FTZ/v1/")
    assert r.status_code == 200 and any("假设" in n for n in r.context["notes"])
    rows = _xlsx(c.get("/evaluation/schemes/ETDZ/v2/", {"export": "xlsx"}))
    assert any(row and row[0] == "对外开放" and row[1] == 30 for row in rows)
    assert c.get("/evaluation/schemes/NOPE/v1/").status_code == 404


def test_whatif_page_and_compare_page(world, run, data, scheme, client_for):
    c = client_for(world.users.admin)
    idx = run.inputs["keys"].index("TRADE_CNY")
    r = c.get(f"/evaluation/runs/{run.code}/what-if/", {"go": "1", "entity": data["b1"].pk, f"v_{idx}": "2000"})
    assert r.status_code == 200
    row = {x.code: x for x in r.context["result"]}["B1"]
    assert row.rank_after == 1 and row.total_after > row.total_before
    r = c.get(f"/evaluation/runs/{run.code}/what-if/", {"go": "1", "entity": data["b1"].pk, f"v_{idx}": "abc"})
    assert r.status_code == 400 and "abc is not a number." in r.context["errors"]
    # a zone office sees only its own movement and cannot pick another zone
    z = client_for(world.users.zone)
    r = z.get(f"/evaluation/runs/{run.code}/what-if/", {"go": "1", "entity": data["a1"].pk, f"v_{idx}": "0"})
    assert [x.code for x in r.context["result"]] == ["A1"]
    r = z.get(f"/evaluation/runs/{run.code}/what-if/", {"go": "1", "entity": data["b1"].pk, f"v_{idx}": "0"})
    assert r.status_code == 400
    other = services.new_version(scheme, by=world.users.admin)
    r = client_for(world.users.admin).get(f"/evaluation/runs/{run.code}/compare/", {"version": other.pk})
    assert r.status_code == 200 and len(r.context["rows"]) == 6
    r = client_for(world.users.zone).get(f"/evaluation/runs/{run.code}/compare/", {"version": other.pk})
    assert [x["entity"].code for x in r.context["rows"]] == ["A1"]


def test_run_from_the_page_and_refused_years(world, scheme, data, client_for):
    c = client_for(world.users.province)
    r = c.post("/evaluation/schemes/TEST/v1/run/", {"exercise_year": "2025", "data_year": "2025"})
    assert r.status_code == 302 and scheme.runs.count() == 1
    r = c.post("/evaluation/schemes/TEST/v1/run/", {"exercise_year": "2024", "data_year": "2025"}, follow=True)
    assert "The data year cannot come after the exercise year." in [str(m) for m in r.context["messages"]]
    z = client_for(world.users.zone)
    assert z.post("/evaluation/schemes/TEST/v1/run/", {"exercise_year": "2025", "data_year": "2025"}).status_code == 403


def test_api_results_are_scoped(world, run, client_for):
    c = client_for(world.users.zone)
    r = c.get("/api/evaluation/results/", {"run": run.code})
    assert r.status_code == 200
    body = r.json()
    results = body["results"] if isinstance(body, dict) else body
    assert [x["entity_name"] for x in results] == ["成都高新综合保税区"]
    assert results[0]["n_nation"] == 6 and results[0]["rank_nation"] is not None
    r = c.get(f"/api/evaluation/runs/{run.code}/")
    assert r.status_code == 200 and r.json()["inputs_hash"] == run.inputs_hash
    r = c.get("/api/evaluation/schemes/")
    assert r.status_code == 200


def test_enterprise_users_do_not_see_evaluation_pages(world, run, client_for):
    c = client_for(world.users.enterprise)
    assert c.get(f"/evaluation/runs/{run.code}/").status_code == 403
    assert c.get("/evaluation/").status_code == 403
    assert D(1) == 1
