"""Data migration: the default indicator catalogue, its definitions (with the 2021 FDI break), the
monthly zone return form, and the 监管方式 (trade mode) code table in the registry's versioned code
tables (inserted through the registry's models; the registry ships no such table)."""

import datetime as dt

from django.db import migrations

# code, name, name_en, unit, currency, source, cumulative_only, additive, order
INDICATORS = [
    ("TRADE_USD", "进出口总额", "Imports and exports", "亿美元", "USD", "customs", False, True, 10),
    ("EXPORT_USD", "出口额", "Exports", "亿美元", "USD", "customs", False, True, 11),
    ("IMPORT_USD", "进口额", "Imports", "亿美元", "USD", "customs", False, True, 12),
    ("TRADE_CNY", "进出口总值（人民币）", "Imports and exports (RMB)", "亿元", "CNY", "customs", False, True, 13),
    ("EXPORT_CNY", "出口值（人民币）", "Exports (RMB)", "亿元", "CNY", "customs", False, True, 14),
    ("IMPORT_CNY", "进口值（人民币）", "Imports (RMB)", "亿元", "CNY", "customs", False, True, 15),
    ("PT_EXPORT_USD", "加工贸易出口额", "Processing-trade exports", "亿美元", "USD", "customs", False, True, 20),
    ("PT_IMPORT_USD", "加工贸易进口额", "Processing-trade imports", "亿美元", "USD", "customs", False, True, 21),
    ("HTME_EXPORT_USD", "机电和高新技术产品出口额", "High-tech and M&E exports", "亿美元", "USD", "customs", False, True, 22),
    ("VA_CNY", "工业增加值", "Industrial value added", "亿元", "CNY", "statistics", True, True, 30),
    ("OUTPUT_CNY", "工业总产值", "Gross industrial output", "亿元", "CNY", "statistics", True, True, 31),
    ("REVENUE_CNY", "经营总收入", "Total operating revenue", "亿元", "CNY", "zone", False, True, 32),
    ("TAX_CUSTOMS_CNY", "海关税收", "Customs revenue", "亿元", "CNY", "customs", False, True, 33),
    ("FDI_USD", "实际使用外资", "Actual use of foreign capital", "万美元", "USD", "commerce", True, True, 40),
    ("EMPLOYEES", "期末从业人员", "Employees at period end", "人", "", "zone", False, False, 50),
    ("ACTIVE_ENT", "活跃企业数", "Active enterprises", "家", "", "zone", False, False, 51),
    ("HTME_SHARE", "机电和高新技术产品出口占比", "High-tech and M&E share of exports", "%", "", "computed", False, False, 60),
]
TWINS = [("TRADE_USD", "TRADE_CNY"), ("EXPORT_USD", "EXPORT_CNY"), ("IMPORT_USD", "IMPORT_CNY")]
PARTS = {"TRADE_USD": ("EXPORT_USD", "IMPORT_USD"), "TRADE_CNY": ("EXPORT_CNY", "IMPORT_CNY")}
FORMULAS = {"HTME_SHARE": {"op": "ratio", "args": ["HTME_EXPORT_USD", "EXPORT_USD"], "scale": "100"}}
RANGES = {"EMPLOYEES": (0, 10_000_000), "ACTIVE_ENT": (0, 100_000), "HTME_SHARE": (0, 100)}

DEFINITIONS = [
    ("TRADE_USD", dt.date(1980, 1, 1), None, "海关统计口径的进出口货物总值，按美元计价；人民币值另列。", "海关统计", False),
    ("TRADE_CNY", dt.date(2013, 1, 1), None, "海关统计口径的进出口货物总值，按人民币计价（2013年起发布总值，2014年起全面发布）。",
     "海关统计", False),
    ("VA_CNY", dt.date(1980, 1, 1), None, "规模以上工业增加值，按可比价计算增速；仅发布累计数。", "统计局", False),
    ("FDI_USD", dt.date(1980, 1, 1), dt.date(2020, 12, 31), "实际使用外资金额（旧口径）。", "商务部", False),
    ("FDI_USD", dt.date(2021, 1, 1), None, "实际使用外资金额（2021年起新口径，含境外投资者再投资等），与此前数据不可直接比较。",
     "商务部", True),
]

# 监管方式 (customs trade modes): code, name, English name, statistical group
TRADE_MODES = [
    ("0110", "一般贸易", "General trade", "general"),
    ("0214", "来料加工", "Processing with supplied materials", "processing"),
    ("0255", "来料深加工", "Further processing, supplied materials", "processing"),
    ("0615", "进料对口", "Processing with imported materials", "processing"),
    ("0654", "进料深加工", "Further processing, imported materials", "processing"),
    ("0715", "进料非对口", "Imported materials, non-matched", "processing"),
    ("1210", "保税电商", "Bonded cross-border e-commerce", "other"),
    ("1233", "保税仓库货物", "Bonded warehouse goods", "logistics"),
    ("1234", "保税区仓储转口", "Bonded zone entrepot", "logistics"),
    ("5000", "料件进出区", "Materials in/out of zone", "processing"),
    ("5100", "成品进出区", "Products in/out of zone", "processing"),
    ("5300", "设备进出区", "Equipment in/out of zone", "other"),
    ("5034", "区内物流货物", "Zone logistics goods", "logistics"),
    ("6033", "物流中心进出境货物", "Logistics centre goods", "logistics"),
    ("9610", "电子商务", "Cross-border e-commerce", "other"),
]

FORM_LINES = [
    ("TRADE_USD", "cum"), ("EXPORT_USD", "cum"), ("IMPORT_USD", "cum"), ("REVENUE_CNY", "cum"),
    ("VA_CNY", "cum"), ("FDI_USD", "cum"), ("EMPLOYEES", "month"), ("ACTIVE_ENT", "month"),
]


def load(apps, schema_editor):
    Indicator = apps.get_model("stats", "Indicator")
    Definition = apps.get_model("stats", "IndicatorDefinition")
    by_code = {}
    for code, name, name_en, unit, cur, source, cum_only, additive, order in INDICATORS:
        lo, hi = RANGES.get(code, (0, None))
        by_code[code], _ = Indicator.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name, name_en=name_en, unit=unit, currency=cur, source=source, cumulative_only=cum_only,
                additive=additive, order=order, formula=FORMULAS.get(code), min_value=lo, max_value=hi,
                periodicity="year" if code == "HTME_SHARE" else "month",
            ),
        )
    for a, b in TWINS:
        Indicator.objects.filter(pk=by_code[a].pk).update(currency_twin=by_code[b])
        Indicator.objects.filter(pk=by_code[b].pk).update(currency_twin=by_code[a])
    for whole, parts in PARTS.items():
        by_code[whole].parts.add(*[by_code[p] for p in parts])
    for code, start, end, text, source, is_break in DEFINITIONS:
        Definition.objects.get_or_create(
            indicator=by_code[code], valid_from=start,
            defaults=dict(valid_to=end, text=text, source_doc=source, is_break=is_break),
        )
    Form = apps.get_model("stats", "ReportForm")
    Line = apps.get_model("stats", "ReportFormLine")
    form, _ = Form.objects.get_or_create(
        code="ZONE_MONTHLY",
        defaults=dict(name="海关特殊监管区域主要经济指标月报表", issuer="省商务厅", level="zone", periodicity="month",
                      due_working_days=5),
    )
    for i, (code, basis) in enumerate(FORM_LINES):
        Line.objects.get_or_create(form=form, indicator=by_code[code], basis=basis, defaults={"order": i})

    CodeTable = apps.get_model("registry", "CodeTable")
    Code = apps.get_model("registry", "Code")
    table, _ = CodeTable.objects.get_or_create(
        key="trade_mode", defaults=dict(name="监管方式", version="海关总署监管方式代码表（2024）",
                                        source="海关总署 监管方式代码表"),
    )
    for code, name, name_en, group in TRADE_MODES:
        Code.objects.get_or_create(
            table=table, code=code, defaults=dict(name=name, name_en=name_en, level=1, extra={"group": group})
        )


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial"), ("registry", "0002_load_code_tables")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
