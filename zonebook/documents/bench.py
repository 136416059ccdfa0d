"""The benchmark document of ``manage.py documents_bench``: a province's monthly 简报 of about ten
pages with four charts (line, bar, pie, ranked bar) and a table of 200 enterprises."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from .charts import chart
from .content import Column, Document, Paragraph, Section, Table
from .formatting import cumulative_period, yi_yuan, yoy_text

ZONES = ["成都高新综合保税区", "成都国际铁路港综合保税区", "绵阳综合保税区", "宜宾综合保税区", "泸州综合保税区",
         "南充综合保税区", "成都天府国际空港综合保税区", "德阳保税物流中心", "自贡综合保税区", "达州综合保税区",
         "眉山综合保税区", "遂宁保税物流中心"]
TEXT = ("全省开发区坚持稳中求进工作总基调，主要经济指标运行总体平稳，外贸进出口保持增长，"
        "利用外资结构持续优化，重点项目建设有序推进，营商环境不断改善。")


def bench_document(enterprises: int = 200, seed: int = 16) -> Document:
    rnd = random.Random(seed)
    months = [f"{m}月" for m in range(1, 12)]
    this_year = [Decimal(rnd.randint(8000, 16000)) / 100 for _ in months]
    last_year = [v * Decimal("0.9") for v in this_year]
    by_zone = {z: Decimal(rnd.randint(1000, 90000)) / 100 for z in ZONES}
    total = sum(by_zone.values())
    rows = []
    for i in range(enterprises):
        value = Decimal(rnd.randint(100, 5_000_000)) / 100
        rows.append([f"四川示例{i + 1:03d}电子科技有限公司", ZONES[i % len(ZONES)], value,
                     Decimal(rnd.randint(-300, 600)) / 10, rnd.randint(10, 3000)])
    rows.sort(key=lambda r: r[2], reverse=True)
    return Document(
        kind="bulletin",
        title="2026年11月全省开发区主要经济指标简报",
        office="四川省商务厅",
        series="川商开发",
        number="川商开发〔2026〕12号",
        date=dt.date(2026, 12, 5),
        recipients="各市（州）商务主管部门，各开发区管委会",
        cc="成都海关，省发展改革委，省统计局",
        context={"period": "2026年11月", "issue": "11"},
        sections=[
            Section("总体情况", [
                Paragraph(f"{cumulative_period(2026, 11)}，全省开发区实现进出口总额{yi_yuan(total, unit='亿元')}，"
                          f"{yoy_text(Decimal('11.1'))}。" + TEXT * 3, footnotes=["初步统计数，下同。"]),
                chart("line", "全省开发区月度进出口", months, {"2026年": this_year, "2025年": last_year}, unit="亿元"),
                Paragraph(TEXT * 4),
            ], subsections=[
                Section("综合保税区", [Paragraph(TEXT * 3),
                                       chart("bar", "各综合保税区进出口", ZONES[:8],
                                             {"本年": [by_zone[z] for z in ZONES[:8]],
                                              "上年": [by_zone[z] * Decimal("0.92") for z in ZONES[:8]]}, unit="亿元")]),
                Section("保税物流中心", [Paragraph(TEXT * 2),
                                         chart("pie", "进出口构成", ["一般贸易", "加工贸易", "保税物流", "其他"],
                                               {"占比": [35, 40, 20, 5]}, unit="%")]),
            ]),
            Section("分区排名", [
                chart("ranked_bar", "各开发区进出口排名", ZONES, {"进出口": list(by_zone.values())}, unit="亿元"),
                Paragraph(TEXT * 2),
            ]),
            Section("重点企业", [
                Table([Column("企业名称", align="left"), Column("所在开发区", align="left"),
                       Column("进出口额", unit="万元", decimals=2), Column("同比", unit="%", decimals=1),
                       Column("从业人员", unit="人")],
                      rows, caption="表1  重点企业进出口情况", note="注：按进出口额从高到低排列。",
                      total=["合计", "", sum(r[2] for r in rows), None, sum(r[4] for r in rows)]),
            ]),
        ],
        footnotes=["数据来源：海关统计、开发区报送。"],
    )
