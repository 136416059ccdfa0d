"""Demo data of the investment app: two years of projects for the demo province, investors, receptions,
trips and events, targets, and the Sichuan opinions on processing trade (seed 001) decomposed into tasks
with their lead and responsible units, progress reports and a scorecard scheme.

Orders of magnitude from seed 000 (Chengdu export processing zone, one year): 15 reception visits,
4 investment trips, 23 projects worth USD 1.43 bn — here the Chengdu Hi-tech zone's previous year.
Deterministic (fixed random seed); everything is written through the services (audited); skipped when
projects exist already.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from . import policy
from . import services as svc
from .models import (
    BuildKind,
    EventKind,
    InvestmentEvent,
    InvestorKind,
    MilestoneKind,
    PolicyDocument,
    Project,
    ProjectKind,
    Recurrence,
    ScoringRule,
    ScoringRuleKind,
    SourceRegion,
    TransferMode,
)

PROVINCE = "510000"
USD_RATE = Decimal("6.9")
BIG_ZONE = "成都高新综合保税区"
EVENT_TITLES = {
    "reception": "接待客商来访",
    "inspection": "客商考察",
    "trip": "赴珠三角招商",
    "promotion": "加工贸易招商推介会",
    "online": "云招商直播推介",
}
TASKS_FILE = Path(__file__).parent / "data" / "sichuan_2016_tasks.tsv"

INVESTORS = [
    # name, kind, country, home region, parent group, fortune500, transfer target, products
    (
        "英特尔产品（成都）有限公司",
        InvestorKind.COMPANY,
        "美国",
        "加利福尼亚",
        "英特尔公司",
        True,
        False,
        "芯片封装测试",
    ),
    ("富士康科技集团", InvestorKind.COMPANY, "中国台湾", "新北", "鸿海精密", True, True, "电子终端整机"),
    ("纬创资通股份有限公司", InvestorKind.COMPANY, "中国台湾", "台北", "纬创集团", False, True, "笔记本电脑"),
    (
        "仁宝电脑工业股份有限公司",
        InvestorKind.COMPANY,
        "中国台湾",
        "台北",
        "仁宝集团",
        False,
        True,
        "笔记本电脑",
    ),
    (
        "德州仪器半导体制造有限公司",
        InvestorKind.COMPANY,
        "美国",
        "达拉斯",
        "德州仪器",
        True,
        False,
        "模拟芯片",
    ),
    (
        "戴尔（中国）有限公司",
        InvestorKind.COMPANY,
        "美国",
        "得克萨斯",
        "戴尔科技",
        True,
        False,
        "服务器、台式机",
    ),
    ("联想（北京）有限公司", InvestorKind.COMPANY, "中国", "北京", "联想集团", True, False, "个人电脑"),
    ("京东方科技集团股份有限公司", InvestorKind.COMPANY, "中国", "北京", "京东方", False, False, "显示面板"),
    (
        "深圳市长盈精密技术股份有限公司",
        InvestorKind.COMPANY,
        "中国",
        "广东深圳",
        "",
        False,
        True,
        "精密结构件",
    ),
    ("东莞市新科电子有限公司", InvestorKind.COMPANY, "中国", "广东东莞", "", False, True, "连接器"),
    ("苏州胜利精密制造科技股份有限公司", InvestorKind.COMPANY, "中国", "江苏苏州", "", False, True, "模组"),
    (
        "上海华虹宏力半导体制造有限公司",
        InvestorKind.COMPANY,
        "中国",
        "上海",
        "华虹集团",
        False,
        False,
        "晶圆代工",
    ),
    ("日本电产株式会社", InvestorKind.COMPANY, "日本", "京都", "日本电产", False, False, "精密电机"),
    ("三星电子株式会社", InvestorKind.COMPANY, "韩国", "水原", "三星集团", True, False, "存储器封测"),
    ("博世汽车部件有限公司", InvestorKind.COMPANY, "德国", "斯图加特", "博世集团", True, False, "汽车电子"),
    (
        "浙江正泰电器股份有限公司",
        InvestorKind.COMPANY,
        "中国",
        "浙江温州",
        "正泰集团",
        False,
        True,
        "低压电器",
    ),
    ("四川省温州商会", InvestorKind.CHAMBER, "中国", "浙江温州", "", False, False, ""),
    ("中国台湾电机电子工业同业公会", InvestorKind.ASSOCIATION, "中国台湾", "台北", "", False, False, ""),
    ("仲量联行（成都）", InvestorKind.INTERMEDIARY, "英国", "伦敦", "仲量联行", False, False, "招商代理"),
    ("广州视源电子科技股份有限公司", InvestorKind.COMPANY, "中国", "广东广州", "", False, True, "液晶主板"),
]

PROJECT_NAMES = [
    "芯片封装测试扩产项目",
    "笔记本电脑整机生产线",
    "智能终端结构件项目",
    "模拟芯片测试基地",
    "服务器制造项目",
    "显示模组项目",
    "精密连接器项目",
    "晶圆代工配套项目",
    "精密电机生产基地",
    "存储器封测二期",
    "汽车电子控制器项目",
    "智能电表生产线",
    "液晶主板项目",
    "保税维修中心",
    "跨境电商分拨中心",
    "保税物流仓储项目",
    "生物医药研发中心",
    "光通信器件项目",
    "智能穿戴设备项目",
    "检测认证中心",
    "工业机器人集成项目",
    "新能源电池模组项目",
    "5G基站设备项目",
]


def _unit_by_name(name: str, *, by, cache: dict):
    """A demo unit by the name used in the opinions; created as an outside body when missing."""
    from zonebook.accounts.choices import UnitKind
    from zonebook.accounts.models import Unit
    from zonebook.accounts.units import create_unit

    aliases = {
        "商务厅": "四川省商务厅",
        "省外汇管理局": "国家外汇管理局四川省分局",
        "省国税局": "国家税务总局四川省税务局",
        "省工商局": "四川省市场监督管理局",
    }
    full = aliases.get(name, name)
    if full in cache:
        return cache[full]
    unit = Unit.objects.filter(name=full).first()
    if unit is None:
        kind = (
            UnitKind.CUSTOMS
            if "海关" in full
            else UnitKind.INSPECTION
            if "检验检疫" in full
            else UnitKind.OTHER_BODY
        )
        unit = create_unit({"name": full, "kind": kind, "province_code": PROVINCE}, by=by)
    cache[full] = unit
    return unit


def _tasks():
    rows = []
    for line in TASKS_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        section, text = line.split("\t", 1)
        rows.append((section, text))
    return rows


def load_tasks(*, by, today: dt.date) -> PolicyDocument:
    doc = policy.create_document(
        {
            "title": "四川省人民政府关于促进加工贸易创新发展的实施意见",
            "issuer": "四川省人民政府",
            "issued_on": dt.date(2016, 6, 1),
            "province_code": PROVINCE,
            "full_text": "\n".join(t for _s, t in _tasks()),
        },
        by=by,
    )
    cache: dict = {}
    counters: dict = {}
    for i, (section, text) in enumerate(_tasks()):
        lead, responsible = policy.parse_units(text)
        sec_no = section.split("、")[0] if "、" in section else str(i)
        counters[sec_no] = counters.get(sec_no, 0) + 1
        number = f"{sec_no}-{counters[sec_no]}"
        recurring = i % 3 != 2
        indicators = []
        if i == 0:
            indicators = [("pt_trade", "加工贸易进出口", Decimal("500"), "亿美元")]
        elif i == 3:
            indicators = [("pt_enterprises", "加工贸易进出口1亿美元以上企业", Decimal("50"), "家")]
        policy.add_task(
            doc,
            {
                "number": number,
                "section": section,
                "text": text.split("（责任单位")[0],
                "goal": "到2020年加工贸易转型升级取得明显成效" if i < 4 else "",
                "deadline": None
                if recurring
                else dt.date(today.year, 12, 31)
                if i % 2
                else dt.date(today.year, 6, 30),
                "recurrence": Recurrence.QUARTERLY if recurring else "",
            },
            lead_units=[_unit_by_name(n, by=by, cache=cache) for n in lead],
            responsible_units=[_unit_by_name(n, by=by, cache=cache) for n in responsible],
            indicators=indicators,
            by=by,
        )
    for code, name, kind, max_score, ind, default in (
        ("ON_TIME", "按时报送进展", ScoringRuleKind.ON_TIME, Decimal(40), "", Decimal(40)),
        ("DONE", "按期完成任务", ScoringRuleKind.COMPLETED_TASKS, Decimal(30), "", Decimal(30)),
        (
            "PT_TRADE",
            "加工贸易进出口目标完成",
            ScoringRuleKind.INDICATOR,
            Decimal(30),
            "pt_trade",
            Decimal(15),
        ),
    ):
        ScoringRule.objects.get_or_create(
            year=today.year,
            province_code=PROVINCE,
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "max_score": max_score,
                "indicator_code": ind,
                "default_score": default,
            },
        )
    return doc


def _reports(doc: PolicyDocument, *, today: dt.date, rng: random.Random) -> int:
    """Progress reports of the units whose head or members are demo users."""
    from zonebook.accounts.models import User

    n = 0
    for task in doc.tasks.prefetch_related("task_units__unit", "indicators"):
        for tu in task.task_units.all():
            user = tu.unit.head or User.objects.filter(unit_memberships__unit=tu.unit).first()
            if user is None or tu.role != "lead":
                continue
            quarter_end = dt.date(today.year, ((today.month - 1) // 3) * 3 + 1, 1)
            period = quarter_end if quarter_end.month > 1 else dt.date(today.year, 1, 1)
            figures = {ind: ind.target * Decimal(rng.randint(40, 90)) / 100 for ind in task.indicators.all()}
            policy.submit_report(
                task,
                tu.unit,
                period=period,
                text="已完成阶段性工作，按计划推进。",
                figures=figures,
                by=user,
                now=timezone.make_aware(
                    dt.datetime.combine(min(policy.due_for_period(period), today), dt.time(10))
                ),
            )
            n += 1
    return n


def load(stdout) -> None:
    from zonebook.accounts.models import User
    from zonebook.registry.models import Code, Enterprise, Zone

    if Project.objects.exists():
        stdout.write("Investment projects exist already; investment demo not loaded.")
        return
    by = User.objects.filter(role="system_admin", is_active=True).order_by("pk").first()
    if by is None:
        stdout.write("No administrator; investment demo not loaded.")
        return
    rng = random.Random(19)
    today = timezone.localdate()
    zones = list(Zone.objects.filter(province_code=PROVINCE).order_by("name"))
    if not zones:
        return
    industries = list(
        Code.objects.filter(table__key="industry", code__in=["39", "38", "34", "27", "59", "36"])
    )
    investors = []
    for name, kind, country, region, group, f500, target, products in INVESTORS:
        investors.append(
            svc.create_investor(
                {
                    "name": name,
                    "kind": kind,
                    "country": country,
                    "home_region": region,
                    "parent_group": group,
                    "fortune500": f500,
                    "transfer_target": target,
                    "products": products,
                    "relocation_intent": "东部成本上升，拟在中西部扩产" if target else "",
                    "priority": rng.randint(1, 3) if target else None,
                    "province_code": PROVINCE,
                    "industry": rng.choice(industries)
                    if industries and kind == InvestorKind.COMPANY
                    else None,
                    "contact_name": "联络人" + str(len(investors) + 1),
                },
                by=by,
            )
        )
    for inv in investors[:10]:
        svc.add_contact(
            inv,
            date=today - dt.timedelta(days=rng.randint(5, 300)),
            channel="meeting",
            summary="洽谈投资意向，了解园区保税政策与用地条件。",
            by=by,
        )
    big = next((z for z in zones if z.name == BIG_ZONE), zones[0])
    enterprises = {z.pk: list(Enterprise.objects.filter(zone=z)[:30]) for z in zones}
    n_projects = 0
    for year in (today.year - 1, today.year):
        last_month = 12 if year < today.year else today.month
        # events: the seed's 15 receptions and 4 trips (previous year, the big zone) + promotion events
        if year == today.year - 1:
            plan = [
                (EventKind.RECEPTION, 15),
                (EventKind.TRIP, 4),
                (EventKind.PROMOTION, 3),
                (EventKind.ONLINE, 2),
            ]
        else:
            plan = [
                (EventKind.RECEPTION, 9),
                (EventKind.TRIP, 2),
                (EventKind.PROMOTION, 2),
                (EventKind.ONLINE, 3),
            ]
        events = []
        for kind, count in plan:
            for k in range(count):
                day = dt.date(year, rng.randint(1, last_month), rng.randint(1, 28))
                day = min(day, today)
                events.append(
                    svc.create_event(
                        {
                            "kind": kind,
                            "title": f"{EVENT_TITLES[kind]}（{year}年第{k + 1}场）",
                            "date": day,
                            "place": {"trip": "深圳、东莞", "online": "云招商平台"}.get(kind, big.short_name),
                            "participants": "管委会领导、招商局",
                            "leads": rng.randint(0, 5),
                            "zone": big,
                        },
                        by=by,
                        investors=rng.sample(investors, 2),
                    )
                )
        for zone in zones:
            if zone == big and year == today.year - 1:
                count, usd_total = 23, Decimal("143000")  # USD 1.43 bn = 143,000 万美元
            else:
                count, usd_total = rng.randint(2, 6), None
            amounts = []
            if usd_total is not None:
                weights = [rng.randint(2, 20) for _ in range(count)]
                amounts = [(usd_total * w / sum(weights)).quantize(Decimal("0.01")) for w in weights]
                amounts[-1] += usd_total - sum(amounts)
            for i in range(count):
                usd = usd_total is not None or rng.random() < 0.4
                amount = amounts[i] if amounts else Decimal(rng.randint(2000, 60000))
                inv = investors[(i + zone.pk + year) % len(investors)]
                signed = min(dt.date(year, rng.randint(1, last_month), rng.randint(1, 28)), today)
                p = svc.create_project(
                    {
                        "name": PROJECT_NAMES[(i + zone.pk) % len(PROJECT_NAMES)][:40],
                        "zone": zone,
                        "investor": inv,
                        "industry": rng.choice(industries) if industries else None,
                        "build_kind": BuildKind.NEW,
                        "currency": "USD" if usd else "CNY",
                        "fx_rate": USD_RATE if usd else Decimal(1),
                        "planned_investment": amount,
                        "contracted_investment": amount,
                        "funds_in_place": (amount * Decimal(rng.randint(10, 60)) / 100).quantize(
                            Decimal("0.01")
                        ),
                        "source_region": SourceRegion.FOREIGN
                        if usd
                        else rng.choice([SourceRegion.OUT_OF_PROVINCE, SourceRegion.OUT_OF_CITY]),
                        "source_place": inv.country if usd else inv.home_region,
                        "fortune500": inv.fortune500,
                        "event": rng.choice(events) if events and i % 4 == 0 else None,
                        "transfer_mode": TransferMode.EXPANSION if inv.transfer_target else "",
                        "transfer_from": inv.home_region if inv.transfer_target else "",
                        "processing_trade": inv.transfer_target,
                        "jobs": rng.randint(50, 3000),
                        "kind": ProjectKind.NEW,
                    },
                    by=by,
                )
                svc.record_milestone(p, MilestoneKind.LEAD, signed - dt.timedelta(days=60), by=by)
                svc.record_milestone(p, MilestoneKind.TALKS, signed - dt.timedelta(days=30), by=by)
                # a group signing several separate projects in one zone says so (else the signing of a
                # second project of the investor there is refused as a capital increase entered as new)
                svc.record_milestone(p, MilestoneKind.SIGNED, signed, by=by, evidence="投资协议",
                                     separate_reason="另行签约的独立新建项目")
                ents = enterprises.get(zone.pk) or []
                reg = signed + dt.timedelta(days=rng.randint(20, 80))
                if ents and reg <= today and rng.random() < 0.85:
                    svc.update_project(p, {"enterprise": ents[i % len(ents)]}, by=by)
                    svc.record_milestone(p, MilestoneKind.REGISTERED, reg, by=by, evidence="营业执照")
                    start = reg + dt.timedelta(days=rng.randint(10, 90))
                    if start <= today and rng.random() < 0.8:
                        svc.record_milestone(p, MilestoneKind.STARTED, start, by=by, evidence="施工许可证")
                        stat = start + dt.timedelta(days=rng.randint(20, 70))
                        if stat <= today and rng.random() < 0.7:
                            svc.record_milestone(p, MilestoneKind.STATISTICS, stat, by=by)
                n_projects += 1
        for zone in zones:
            svc.set_target(
                year=year,
                zone=zone,
                by=by,
                signed_count=5,
                signed_amount=Decimal(500000),
                funds_in_place=Decimal(150000),
            )
        svc.set_target(
            year=year,
            province_code=PROVINCE,
            by=by,
            signed_count=5 * len(zones),
            signed_amount=Decimal(500000) * len(zones),
            funds_in_place=Decimal(150000) * len(zones),
        )
    # a capital increase of a signed project (counts the increase only) and a stalled request
    first = Project.objects.filter(zone=big, signed_on__isnull=False).order_by("signed_on").first()
    if first is not None and first.industry_id:
        inc = svc.create_project(
            {
                "name": f"{first.name[:30]}增资",
                "zone": big,
                "investor": first.investor,
                "industry": first.industry,
                "kind": ProjectKind.CAPITAL_INCREASE,
                "parent": first,
                "currency": first.currency,
                "fx_rate": first.fx_rate,
                "contracted_investment": Decimal(5000),
            },
            by=by,
        )
        svc.record_milestone(
            inc, MilestoneKind.SIGNED, today - dt.timedelta(days=10), by=by, evidence="增资协议"
        )
    stalled = Project.objects.filter(stage="signed").order_by("pk").first()
    if stalled is not None:
        svc.request_terminal(stalled, "stalled", "投资方资金链紧张，暂缓实施", by=by)
    doc = load_tasks(by=by, today=today)
    reports = _reports(doc, today=today, rng=rng)
    stdout.write(
        f"Investment: {len(investors)} investors, {n_projects} projects, "
        f"{InvestmentEvent.objects.count()} events, {doc.tasks.count()} policy tasks, {reports} reports."
    )
