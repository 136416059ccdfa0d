"""The content of an official document (简报, 通报, 走访情况汇总表, 催办通知书 ...), independent of format.

A module builds a ``Document`` from its data; ``zonebook.documents.render`` turns the same content
into .docx and PDF (红头 header, 文号, Chinese date, numbered sections, tables with units, charts as
images, footnotes).  Plain data only: no Django, no I/O, so modules can build and test content alone.

    doc = Document(
        kind="bulletin", title="2026年11月全省开发区主要经济指标简报", office="四川省商务厅",
        series="川商开发", date=dt.date(2026, 12, 5),
        sections=[
            Section("总体情况", [Paragraph("1—11月，全省……"), Chart("line", "进出口总额", ["1月", "2月"],
                    [Series("2026年", [Decimal("12.5"), Decimal("13.1")])], unit="亿元")]),
            Section("分区情况", [Table([Column("园区", align="left"), Column("进出口", unit="亿元")],
                                      [["成都高新综保区", Decimal("123.45")]])],
                    subsections=[Section("综合保税区", [Paragraph("……")])]),
        ],
        footnotes=["数据来源：海关统计。"],
    )

Section numbering follows the official style by depth: 一、 / （一） / 1. / （1）.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Union

ChartKind = Literal["line", "bar", "pie", "ranked_bar"]


@dataclass
class Paragraph:
    text: str
    # footnote texts attached to this paragraph (numbered in the document's order)
    footnotes: list[str] = field(default_factory=list)
    bold: bool = False


@dataclass
class Column:
    title: str
    unit: str = ""  # shown in the header as "进出口（亿元）"
    align: Literal["left", "right", "center"] = "right"
    # decimals for Decimal/float cells (None: as given); integers get thousands separators
    decimals: int | None = None


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]]
    caption: str = ""
    note: str = ""  # printed under the table (e.g. 注：……)
    total: list[Any] | None = None  # a bold last row


@dataclass
class Series:
    name: str
    values: list[Decimal | int | float | None]


@dataclass
class Chart:
    kind: ChartKind
    title: str
    categories: list[str]
    series: list[Series]
    unit: str = ""


@dataclass
class PageBreak:
    pass


Block = Union[Paragraph, Table, Chart, PageBreak, "Section"]


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass
class Document:
    kind: str  # template key, e.g. "bulletin", "circular", "visit_summary", "reminder"
    title: str
    office: str = ""  # issuing office (红头)
    series: str = ""  # 文号 prefix of the office, e.g. "川商开发"; "" = no number
    number: str = ""  # the assigned 文号 (documents.numbering), e.g. "川商开发〔2026〕12号"
    date: dt.date | None = None
    subtitle: str = ""
    recipients: str = ""  # 主送
    cc: str = ""  # 抄送
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # before the first section
    footnotes: list[str] = field(default_factory=list)
    signature: str = ""  # 落款 (defaults to the office)
    landscape: bool | None = None  # None: decided from the widest table
    context: dict = field(default_factory=dict)  # extra placeholders for admin-edited templates
