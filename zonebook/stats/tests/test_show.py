"""``manage.py stats show`` on seed 000's figures (Chengdu EPZ 2008)."""

import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zonebook.stats import services
from zonebook.stats.models import IndicatorDefinition, Target

from .conftest import ind, obs

pytestmark = pytest.mark.django_db


def show(*args):
    out = StringIO()
    call_command("stats", "show", *args, stdout=out)
    return out.getvalue()


def test_seed_000_trade_json(chengdu):
    Target.objects.create(entity=chengdu["epz"], indicator=ind("TRADE_USD"), start_year=2008, end_year=2008,
                          value=D("27.9"), doc="2008年工作目标")
    f = json.loads(show("--entity", "CD-EPZ", "--indicator", "TRADE_USD", "--period", "2008-12", "--format", "json"))
    assert f["value"] == "47.5000" and f["indicator"]["unit"] == "亿美元" and f["indicator"]["currency"] == "USD"
    assert D(f["yoy_pct"]["value"]).quantize(D("0.1")) == D("101.3")
    assert f["ranks"]["nation"] == {"rank": 5, "of": 8}
    assert f["ranks"]["region"] == {"rank": 1, "of": 2}
    t = f["targets"][0]
    assert D(t["completion_pct"]).quantize(D("1")) == D(170)
    assert t["time_progress_pct"] == "100.0000" and D(t["ahead_pp"]) == D("70.2509") and t["light"] == "green"


def test_seed_000_shares_text(chengdu):
    text = show("--entity", "CD-EPZ", "--indicator", "PT_EXPORT_USD", "--period", "2008-12")
    assert "share of 四川省: 55.6 %" in text
    assert "YoY:          91.2 %" in text
    text = show("--entity", "CD-EPZ", "--indicator", "PT_IMPORT_USD", "--period", "2008-12")
    assert "share of 四川省: 88.3 %" in text and "107.6 %" in text
    # 2007 shares: 9.10/20.0 = 45.5 %, so +10.1 pp
    assert "change 10.1 pp" in show("--entity", "CD-EPZ", "--indicator", "PT_EXPORT_USD", "--period", "2008-12")


def test_growth_on_zero_base_is_a_dash_with_reason(chengdu):
    obs(chengdu["epz"], "REVENUE_CNY", 2007, 12, "cum", "0")
    obs(chengdu["epz"], "REVENUE_CNY", 2008, 12, "cum", "12")
    text = show("--entity", "CD-EPZ", "--indicator", "REVENUE_CNY", "--period", "2008-12")
    assert "YoY:          — (the base is zero)" in text
    text = show("--entity", "CD-EPZ", "--indicator", "REVENUE_CNY", "--period", "2006-12")
    assert "YoY:          — (no value for the base period)" in text


def test_comparison_across_definition_break_is_flagged(chengdu):
    assert IndicatorDefinition.objects.filter(indicator__code="FDI_USD", is_break=True, valid_from__year=2021).exists()
    obs(chengdu["epz"], "FDI_USD", 2020, 6, "cum", "500")
    obs(chengdu["epz"], "FDI_USD", 2021, 6, "cum", "800")
    f = services.figures(chengdu["epz"], ind("FDI_USD"), services.parse_period("2021-06"))
    assert [d.isoformat() for d in f.breaks] == ["2021-01-01"]
    assert "definition break (2021-01-01)" in show("--entity", "CD-EPZ", "--indicator", "FDI_USD", "--period", "2021-06")
    assert services.figures(chengdu["epz"], ind("FDI_USD"), services.parse_period("2022-06")).breaks == []


def test_unknown_codes_and_bad_period(chengdu):
    with pytest.raises(CommandError, match="no entity"):
        show("--entity", "XX", "--indicator", "TRADE_USD", "--period", "2008-12")
    with pytest.raises(CommandError, match="YYYY-MM"):
        show("--entity", "CD-EPZ", "--indicator", "TRADE_USD", "--period", "2008/12")
