"""The bulletin's content: sentences from the figures (hand-computed), rankings, growth against zero,
definition breaks, the quarter, a city summed from its zones, periods."""

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.bulletins.build import BulletinError, build_document, gather, parse_period
from zonebook.documents.content import Chart, Paragraph, Table
from zonebook.stats.models import Indicator, IndicatorDefinition


def blocks(doc, kind):
    out = []

    def walk(sections):
        for s in sections:
            out.extend(b for b in s.blocks if isinstance(b, kind))
            walk(s.subsections)

    walk(doc.sections)
    return out


def texts(doc):
    return [p.text for p in blocks(doc, Paragraph)]


def test_headline_sentence_from_the_figures(province):
    # 2026 zones 77.4/month, 2025 69/month; province = 1.25 × zones, nation = 30 ×, Chongqing = 2 ×
    # 1—9月: 96.75 × 9 = 870.75; 2025: 86.25 × 9 = 776.25 -> +12.17 %; 1.25 / 30 = 4.17 % of the nation;
    # 2nd of the three provinces; target 1100 -> 79.16 %, time 9/12 = 75 %, ahead 4.16 pp
    doc = build_document(province["sc"], parse_period("2026-09"))
    assert texts(doc)[0] == ("1—9月，全省进出口总额870.75亿美元，同比增长12.2%，占全国的4.2%，居全国第2位，"
                             "完成年度目标的79.2%（时间进度75.0%，快于时间进度4.2个百分点）。")
    assert doc.title == "关于2026年9月四川省海关特殊监管区域主要经济指标情况的通报"
    assert len(blocks(doc, Chart)) >= 2
    assert any(n.startswith("进出口总额：海关统计口径") for n in doc.footnotes)


def test_rankings_best_and_worst_and_growth_against_zero(province):
    doc = build_document(province["sc"], parse_period("2026-09"))
    t = texts(doc)
    assert ("从总量看，1—9月进出口总额居前3位的是成都高新综合保税区（594.00亿美元）、成都国际铁路港综合保税区（67.50亿美元）、"
            "绵阳综合保税区（24.30亿美元）；最低的是宜宾综合保税区（10.80亿美元）。") in t
    assert "从增速看，增长最快的是成都国际铁路港综合保税区（同比增长25.0%），增速最低的是绵阳综合保税区（同比下降10.0%）。" in t
    zero = next(p for p in blocks(doc, Paragraph) if p.text.startswith("宜宾综合保税区的增速"))
    assert zero.footnotes == ["宜宾综合保税区上年同期为零，不计算增速。"]
    table = blocks(doc, Table)[0]
    row = next(r for r in table.rows if r[0] == "宜宾综合保税区")
    assert row[2] is None  # printed "—"
    assert [c.title for c in table.columns][:3] == ["园区", "进出口总额", "同比"] and table.columns[1].unit == "亿美元"
    # the Chongqing zone is not one of Sichuan's zones
    assert all(r[0] != "重庆西永综合保税区" for r in table.rows)


def test_growth_against_zero_in_the_scopes_own_sentence(province):
    doc = build_document(province["NEW"], parse_period("2026-09"))
    first = blocks(doc, Paragraph)[0]
    assert "同比增速为“—”（上年同期为零，不计算增速）" in first.text
    assert first.footnotes == ["进出口总额上年同期为零，不计算增速，以“—”表示。"]


def test_a_definition_break_is_footnoted(province):
    IndicatorDefinition.objects.create(indicator=Indicator.objects.get(code="TRADE_USD"), valid_from=dt.date(2026, 1, 1),
                                       text="新口径：含跨境电商", is_break=True)
    doc = build_document(province["sc"], parse_period("2026-09"))
    first = blocks(doc, Paragraph)[0]
    assert first.footnotes == ["进出口总额自2026年1月起执行新口径（新口径：含跨境电商），同比增速跨口径计算，仅供参考。"]
    assert not blocks(build_document(province["sc"], parse_period("2025-09")), Paragraph)[0].footnotes


def test_quarterly_city_bulletin_sums_its_zones(province):
    p = parse_period("2026-Q3")
    assert p == parse_period("2026-09", quarterly=True)
    data = gather(province["my"], p)
    assert data.aggregated
    doc = build_document(province["my"], p, data=data)
    assert texts(doc)[0] == "1—9月，全市进出口总额35.10亿美元，同比增长30.0%。"  # (2.7 + 1.2) × 9 vs (3 + 0) × 9
    quarter = next(t for t in blocks(doc, Table) if "季度" in t.caption)
    assert quarter.rows[0][:2] == ["进出口总额", "亿美元"]
    assert quarter.rows[0][2] == Decimal("11.70") and quarter.rows[0][3] == Decimal("9.00")
    assert quarter.rows[0][4] == 30
    assert "绵阳市数据为所辖2个园区合计。" in doc.footnotes
    assert doc.kind == "bulletin.quarter" and doc.context["period"] == "2026年第三季度"


@pytest.mark.parametrize("text", ["2026-13", "26-01", "2026/10", "", "2026-Q5"])
def test_bad_periods_are_refused_with_the_format(text):
    with pytest.raises(BulletinError, match="YYYY-MM"):
        parse_period(text)


def test_a_quarter_needs_its_last_month():
    with pytest.raises(BulletinError, match="03.*06.*09.*12"):
        parse_period("2026-08", quarterly=True)


def test_no_data_is_an_error_not_an_empty_bulletin(province):
    with pytest.raises(BulletinError, match="no statistics|没有统计数据"):
        build_document(province["sc"], parse_period("2020-01"))


def test_gather_reads_a_fixed_number_of_queries(province, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        gather(province["sc"], parse_period("2026-Q3"))
