"""The accounts part of the demo: the administrator the demo acts as, the demo users of every role and
the units (departments, zone office departments, outside bodies).

``bootstrap_admin`` runs first (the demo runner calls it before any loader: the registry's demo acts
as that administrator); ``load`` runs after the registry's demo (``demo_order`` 5), because users and
units point at its zones and enterprises.  Fixed names and passwords: ``manage.py print_demo_logins``.
"""

from __future__ import annotations

PROVINCE = "510000"

# username, password, role, scope kind, scope key, user administrator, display name
DEMO_USERS = [
    ("admin", "Zonebook-Sys-2026!", "system_admin", "all", "", True, "系统管理员"),
    ("sichuan", "Shu-Province-2026", "province_commerce", "province", PROVINCE, True, "省商务厅 王明"),
    ("chengdu", "Rong-City-2026!", "city_commerce", "city", "510100", True, "成都市商务局 李华"),
    ("mianyang", "Mian-City-2026!", "city_commerce", "city", "510700", False, "绵阳市商务局 张伟"),
    (
        "gaoxin_staff",
        "Gx-Office-2026!",
        "zone_staff",
        "zone",
        "成都高新综合保税区",
        False,
        "高新综保区管委会 刘洋",
    ),
    (
        "gaoxin_leader",
        "Gx-Leader-2026!",
        "zone_leader",
        "zone",
        "成都高新综合保税区",
        True,
        "高新综保区管委会 陈静",
    ),
    (
        "mianyang_zone",
        "My-Office-2026!",
        "zone_staff",
        "zone",
        "绵阳综合保税区",
        False,
        "绵阳综保区管委会 杨帆",
    ),
    (
        "ent_xinhui",
        "Xh-Company-2026!",
        "enterprise",
        "enterprise",
        "芯汇微电子（成都）有限公司",
        False,
        "芯汇微电子 赵敏",
    ),
    (
        "ent_rongou",
        "Ro-Company-2026!",
        "enterprise",
        "enterprise",
        "蓉欧供应链管理（成都）有限公司",
        False,
        "蓉欧供应链 孙磊",
    ),
    (
        "customs_gaoxin",
        "Cu-Liaison-2026!",
        "customs_liaison",
        "zone",
        "成都高新综合保税区",
        False,
        "成都高新综保区海关 周强",
    ),
]


def bootstrap_admin(stdout=None):
    """The first system administrator cannot be created by another administrator: write it directly."""
    from zonebook.accounts.models import User
    from zonebook.audit import services as audit

    username, password, role, scope, _key, manage, name = DEMO_USERS[0]
    admin = User.objects.filter(username=username).first()
    if admin is None:
        admin = User(
            username=username,
            role=role,
            scope_level=scope,
            is_staff=True,
            is_superuser=True,
            can_manage_users=manage,
            must_change_password=False,
            first_name=name,
        )
        admin.set_password(password)
        admin.save()
        audit.record(
            admin, code="accounts.user.created", action="create", changes={"username": [None, username]}
        )
    return admin


def load(stdout) -> None:
    """Demo users of every role and the units; skips users and units that exist."""
    from zonebook.accounts import demo_units, services
    from zonebook.accounts.models import Unit, User
    from zonebook.registry.models import Enterprise, Zone

    admin = bootstrap_admin()
    zones = list(Zone.objects.order_by("pk"))
    created = 0
    for username, password, role, scope, key, manage, display in DEMO_USERS[1:]:
        if User.objects.filter(username=username).exists():
            continue
        data = {
            "username": username,
            "role": role,
            "first_name": display,
            "can_manage_users": manage,
            "is_active": True,
        }
        if scope == "province":
            data["province_code"] = key
        elif scope == "city":
            data["city_code"] = key
        elif scope == "zone":
            data["zone"] = next(z for z in zones if z.name == key)
        elif scope == "enterprise":
            data["enterprise"] = Enterprise.objects.get(name=key)
        services.create_user(data, password=password, by=admin, must_change_password=False)
        created += 1
    units = 0
    if not Unit.objects.exists():
        units = demo_units.load(by=admin, zones=zones)
    stdout.write(f"Demo users and units: {created} users, {units} units")


def present() -> bool:
    from zonebook.accounts.models import User

    return User.objects.filter(username=DEMO_USERS[-1][0]).exists()
