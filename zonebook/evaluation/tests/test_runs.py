"""Runs: stored data, reproducibility, missing values, weights, immutability of used versions, growth
against zero, previous-run change, what-if, scheme comparison, land use."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from zonebook.audit.models import AuditEntry
from zonebook.evaluation import inputs, services
from zonebook.evaluation.models import Category, EntityResult, SchemeIndicator, SchemeVersion
from zonebook.stats.models import Indicator

from .conftest import obs

pytestmark = pytest.mark.django_db


def _run(version, world, year=2025, **kw):
    return services.run(version, exercise_year=year, data_year=year, by=world.users.admin, **kw)


def test_shipped_schemes_sum_to_100_and_show_their_assumptions(db):
    versions = {(v.scheme.code, v.version): v for v in SchemeVersion.objects.select_related("scheme")}
    assert set(versions) >= {("FTZ", 1), ("ETDZ", 1), ("ETDZ", 2)}
    for v in versions.values():
        assert services.weight_problems(v) == [], v
        assert "假设" in v.notes
    etdz21 = versions[("ETDZ", 2)]
    assert [(c.name, c.weight) for c in etdz21.categories.all()] == [
        ("对外开放", 30), ("发展质量", 30), ("科技创新", 15), ("绿色发展", 15), ("统筹协调", 10)]
    ftz = versions[("FTZ", 1)]
    assert [c.weight for c in ftz.categories.all()][:3] == [50, 20, 10]
    # the indicators come from the statistics catalogue
    assert Indicator.objects.filter(code__in=["LAND_INVEST_INTENSITY", "LAND_OUTPUT_PER_MU", "LAND_UTILISATION"]).count() == 3


def test_run_stores_its_data_and_reproduces_identically(world, scheme, data):
    r = _run(scheme, world)
    assert r.n_entities == 6 and len(r.inputs["values"]) == 6
    assert r.inputs["keys"] == ["TRADE_CNY", "EMPLOYEES"]
    stored = services.stored(r)
    assert services.reproduce(r) == stored
    by = {x.entity.code: x for x in r.results.select_related("entity")}
    assert by["E1"].rank_nation == 1 and by["E1"].grade == "A" and by["E1"].total == D("100.0000")
    assert by["A1"].group == "中西部" and by["A1"].rank_group == 1 and by["A1"].n_group == 4
    # the statistics change afterwards: the stored run still reproduces, a new run differs
    from zonebook.stats.models import Observation

    Observation.objects.filter(entity=data["e2"], indicator__code="EMPLOYEES").update(value=50000)
    assert services.reproduce(r) == stored
    r2 = _run(scheme, world)
    assert r2.inputs_hash != r.inputs_hash
    assert services.stored(r2) != stored
    assert AuditEntry.objects.filter(code="evaluation.run.created").count() == 2


def test_missing_indicator_follows_the_scheme_rule_and_says_so(world, scheme, data):
    r = _run(scheme, world)
    b1 = r.results.get(entity=data["b1"])
    assert b1.rules_applied == "median"
    emp = b1.indicator_rows()[1]
    assert emp["raw"] is None and emp["rule"] == "median" and emp["reason"] == inputs.NO_VALUE
    # the median of its group (中西部: a1 9000, a2 3000, c1 5000) = 5000
    assert D(emp["used"]) == D("5000.0000")
    # the same gap under "exclude": excluded, the other weight scaled up to the full score
    SchemeIndicator.objects.filter(version=scheme, indicator__code="EMPLOYEES").update(missing_rule="exclude")
    r2 = _run(scheme, world)
    b1 = r2.results.get(entity=data["b1"])
    assert b1.rules_applied == "exclude" and b1.indicator_rows()[1]["score"] is None
    trade_score = D(b1.indicator_rows()[0]["score"])
    assert b1.total == (trade_score).quantize(D("0.01"))


def test_weights_not_summing_to_100_are_refused_when_the_scheme_says_so(world, scheme, data):
    si = scheme.indicators.get(indicator__code="EMPLOYEES")
    with pytest.raises(ValidationError) as e:
        services.update_version(scheme, by=world.users.admin, indicators=[services.WeightChange(si.pk, D(30))])
    assert "90" in " ".join(e.value.messages)
    si.refresh_from_db()
    assert si.weight == 40  # nothing written
    # a version that allows it
    services.update_version(scheme, by=world.users.admin, fields={"weights_sum_100": False},
                            indicators=[services.WeightChange(si.pk, D(30))])
    si.refresh_from_db()
    assert si.weight == 30
    # and a run of a refusing version with broken weights is refused too
    SchemeVersion.objects.filter(pk=scheme.pk).update(weights_sum_100=True)
    scheme.refresh_from_db()
    with pytest.raises(ValidationError):
        _run(scheme, world)


def test_editing_a_version_with_runs_is_refused_a_new_version_is_editable(world, scheme, data):
    _run(scheme, world)
    si = scheme.indicators.get(indicator__code="EMPLOYEES")
    with pytest.raises(ValidationError) as e:
        services.update_version(scheme, by=world.users.admin, indicators=[services.WeightChange(si.pk, D(40))])
    assert "new version" in " ".join(e.value.messages)
    new = services.new_version(scheme, by=world.users.admin)
    assert new.version == 2 and new.based_on == scheme and new.indicators.count() == 2
    s2 = new.indicators.get(indicator__code="EMPLOYEES")
    t2 = new.indicators.get(indicator__code="TRADE_CNY")
    Category.objects.filter(version=new, code="scale").update(weight=50)
    Category.objects.filter(version=new, code="people").update(weight=50)
    services.update_version(new, by=world.users.admin, indicators=[services.WeightChange(s2.pk, D(50)),
                                                                   services.WeightChange(t2.pk, D(50))])
    assert scheme.indicators.get(indicator__code="EMPLOYEES").weight == 40


def test_growth_against_zero_has_no_value_and_a_reason(world, scheme, data):
    SchemeIndicator.objects.filter(version=scheme, indicator__code="EMPLOYEES").delete()
    cat = scheme.categories.get(code="people")
    SchemeIndicator.objects.create(version=scheme, category=cat, indicator=Indicator.objects.get(code="TRADE_CNY"),
                                   measure="yoy", weight=40, normaliser="minmax", missing_rule="zero")
    from zonebook.stats.models import Observation

    Observation.objects.filter(entity=data["e2"], indicator__code="TRADE_CNY", ym=2024 * 12 + 11).update(value=0)
    r = _run(scheme, world)
    e2 = r.results.get(entity=data["e2"])
    growth = e2.indicator_rows()[1]
    assert growth["raw"] is None and growth["reason"] == "zero_base" and growth["rule"] == "zero"
    a1 = r.results.get(entity=data["a1"])
    assert D(a1.indicator_rows()[1]["raw"]) == D("11.1111")  # 500 against 450


def test_change_against_the_previous_run(world, scheme, data):
    first = services.run(scheme, exercise_year=2025, data_year=2025, by=world.users.admin)
    obs(data["e2"], "TRADE_CNY", 2026, 5000)
    for k in ("a1", "a2", "b1", "c1", "e1"):
        obs(data[k], "TRADE_CNY", 2026, 100)
    second = services.run(scheme, exercise_year=2026, data_year=2026, by=world.users.admin)
    assert second.previous == first
    e2 = second.results.get(entity=data["e2"])
    assert e2.prev_rank == first.results.get(entity=data["e2"]).rank_nation
    assert e2.rank_change == e2.prev_rank - e2.rank_nation > 0


def test_whatif_moves_score_rank_and_grade_without_touching_the_run(world, scheme, data):
    r = _run(scheme, world)
    before = services.stored(r)
    rows = {x.code: x for x in services.whatif(r, values={(data["b1"].pk, "TRADE_CNY"): D(2000)})}
    assert rows["B1"].rank_before > 1 and rows["B1"].rank_after == 1 and rows["B1"].grade_after == "A"
    assert rows["E1"].rank_after > rows["E1"].rank_before
    assert services.stored(r) == before
    w = {x.code: x for x in services.whatif(r, weights={"EMPLOYEES": D(0)})}
    assert w["E1"].total_after == D("60.00")
    with pytest.raises(ValidationError):
        services.whatif(r, weights={"EMPLOYEES": D(-1)})


def test_compare_two_schemes_on_the_same_data(world, scheme, data):
    r = _run(scheme, world)
    other = services.new_version(scheme, by=world.users.admin)
    SchemeIndicator.objects.filter(version=other, indicator__code="TRADE_CNY").update(direction="lower")
    rows = {x["entity"].code: x for x in services.compare(r, other)}
    assert rows["E1"]["rank_a"] == 1 and rows["E2"]["rank_b"] < rows["E2"]["rank_a"]
    assert EntityResult.objects.filter(run__version=other).count() == 0


def test_land_use_indicators_from_registry_areas(world, ents):
    z = world.zones.a1
    z.planned_area_km2, z.fenced_area_km2 = D("2"), D("1")
    z.save()
    e = ents["a1"]
    obs(e, "LAND_DEVELOPED_KM2", 2025, "0.8", basis="month")
    obs(e, "LAND_ACCEPTED_KM2", 2025, "1.5", basis="month")
    obs(e, "FAI_CNY", 2025, 12)
    obs(e, "REVENUE_CNY", 2025, 60)
    obs(e, "TRADE_CNY", 2025, 300)
    cols = [("LAND_INVEST_INTENSITY", "value"), ("LAND_OUTPUT_PER_MU", "value"), ("LAND_UTILISATION", "value"),
            ("ACCEPTANCE_RATE", "value"), ("TRADE_PER_KM2", "value")]
    e.zone = z
    matrix, reasons = inputs.collect(cols, [e, ents["e1"]], 2025)
    # 0.8 km² = 1,200 亩; 12 亿元 = 120,000 万元 -> 100 万元/亩; 60 亿元 -> 500 万元/亩
    assert matrix[0] == ["100.0000", "500.0000", "80.0000", "75.0000", "300.0000"]
    # a peer with neither registry areas nor reported ones: no value, the reason says why
    assert matrix[1] == [None] * 5
    assert reasons["1,2"] == inputs.NO_AREA and reasons["1,0"] == inputs.NO_VALUE


def test_bottom_five_two_runs_running_is_pointed_out(world, scheme, data):
    first = services.run(scheme, exercise_year=2025, data_year=2025, by=world.users.admin)
    assert services.bottom_twice(first) == set()  # no previous run
    for k, v in {"a1": 500, "a2": 100, "b1": 50, "c1": 300, "e1": 900, "e2": 10}.items():
        obs(data[k], "TRADE_CNY", 2026, v)
    second = services.run(scheme, exercise_year=2026, data_year=2026, by=world.users.admin)
    # 6 entities: the bottom 5 are ranks 2–6 in both runs; the leader is never flagged
    leader = second.results.get(rank_nation=1).entity_id
    flagged = services.bottom_twice(second)
    assert leader not in flagged and len(flagged) == 5
    assert services.bottom_twice(second, k=1) == {second.results.get(rank_nation=6).entity_id}
