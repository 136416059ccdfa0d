"""A small province for bulletins: Sichuan with two cities and four registry zones (one with nothing
traded last year: growth against zero), Chongqing's zone elsewhere, two years of monthly trade,
the province's annual target, and the 2026-10 zone return round in review."""

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.registry.testing import ZoneFactory
from zonebook.stats import sql
from zonebook.stats.models import Entity, Indicator, Observation, Target, ym_of

# zone code -> (name, city, 2025 monthly trade 亿美元, 2026 monthly trade)
ZONES = {
    "GX": ("成都高新综合保税区", "510100", D("60.00"), D("66.00")),
    "RAIL": ("成都国际铁路港综合保税区", "510100", D("6.00"), D("7.50")),
    "MY": ("绵阳综合保税区", "510700", D("3.00"), D("2.70")),
    "NEW": ("宜宾综合保税区", "510700", D("0"), D("1.20")),
}


def ind(code):
    return Indicator.objects.get(code=code)


@pytest.fixture
def province(db):
    trade, ex, im = ind("TRADE_USD"), ind("EXPORT_USD"), ind("IMPORT_USD")
    cn = Entity.objects.create(code="CN", name="全国", level="nation")
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", parent=cn, province_code="510000",
                               region="west")
    cq = Entity.objects.create(code="P500000", name="重庆市", level="province", parent=cn, province_code="500000",
                               region="west")
    cd = Entity.objects.create(code="C510100", name="成都市", level="city", parent=sc, province_code="510000",
                               city_code="510100", region="west")
    my = Entity.objects.create(code="C510700", name="绵阳市", level="city", parent=sc, province_code="510000",
                               city_code="510700", region="west")
    zones, rows = {}, []
    for code, (name, city, _y25, _y26) in ZONES.items():
        z = ZoneFactory(name=name, province_code="510000", city_code=city)
        zones[code] = Entity.objects.create(code=code, name=name, level="zone", parent=sc, province_code="510000",
                                            city_code=city, zone=z, region="west", zone_type="FTZ")
    cqz = Entity.objects.create(code="CQ-XY", name="重庆西永综合保税区", level="zone", parent=cq,
                                province_code="500000", city_code="500100", region="west", zone_type="FTZ",
                                zone=ZoneFactory(name="重庆西永综合保税区", province_code="500000", city_code="500100"))
    series = {e: (ZONES[c][2], ZONES[c][3]) for c, e in zones.items()}
    series[cqz] = (D("20.00"), D("25.00"))
    totals = {}
    for e, (y25, y26) in series.items():
        for year, monthly, last in ((2025, y25, 12), (2026, y26, 10)):
            for m in range(1, last + 1):
                p = dt.date(year, m, 1)
                e_ex = (monthly * D("0.4")).quantize(D("0.01"))
                for i, v in ((trade, monthly), (ex, e_ex), (im, monthly - e_ex)):
                    rows.append(Observation(entity=e, indicator=i, period=p, basis="month", value=v,
                                            provenance="imported", source_ref="海关统计"))
                    if e.province_code == "510000":
                        totals[(i, p)] = totals.get((i, p), D(0)) + v
    for (i, p), v in totals.items():
        rows.append(Observation(entity=sc, indicator=i, period=p, basis="month", value=v * D("1.25"),
                                provenance="imported", source_ref="海关统计"))
        rows.append(Observation(entity=cn, indicator=i, period=p, basis="month", value=v * 30,
                                provenance="imported", source_ref="海关统计"))
        rows.append(Observation(entity=cq, indicator=i, period=p, basis="month", value=v * 2,
                                provenance="imported", source_ref="海关统计"))
    for r in rows:
        r.ym = ym_of(r.period)
    Observation.objects.bulk_create(rows)
    Target.objects.create(entity=sc, indicator=trade, start_year=2026, end_year=2026, value=D("1100"),
                          doc="2026年全省外贸工作要点")
    Target.objects.create(entity=zones["MY"], indicator=trade, start_year=2026, end_year=2026, value=D("40"),
                          doc="2026年园区目标责任书")
    sql.recompute()
    return dict(cn=cn, sc=sc, cq=cq, cd=cd, my=my, cqz=cqz, **zones)


@pytest.fixture
def review_round(province):
    """The 2026-10 zone monthly return: accepted for GX and RAIL, MY submitted (waiting), NEW not reported."""
    from zonebook.stats.models import ReportForm, ReportPeriod, Submission

    rp = ReportPeriod.objects.create(form=ReportForm.objects.get(code="ZONE_MONTHLY"), period=dt.date(2026, 10, 1),
                                     due_date=dt.date(2026, 11, 10))
    for code, status in (("GX", "accepted"), ("RAIL", "accepted"), ("MY", "submitted")):
        Submission.objects.create(report_period=rp, entity=province[code], status=status)
    return rp


@pytest.fixture
def stored(province):
    """Bulletins with versions whose files are small stand-ins (page, scope and API tests do not need
    a real build): the province 2026-09 (v1 draft, v2 published), the city of Mianyang 2026-09 (v1),
    zone MY 2026-09 (v1) and the Chongqing zone (another province) 2026-09 (v1)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from zonebook.bulletins.models import Bulletin, BulletinVersion

    def make(entity, title, versions):
        b = Bulletin.objects.create(entity=entity, frequency="month", period=dt.date(2026, 9, 1), title=title,
                                    number=f"川商通报〔2026〕{Bulletin.objects.count() + 1}号")
        for n, draft, published in versions:
            v = BulletinVersion(bulletin=b, version=n, draft=draft, reviewed=not draft, docx_size=4, pdf_size=4)
            v.docx.save(f"{entity.code}-v{n}.docx", ContentFile(_docx_bytes(title)), save=False)
            v.pdf.save(f"{entity.code}-v{n}.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
            if published:
                v.published_at = timezone.now()
            v.save()
            if published:
                b.published_version, b.published_at = v, v.published_at
                b.save()
        return b

    return dict(
        province=make(province["sc"], "四川省2026年9月通报", [(1, True, False), (2, False, True)]),
        city=make(province["my"], "绵阳市2026年9月通报", [(1, False, False)]),
        zone=make(province["MY"], "绵阳综合保税区2026年9月通报", [(1, False, False)]),
        other=make(province["cqz"], "重庆西永综合保税区2026年9月通报", [(1, False, True)]),
    )


def _docx_bytes(title):
    import io

    from docx import Document

    d = Document()
    d.add_paragraph(title)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "园区", "进出口总额（亿美元）"
    t.cell(1, 0).text, t.cell(1, 1).text = "绵阳综合保税区", "1,234.50"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()
