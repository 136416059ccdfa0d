import datetime as dt
from decimal import Decimal

import pytest

from zonebook.documents.charts import chart
from zonebook.documents.content import Column, Document, PageBreak, Paragraph, Section, Table

XSS = "<img src=x onerror=alert(1)>"


def sample_document(**overrides) -> Document:
    """A 简报 with every kind of block: three levels of sections, a table with a total, a chart,
    footnotes, notes, recipients and copies."""
    fields = dict(
        kind="bulletin-test",
        title="2026年11月全省开发区主要经济指标简报",
        office="四川省商务厅",
        series="川商开发",
        number="川商开发〔2026〕12号",
        date=dt.date(2026, 12, 5),
        recipients="各市（州）商务主管部门",
        cc="成都海关",
        sections=[
            Section("总体情况", [
                Paragraph("1—11月，全省开发区实现进出口总额12.35亿元，同比增长12.3%。", footnotes=["初步统计数。"]),
                chart("bar", "各开发区进出口总额", ["成都高新综保区", "绵阳综保区"],
                      {"本年": [Decimal("812.5"), Decimal("123.4")]}, unit="亿元"),
            ], subsections=[
                Section("综合保税区", [Paragraph("综合保税区进出口稳中有升。")], subsections=[
                    Section("加工贸易", [Paragraph("加工贸易占比提高。")], subsections=[
                        Section("电子信息", [Paragraph("电子信息产品出口增长较快。")]),
                    ]),
                ]),
                Section("经济技术开发区", [Paragraph("经开区规上工业增加值增长。")]),
            ]),
            Section("分区情况", [
                Table([Column("开发区", align="left"), Column("进出口总额", unit="亿元", decimals=2),
                       Column("企业数", unit="家")],
                      [["成都高新综保区", Decimal("123456.454"), 1234], ["绵阳综保区", Decimal("1.005"), 56]],
                      caption="表1  分开发区进出口情况", note="注：按进出口总额排序。",
                      total=["合计", Decimal("123457.46"), 1290]),
            ]),
        ],
        footnotes=["数据来源：海关统计。"],
    )
    fields.update(overrides)
    return Document(**fields)


def wide_table(columns: int, rows: int = 5, caption: str = "表2  宽表") -> Table:
    return Table([Column("开发区", align="left")] + [Column(f"指标{i}", unit="万元") for i in range(1, columns)],
                 [[f"开发区{r}"] + [Decimal(r * 1000 + i) for i in range(1, columns)] for r in range(rows)],
                 caption=caption)


@pytest.fixture
def doc():
    return sample_document()


__all__ = ["XSS", "PageBreak", "sample_document", "wide_table"]
