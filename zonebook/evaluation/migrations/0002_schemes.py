"""Data migration: the indicators the shipped schemes need, added to the statistics catalogue through
stats' models (the evaluation keeps no catalogue of its own), and the three shipped schemes
(customs 综保区 2020 trial, MOFCOM ETDZ 2016 and 2021) with their assumptions in the notes."""

import datetime as dt
from decimal import Decimal as D

from django.db import migrations

# code, name, English name, unit, currency, source, cumulative_only, additive, higher_is_better, order
INDICATORS = [
    ("TAX_CNY", "税务部门税收", "Tax revenue (tax bureau)", "亿元", "CNY", "tax", True, True, True, 34),
    ("PT_TRADE_CNY", "加工贸易进出口值", "Processing-trade imports and exports", "亿元", "CNY", "customs", True, True, True, 23),
    ("LOGISTICS_TRADE_CNY", "物流货物进出口值", "Logistics goods imports and exports", "亿元", "CNY", "customs", True, True,
     True, 24),
    ("GENERAL_TRADE_CNY", "一般贸易进出口值", "General-trade imports and exports", "亿元", "CNY", "customs", True, True, True,
     25),
    ("SECOND_LINE_CNY", "二线进出区货物总值", "Goods between zone and domestic market", "亿元", "CNY", "customs", True, True,
     True, 26),
    ("FX_FLOWS_USD", "货物贸易涉外收支总额", "Cross-border receipts and payments for goods", "亿美元", "USD", "zone", True,
     True, True, 41),
    ("GDP_CNY", "地区生产总值", "Gross domestic product", "亿元", "CNY", "statistics", True, True, True, 29),
    ("FAI_CNY", "固定资产投资", "Fixed-asset investment", "亿元", "CNY", "statistics", True, True, True, 35),
    ("RD_INTENSITY", "企业R&D经费投入强度", "Enterprise R&D spending intensity", "%", "", "statistics", True, False, True, 70),
    ("RD_INSTITUTES", "省级及以上研发机构", "Provincial and national R&D institutes", "个", "", "commerce", True, False, True,
     71),
    ("HIGHTECH_ENT", "高新技术企业", "High-tech enterprises", "家", "", "statistics", True, False, True, 72),
    ("INNOVATION_CASES", "业态创新项目", "New business models in operation", "个", "", "zone", True, False, True, 73),
    ("ENERGY_PER_VA", "规上工业单位增加值能耗", "Energy per unit of industrial value added", "吨标准煤/万元", "", "statistics",
     True, False, False, 80),
    ("CO2_PER_VA", "单位增加值二氧化碳排放", "CO2 per unit of value added", "吨/万元", "", "statistics", True, False, False, 81),
    ("WATER_PER_VA", "单位增加值用水量", "Water per unit of value added", "立方米/万元", "", "statistics", True, False, False,
     82),
    ("SOLID_WASTE_USE", "工业固体废物综合利用率", "Industrial solid waste reuse rate", "%", "", "statistics", True, False, True,
     83),
    ("NEW_JOBS", "城镇新增就业", "New urban jobs", "人", "", "statistics", True, True, True, 52),
    ("COBUILT_PARKS", "合作共建园区", "Co-built parks", "个", "", "commerce", True, False, True, 53),
    ("SERVICE_SCORE", "营商环境评价得分", "Business environment score", "分", "", "commerce", True, False, True, 54),
    ("LAND_PLANNED_KM2", "批准规划面积", "Approved planned area", "km²", "", "zone", True, False, True, 90),
    ("LAND_ACCEPTED_KM2", "验收面积", "Accepted area", "km²", "", "zone", True, False, True, 91),
    ("LAND_DEVELOPED_KM2", "已开发面积", "Developed area", "km²", "", "zone", True, False, True, 92),
    ("LAND_INVEST_INTENSITY", "投资强度", "Investment intensity", "万元/亩", "", "computed", True, False, True, 93),
    ("LAND_OUTPUT_PER_MU", "土地产出率", "Output per land area", "万元/亩", "", "computed", True, False, True, 94),
    ("LAND_UTILISATION", "土地利用率", "Land utilisation rate", "%", "", "computed", True, False, True, 95),
    ("ACCEPTANCE_RATE", "批准规划面积验收率", "Accepted share of the planned area", "%", "", "computed", True, False, True, 96),
    ("TRADE_PER_KM2", "单位面积进出口值", "Imports and exports per km²", "亿元/km²", "", "computed", True, False, True, 97),
]
DEFINITIONS = {
    "LAND_INVEST_INTENSITY": "累计固定资产投资（万元）÷ 已开发面积（亩，1 km² = 1,500 亩）。面积取园区填报的已开发面积，"
                             "缺报时取登记的封闭围网面积。",
    "LAND_OUTPUT_PER_MU": "经营总收入（万元）÷ 已开发面积（亩）；无经营总收入时取工业总产值。",
    "LAND_UTILISATION": "已开发面积 ÷ 封闭围网面积 × 100（无围网面积时以批准规划面积为分母）。",
    "ACCEPTANCE_RATE": "验收面积 ÷ 批准规划面积 × 100。",
    "TRADE_PER_KM2": "进出口总值（人民币，亿元）÷ 封闭围网面积（km²，无围网面积时取批准规划面积）。",
}

GRADES_A_ONLY = [["A", "20"], ["B", None], ["C", None], ["D", None]]

# scheme: code, name, issuer, kind, zone types, description
# version: number, label, doc, valid_from, notes, groups, grade rules, decimals
# categories: code, name, weight, [(indicator, measure, weight, direction, normaliser, missing, benchmark, note)]
SCHEMES = [
    dict(
        code="FTZ", name="综合保税区发展绩效评估", issuer="海关总署、国家发展改革委等8部门", kind="ftz",
        zone_types=["FTZ", "BONDED_ZONE", "BONDED_PORT"],
        description="综合保税区发展绩效评估办法（试行），2020年4月30日印发；用于2019—2022年度评估。",
        version=1, label="2020年试行版", doc="综合保税区发展绩效评估办法（试行）", valid_from=dt.date(2020, 4, 30),
        notes=(
            "已知：5类、27项定量核心指标、8项辅助指标；规模效益50%、质量效益20%、开发利用10%。\n"
            "假设：辐射服务与业务创新合计20%，各10%（原文拆分未公开）；本版以每类有数据来源的代表性指标承载权重，"
            "单位面积的税收、涉外收支、从业人员并入“单位面积进出口值”和“土地产出率”。\n"
            "假设：标准化方法未公开，采用功效系数法（60—100）；缺失值按指标规则处理（计零或同组中位数）。\n"
            "已知：A级为全国排名前20%；B/C/D级切分未公开，未配置前不发布A级以下等级。\n"
            "已知：分组为东部、中西部（东北并入中西部）；连续两年全国及区域排名后5位的启动退出程序（本系统只提示）。\n"
            "假设：辅助指标（地方责任、运营、创新）按加分、扣分、否决项处理，分值为示例。"
        ),
        groups={"east": "东部", "central": "中西部", "west": "中西部", "northeast": "中西部"},
        grades=GRADES_A_ONLY, decimals=2,
        categories=[
            ("scale", "规模效益", D(50), [
                ("TRADE_CNY", "value", 8, "higher", "efficacy", "zero", None, ""),
                ("PT_TRADE_CNY", "value", 5, "higher", "efficacy", "zero", None, ""),
                ("LOGISTICS_TRADE_CNY", "value", 5, "higher", "efficacy", "zero", None, ""),
                ("GENERAL_TRADE_CNY", "value", 4, "higher", "efficacy", "zero", None, ""),
                ("REVENUE_CNY", "value", 6, "higher", "efficacy", "median", None, ""),
                ("TAX_CUSTOMS_CNY", "value", 5, "higher", "efficacy", "zero", None, ""),
                ("TAX_CNY", "value", 5, "higher", "efficacy", "median", None, ""),
                ("FX_FLOWS_USD", "value", 4, "higher", "efficacy", "median", None, "外汇统计"),
                ("EMPLOYEES", "value", 4, "higher", "efficacy", "median", None, "期末数"),
                ("ACTIVE_ENT", "value", 4, "higher", "efficacy", "median", None, "期末数"),
            ]),
            ("quality", "质量效益", D(20), [
                ("TRADE_PER_KM2", "value", 4, "higher", "efficacy", "exclude", None, "面积口径见指标定义"),
                ("LAND_OUTPUT_PER_MU", "value", 4, "higher", "efficacy", "exclude", None, ""),
                ("LAND_INVEST_INTENSITY", "value", 4, "higher", "efficacy", "exclude", None, ""),
                ("TRADE_CNY", "yoy", 4, "higher", "efficacy", "zero", None, "进出口总值增幅"),
                ("ACTIVE_ENT", "yoy", 4, "higher", "efficacy", "zero", None, "活跃企业数增幅"),
            ]),
            ("land", "开发利用", D(10), [
                ("ACCEPTANCE_RATE", "value", 3, "higher", "efficacy", "exclude", None, "期末批准规划面积验收率"),
                ("LAND_UTILISATION", "value", 4, "higher", "efficacy", "exclude", None, "期末封闭围网面积开发率"),
                ("FDI_USD", "value", 3, "higher", "efficacy", "zero", None, "实际使用外资金额"),
            ]),
            ("radiation", "辐射服务", D(10), [
                ("SECOND_LINE_CNY", "value", 10, "higher", "efficacy", "zero", None, "二线进出区货物总值"),
            ]),
            ("innovation", "业务创新", D(10), [
                ("INNOVATION_CASES", "value", 10, "higher", "efficacy", "zero", None, "租赁、保税维修、研发等新业态"),
            ]),
        ],
        adjustments=[
            ("local-support", "地方政策支持与主体责任落实", "bonus", D("0.5"), D(2)),
            ("innovation-pilot", "承担国家改革创新试点", "bonus", D(1), D(2)),
            ("safety-accident", "发生安全生产事故", "deduction", D(1), D(3)),
            ("smuggling-case", "发生走私等重大违法案件", "deduction", D("1.5"), D(3)),
            ("major-violation", "违规建设或严重违反监管规定", "veto", D(0), None),
        ],
    ),
    dict(
        code="ETDZ", name="国家级经济技术开发区综合发展水平考核评价", issuer="商务部", kind="etdz",
        zone_types=["ETDZ"],
        description="国办发〔2016〕14号：商务部每年考核评价国家级经开区；2016年版用于2016—2021年考核，2021年版用于2022年起的考核"
                    "（考核年度N评价N−1年数据）。",
        version=1, label="2016年版", doc="国家级经济技术开发区综合发展水平考核评价办法（2016年版）",
        valid_from=dt.date(2016, 1, 1),
        notes=(
            "已知：产业基础、科技创新、区域带动、生态环保、行政效能5类，53项指标，科技创新权重最大。\n"
            "假设：各类权重25/30/20/15/10；每类以有统计来源的代表性指标承载权重（53项名单未公开）。\n"
            "假设：标准化采用Z分数（T分数50 + 10z，截取0—100）；分地区排名按东部、中部、西部、东北。\n"
            "已知：商务部只公布排名，不分等级；连续两年排名后5位的退出（本系统只提示）。"
        ),
        groups={"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"},
        grades=[], decimals=2,
        categories=[
            ("industry", "产业基础", D(25), [
                ("GDP_CNY", "value", 8, "higher", "zscore", "zero", None, ""),
                ("OUTPUT_CNY", "value", 7, "higher", "zscore", "median", None, ""),
                ("TAX_CNY", "value", 5, "higher", "zscore", "median", None, ""),
                ("FDI_USD", "value", 5, "higher", "zscore", "zero", None, ""),
            ]),
            ("innovation", "科技创新", D(30), [
                ("RD_INTENSITY", "value", 12, "higher", "zscore", "median", None, ""),
                ("HIGHTECH_ENT", "value", 10, "higher", "zscore", "zero", None, ""),
                ("RD_INSTITUTES", "value", 8, "higher", "zscore", "zero", None, ""),
            ]),
            ("region", "区域带动", D(20), [
                ("TRADE_CNY", "value", 8, "higher", "zscore", "zero", None, ""),
                ("NEW_JOBS", "value", 6, "higher", "zscore", "median", None, ""),
                ("COBUILT_PARKS", "value", 6, "higher", "zscore", "zero", None, ""),
            ]),
            ("ecology", "生态环保", D(15), [
                ("ENERGY_PER_VA", "value", 8, "lower", "zscore", "median", None, ""),
                ("SOLID_WASTE_USE", "value", 7, "higher", "zscore", "median", None, ""),
            ]),
            ("admin", "行政效能", D(10), [
                ("SERVICE_SCORE", "value", 10, "higher", "zscore", "median", None, ""),
            ]),
        ],
        adjustments=[],
    ),
    dict(
        code="ETDZ", name="国家级经济技术开发区综合发展水平考核评价", issuer="商务部", kind="etdz",
        zone_types=["ETDZ"], description="",
        version=2, label="2021年版", doc="国家级经济技术开发区综合发展水平考核评价办法（2021年版）",
        valid_from=dt.date(2021, 1, 1),
        notes=(
            "已知：对外开放30、发展质量30、科技创新15、绿色发展15、统筹协调10；对外开放7项、科技创新6项、绿色发展5项、统筹协调4项。\n"
            "假设：发展质量的指标未公开，采用地区生产总值、税收、增速和土地集约利用指标；各项权重为假设。\n"
            "假设：标准化采用功效系数法（60—100）；固体废物综合利用率以100%为标杆（标杆比值法）。\n"
            "已知：考核年度N评价N−1年数据；公布综合排名、分地区排名和部分单项排名，不分等级。"
        ),
        groups={"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"},
        grades=[], decimals=2,
        categories=[
            ("opening", "对外开放", D(30), [
                ("FDI_USD", "value", 10, "higher", "efficacy", "zero", None, "实际使用外资金额"),
                ("TRADE_CNY", "value", 8, "higher", "efficacy", "zero", None, "进出口总额"),
                ("EXPORT_USD", "value", 4, "higher", "efficacy", "zero", None, ""),
                ("TRADE_CNY", "yoy", 4, "higher", "efficacy", "zero", None, "进出口增速"),
                ("FDI_USD", "yoy", 4, "higher", "efficacy", "zero", None, "外资增速"),
            ]),
            ("quality", "发展质量", D(30), [
                ("GDP_CNY", "value", 8, "higher", "efficacy", "zero", None, ""),
                ("TAX_CNY", "value", 6, "higher", "efficacy", "median", None, ""),
                ("GDP_CNY", "yoy", 4, "higher", "efficacy", "zero", None, ""),
                ("LAND_OUTPUT_PER_MU", "value", 6, "higher", "efficacy", "exclude", None, ""),
                ("LAND_INVEST_INTENSITY", "value", 6, "higher", "efficacy", "exclude", None, ""),
            ]),
            ("innovation", "科技创新", D(15), [
                ("RD_INTENSITY", "value", 6, "higher", "efficacy", "median", None, ""),
                ("RD_INSTITUTES", "value", 4, "higher", "efficacy", "zero", None, ""),
                ("HIGHTECH_ENT", "value", 5, "higher", "efficacy", "zero", None, ""),
            ]),
            ("green", "绿色发展", D(15), [
                ("ENERGY_PER_VA", "value", 5, "lower", "efficacy", "median", None, ""),
                ("CO2_PER_VA", "value", 4, "lower", "efficacy", "median", None, ""),
                ("WATER_PER_VA", "value", 3, "lower", "efficacy", "median", None, ""),
                ("SOLID_WASTE_USE", "value", 3, "higher", "benchmark", "median", D(100), "以100%为标杆"),
            ]),
            ("coordination", "统筹协调", D(10), [
                ("NEW_JOBS", "value", 5, "higher", "efficacy", "median", None, ""),
                ("COBUILT_PARKS", "value", 3, "higher", "efficacy", "zero", None, ""),
                ("LAND_UTILISATION", "value", 2, "higher", "efficacy", "exclude", None, ""),
            ]),
        ],
        adjustments=[
            ("env-central", "中央生态环境保护督察问题", "deduction", D("0.3"), D(3)),
            ("env-provincial", "省级生态环境保护督察问题", "deduction", D("0.2"), D(2)),
            ("major-accident", "重大安全生产事故", "deduction", D(1), D(3)),
        ],
    ),
]


def load(apps, schema_editor):
    Indicator = apps.get_model("stats", "Indicator")
    Definition = apps.get_model("stats", "IndicatorDefinition")
    for code, name, name_en, unit, cur, source, cum_only, additive, higher, order in INDICATORS:
        ind, created = Indicator.objects.get_or_create(
            code=code,
            defaults=dict(name=name, name_en=name_en, unit=unit, currency=cur, source=source, cumulative_only=cum_only,
                          additive=additive, higher_is_better=higher, order=order, periodicity="year",
                          min_value=D(0)),
        )
        if created and code in DEFINITIONS:
            Definition.objects.create(indicator=ind, valid_from=dt.date(2000, 1, 1), text=DEFINITIONS[code],
                                      source_doc="考核评价模块")
    inds = {i.code: i for i in Indicator.objects.all()}
    Scheme = apps.get_model("evaluation", "Scheme")
    Version = apps.get_model("evaluation", "SchemeVersion")
    Category = apps.get_model("evaluation", "Category")
    SchemeIndicator = apps.get_model("evaluation", "SchemeIndicator")
    Adjustment = apps.get_model("evaluation", "Adjustment")
    for s in SCHEMES:
        scheme, _ = Scheme.objects.get_or_create(
            code=s["code"], defaults=dict(name=s["name"], issuer=s["issuer"], kind=s["kind"],
                                          zone_types=s["zone_types"], description=s["description"]))
        if Version.objects.filter(scheme=scheme, version=s["version"]).exists():
            continue
        based_on = Version.objects.filter(scheme=scheme, version=s["version"] - 1).first()
        version = Version.objects.create(based_on=based_on,
            scheme=scheme, version=s["version"], label=s["label"], doc_no=s["doc"], valid_from=s["valid_from"],
            notes=s["notes"], weights_sum_100=True, decimals=s["decimals"], groups=s["groups"],
            grade_rules=s["grades"])
        for c_order, (ccode, cname, cweight, rows) in enumerate(s["categories"]):
            cat = Category.objects.create(version=version, code=ccode, name=cname, weight=cweight, order=c_order)
            for order, (icode, measure, weight, direction, norm, missing, bench, note) in enumerate(rows):
                SchemeIndicator.objects.create(
                    version=version, category=cat, indicator=inds[icode], measure=measure, weight=D(weight),
                    direction=direction, normaliser=norm, missing_rule=missing, benchmark=bench, order=order,
                    note=note)
        for code, name, kind, points, cap in s["adjustments"]:
            Adjustment.objects.create(version=version, code=code, name=name, kind=kind, points=points, cap=cap)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial"), ("stats", "0002_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
