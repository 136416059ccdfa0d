"""The demo loader: three years of figures with real shares and ranks, seed 000 reproduced."""

import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from zonebook.core.context import acting_as
from zonebook.stats import demo
from zonebook.stats.models import Entity, Figure, Observation, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_loaded(db):
    """The registry demo's zones (``load_demo`` itself takes ~45 s with every app's demo), then ours."""
    from django.db import transaction

    from zonebook.registry.testing import ZoneFactory, code

    cities = {"成都高新综合保税区": "510100", "成都国际铁路港综合保税区": "510100", "绵阳综合保税区": "510700",
              "泸州综合保税区": "510500", "宜宾综合保税区": "511500"}
    for name, city in cities.items():
        ZoneFactory(name=name, short_name=name[:6], city_code=city)
    ZoneFactory(name=demo.EPZ_NAME, short_name="成都出口加工区", kind=code("zone_type", "EPZ", "出口加工区"))
    with transaction.atomic(), acting_as("demo"):
        demo.load(StringIO())


def test_seed_000_reproduced(demo_loaded):
    out = StringIO()
    call_command("stats", "show", "--entity", "CD-EPZ", "--indicator", "TRADE_USD", "--period", "2008-12",
                 "--format", "json", stdout=out)
    f = json.loads(out.getvalue())
    assert D(f["value"]) == D("47.5")
    assert D(f["yoy_pct"]["value"]).quantize(D("0.1")) == D("101.3")
    assert f["ranks"]["nation"]["rank"] == 5 and f["ranks"]["region"]["rank"] == 1
    assert D(f["targets"][0]["completion_pct"]).quantize(D(1)) == D(170)
    out = StringIO()
    call_command("stats", "show", "--entity", "CD-EPZ", "--indicator", "PT_EXPORT_USD", "--period", "2008-12",
                 stdout=out)
    assert "share of 四川省: 55.6 %" in out.getvalue()
    out = StringIO()
    call_command("stats", "show", "--entity", "CD-EPZ", "--indicator", "PT_IMPORT_USD", "--period", "2008-12",
                 stdout=out)
    assert "share of 四川省: 88.3 %" in out.getvalue()


def test_three_years_with_shares_and_ranks(demo_loaded):
    gx = Entity.objects.get(code="CD-GX")
    months = Observation.objects.filter(entity=gx, indicator__code="TRADE_USD", basis="month").count()
    assert months >= 36
    f = Figure.objects.get(entity=gx, indicator__code="TRADE_USD", basis="cum", ym=2025 * 12 + 11)
    # 705 -> 760: +7.8 %; 760 / 1560 = 48.7 % of Sichuan
    assert f.yoy_pct.quantize(D("0.1")) == D("7.8")
    assert f.share_pct.quantize(D("0.1")) == D("48.7")
    assert f.rank_nation is not None and f.n_nation > 10 and f.rank_province == 1
    assert Submission.objects.filter(late=True).exists()


def test_idempotent(demo_loaded):
    n = Observation.objects.count()
    out = StringIO()
    demo.load(out)
    assert "skipped" in out.getvalue() and Observation.objects.count() == n
