import datetime as dt
import random
from decimal import Decimal as D

import pytest

from zonebook.stats.models import Entity, Indicator, Observation, ym_of


def ind(code):
    return Indicator.objects.get(code=code)


@pytest.fixture
def geo(db):
    """Nation > 2 provinces (west 510000, east 320000) > zones; zone types FTZ/EPZ."""
    cn = Entity.objects.create(code="CN", name="全国", level="nation")
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", parent=cn, province_code="510000", region="west")
    js = Entity.objects.create(code="P320000", name="江苏省", level="province", parent=cn, province_code="320000", region="east")
    zones = {}
    for code, parent, region, ztype in [
        ("CD-EPZ", sc, "west", "EPZ"), ("CD-GX", sc, "west", "FTZ"), ("MY", sc, "west", "FTZ"),
        ("SZ", js, "east", "FTZ"), ("KS", js, "east", "FTZ"), ("WX", js, "east", "EPZ"),
    ]:
        zones[code] = Entity.objects.create(
            code=code, name=code, level="zone", parent=parent, province_code=parent.province_code,
            city_code=parent.province_code[:4] + "00", region=region, zone_type=ztype,
        )
    return dict(cn=cn, sc=sc, js=js, **zones)


def obs(entity, code, y, m, basis, value, provenance="imported"):
    o = Observation(entity=entity, indicator=ind(code), period=dt.date(y, m, 1), basis=basis, value=D(str(value)),
                    provenance=provenance)
    o.save()
    return o


@pytest.fixture
def random_obs(geo):
    """Three years of figures for every entity: TRADE_USD monthly (with gaps, ties and a zero month),
    VA_CNY cumulative-only, EXPORT/HTME exports for the computed share, EMPLOYEES (not additive)."""
    rnd = random.Random(7)
    rows = []
    for key, e in geo.items():
        for y in (2021, 2022, 2023):
            cum = D(0)
            for m in range(1, 13):
                t = D(rnd.randint(0, 5000)) / 100
                if key == "KS" and y == 2022:
                    t = D("12.34")  # ties with SZ below
                if key == "SZ" and y == 2022:
                    t = D("12.34")
                if not (key == "MY" and y == 2022 and m == 5):  # a gap: no cumulative after May
                    rows.append(Observation(entity=e, indicator=ind("TRADE_USD"), period=dt.date(y, m, 1), basis="month",
                                            value=t, provenance="imported"))
                cum += D(rnd.randint(1, 900)) / 10
                rows.append(Observation(entity=e, indicator=ind("VA_CNY"), period=dt.date(y, m, 1), basis="cum",
                                        value=cum, provenance="submitted"))
                ex = D(rnd.randint(0, 3000)) / 100
                rows.append(Observation(entity=e, indicator=ind("EXPORT_USD"), period=dt.date(y, m, 1), basis="month",
                                        value=ex, provenance="imported"))
                rows.append(Observation(entity=e, indicator=ind("HTME_EXPORT_USD"), period=dt.date(y, m, 1),
                                        basis="month", value=min(ex, D(rnd.randint(0, 3000)) / 100), provenance="imported"))
                rows.append(Observation(entity=e, indicator=ind("EMPLOYEES"), period=dt.date(y, m, 1), basis="month",
                                        value=D(rnd.randint(0, 3) * 100), provenance="submitted"))
    for r in rows:
        r.ym = ym_of(r.period)
    Observation.objects.bulk_create(rows)
    # an official month that must survive next to a cumulative
    obs(geo["CD-EPZ"], "VA_CNY", 2024, 1, "cum", "10")
    return rows
