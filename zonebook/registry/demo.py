"""The registry's demo: a Sichuan-like demo province (510000), loaded first by ``manage.py load_demo``
(the ``demo`` app runs every registration's loader, core.modules).

Modelled on the seed ``shared/seeds/000_*.txt`` (四川成都出口加工区, 一区两园 南区/西区, later
integrated into 成都高新综合保税区) and on ``shared/domain/zones-and-evaluation.md`` §2.
Some approval dates, document numbers, park areas and acceptance dates are invented to fit the
story, not taken from a source; the data reads as real documents do (no markers in the texts a user
sees: ``core/tests/test_page_text.py`` checks).

Everything is written through the service layer (registry.services, accounts.services) under
``acting_as("demo")`` so the demo also fills the audit log.  Deterministic: a fixed random seed,
fixed names and fixed passwords (see ``DEMO_USERS`` and ``manage.py print_demo_logins``).
Enterprise names are invented; any likeness to real companies is coincidental.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.management.base import CommandError

D = dt.date
SEED = 20000427
PROVINCE = "510000"


EPZ_SOUTH_BOUNDS = (
    "北以新世纪北路与园区西路交汇点，向东至人民南路南延线公建绿地为界；东以人民南路天府大道延线公建绿地为界；"
    "南以园区西路交汇点沿园区北路向东至人民南路南延线公建绿地为界；西以新世纪北路西段中点向南至园区北路西端点为界。"
)
EPZ_WEST_BOUNDS = (
    "东至红光支渠西侧绿化带，西至园区规划道路（B）线南段，南至成灌高速公路辅道，北至围城路西延线。"
)

# key, name, short name, type, level, city, planned km², fenced km², customs office, approval date, approval doc,
# acceptance date, converted, events [(event, date, note)]
ZONES = [
    (
        "gaoxin",
        "成都高新综合保税区",
        "成都高新综保区",
        "FTZ",
        "national",
        "510100",
        "4.6800",
        "4.6800",
        "7908",
        D(2010, 10, 18),
        "国函〔2010〕112号",
        D(2011, 9, 1),
        True,
        [
            (
                "approved",
                D(2010, 10, 18),
                "国务院批准设立，整合四川成都出口加工区（日期依公开报道，文号为示意）",
            ),
            ("accepted", D(2011, 9, 1), "联合验收"),
            ("operating", D(2011, 10, 1), "封关运行；含双流园区"),
        ],
    ),
    (
        "epz",
        "四川成都出口加工区",
        "成都出口加工区",
        "EPZ",
        "national",
        "510100",
        "3.0000",
        "3.0000",
        "7908",
        D(2000, 4, 27),
        "国函〔2000〕38号",
        D(2001, 6, 8),
        False,
        [
            (
                "approved",
                D(2000, 4, 27),
                "选址成都高新区，规划面积 3 平方公里，首期 0.6 平方公里（见地方志 2009）",
            ),
            ("accepted", D(2001, 6, 8), "首期 0.6 km² 验收"),
            ("operating", D(2001, 7, 1), "封关运行"),
            (
                "area_changed",
                D(2002, 11, 20),
                "设立西区 1.5 km²；南区由 3 km² 缩减为 1.5 km²（依地方志）",
            ),
            ("integrated", D(2010, 10, 18), "整合纳入成都高新综合保税区"),
        ],
    ),
    (
        "railport",
        "成都国际铁路港综合保税区",
        "铁路港综保区",
        "FTZ",
        "national",
        "510100",
        "2.2800",
        "2.2800",
        "7911",
        D(2019, 8, 8),
        "国函〔2019〕71号",
        D(2020, 6, 19),
        False,
        [
            ("approved", D(2019, 8, 8), "国务院批复设立"),
            ("accepted", D(2020, 6, 19), "通过国家联合验收"),
            ("operating", D(2020, 7, 1), "封关运行"),
        ],
    ),
    (
        "mianyang",
        "绵阳综合保税区",
        "绵阳综保区",
        "FTZ",
        "national",
        "510700",
        "1.2200",
        "1.2200",
        "7920",
        D(2020, 6, 22),
        "国函〔2020〕86号",
        D(2021, 7, 12),
        True,
        [
            ("approved", D(2020, 6, 22), "由绵阳出口加工区整合优化"),
            ("accepted", D(2021, 7, 12), "通过国家联合验收"),
            ("operating", D(2021, 8, 1), "封关运行"),
        ],
    ),
    (
        "luzhou",
        "泸州综合保税区",
        "泸州综保区",
        "FTZ",
        "national",
        "510500",
        "1.1500",
        "1.1500",
        "7921",
        D(2019, 8, 30),
        "国函〔2019〕80号",
        D(2020, 11, 27),
        False,
        [
            ("approved", D(2019, 8, 30), "国务院批复设立"),
            ("accepted", D(2020, 11, 27), "通过国家联合验收"),
            ("operating", D(2020, 12, 20), "封关运行"),
        ],
    ),
    (
        "yibin",
        "宜宾综合保税区",
        "宜宾综保区",
        "FTZ",
        "national",
        "511500",
        "1.3300",
        "1.3300",
        "7922",
        D(2019, 8, 30),
        "国函〔2019〕81号",
        D(2020, 12, 18),
        False,
        [
            ("approved", D(2019, 8, 30), "国务院批复设立"),
            ("accepted", D(2020, 12, 18), "通过国家联合验收"),
            ("operating", D(2021, 1, 10), "封关运行"),
        ],
    ),
    (
        "bsite",
        "成都空港保税物流中心(B型)",
        "空港B保",
        "BONDED_SITE",
        "national",
        "510100",
        "0.2000",
        "0.2000",
        "7902",
        D(2008, 12, 26),
        "署加发〔2008〕93号",
        D(2009, 10, 28),
        False,
        [
            ("approved", D(2008, 12, 26), "批准设立（日期见领域文档 CD-EPZ）"),
            ("accepted", D(2009, 10, 28), "通过国家联合验收"),
            ("operating", D(2009, 12, 1), "封关运行"),
        ],
    ),
    (
        "etdz",
        "成都经济技术开发区",
        "成都经开区",
        "ETDZ",
        "national",
        "510100",
        "66.0000",
        None,
        None,
        D(2000, 2, 13),
        "国函〔2000〕19号",
        None,
        False,
        [
            ("approved", D(2000, 2, 13), "升级为国家级经济技术开发区"),
            ("operating", D(2000, 2, 13), ""),
        ],
    ),
    (
        "htz",
        "成都高新技术产业开发区",
        "成都高新区",
        "HTZ",
        "national",
        "510100",
        "130.0000",
        None,
        None,
        D(1991, 3, 6),
        "国发〔1991〕12号",
        None,
        False,
        [("approved", D(1991, 3, 6), "首批国家高新区"), ("operating", D(1991, 3, 6), "")],
    ),
    (
        "guanghan",
        "四川广汉经济开发区",
        "广汉经开区",
        "PROVINCIAL",
        "provincial",
        "510600",
        "20.5000",
        None,
        None,
        D(2006, 5, 10),
        "川府函〔2006〕45号",
        None,
        False,
        [("approved", D(2006, 5, 10), "省级开发区"), ("operating", D(2006, 5, 10), "")],
    ),
]

PARKS = {
    "epz": [
        ("南区", "1.5000", "成都高新区南部园区", EPZ_SOUTH_BOUNDS),
        ("西区", "1.5000", "成都高新区西部园区，紧邻成灌高速", EPZ_WEST_BOUNDS),
    ],
    "gaoxin": [
        ("高新西园区", "3.8000", "成都高新区西部园区", EPZ_WEST_BOUNDS),
        ("双流园区", "0.8800", "成都市双流区", ""),
    ],
}

# name, industry (GB/T 4754-2017), ownership, investor country, Fortune 500, processing mode, zone key, park
ENTERPRISES = [
    ("芯汇微电子（成都）有限公司", "3973", "WFOE", "USA", True, "imported", "gaoxin", "高新西园区"),
    ("蓉芯集成电路封装测试（成都）有限公司", "3973", "WFOE", "USA", True, "imported", "gaoxin", "高新西园区"),
    ("锐拓连接器（成都）有限公司", "3982", "WFOE", "USA", True, "imported", "gaoxin", "高新西园区"),
    ("华创半导体制造（成都）有限公司", "3972", "EJV", "SGP", False, "imported", "gaoxin", "高新西园区"),
    ("联晟电子科技（成都）有限公司", "3912", "HMT_SOLE", "TWN", True, "both", "gaoxin", "高新西园区"),
    ("精微光电（成都）有限公司", "3976", "HMT_SOLE", "TWN", False, "imported", "gaoxin", "高新西园区"),
    ("鼎信电脑（成都）有限公司", "3911", "HMT_SOLE", "TWN", True, "imported", "gaoxin", "双流园区"),
    ("宏图通讯设备（成都）有限公司", "3922", "HMT_JV", "HKG", False, "imported", "gaoxin", "双流园区"),
    ("横井精密电子（成都）有限公司", "3981", "WFOE", "JPN", False, "imported", "gaoxin", "高新西园区"),
    ("住川电子材料（成都）有限公司", "3985", "WFOE", "JPN", True, "inbound", "gaoxin", "高新西园区"),
    ("韩川显示器件（成都）有限公司", "3974", "WFOE", "KOR", True, "imported", "gaoxin", "双流园区"),
    ("瓦格橡胶制品（成都）有限公司", "29", "WFOE", "DEU", False, "imported", "gaoxin", "高新西园区"),
    ("铁姆科技轴承（成都）有限公司", "34", "WFOE", "USA", True, "imported", "gaoxin", "高新西园区"),
    ("飞博光通信（成都）有限公司", "3976", "EJV", "SGP", False, "imported", "gaoxin", "高新西园区"),
    ("康弘赛生物医药（成都）有限公司", "27", "EJV", "USA", False, "imported", "gaoxin", "双流园区"),
    ("成都天府智能终端有限公司", "3922", "PRIVATE", "CHN", False, "imported", "gaoxin", "双流园区"),
    ("成都蓉光传感技术有限公司", "3983", "PRIVATE", "CHN", False, "", "gaoxin", "高新西园区"),
    ("成都西城电子电路有限公司", "3982", "PRIVATE", "CHN", False, "imported", "gaoxin", "高新西园区"),
    ("成都锦程智能穿戴设备有限公司", "3961", "PRIVATE", "CHN", False, "imported", "gaoxin", "双流园区"),
    ("成都科睿计算机维修服务有限公司", "81", "PRIVATE", "CHN", False, "", "gaoxin", "高新西园区"),
    ("四川川投电子信息有限公司", "3979", "SOE", "CHN", False, "", "gaoxin", "高新西园区"),
    ("成都高新综保区国际物流有限公司", "59", "SOE", "CHN", False, "", "gaoxin", "双流园区"),
    ("成都立新服饰有限公司", "1819", "HMT_JV", "HKG", False, "inbound", "gaoxin", "双流园区"),
    ("成都博远检测技术有限公司", "74", "PRIVATE", "CHN", False, "", "gaoxin", "高新西园区"),
    ("德川精密仪器（成都）有限公司", "40", "WFOE", "DEU", False, "imported", "gaoxin", "高新西园区"),
    ("蓉欧供应链管理（成都）有限公司", "58", "SOE", "CHN", False, "", "railport", None),
    ("成都铁路港冷链物流有限公司", "59", "SOE", "CHN", False, "", "railport", None),
    ("欧亚汽车零部件（成都）有限公司", "36", "WFOE", "DEU", True, "imported", "railport", None),
    ("成都汇通跨境电子商务有限公司", "52", "PRIVATE", "CHN", False, "", "railport", None),
    ("成都中欧班列酒业贸易有限公司", "51", "PRIVATE", "CHN", False, "", "railport", None),
    ("新亚进口食品（成都）有限公司", "1391", "HMT_SOLE", "SGP", False, "imported", "railport", None),
    ("成都益康乳业有限公司", "1441", "EJV", "DEU", False, "imported", "railport", None),
    ("成都金桥保税维修有限公司", "43", "HMT_SOLE", "HKG", False, "", "railport", None),
    ("绵阳长虹智能显示有限公司", "3951", "SOE", "CHN", False, "imported", "mianyang", None),
    ("绵阳九洲通信设备有限公司", "3921", "SOE", "CHN", False, "imported", "mianyang", None),
    ("绵阳科博电子元件有限公司", "3981", "PRIVATE", "CHN", False, "imported", "mianyang", None),
    ("绵阳韩泰电子（绵阳）有限公司", "3982", "WFOE", "KOR", False, "imported", "mianyang", None),
    ("绵阳新川磁材有限公司", "3985", "EJV", "JPN", False, "imported", "mianyang", None),
    ("绵阳雅锦服饰有限公司", "1829", "HMT_JV", "TWN", False, "inbound", "mianyang", None),
    ("绵阳瑞丰饲料科技有限公司", "1329", "PRIVATE", "CHN", False, "", "mianyang", None),
    ("绵阳综保区物流服务有限公司", "59", "SOE", "CHN", False, "", "mianyang", None),
    ("泸州酒业进出口有限公司", "15", "SOE", "CHN", False, "", "luzhou", None),
    ("泸州川达机械设备有限公司", "34", "PRIVATE", "CHN", False, "imported", "luzhou", None),
    ("泸州港华电子有限公司", "3982", "HMT_SOLE", "HKG", False, "imported", "luzhou", None),
    ("泸州嘉禾食品有限公司", "1462", "PRIVATE", "CHN", False, "", "luzhou", None),
    ("泸州凯瑞服装有限公司", "1830", "HMT_JV", "TWN", False, "inbound", "luzhou", None),
    ("宜宾智能终端产业有限公司", "3922", "SOE", "CHN", False, "imported", "yibin", None),
    ("宜宾锂源新材料有限公司", "3985", "EJV", "KOR", False, "imported", "yibin", None),
    ("宜宾华盛电子有限公司", "3981", "HMT_SOLE", "TWN", False, "imported", "yibin", None),
    ("宜宾融创纺织服装有限公司", "1819", "PRIVATE", "CHN", False, "inbound", "yibin", None),
    ("宜宾临港国际物流有限公司", "59", "SOE", "CHN", False, "", "yibin", None),
    ("成都空港保税仓储有限公司", "59", "SOE", "CHN", False, "", "bsite", None),
    ("成都航港国际货运代理有限公司", "58", "PRIVATE", "CHN", False, "", "bsite", None),
    ("新加坡物流（成都）有限公司", "59", "WFOE", "SGP", True, "", "bsite", None),
    ("成都经开区汽车电子有限公司", "3962", "EJV", "JPN", True, "", "etdz", None),
    ("成都龙泉汽车制造有限公司", "36", "EJV", "DEU", True, "", "etdz", None),
    ("成都川味食品有限公司", "1431", "PRIVATE", "CHN", False, "", "etdz", None),
    ("成都高新软件服务有限公司", "65", "PRIVATE", "CHN", False, "", "htz", None),
    ("成都云端信息技术有限公司", "64", "PRIVATE", "CHN", False, "", "htz", None),
    ("成都美创生物科技有限公司", "27", "WFOE", "USA", False, "", "htz", None),
    ("广汉三星堆食品有限公司", "1399", "PRIVATE", "CHN", False, "", "guanghan", None),
    ("广汉精工机械有限公司", "34", "COLLECTIVE", "CHN", False, "", "guanghan", None),
]

# Structure of the 10-character customs registration code, approximated: 4-digit city + zone-type digit +
# enterprise-type digit + 4-digit serial.
ZONE_TYPE_DIGIT = {"FTZ": "6", "EPZ": "5", "BONDED_SITE": "7", "ETDZ": "2", "HTZ": "3", "PROVINCIAL": "9"}
OWNER_DIGIT = {
    "SOE": "1",
    "CJV": "2",
    "EJV": "3",
    "WFOE": "4",
    "COLLECTIVE": "5",
    "PRIVATE": "6",
    "HMT_SOLE": "4",
    "HMT_JV": "3",
    "OTHER": "9",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
]
POSITIONS = ["总经理", "关务经理", "财务经理", "物流主管", "行政经理"]


def org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its check character."""
    body = [rng.randrange(10) for _ in range(8)]
    total = sum(d * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    c = 11 - total % 11
    check = "X" if c == 10 else "0" if c == 11 else str(c)
    return "".join(map(str, body)) + check


def load(stdout) -> None:
    """The registry part of the demo (after the accounts demo's administrator): code tables,
    zones, parks, enterprises and contacts (users and units: ``zonebook.accounts.demo``).  Skips everything when the demo zones exist."""
    if demo_started():
        return
    stats = Loader().run()
    stdout.write("Demo province loaded: " + ", ".join(f"{v} {k}" for k, v in stats.items()))


def acting_admin():
    """The system administrator the demo acts as (created first by the accounts demo, which the demo
    runner runs before every loader); the registry knows users only as Django's user model."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        raise CommandError(
            "the demo administrator is missing: run the accounts demo first (manage.py load_demo)"
        )
    return admin


def demo_started() -> bool:
    """The registry part of the demo is in the database (its zones were created by the demo loader)."""
    from zonebook.audit.models import AuditEntry

    return AuditEntry.objects.filter(code="registry.zone.created", source="demo").exists()


def holds_data() -> bool:
    """The database holds zones (the demo is loaded only into an empty database)."""
    from .models import Zone

    return Zone.objects.exists()


class Loader:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.stats = {"zones": 0, "parks": 0, "enterprises": 0, "contacts": 0}

    def run(self) -> dict:
        from zonebook.registry.management.commands.load_codes import load_code_tables
        from zonebook.registry.models import Code, CodeTable

        if not Code.objects.filter(table__key="zone_type").exists():
            load_code_tables(CodeTable, Code)
        self.codes = {
            (t, c): obj
            for t, c, obj in ((o.table.key, o.code, o) for o in Code.objects.select_related("table"))
        }
        self.admin = acting_admin()
        self._zones()
        self._enterprises()
        return self.stats

    def code(self, table: str, value: str | None):
        if not value:
            return None
        try:
            return self.codes[(table, value)]
        except KeyError:
            raise CommandError(
                f"code {value} is missing from code table {table}; run manage.py load_codes"
            ) from None

    def _zones(self):
        from zonebook.registry import services

        self.zones = {}
        for (
            key,
            name,
            short,
            kind,
            level,
            city,
            planned,
            fenced,
            office,
            approved,
            doc,
            accepted,
            converted,
            _ev,
        ) in ZONES:
            self.zones[key] = services.create_zone(
                {
                    "name": name,
                    "short_name": short,
                    "kind": self.code("zone_type", kind),
                    "level": level,
                    "province_code": PROVINCE,
                    "city_code": city,
                    "planned_area_km2": Decimal(planned),
                    "fenced_area_km2": Decimal(fenced) if fenced else None,
                    "approval_doc": doc,
                    "approval_date": approved,
                    "acceptance_date": accepted,
                    "customs_office": self.code("customs_office", office),
                    "is_converted": converted,
                    "boundaries": EPZ_SOUTH_BOUNDS if key == "epz" else "",
                },
                by=self.admin,
            )
            self.stats["zones"] += 1
        self.parks = {}
        for key, parks in PARKS.items():
            for pname, area, address, bounds in parks:
                self.parks[(key, pname)] = services.create_park(
                    self.zones[key],
                    {"name": pname, "area_km2": Decimal(area), "address": address, "boundaries": bounds},
                    by=self.admin,
                )
                self.stats["parks"] += 1
        for key, *_rest, events in ZONES:
            for event, date, note in events:
                successor = self.zones["gaoxin"] if event == "integrated" else None
                services.add_zone_status_event(
                    self.zones[key], event=event, date=date, note=note, successor=successor, by=self.admin
                )

    def _enterprises(self):
        from zonebook.registry import calc, services

        rng = self.rng
        serial = 0
        self.enterprises = {}
        for name, industry, owner, country, f500, mode, zone_key, park in ENTERPRISES:
            serial += 1
            zone = self.zones[zone_key]
            approved = zone.approval_date or D(2005, 1, 1)
            established = approved + dt.timedelta(
                days=rng.randrange(60, max(61, (D(2024, 6, 30) - approved).days))
            )
            foreign = owner not in {"SOE", "PRIVATE", "COLLECTIVE"}
            capital = Decimal(rng.choice([500, 1000, 2000, 3000, 5000, 8000, 10000, 30000]) * 10000).quantize(
                Decimal("0.01")
            )
            credit = rng.choices(["AEO_ADV", "GENERAL", "DISHONEST"], weights=[30, 68, 2])[0]
            if f500:
                credit = "AEO_ADV"
            customs_code = (
                f"{zone.city_code[:4]}{ZONE_TYPE_DIGIT[zone.kind.code]}{OWNER_DIGIT[owner]}{serial:04d}"
            )
            ent = services.create_enterprise(
                {
                    "name": name,
                    "uscc": calc.make_uscc("9", "1", zone.city_code, org_code(rng)),
                    "customs_code": customs_code,
                    "zone": zone,
                    "park": self.parks.get((zone_key, park)) if park else None,
                    "industry": self.code("industry", industry),
                    "ownership": self.code("ownership", owner),
                    "investor_country": self.code("country", country),
                    "fortune500": f500,
                    "credit_class": self.code("credit_class", credit),
                    "processing_trade": bool(mode),
                    "processing_mode": mode,
                    "registered_capital": capital,
                    "capital_currency": self.code("currency", "USD" if foreign else "CNY"),
                    "address": f"{zone.short_name}{park or ''}{rng.randrange(1, 300)}号",
                    "established": established,
                },
                by=self.admin,
            )
            self.enterprises[name] = ent
            self.stats["enterprises"] += 1
            self._history(ent, established)
            self._contacts(ent)

    def _history(self, ent, established):
        from zonebook.registry import services

        rng = self.rng
        services.change_enterprise_status(
            ent, status="preparing", date=established, note="设立登记", by=self.admin
        )
        fate = rng.random()
        if fate < 0.05:
            return  # still being set up
        start = established + dt.timedelta(days=rng.randrange(90, 400))
        services.change_enterprise_status(ent, status="operating", date=start, note="投产", by=self.admin)
        if fate > 0.95:
            stop = start + dt.timedelta(days=rng.randrange(400, 1500))
            services.change_enterprise_status(
                ent, status="suspended", date=stop, note="订单不足停产", by=self.admin
            )
            if fate > 0.98:
                services.change_enterprise_status(
                    ent, status="deregistered", date=stop + dt.timedelta(days=200), note="注销", by=self.admin
                )

    def _contacts(self, ent):
        from zonebook.registry import services

        rng = self.rng
        for i in range(rng.choice([1, 2, 2, 3])):
            services.add_contact(
                ent,
                {
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "position": POSITIONS[1] if i == 0 else rng.choice(POSITIONS),
                    "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                    "is_customs_contact": i == 0,
                },
                by=self.admin,
            )
            self.stats["contacts"] += 1
