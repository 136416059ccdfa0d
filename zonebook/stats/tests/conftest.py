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


# Seed 000 (Chengdu EPZ 2008) and the peers that make its published rank: 5th nationally, 1st in the
# west.  2007 = 47.5 / 2.013 = 23.60 = 9.10 + 14.50; Sichuan processing trade ≈ 31.3 exports, 34.1 imports.
CHENGDU_2008 = {
    "TRADE_USD": ("47.5", "23.6"), "EXPORT_USD": ("17.4", "9.10"), "IMPORT_USD": ("30.1", "14.50"),
    "PT_EXPORT_USD": ("17.4", "9.10"), "PT_IMPORT_USD": ("30.1", "14.50"),
}
SICHUAN_PT = {"PT_EXPORT_USD": ("31.3", "20.0"), "PT_IMPORT_USD": ("34.1", "18.0")}
PEERS_2008 = [("SZ-EPZ", "320000", "east", "120"), ("KS-EPZ", "320000", "east", "98"), ("SH-EPZ", "310000", "east", "80"),
              ("TJ-EPZ", "120000", "east", "60"), ("WX-EPZ", "320000", "east", "30"), ("XA-EPZ", "610000", "west", "12"),
              ("WH-EPZ", "420000", "central", "20")]


@pytest.fixture
def chengdu(db):
    cn = Entity.objects.create(code="CN", name="全国", level="nation")
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", parent=cn, province_code="510000",
                               region="west")
    epz = Entity.objects.create(code="CD-EPZ", name="四川成都出口加工区", level="zone", parent=sc, province_code="510000",
                                city_code="510100", region="west", zone_type="EPZ")
    for code, (v08, v07) in CHENGDU_2008.items():
        obs(epz, code, 2008, 12, "cum", v08)
        obs(epz, code, 2007, 12, "cum", v07)
    for code, (v08, v07) in SICHUAN_PT.items():
        obs(sc, code, 2008, 12, "cum", v08)
        obs(sc, code, 2007, 12, "cum", v07)
    for code, prov, region, value in PEERS_2008:
        e = Entity.objects.create(code=code, name=code, level="zone", province_code=prov, region=region, zone_type="EPZ")
        obs(e, "TRADE_USD", 2008, 12, "cum", value)
    return dict(cn=cn, sc=sc, epz=epz)
