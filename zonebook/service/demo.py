"""Demo data of the enterprise-service app (``registration.demo``), loaded after the registry demo:
the responsibility table of every zone, liaisons for every demo enterprise, a year of visits and
requests with realistic categories — most closed, some open, a few overdue and escalated.

Everything is written through the services (so the audit log and the SLA clocks are real), at
past moments.  Idempotent: each part is skipped when its rows exist already."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from zonebook.accounts import units as org
from zonebook.accounts.choices import MemberRole
from zonebook.accounts.models import Unit, UnitMembership, User
from zonebook.registry.models import Enterprise

from . import services
from .models import Category, Liaison, Responsibility, ServiceRequest, Visit

SEED = 20261205
# category code → department name in the zone office (else the first unit of that kind above the zone)
RESPONSIBLE = {
    "POL": ["企业服务局"], "CUS": ["@customs", "经济发展局"], "TAX": ["@tax", "经济发展局"], "LAB": ["企业服务局"],
    "LOG": ["经济发展局"], "UTL": ["规划建设局"], "FIN": ["经济发展局"], "LND": ["规划建设局"], "APR": ["综合办公室"],
    "OTH": ["企业服务局"],
}
PROBLEMS = {
    "POL-SUB": ["加工贸易梯度转移奖补资金申报咨询", "外贸稳增长资金何时拨付"],
    "POL-TAX": ["研发费用加计扣除政策适用范围"],
    "CUS-CLR": ["报关单修改流程时间较长", "进口料件通关时效不稳定"],
    "CUS-INS": ["查验等待时间长，影响交货", "检疫处理排队"],
    "CUS-BK": ["电子账册核销数据差异需协调", "单耗备案变更审核进度"],
    "TAX-REF": ["出口退税到账慢"], "TAX-FX": ["外汇收结汇手续咨询"],
    "LAB-REC": ["旺季普工缺口约200人", "技术工人招聘难"], "LAB-TAL": ["人才公寓申请"],
    "LOG-TRK": ["园区道路货车拥堵", "卡口通行时间长"], "LOG-RAIL": ["中欧班列舱位紧张"],
    "UTL-PWR": ["夏季限电影响生产", "双回路供电改造"], "UTL-WAT": ["供气压力不足"],
    "FIN": ["流动资金贷款贴息咨询"], "LND-FAC": ["扩产需增加标准厂房面积"], "LND-PLN": ["二期用地规划调整"],
    "APR": ["环评批复进度"], "OTH": ["员工通勤公交线路"],
}
TOPICS = ["生产经营情况", "订单与用工", "通关便利化", "政策宣讲", "安全生产检查", "扩产计划", "水电气保障"]


def _units_of_zone(zone):
    return {u.name: u for u in Unit.objects.filter(zone=zone)}


def _kind_unit(zone, kind: str):
    return (
        services.units_for_zone(zone).filter(kind=kind).order_by("-scope_level").first()
    )


def _responsibility(zones, out) -> int:
    if Responsibility.objects.exists():
        return 0
    n = 0
    tops = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    for zone in zones:
        local = _units_of_zone(zone)
        for code, targets in RESPONSIBLE.items():
            for prio, target in enumerate(targets, 1):
                unit = _kind_unit(zone, target[1:]) if target.startswith("@") else local.get(target)
                if unit is not None and not Responsibility.objects.filter(category=tops[code], unit=unit).exists():
                    Responsibility.objects.create(category=tops[code], unit=unit, priority=prio)
                    n += 1
    return n


def _officers(zone):
    staff = list(User.objects.filter(zone=zone, is_active=True, role__in=["zone_staff", "zone_leader"]).order_by("username"))
    if staff:
        return staff
    return list(User.objects.filter(is_active=True, role="city_commerce", city_code=zone.city_code).order_by("username")) or \
        list(User.objects.filter(is_active=True, role="province_commerce", province_code=zone.province_code))


def _liaisons(enterprises, admin, start, out) -> int:
    if Liaison.objects.exists():
        return 0
    n = 0
    for e in enterprises:
        officers = _officers(e.zone)
        leaders = [u for u in officers if u.role in ("zone_leader", "city_commerce", "province_commerce")] or officers
        staff = [u for u in officers if u.role == "zone_staff"] or officers
        seen = set()
        for role, user in (("leader", leaders[0] if leaders else None), ("staff", staff[0] if staff else None)):
            if user is None or user.pk in seen:
                continue
            seen.add(user.pk)
            services.assign_liaison(enterprise=e, officer=user, role=role, valid_from=start, by=admin,
                                    note="定点联系（演示）")
            n += 1
    return n


def _memberships(zones, admin) -> None:
    """The zone's staff also work in the economic-development department (so both can sign demo requests)."""
    for zone in zones:
        econ = Unit.objects.filter(zone=zone, name="经济发展局").first()
        if econ is None:
            continue
        for u in User.objects.filter(zone=zone, role="zone_staff", is_active=True):
            if not UnitMembership.objects.filter(unit=econ, user=u).exists():
                org.add_member(econ, u, by=admin, role_in_unit=MemberRole.MEMBER, title="联络员")


def _moment(day: dt.date, hour: int, rng) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.choice([0, 10, 20, 30, 40, 50]))))


def _handler_for(unit, zone):
    head = org.unit_head(unit)
    if head is not None:
        return head
    m = UnitMembership.objects.filter(unit=unit, user__is_active=True).select_related("user").first()
    return m.user if m else None


def _play(req, rng, now, admin) -> None:
    """Take a request through its life at past moments; ``req.received_at`` is the start."""
    zone = req.zone
    office = services.is_office(req.first_receiver) and req.first_receiver or admin
    age = (now - req.received_at).days
    t = req.received_at + dt.timedelta(hours=2)
    unit = services.propose_unit(req.category, zone)
    handler = _handler_for(unit, zone) if unit is not None else None
    if unit is None or handler is None or rng.random() < 0.12:
        # answered at the counter (policy questions) or left for the office
        if age > 3:
            services.answer_directly(req, result="已当场答复并提供政策文件。", by=office, at=t)
            services.revisit(req, satisfaction=rng.choice(["satisfied", "satisfied", "basically"]), by=office,
                             at=t + dt.timedelta(days=1))
        return
    services.dispatch(req, lead_unit=unit, by=office, at=t)
    late = 12 < age < 45 and rng.random() < 0.4  # a few are left overdue (supervision, escalation)
    if age < 1 or (late and rng.random() < 0.25):
        return  # not signed off yet
    services.sign(req, by=handler, at=t + dt.timedelta(hours=rng.choice([3, 5, 20])))
    if age < 3:
        return
    services.stage_reply(req, text="已与企业联系，正在协调相关部门。", by=handler, at=t + dt.timedelta(days=1, hours=3),
                         next_date=(t + dt.timedelta(days=5)).date())
    if late:
        return  # left open past its deadline (the supervisor's view and the escalations show it)
    if rng.random() < 0.1 and age > 12:
        ext = services.request_extension(req, days=5, reason="需上级部门批复", by=handler, at=t + dt.timedelta(days=4))
        services.decide_extension(ext, approve=True, by=office, at=t + dt.timedelta(days=4, hours=4))
    done = t + dt.timedelta(days=rng.choice([2, 3, 5, 6, 8, 12, 16]))
    if done > now - dt.timedelta(days=1):
        return  # still in progress
    services.submit_result(req, result="经协调已解决，企业确认。", solved=rng.random() < 0.9, by=handler, at=done)
    reviewer = org.unit_head(unit) or next(iter(org.unit_leaders(unit)), None) or office
    services.review_result(req, accept=True, by=reviewer, at=done + dt.timedelta(hours=3))
    r = rng.random()
    sat = "satisfied" if r < 0.8 else "basically" if r < 0.95 else "unsatisfied"
    revisit_at = done + dt.timedelta(days=1)
    if revisit_at > now:
        return
    if sat == "unsatisfied":
        services.revisit(req, satisfaction=sat, attributable=rng.random() < 0.5, reason="企业认为问题未根本解决",
                         by=office, at=revisit_at)
    else:
        services.revisit(req, satisfaction=sat, by=office, at=revisit_at)


def load(stdout=None, *, visits=(2, 6), requests=(2, 4)) -> None:
    """``visits`` / ``requests``: how many per enterprise (random in the range)."""
    now = timezone.now()
    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    rng = random.Random(SEED)
    admin = User.objects.filter(role="system_admin").order_by("pk").first()
    enterprises = list(Enterprise.objects.select_related("zone").order_by("pk"))
    if admin is None or not enterprises:
        return
    zones = sorted({e.zone for e in enterprises}, key=lambda z: z.pk)
    n_resp = _responsibility(zones, stdout)
    _memberships(zones, admin)
    n_liaisons = _liaisons(enterprises, admin, start, stdout)
    cats = {c.code: c for c in Category.objects.all()}
    n_visits = n_requests = 0
    if not Visit.objects.exists():
        for e in enterprises:
            officers = _officers(e.zone)
            if not officers:
                continue
            for _i in range(rng.randint(*visits)):
                day = start + dt.timedelta(days=rng.randint(0, 364))
                problems = []
                if rng.random() < 0.35:
                    code = rng.choice(list(PROBLEMS))
                    problems.append((cats[code], rng.choice(PROBLEMS[code])))
                services.record_visit(
                    date=day, kind=rng.choice(["visit", "visit", "visit", "patrol", "call"]),
                    officers=officers[: rng.randint(1, min(2, len(officers)))], enterprises=[e],
                    topics="、".join(rng.sample(TOPICS, 2)), findings="企业生产经营总体平稳。", problems=problems,
                    by=officers[0],
                )
                n_visits += 1
    if not ServiceRequest.objects.filter(visit__isnull=True).exists():
        for e in enterprises:
            officers = _officers(e.zone)
            if not officers:
                continue
            for i in range(rng.randint(*requests)):
                code = rng.choice(list(PROBLEMS))
                # each enterprise's first request came in the last three days: still being handled
                day = today - dt.timedelta(days=rng.randint(0, 2)) if i == 0 else start + dt.timedelta(days=rng.randint(0, 364))
                title = rng.choice(PROBLEMS[code])
                services.receive(enterprise=e, category=cats[code], title=title,
                                 description=f"{e.name}反映：{title}，请协调解决。",
                                 channel=rng.choice(["liaison", "counter", "phone"]), by=officers[0],
                                 at=_moment(day, rng.choice([9, 10, 14, 15]), rng))
                n_requests += 1
        for req in ServiceRequest.objects.filter(status="received").select_related("zone", "category", "first_receiver").order_by("received_at"):
            _play(req, rng, now, admin)
    n_reports = _daily_report(zones, admin, rng, now)
    _meetings(zones, admin)
    _tiers(enterprises, admin, rng)
    # escalate what is overdue now (the scheduled run would do this every few minutes)
    from zonebook.sla.services import run_escalations

    fired = run_escalations(now)
    if stdout is not None:
        stdout.write(
            f"Service demo: {n_resp} responsibility rows, {n_liaisons} liaisons, {n_visits} visits, "
            f"{n_requests} requests (+ problems raised on visits), {fired.get('fired', 0)} escalations, "
            f"{n_reports} daily operation reports"
        )



NEEDS = ["缺少普工约50人", "原材料到港延迟", "物流运力紧张，需协调货车通行证", "流动资金紧张", "部分设备受损待检修", ""]


def _daily_report(zones, admin, rng, now) -> int:
    """A three-week emergency daily report (每日运行情况表) of the first zone with enterprises, ending
    today: most enterprises report before 16:00, some late, a few miss a day; its 简报 is compiled from
    the campaign page."""
    from . import monitoring
    from .models import Campaign
    from .supervision import _office_name

    if Campaign.objects.exists():
        return 0
    zone = next((z for z in zones if Enterprise.objects.filter(zone=z).count() >= 2), None)
    if zone is None:
        return 0
    ents = list(Enterprise.objects.filter(zone=zone).order_by("name"))
    today = timezone.localdate()
    start = today - dt.timedelta(days=20)
    office = _office_name(zone)
    campaign = monitoring.open_campaign(title="重点企业每日运行情况", zone=zone, enterprises=ents, start_date=start,
                                        end_date=today + dt.timedelta(days=9), by=admin, office=office)
    n = 0
    base = {e.pk: (rng.randint(80, 900), Decimal(rng.randint(50, 2000))) for e in ents}
    for i in range(21):
        day = start + dt.timedelta(days=i)
        recovery = Decimal(min(100, 40 + i * 3)) / 100  # output recovers over the three weeks
        for e in ents:
            if day == today and rng.random() < 0.4:
                continue  # today's reports are still coming in
            if rng.random() < 0.05:
                continue  # missed a day
            staff, output = base[e.pk]
            stopped = i < 3 and rng.random() < 0.3
            state = "stopped" if stopped else ("partial" if recovery < Decimal("0.8") else "normal")
            present = 0 if stopped else int(staff * min(Decimal(1), recovery + Decimal(rng.randint(-5, 5)) / 100))
            hour = 17 if rng.random() < 0.08 else rng.choice([9, 10, 11, 14, 15])
            data = {"state": state, "staff_expected": staff, "staff_present": min(present, staff),
                    "output_value": (output * recovery).quantize(Decimal("0.01")) if not stopped else Decimal(0),
                    "imports_usd": Decimal(rng.randint(0, 80)), "exports_usd": Decimal(rng.randint(0, 120)),
                    "damage": "厂房局部受损" if i < 2 and rng.random() < 0.3 else "", "needs": rng.choice(NEEDS)}
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59))))
            if at > now:
                continue
            monitoring.submit_report(campaign, e, day, data, by=admin, at=at)
            n += 1
    return n


def _tiers(enterprises, admin, rng) -> None:
    """Without the statistics module, a few key enterprises are set by hand (with the reason)."""
    from . import monitoring
    from .models import EnterpriseTier, TierRule

    if EnterpriseTier.objects.exists():
        return
    rules = list(TierRule.objects.order_by("-min_trade_usd"))
    if not rules:
        return
    for e in enterprises[:: max(1, len(enterprises) // 12)]:
        monitoring.set_tier(e, rng.choice(rules), note="按上年进出口额认定（手工录入）", by=admin,
                            on=timezone.localdate().replace(month=1, day=1))


def _meetings(zones, admin) -> None:
    """A joint meeting (联席会议) with customs, tax and foreign exchange in each zone with an office."""
    from .models import JointMeeting

    if JointMeeting.objects.exists():
        return
    today = timezone.localdate()
    for zone in zones:
        units = list(services.units_for_zone(zone).filter(kind__in=["customs", "tax", "foreign_exchange", "zone_dept"]))
        lead = next((u for u in units if u.name == "企业服务局"), None)
        customs = next((u for u in units if u.kind == "customs"), None)
        if lead is None or customs is None:
            continue
        services.record_meeting(
            zone=zone, date=today - dt.timedelta(days=14), title="海关、税务、外汇联席会议（第四季度）", units=units,
            minutes="通报区内企业运行情况，研究通关查验、出口退税和外汇结算中企业反映的问题。",
            decisions=[("开通重点企业查验绿色通道", customs, today + dt.timedelta(days=3)),
                       ("汇总企业用工需求并组织专场招聘", lead, today - dt.timedelta(days=2)),
                       ("梳理出口退税到账慢的企业清单", lead, today + dt.timedelta(days=10))],
            by=admin,
        )
