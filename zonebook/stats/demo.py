"""Demo statistics (``load(stdout)``, run by the demo after the registry): the nation, the demo
province (四川, 510000) and its cities, its zones with monthly trade figures from 2023-01 to
2026-10, peers in other provinces so that shares and ranks are real, targets, and one reporting
round with returns in every state.

四川成都出口加工区 reproduces seed 000 (2008: 47.5 亿美元, +101.3 %; exports 17.4 = 55.6 % of
Sichuan's processing-trade exports, imports 30.1 = 88.3 %; 170 % of its target; 5th of the
nation's export processing zones, 1st in the west).  Orders of magnitude follow the domain spec
§8 (成都高新综保区 ≈ 4,069 亿元 in 2023, ≈ 48 % of Sichuan).  Idempotent: skipped when the
nation entity exists.  Deterministic (fixed seed).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from zonebook.audit import services as audit

from . import services, sql
from .models import (
    Entity,
    Indicator,
    Observation,
    ReportForm,
    Submission,
    SubmissionStatus,
    SubmissionValue,
    Target,
    ym_of,
)
from .regions import region_of

SEED = 2008
D = Decimal
PROVINCE = "510000"
# month weights of a year (sum 100): slow January/February, strong year end
WEIGHTS = [6, 5, 8, 8, 8, 8, 8, 9, 9, 9, 10, 12]
YEARS = (2023, 2024, 2025, 2026)
LAST_MONTH = dt.date(2026, 10, 1)
# CNY per USD (annual averages as published by the PBoC; used only to write the customs RMB series)
RATES = {2023: D("7.0467"), 2024: D("7.1217"), 2025: D("7.1800"), 2026: D("7.1000")}

# zone name in the registry demo -> (code, annual trade 亿美元 per year of YEARS, export share)
ZONES = {
    "成都高新综合保税区": ("CD-GX", (578, 705, 760, 810), D("0.51")),
    "成都国际铁路港综合保税区": ("CD-RAIL", (58, 73, 86, 95), D("0.44")),
    "绵阳综合保税区": ("MY-FTZ", (24, 29, 33, 35), D("0.47")),
    "泸州综合保税区": ("LZ-FTZ", (11, 15, 14, 16), D("0.40")),
    "宜宾综合保税区": ("YB-FTZ", (19, 27, 31, 36), D("0.55")),
}
# province totals (亿美元) and the nation
SICHUAN = (1350, 1480, 1560, 1640)
NATION = (59370, 61410, 62600, 64100)
# peers elsewhere: code, name, province, type, trade 2023 (亿美元); growth per year ±
PEERS = [
    ("SH-WGQ", "上海外高桥保税区", "310000", "BONDED_ZONE", 1416), ("HA-XZ", "郑州新郑综合保税区", "410000", "FTZ", 660),
    ("JS-KS", "昆山综合保税区", "320000", "FTZ", 560), ("GD-FT", "深圳福田保税区", "440000", "BONDED_ZONE", 420),
    ("CQ-XY", "重庆西永综合保税区", "500000", "FTZ", 380), ("JS-SZ", "苏州工业园综合保税区", "320000", "FTZ", 350),
    ("SN-XA", "西安高新综合保税区", "610000", "FTZ", 240), ("TJ-DJ", "天津东疆综合保税区", "120000", "FTZ", 210),
    ("HB-DH", "武汉东湖综合保税区", "420000", "FTZ", 150), ("GX-QZ", "钦州综合保税区", "450000", "FTZ", 90),
    ("HI-HK", "海口综合保税区", "460000", "FTZ", 40), ("LN-DL", "大连大窑湾综合保税区", "210000", "FTZ", 70),
]
PEER_PROVINCES = [("320000", "江苏省", 7400), ("440000", "广东省", 11800), ("500000", "重庆市", 1000),
                  ("410000", "河南省", 1150), ("610000", "陕西省", 650)]

# Seed 000: 四川成都出口加工区 2007 and 2008 (亿美元) and the other export processing zones of 2008
EPZ_NAME = "四川成都出口加工区"
EPZ_YEARS = {2007: (D("9.10"), D("14.50")), 2008: (D("17.4"), D("30.1"))}
SICHUAN_PT = {2007: (D("20.0"), D("18.0")), 2008: (D("31.3"), D("34.1"))}
EPZ_PEERS_2008 = [("SZ-EPZ", "苏州工业园区出口加工区", "320000", D(120)), ("KS-EPZ", "昆山出口加工区", "320000", D(98)),
                  ("SH-SJ-EPZ", "上海松江出口加工区", "310000", D(80)), ("TJ-EPZ", "天津出口加工区", "120000", D(60)),
                  ("WX-EPZ", "无锡出口加工区", "320000", D(30)), ("WH-EPZ", "武汉出口加工区", "420000", D(20)),
                  ("XA-EPZ", "西安出口加工区", "610000", D(12))]


def _split(total: Decimal, weights=WEIGHTS, rnd: random.Random | None = None) -> list[Decimal]:
    """A year's total over 12 months (2 decimals) summing exactly to ``total``."""
    w = [D(x) * (D(1) + (D(rnd.randint(-6, 6)) / 100 if rnd else 0)) for x in weights]
    s = sum(w)
    months = [(total * x / s).quantize(D("0.01")) for x in w]
    months[-1] += total - sum(months)
    return months


def _entity(code, name, level, parent=None, province="", city="", zone=None, zone_type=""):
    e = Entity.objects.filter(code=code).first()
    if e:
        return e
    e = Entity(code=code, name=name, level=level, parent=parent, province_code=province, city_code=city, zone=zone,
               region=region_of(province), zone_type=zone_type)
    e.save()
    return e


def _bulk(rows):
    for r in rows:
        r.ym = ym_of(r.period)
    Observation.objects.bulk_create(rows, batch_size=2000)


def _trade_rows(entity, year, total, export_share, inds, rnd, last=12, cny=True, htme=None):
    months = _split(D(total), rnd=rnd)
    rows = []
    for m, t in enumerate(months[:last], start=1):
        ex = (t * export_share).quantize(D("0.01"))
        for code, v in (("TRADE_USD", t), ("EXPORT_USD", ex), ("IMPORT_USD", t - ex)):
            rows.append(Observation(entity=entity, indicator=inds[code], period=dt.date(year, m, 1), basis="month",
                                    value=v, provenance="imported", source_ref="海关统计"))
        if htme is not None:  # 机电和高新技术产品 share of exports (001: the 2020 goal is at least 80 %)
            rows.append(Observation(entity=entity, indicator=inds["HTME_EXPORT_USD"], period=dt.date(year, m, 1),
                                    basis="month", value=(ex * htme).quantize(D("0.01")), provenance="imported",
                                    source_ref="海关统计"))
        if cny:
            rate = RATES[year]
            tc, ec = (t * rate).quantize(D("0.01")), (ex * rate).quantize(D("0.01"))
            for code, v in (("TRADE_CNY", tc), ("EXPORT_CNY", ec), ("IMPORT_CNY", tc - ec)):
                rows.append(Observation(entity=entity, indicator=inds[code], period=dt.date(year, m, 1), basis="month",
                                        value=v, provenance="imported", source_ref="海关统计（人民币）"))
    return rows


def load(stdout) -> None:
    from zonebook.accounts.models import User
    from zonebook.registry.models import Code, Zone

    if Entity.objects.filter(code="CN").exists():
        stdout.write("stats: demo statistics present, skipped")
        return
    rnd = random.Random(SEED)
    inds = {i.code: i for i in Indicator.objects.all()}
    regions = dict(Code.objects.of("region").values_list("code", "name"))
    cn = _entity("CN", "全国", "nation")
    sc = _entity("P510000", regions.get(PROVINCE, "四川省"), "province", cn, PROVINCE)
    rows = []
    for (code, name, total) in PEER_PROVINCES:
        p = _entity(f"P{code}", regions.get(code, name), "province", cn, code)
        for i, y in enumerate(YEARS):
            rows += _trade_rows(p, y, int(total * (1 + 0.04 * i)), D("0.58"), inds, rnd,
                                last=10 if y == 2026 else 12, cny=False)
    for i, y in enumerate(YEARS):
        rows += _trade_rows(cn, y, NATION[i], D("0.57"), inds, rnd, last=10 if y == 2026 else 12, cny=False)
        rows += _trade_rows(sc, y, SICHUAN[i], D("0.55"), inds, rnd, last=10 if y == 2026 else 12)
    cities = {}
    zones = {z.name: z for z in Zone.objects.filter(name__in=list(ZONES) + [EPZ_NAME]).select_related("kind")}
    for zname, (code, totals, share) in ZONES.items():
        z = zones.get(zname)
        if z is None:
            continue
        city = cities.get(z.city_code) or _entity(f"C{z.city_code}", regions.get(z.city_code, z.city_code), "city", sc,
                                                  PROVINCE, z.city_code)
        cities[z.city_code] = city
        e = _entity(code, z.name, "zone", sc, PROVINCE, z.city_code, z, z.kind.code)
        for i, y in enumerate(YEARS):
            rows += _trade_rows(e, y, totals[i], share, inds, rnd, last=10 if y == 2026 else 12,
                                htme=D("0.78") + D(i) / 50)
            cum_va = D(0)
            for m in range(1, 13 if y < 2026 else 11):
                cum_va += (D(totals[i]) * D("0.9") * D(WEIGHTS[m - 1]) / 100).quantize(D("0.1"))
                rows.append(Observation(entity=e, indicator=inds["VA_CNY"], period=dt.date(y, m, 1), basis="cum",
                                        value=cum_va, provenance="submitted", source_ref="园区填报"))
                rows.append(Observation(entity=e, indicator=inds["EMPLOYEES"], period=dt.date(y, m, 1), basis="month",
                                        value=D(int(totals[i] * 95 + rnd.randint(-200, 200))), provenance="submitted",
                                        source_ref="园区填报"))
                rows.append(Observation(entity=e, indicator=inds["ACTIVE_ENT"], period=dt.date(y, m, 1), basis="month",
                                        value=D(int(totals[i] / 4) + rnd.randint(0, 5) + 8), provenance="submitted",
                                        source_ref="园区填报"))
    for code, name, prov, ztype, total in PEERS:
        e = _entity(code, name, "zone", None, prov, "", None, ztype)
        for i, y in enumerate(YEARS):
            rows += _trade_rows(e, y, int(total * (1 + rnd.randint(-5, 15) / 100 * (i + 1))), D("0.5"), inds, rnd,
                                last=10 if y == 2026 else 12, cny=False)
    # seed 000: the Chengdu EPZ 2007-2008, Sichuan's processing trade, the other EPZs in 2008
    epz_zone = zones.get(EPZ_NAME)
    epz = _entity("CD-EPZ", EPZ_NAME, "zone", sc, PROVINCE, epz_zone.city_code if epz_zone else "510100", epz_zone, "EPZ")
    for y, (ex, im) in EPZ_YEARS.items():
        exm, imm = _split(ex), _split(im)
        for m in range(12):
            p = dt.date(y, m + 1, 1)
            for code, v in (("EXPORT_USD", exm[m]), ("IMPORT_USD", imm[m]), ("TRADE_USD", exm[m] + imm[m]),
                            ("PT_EXPORT_USD", exm[m]), ("PT_IMPORT_USD", imm[m])):
                rows.append(Observation(entity=epz, indicator=inds[code], period=p, basis="month", value=v,
                                        provenance="imported", source_ref="四川年鉴2009 · 海关统计"))
        pex, pim = SICHUAN_PT[y]
        for code, v in (("PT_EXPORT_USD", pex), ("PT_IMPORT_USD", pim)):
            rows.append(Observation(entity=sc, indicator=inds[code], period=dt.date(y, 12, 1), basis="cum", value=v,
                                    provenance="imported", source_ref="海关统计"))
    for code, name, prov, value in EPZ_PEERS_2008:
        e = _entity(code, name, "zone", None, prov, "", None, "EPZ")
        rows.append(Observation(entity=e, indicator=inds["TRADE_USD"], period=dt.date(2008, 12, 1), basis="cum",
                                value=value, provenance="imported", source_ref="海关总署 出口加工区排名"))
    _bulk(rows)
    admin = User.objects.filter(username="sichuan").first()
    targets = [
        (epz, "TRADE_USD", 2008, 2008, D("27.9"), "成都出口加工区2008年工作目标"),
        (sc, "TRADE_USD", 2026, 2026, D("1600"), "2026年全省外贸工作要点"),
        (sc, "PT_EXPORT_USD", 2016, 2020, D("300"), "川办发〔2016〕加工贸易创新发展实施意见"),
    ]
    for code, totals, _share in ZONES.values():
        e = Entity.objects.filter(code=code).first()
        if e:
            targets.append((e, "TRADE_USD", 2026, 2026, D(round(totals[2] * 1.12)), "2026年园区目标责任书"))
    for e, code, y0, y1, value, doc in targets:
        audit.create(Target, dict(entity=e, indicator=inds[code], start_year=y0, end_year=y1, value=value, doc=doc),
                     by=admin, code="stats.target.created")
    counts = sql.recompute()
    _returns(inds, admin)
    stdout.write(f"stats: {len(rows)} values, {Target.objects.count()} targets, derived {counts}")


def _returns(inds, admin) -> None:
    """The 2026-10 monthly return: 高新 accepted, 铁路港 waiting for the province, 绵阳 late and waiting
    for the city, 泸州 returned for correction, 宜宾 not reported."""
    from zonebook.accounts.models import User

    form = ReportForm.objects.get(code="ZONE_MONTHLY")
    rp = services.open_period(form, dt.date(2026, 10, 1))
    services.open_period(form, dt.date(2026, 11, 1))
    states = {"CD-GX": SubmissionStatus.ACCEPTED, "CD-RAIL": SubmissionStatus.CITY_APPROVED,
              "MY-FTZ": SubmissionStatus.SUBMITTED, "LZ-FTZ": SubmissionStatus.RETURNED}
    staff = User.objects.filter(username="gaoxin_staff").first()
    for code, status in states.items():
        e = Entity.objects.filter(code=code).first()
        if e is None:
            continue
        late = code == "MY-FTZ"
        submitted = dt.datetime.combine(rp.due_date + dt.timedelta(days=3 if late else -2), dt.time(16, 30),
                                        tzinfo=dt.timezone(dt.timedelta(hours=8)))
        sub = audit.create(Submission, dict(report_period=rp, entity=e, status=status, submitted_at=submitted,
                                            submitted_by=staff, late=late,
                                            return_reason="出口数与海关统计不符，请核对后重报。" if code == "LZ-FTZ" else ""),
                           by=admin, code="stats.submission.created")
        for line in form.lines.select_related("indicator"):
            value = Observation.objects.filter(entity=e, indicator=line.indicator, basis=line.basis,
                                               ym=ym_of(rp.period)).values_list("value", flat=True).first()
            SubmissionValue.objects.create(submission=sub, indicator=line.indicator, basis=line.basis, value=value)
