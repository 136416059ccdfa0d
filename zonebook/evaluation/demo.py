"""Demo evaluation (demo order 65, after stats): the annual values the shipped schemes read for the
demo province's zones and their national peers (synthetic but plausible, sized from each zone's trade
in the statistics demo), the 成都经开区 with sixteen national ETDZ peers, a few bonus/deduction
records, and one run of each shipped scheme version (two of the customs scheme and of the 2021 ETDZ
scheme, so the change against the previous run shows)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from zonebook.stats import sql as stats_sql
from zonebook.stats.models import Entity, Indicator, Observation
from zonebook.stats.regions import region_of

from .models import AdjustmentRecord, EvaluationRun, SchemeVersion

D = Decimal
SEED = 2021
RATE = {2019: D("6.8985"), 2020: D("6.8976"), 2024: D("7.1217"), 2025: D("7.1800")}
FTZ_TYPES = ("FTZ", "BONDED_ZONE", "BONDED_PORT")
# national ETDZ peers (code, name, province, GDP 2024 in 亿元): the 2021 top of domain §8 and the west
ETDZ_PEERS = [
    ("ETDZ-SIP", "苏州工业园区", "320000", 3690), ("ETDZ-GZ", "广州经济技术开发区", "440000", 4100),
    ("ETDZ-TJ", "天津经济技术开发区", "120000", 3300), ("ETDZ-BJ", "北京经济技术开发区", "110000", 3000),
    ("ETDZ-KS", "昆山经济技术开发区", "320000", 2400), ("ETDZ-JN", "南京江宁经济技术开发区", "320000", 1900),
    ("ETDZ-QD", "青岛经济技术开发区", "370000", 2500), ("ETDZ-HF", "合肥经济技术开发区", "340000", 1300),
    ("ETDZ-CS", "长沙经济技术开发区", "430000", 1250), ("ETDZ-WH", "武汉经济技术开发区", "420000", 1800),
    ("ETDZ-XA", "西安经济技术开发区", "610000", 1100), ("ETDZ-ZZ", "郑州经济技术开发区", "410000", 1000),
    ("ETDZ-DL", "大连经济技术开发区", "210000", 1400), ("ETDZ-CC", "长春经济技术开发区", "220000", 700),
    ("ETDZ-DY", "德阳经济技术开发区", "510000", 420), ("ETDZ-SN", "遂宁经济技术开发区", "510000", 300),
]
ETDZ_ZONE = ("CD-ETDZ", "成都经济技术开发区", 1500)


def _r(rnd, lo, hi, dp=2) -> Decimal:
    return D(str(round(rnd.uniform(lo, hi), dp)))


def _annual(entity, code, year, value, inds, have, rows, basis="cum"):
    ind = inds[code]
    basis = basis if ind.additive else "month"
    key = (entity.pk, ind.pk, year * 12 + 11, basis)
    if value is None or key in have:
        return
    have.add(key)
    o = Observation(entity=entity, indicator=ind, period=dt.date(year, 12, 1), ym=year * 12 + 11, basis=basis,
                    value=D(value).quantize(D("0.0001")), provenance="submitted", source_ref="考核评价演示数据")
    rows.append(o)


def _etdz_entities():
    from zonebook.registry.models import Zone

    out = []
    z = Zone.objects.filter(name=ETDZ_ZONE[1]).first()
    e = Entity.objects.filter(code=ETDZ_ZONE[0]).first()
    if e is None:
        prov = z.province_code if z else "510000"
        e = Entity.objects.create(code=ETDZ_ZONE[0], name=ETDZ_ZONE[1], level="zone", zone=z, province_code=prov,
                                  city_code=z.city_code if z else "510100", region=region_of(prov), zone_type="ETDZ",
                                  parent=Entity.objects.filter(code=f"P{prov}").first())
    out.append((e, ETDZ_ZONE[2]))
    for code, name, prov, gdp in ETDZ_PEERS:
        p = Entity.objects.filter(code=code).first() or Entity.objects.create(
            code=code, name=name, level="zone", province_code=prov, region=region_of(prov), zone_type="ETDZ")
        out.append((p, gdp))
    return out


def _etdz_values(rnd, entities, inds, have, rows):
    for i, (e, gdp24) in enumerate(entities):
        planned = _r(rnd, 30, 300, 1)
        for year in (2019, 2020, 2024, 2025):
            f = D(str({2019: 0.74, 2020: 0.77, 2024: 1.0, 2025: 1.0 + rnd.uniform(0.02, 0.09)}[year]))
            gdp = D(gdp24) * f * _r(rnd, 0.97, 1.03)
            trade = gdp * _r(rnd, 0.35, 1.6)
            put = lambda code, v, basis="cum", e=e, year=year: _annual(e, code, year, v, inds, have, rows, basis)  # noqa: E731
            put("GDP_CNY", gdp)
            put("OUTPUT_CNY", gdp * _r(rnd, 1.4, 2.2))
            put("TAX_CNY", gdp * _r(rnd, 0.08, 0.16))
            put("FAI_CNY", gdp * _r(rnd, 0.18, 0.35))
            put("FDI_USD", gdp * _r(rnd, 12, 45))  # 万美元
            put("TRADE_CNY", trade)
            put("EXPORT_USD", trade * _r(rnd, 0.45, 0.65) / RATE[year])
            put("RD_INTENSITY", _r(rnd, 1.2, 4.8))
            put("RD_INSTITUTES", D(int(gdp / 40 * _r(rnd, 0.5, 1.5)) + 3))
            put("HIGHTECH_ENT", D(int(gdp / 6 * _r(rnd, 0.6, 1.4)) + 20))
            put("ENERGY_PER_VA", _r(rnd, 0.18, 0.65, 3))
            put("CO2_PER_VA", _r(rnd, 0.4, 1.6, 3))
            put("WATER_PER_VA", _r(rnd, 4, 22, 1) if i % 7 != 3 else None)  # one zone does not report water
            put("SOLID_WASTE_USE", _r(rnd, 72, 99.5, 1))
            put("NEW_JOBS", D(int(gdp * _r(rnd, 5, 12))))
            put("COBUILT_PARKS", D(rnd.randint(0, 6)) if i % 5 != 2 else None)
            put("SERVICE_SCORE", _r(rnd, 72, 96, 1))
            put("LAND_PLANNED_KM2", planned)
            put("LAND_DEVELOPED_KM2", planned * _r(rnd, 0.55, 0.92))


def _ftz_values(rnd, inds, have, rows):
    entities = list(Entity.objects.filter(level="zone", zone_type__in=FTZ_TYPES).select_related("zone").order_by("code"))
    trade_usd = {(eid, ym // 12): v for eid, ym, v in Observation.objects.filter(
        entity__in=entities, indicator__code="TRADE_USD", basis="cum", ym__in=(2024 * 12 + 11, 2025 * 12 + 11))
        .values_list("entity_id", "ym", "value")}
    for i, e in enumerate(entities):
        planned = e.zone.planned_area_km2 if e.zone_id and e.zone.planned_area_km2 else _r(rnd, 1.5, 9, 2)
        fenced = (e.zone.fenced_area_km2 if e.zone_id else None) or planned
        for year in (2024, 2025):
            usd = trade_usd.get((e.pk, year)) or D(rnd.randint(20, 400))
            cny = usd * RATE[year]
            put = lambda code, v, basis="cum", e=e, year=year: _annual(e, code, year, v, inds, have, rows, basis)  # noqa: E731
            put("TRADE_CNY", cny)
            put("PT_TRADE_CNY", cny * _r(rnd, 0.3, 0.7))
            put("LOGISTICS_TRADE_CNY", cny * _r(rnd, 0.15, 0.45))
            put("GENERAL_TRADE_CNY", cny * _r(rnd, 0.05, 0.25))
            put("SECOND_LINE_CNY", cny * _r(rnd, 0.2, 0.5))
            put("REVENUE_CNY", cny * _r(rnd, 0.9, 1.6))
            put("TAX_CUSTOMS_CNY", cny * _r(rnd, 0.015, 0.05, 4))
            put("TAX_CNY", cny * _r(rnd, 0.01, 0.03, 4) if i % 6 != 4 else None)  # not reported: peer median
            put("FX_FLOWS_USD", usd * _r(rnd, 0.6, 0.95) if i % 8 != 5 else None)
            put("EMPLOYEES", D(int(usd * _r(rnd, 70, 120))), "month")
            put("ACTIVE_ENT", D(int(usd / 4 * _r(rnd, 0.7, 1.3)) + 8), "month")
            put("FDI_USD", usd * _r(rnd, 8, 30))
            put("FAI_CNY", cny * _r(rnd, 0.03, 0.1, 3))
            put("INNOVATION_CASES", D(rnd.randint(0, 12)))
            if not e.zone_id:
                put("LAND_PLANNED_KM2", planned)
            put("LAND_ACCEPTED_KM2", planned * _r(rnd, 0.6, 1.0))
            put("LAND_DEVELOPED_KM2", fenced * _r(rnd, 0.5, 0.97))


def load(stdout) -> None:
    from zonebook.accounts.models import User

    from . import services

    if EvaluationRun.objects.exists():
        stdout.write("evaluation: demo runs present, skipped")
        return
    if not Entity.objects.filter(level="zone", zone_type__in=FTZ_TYPES).exists():
        stdout.write("evaluation: no statistical zones (stats demo missing), skipped")
        return
    rnd = random.Random(SEED)
    inds = {i.code: i for i in Indicator.objects.all()}
    have = set(Observation.objects.filter(ym__in=[y * 12 + 11 for y in RATE]).values_list(
        "entity_id", "indicator_id", "ym", "basis"))
    rows: list[Observation] = []
    etdz = _etdz_entities()
    _etdz_values(rnd, etdz, inds, have, rows)
    _ftz_values(rnd, inds, have, rows)
    Observation.objects.bulk_create(rows, batch_size=2000)
    if rows:
        # the statistics' derived figures (YoY, ranks) of the values just added, as an import would leave them
        stats_sql.recompute(years=sorted({o.ym // 12 for o in rows}))
    records = [("CD-RAIL", "innovation-pilot", 2025, 1, "中欧班列+保税新业态试点"),
               ("CD-GX", "local-support", 2025, 2, "省市政策支持与主体责任落实"),
               ("HI-HK", "safety-accident", 2025, 1, "仓储区一般安全生产事故"),
               ("ETDZ-TJ", "env-provincial", 2024, 2, "省级生态环境保护督察问题2项"),
               ("CD-ETDZ", "env-central", 2025, 1, "中央生态环境保护督察问题1项")]
    for code, item, year, count, note in records:
        e = Entity.objects.filter(code=code).first()
        if e:
            AdjustmentRecord.objects.get_or_create(entity=e, code=item, data_year=year,
                                                   defaults={"count": count, "note": note})
    admin = User.objects.filter(username="admin").first() or User.objects.filter(is_superuser=True).first()
    runs = [("FTZ", 1, 2024, 2024, "2024年度综合保税区发展绩效评估（演示）"),
            ("FTZ", 1, 2025, 2025, "2025年度综合保税区发展绩效评估（演示）"),
            ("ETDZ", 1, 2021, 2020, "2021年国家级经开区综合发展水平考核评价（演示，2016年版）"),
            ("ETDZ", 2, 2025, 2024, "2025年国家级经开区综合发展水平考核评价（演示）"),
            ("ETDZ", 2, 2026, 2025, "2026年国家级经开区综合发展水平考核评价（演示）")]
    for scheme, number, ex, dy, name in runs:
        v = SchemeVersion.objects.get(scheme__code=scheme, version=number)
        services.run(v, exercise_year=ex, data_year=dy, by=admin, name=name)
    stdout.write(f"evaluation: {len(rows)} values, {len(etdz)} ETDZs, {len(runs)} runs")


def present() -> bool:
    """The demo runs exist (``load_demo --if-empty`` skips this module then)."""
    return EvaluationRun.objects.exists()
