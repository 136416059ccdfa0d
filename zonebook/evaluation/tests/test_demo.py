"""The demo: one run of each shipped scheme version over the demo province's zones and national peers,
idempotent, every result reproducible from the data the run stored."""

from io import StringIO

import pytest

from zonebook.core.context import acting_as
from zonebook.evaluation import demo, services
from zonebook.evaluation.models import EvaluationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_loaded(db):
    from django.db import transaction

    from zonebook.accounts.testing import user_for
    from zonebook.registry.testing import ZoneFactory, code
    from zonebook.stats import demo as stats_demo

    cities = {"成都高新综合保税区": "510100", "成都国际铁路港综合保税区": "510100", "绵阳综合保税区": "510700",
              "泸州综合保税区": "510500", "宜宾综合保税区": "511500"}
    for name, city in cities.items():
        ZoneFactory(name=name, short_name=name[:6], city_code=city)
    ZoneFactory(name=stats_demo.EPZ_NAME, short_name="成都出口加工区", kind=code("zone_type", "EPZ", "出口加工区"))
    ZoneFactory(name="成都经济技术开发区", short_name="成都经开区", city_code="510100",
                kind=code("zone_type", "ETDZ", "国家级经济技术开发区"))
    user_for("all", username="admin")
    with transaction.atomic(), acting_as("demo"):
        stats_demo.load(StringIO())
        demo.load(StringIO())


def test_demo_runs_every_shipped_version(demo_loaded):
    runs = list(EvaluationRun.objects.select_related("version__scheme").order_by("version__scheme__code",
                                                                                 "exercise_year"))
    assert {(r.version.scheme.code, r.version.version) for r in runs} == {("FTZ", 1), ("ETDZ", 1), ("ETDZ", 2)}
    ftz = [r for r in runs if r.version.scheme.code == "FTZ"]
    assert ftz[1].previous == ftz[0]
    assert ftz[1].n_entities >= 15  # five Sichuan zones and the national peers
    sichuan = ftz[1].results.filter(entity__province_code="510000").count()
    assert sichuan == 5
    # A = top 20 %; nothing below A while the B cut-off is not configured
    grades = list(ftz[1].results.values_list("grade", flat=True))
    assert grades.count("A") == round(0.2 * ftz[1].n_entities) and set(grades) <= {"A", ""}
    # the missing-value rules were needed and are on record
    assert ftz[1].results.exclude(rules_applied="").exists()
    for r in runs:
        assert services.reproduce(r) == services.stored(r)
    etdz = [r for r in runs if r.version.scheme.code == "ETDZ"]
    assert etdz[0].data_year == 2020 and etdz[-1].data_year == 2025 and etdz[-1].exercise_year == 2026
    cd = etdz[-1].results.get(entity__code="CD-ETDZ")
    assert cd.prev_rank is not None and cd.adjustment < 0  # the central environmental finding
    out = StringIO()
    demo.load(out)
    assert "skipped" in out.getvalue() and EvaluationRun.objects.count() == len(runs)
