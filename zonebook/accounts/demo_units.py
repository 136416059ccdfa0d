"""Demo units of the demo province (510000): the provincial commerce department and its divisions,
the city bureaus, every demo zone office with its departments, and the outside bodies that receive
tasks.  Called by ``core``'s demo loader in one separate block; written through ``accounts.units``
so the audit log shows them.  Heads and members are the demo users where one fits."""

from __future__ import annotations

from .choices import MemberRole, UnitKind
from .models import Unit, User
from .units import add_member, create_unit

PROVINCE = "510000"
DIVISIONS = ["办公室", "自贸区建设处", "开发区处", "对外贸易处", "外国投资管理处"]
ZONE_DEPARTMENTS = ["综合办公室", "经济发展局", "企业服务局", "规划建设局"]
PROVINCE_BODIES = [
    ("国家外汇管理局四川省分局", "四川外汇局", UnitKind.FOREIGN_EXCHANGE),
    ("国家税务总局四川省税务局", "四川省税务局", UnitKind.TAX),
    ("四川省市场监督管理局", "省市场监管局", UnitKind.OTHER_BODY),
]
CITY_BUREAUS = [("510100", "成都市商务局", "chengdu"), ("510700", "绵阳市商务局", "mianyang")]
SKIP_ZONES = {"四川成都出口加工区"}  # integrated into 成都高新综合保税区: no office of its own


def load(*, by: User, zones) -> int:
    """Create the demo units (skipping what exists); returns how many were created."""
    if Unit.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    count = 0

    def unit(data, head=None):
        nonlocal count
        count += 1
        return create_unit({**data, "head": users.get(head) if head else None}, by=by)

    dept = unit(
        {
            "name": "四川省商务厅",
            "short_name": "省商务厅",
            "kind": UnitKind.COMMERCE_DEPT,
            "province_code": PROVINCE,
        },
        "sichuan",
    )
    for name in DIVISIONS:
        div = unit({"name": name, "kind": UnitKind.DIVISION, "parent": dept})
        if name == "自贸区建设处" and "sichuan" in users:
            add_member(div, users["sichuan"], by=by, role_in_unit=MemberRole.LEADER, title="分管副厅长")
    for name, short, kind in PROVINCE_BODIES:
        unit({"name": name, "short_name": short, "kind": kind, "province_code": PROVINCE})
    for city, name, head in CITY_BUREAUS:
        bureau = unit({"name": name, "kind": UnitKind.COMMERCE_DEPT, "city_code": city}, head)
        unit({"name": "开发区发展处", "kind": UnitKind.DIVISION, "parent": bureau})
    unit({"name": "成都海关", "kind": UnitKind.CUSTOMS, "city_code": "510100"})
    for zone in zones:
        if zone.name in SKIP_ZONES:
            continue
        staff = list(
            User.objects.filter(zone=zone, is_active=True).exclude(role="machine_client").order_by("username")
        )
        leader = next((u for u in staff if u.role == "zone_leader"), None)
        office = unit(
            {"name": f"{zone.short_name or zone.name}管委会", "kind": UnitKind.ZONE_OFFICE, "zone": zone},
            leader.username if leader else None,
        )
        for name in ZONE_DEPARTMENTS:
            department = unit({"name": name, "kind": UnitKind.ZONE_DEPT, "parent": office})
            if name == "企业服务局":
                for u in staff:
                    if u.role == "zone_staff":
                        add_member(department, u, by=by, role_in_unit=MemberRole.HEAD, title="局长")
        customs = next((u for u in staff if u.role == "customs_liaison"), None)
        if zone.kind.code == "FTZ":
            body = unit({"name": f"{zone.name}海关", "kind": UnitKind.CUSTOMS, "zone": zone})
            if customs:
                add_member(body, customs, by=by, role_in_unit=MemberRole.LIAISON, title="联络员")
    gaoxin = next((z for z in zones if z.name == "成都高新综合保税区"), None)
    if gaoxin is not None:
        # a gate system's token (its secret is not kept: an administrator issues a new one to connect)
        from .tokens import issue_token

        issue_token(name="高新综保区卡口系统", zone=gaoxin, areas=["ops"], by=by)
    return count
