"""Demo data of zone operations: a year of business applications in the proportions of the seed's
2008 figures (基建物资进区 3,500 · 设备退运 708 · 电子账册备案 230 · 废弃包装物出区 370 · 退运 780 · 内销 60
· 结转 10, scaled down), a month of gate traffic with a few weight exceptions, and the zone's rule lists
(004_*: 环保负面清单, 安全生产责任清单).  Everything through the services (audited); skips what exists."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

SH = ZoneInfo("Asia/Shanghai")
ZONE = "成都高新综合保税区"
SCALE = 40  # one demo application per 40 of the 2008 figures
GATE_DAYS = 30  # a month of gate traffic
SEED_2008 = [("infra_material", 3500), ("equipment_return", 708), ("book_filing", 230), ("packaging_waste", 370),
             ("return", 780), ("domestic_sale", 60), ("carry_over", 10)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _data_for(version, enterprise, rnd, day):
    from zonebook.ledger.models import Book

    book = Book.objects.filter(enterprise=enterprise).order_by("number").first()
    data = {}
    for f in version.fields:
        k, name = f["kind"], f["name"]
        if k == "text":
            data[name] = {"vehicle": f"川A{rnd.randint(10000, 99999)}", "reason": "设备故障，退运原厂维修",
                          "disposal": "成都市危废处置中心", "counterparty": "成都检测技术有限公司",
                          "venue": "成都世纪城新国际会展中心", "industry": "3973", "process": "封装测试",
                          "project": "集成电路封装测试扩产"}.get(name, "见附件")
        elif k == "number":
            data[name] = {"seq_no": "1", "qty": "10"}.get(name, str(rnd.randint(1, 500)))
        elif k == "date":
            data[name] = day.isoformat()
        elif k == "choice":
            data[name] = f["choices"][0]
        elif k == "book" and book:
            data[name] = book.pk
    return data


def _lines(rnd):
    return [{"hs_code": "72163100", "name": "H型钢", "qty": str(rnd.randint(5, 40)), "unit": "吨",
             "value": str(rnd.randint(20, 200) * 1000)}]


def load(stdout=None) -> None:
    from zonebook.accounts.models import User
    from zonebook.registry.models import Enterprise, Zone

    from . import calc, gate, rules, services
    from .models import Application, ApplicationType, GatePass, NegativeListRule, ResponsibilityEntry

    zone = Zone.objects.filter(name=ZONE).first()
    staff = User.objects.filter(username="gaoxin_staff").first()
    leader = User.objects.filter(username="gaoxin_leader").first()
    if zone is None or staff is None or leader is None:
        if stdout:
            stdout.write("operations demo: the zone or its staff are missing, skipped")
        return
    enterprises = list(Enterprise.objects.filter(zone=zone).order_by("name"))
    rnd = random.Random(20081231)

    # --- rule lists
    if not NegativeListRule.objects.filter(zone=zone).exists():
        src = "成都高新综合保税区环境保护负面清单（2024年版）"
        for kind, pattern, text in [
            ("industry", "2611", "电镀及含电镀工序的项目不予入区"),
            ("industry", "2511", "原油加工及石油制品制造不予入区"),
            ("hs", "2903", "卤化烃类危险化学品加工不予入区"),
            ("process", "酸洗", "含酸洗磷化工艺的项目不予入区"),
        ]:
            rules.add_negative_rule(zone=zone, kind=kind, pattern=pattern, description=text, source=src, by=leader)
    if not ResponsibilityEntry.objects.filter(zone=zone).exists():
        for i, (unit, position, person, duty) in enumerate([
            ("管委会", "主任", leader, "对园区安全生产工作负总责"),
            ("企业服务处", "处长", staff, "负责区内企业安全生产日常监督检查和隐患整改督办"),
            ("卡口管理科", "科长", None, "负责卡口车辆通行、危险货物进出区安全管理"),
            ("区内企业", "法定代表人", None, "落实企业安全生产主体责任"),
        ]):
            rules.add_responsibility(zone=zone, unit_name=unit, position=position, person=person,
                                     person_name=person.get_full_name() if person else "", duty=duty, by=leader,
                                     order=i)

    # --- a year of applications (skipped when there are any)
    if not Application.objects.filter(zone=zone).exists() and enterprises:
        year = timezone.localdate().year - 1
        made = 0
        for code, n2008 in SEED_2008:
            app_type = ApplicationType.objects.filter(code=code).first()
            if app_type is None:
                continue
            for i in range(max(1, round(n2008 / SCALE))):
                ent = enterprises[(i + made) % len(enterprises)]
                day = dt.date(year, 1, 2) + dt.timedelta(days=rnd.randint(0, 355))
                at = dt.datetime.combine(day, dt.time(9 + rnd.randint(0, 6), rnd.randint(0, 59)), tzinfo=SH)
                version = app_type.current
                app = services.create_application(app_type=app_type, enterprise=ent, data=_data_for(version, ent, rnd, day),
                                                  lines=_lines(rnd), by=staff, subject=f"{app_type.name} {ent.name[:12]}")
                _attach_required(app, staff)
                try:
                    if code == "carry_over":
                        _link_carryover(app, staff)
                    services.submit(app, by=staff, at=at)
                except Exception:  # noqa: BLE001 - a demo enterprise without the ledger object stays a draft
                    continue
                _handle(app, staff, leader, at, rnd)
                made += 1
        made += _open_work(enterprises, staff, rnd)
        if stdout:
            stdout.write(f"operations demo: {made} applications")

    # --- the container register (集装箱备案): valid ISO 6346 numbers with their check digit
    from .models import Container

    boxes = list(Container.objects.filter(zone=zone).order_by("number"))
    if not boxes:
        for prefix, serial, size, tare, owner in (("CSQU", "305438", "40HQ", 3800, "中远海运集装箱运输有限公司"),
                                                  ("MSKU", "123456", "40GP", 3700, "马士基（中国）航运有限公司"),
                                                  ("TGHU", "123456", "20GP", 2200, "中远海运集装箱运输有限公司"),
                                                  ("CMAU", "765432", "45HQ", 4800, "达飞轮船（中国）有限公司")):
            number = f"{prefix}{serial}{calc.container_check_digit(prefix + serial)}"
            boxes.append(gate.add_container(zone=zone, number=number, size_type=size, tare_weight=tare, owner=owner,
                                            by=staff))

    # --- a month of gate traffic
    if not GatePass.objects.filter(zone=zone).exists() and enterprises:
        from .models import WeightTolerance

        WeightTolerance.objects.get_or_create(zone=zone, goods_kind="general", defaults={"pct": Decimal("1")})
        vehicles = []
        for i in range(8):
            vehicles.append(gate.add_vehicle(zone=zone, plate=f"川A{61000 + i}", tare_weight=15000, frame_weight=7000,
                                             owner="成都综保物流运输有限公司", by=staff,
                                             enterprise=enterprises[i % len(enterprises)]))
        today = timezone.localdate()
        n = 0
        for d in range(GATE_DAYS, -1, -1):
            day = today - dt.timedelta(days=d)
            for k in range(rnd.randint(5, 10)):
                v = vehicles[rnd.randrange(len(vehicles))]
                ent = v.enterprise
                direction = "I" if k % 2 == 0 else "E"
                number = f"Z{day:%Y%m%d}{k:03d}{zone.pk:03d}"
                note = gate.add_stock_note(enterprise=ent, number=f"RK{day:%Y%m%d}{k:03d}{zone.pk:03d}",
                                           direction=direction, by=staff,
                                           lines=[{"name": "集成电路", "hs_code": "8542319000", "qty": "100",
                                                   "unit": "个", "gross_weight": "2000"}])
                empty = k == 5
                gp = gate.create_pass(
                    zone=zone, number=number, direction=direction, pass_type="6" if empty else "3", vehicle=v, by=staff,
                    enterprise=ent, goods_weight=0 if empty else 2000,
                    container=boxes[(k + d) % len(boxes)] if k in (1, 3) and boxes else None,
                    documents=[] if empty else [{"kind": "2", "number": note.number}],
                    lines=[] if empty else [{"document": 0, "related_seq": 1, "qty": "100", "name": "集成电路",
                                             "unit": "个"}],
                )
                if d == 0 and k > 8:
                    continue  # a few passes still waiting to be approved today
                gate.approve_pass(gp, by=staff)
                at = dt.datetime.combine(day, dt.time(7 + k, rnd.randint(0, 59)), tzinfo=SH)
                if at > timezone.now():
                    continue  # approved, not yet at the gate
                heavy = rnd.random() < 0.02
                weight = gp.total_weight * (Decimal("1.03") if heavy else Decimal("1.002"))
                out = gate.record_event(zone=zone, event_id=f"demo-{number}", pass_number=number, gate_id=f"G{1 + k % 2}",
                                        direction=direction, at=at, weight=weight.quantize(Decimal("1")), by=staff)
                if out.exceptions and d > 1:
                    gate.decide(out.exceptions[0], release=True, reason="复磅后确认，集装箱自重误差", by=staff)
                n += 1
        n += _gate_cases(zone, vehicles, staff, today)
        n += _two_gates(zone, vehicles, staff)
        if stdout:
            stdout.write(f"operations demo: {n} gate events")

    # --- flows: one paired 区内流转, one unpaired 区间流转, an entry batch half released
    from .models import EntryBatch, FlowDeclaration

    if not FlowDeclaration.objects.filter(zone=zone).exists() and len(enterprises) >= 2:
        from . import flows

        today = timezone.localdate()
        other_zone = Zone.objects.exclude(pk=zone.pk).filter(province_code=zone.province_code).first() or zone
        a, b = enterprises[0], enterprises[1]
        flows.declare(side="E", enterprise=a, list_number=f"QD{today:%Y}E0001", counterpart_list=f"QD{today:%Y}I0001",
                      counterpart_zone=zone, hs_code="8542319000", qty="5000", unit="个",
                      declared_on=today - dt.timedelta(days=9), by=staff)
        flows.declare(side="I", enterprise=b, list_number=f"QD{today:%Y}I0001", counterpart_list=f"QD{today:%Y}E0001",
                      counterpart_zone=zone, hs_code="8542319000", qty="5000", unit="个",
                      declared_on=today - dt.timedelta(days=8), by=staff)
        flows.declare(side="E", enterprise=a, list_number=f"QJ{today:%Y}E0002", counterpart_list=f"QJ{today:%Y}I0002",
                      counterpart_zone=other_zone, hs_code="8473309000", qty="1200", unit="个",
                      declared_on=today - dt.timedelta(days=12), by=staff)
    if not EntryBatch.objects.filter(zone=zone).exists() and enterprises:
        from . import flows

        batch = flows.create_batch(enterprise=enterprises[0], number=f"PC{timezone.localdate():%Y%m}001",
                                   inspection_no="JY510100-2026-0118", inspected_on=timezone.localdate() - dt.timedelta(days=20),
                                   inspection_result="检验合格，准予分批出区", goods="液晶显示模组", hs_code="8524119000",
                                   qty="20000", unit="个", by=staff)
        for q in ("6000", "5000"):
            flows.release(batch, q, by=staff)


def _attach_required(app, by) -> None:
    from zonebook.attachments import services as att

    for name in app.type_version.attachments:
        att.attach(app, SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf"), by=by,
                   description=name)


def _link_carryover(app, by) -> None:
    from django.db.models import Q

    from zonebook.ledger.models import CarryOver

    from . import services

    co = CarryOver.objects.filter(Q(transferor_book__enterprise=app.enterprise)
                                  | Q(transferee_book__enterprise=app.enterprise)).first()
    if co is None:
        raise LookupError("no carry-over")
    services.update_application(app, data=app.data, by=by, carry_over=co)


def _handle(app, staff, leader, at, rnd) -> None:
    from . import services

    r = rnd.random()
    if r < 0.03:
        services.act(app, "refuse", by=staff, note="不属于区内业务范围", at=at + dt.timedelta(hours=2))
        return
    services.act(app, "accept", by=staff, at=at + dt.timedelta(hours=1))
    if r < 0.08:
        services.act(app, "return", by=staff, note="请补充货物清单", at=at + dt.timedelta(hours=2))
        services.submit(app, by=staff, at=at + dt.timedelta(days=2))
        services.act(app, "accept", by=staff, at=at + dt.timedelta(days=2, hours=1))
    services.act(app, "review", by=staff, at=at + dt.timedelta(hours=3))
    services.act(app, "approve", by=leader, at=at + dt.timedelta(hours=4))
    late = dt.timedelta(days=rnd.choice([0, 0, 0, 1, 1, 2, 5]))
    services.act(app, "complete", by=staff, at=at + dt.timedelta(hours=5) + late)


def _open_work(enterprises, staff, rnd) -> int:
    """Work in progress: applications filed in the last days in every open state, one overdue."""
    from . import services
    from .models import ApplicationType

    t = ApplicationType.objects.get(code="infra_material")
    now = timezone.now()
    plan = [(0, "submitted"), (0, "submitted"), (1, "accepted"), (1, "reviewed"), (2, "returned"), (6, "accepted")]
    for i, (days_ago, target) in enumerate(plan):
        ent = enterprises[i % len(enterprises)]
        at = now - dt.timedelta(days=days_ago, hours=1)
        app = services.create_application(app_type=t, enterprise=ent, data=_data_for(t.current, ent, rnd, at.date()),
                                          lines=_lines(rnd), by=staff, subject="厂房扩建钢结构材料进区")
        _attach_required(app, staff)
        services.submit(app, by=staff, at=at)
        if target in ("accepted", "reviewed", "returned"):
            services.act(app, "accept", by=staff, at=at + dt.timedelta(minutes=30))
        if target == "reviewed":
            services.act(app, "review", by=staff, at=at + dt.timedelta(minutes=40))
        if target == "returned":
            services.act(app, "return", by=staff, note="请补充车辆行驶证复印件", at=at + dt.timedelta(minutes=50))
    return len(plan)


def _gate_cases(zone, vehicles, staff, today) -> int:
    """A held vehicle waiting for the officer, a 空车 shuttle, a pass open since yesterday, and a stock
    note carried by two vehicles (一票多车) of which one has passed."""
    from . import gate
    from .models import GatePass

    now = timezone.now()
    v, w = vehicles[0], vehicles[1]
    ent = v.enterprise
    note = gate.add_stock_note(enterprise=ent, number=f"RK{today:%Y%m%d}H{zone.pk:03d}", direction="I", by=staff,
                               lines=[{"name": "显示面板", "hs_code": "8524119000", "qty": "600", "unit": "片",
                                       "gross_weight": "9000"}])
    made = 0
    for i, (veh, qty) in enumerate([(v, "300"), (w, "300")]):
        gp = gate.create_pass(zone=zone, number=f"Z{today:%Y%m%d}H{i}{zone.pk:03d}", direction="I", pass_type="3",
                              vehicle=veh, by=staff, enterprise=ent, bind_type="3", goods_weight=4500,
                              documents=[{"kind": "2", "number": note.number}],
                              lines=[{"document": 0, "related_seq": 1, "qty": qty, "name": "显示面板", "unit": "片"}])
        gate.approve_pass(gp, by=staff)
        if i == 0:  # the first vehicle weighs 4 % above its declaration: held for the officer
            gate.record_event(zone=zone, event_id=f"demo-held-{gp.number}", pass_number=gp.number, gate_id="G1",
                              direction="I", weight=(gp.total_weight * Decimal("1.04")).quantize(Decimal("1")),
                              at=now - dt.timedelta(minutes=20), by=staff)
            made += 1
    stale = gate.create_pass(zone=zone, number=f"Z{today:%Y%m%d}S0{zone.pk:03d}", direction="E", pass_type="6",
                             vehicle=vehicles[2], by=staff)
    gate.approve_pass(stale, by=staff)
    GatePass.objects.filter(pk=stale.pk).update(created_at=now - dt.timedelta(hours=30))
    for k in range(3):  # the same vehicle in and out empty every few minutes
        gp = gate.create_pass(zone=zone, number=f"Z{today:%Y%m%d}K{k}{zone.pk:03d}", direction="E", pass_type="6",
                              vehicle=vehicles[3], by=staff)
        gate.approve_pass(gp, by=staff)
        gate.record_event(zone=zone, event_id=f"demo-empty-{gp.number}", pass_number=gp.number, gate_id="G2",
                          direction="E", at=now - dt.timedelta(minutes=50 - 7 * k), by=staff)
        made += 1
    return made


def _two_gates(zone, vehicles, staff) -> int:
    """From today the zone runs two-gate passage (G1 first gate with the weighbridge, G2 second gate):
    one vehicle between the gates (已过一卡), one through both (已过二卡)."""
    from . import gate

    gate.save_gate(zone=zone, code="G1", name="一号卡口（一卡，地磅）", stage="first", weighbridge=True, by=staff)
    gate.save_gate(zone=zone, code="G2", name="二号卡口（二卡）", stage="second", weighbridge=False, by=staff)
    now = timezone.now()
    made = 0
    for i, veh in enumerate(vehicles[4:6]):
        gp = gate.create_pass(zone=zone, number=f"Z{timezone.localdate():%Y%m%d}T{i}{zone.pk:03d}", direction="E",
                              pass_type="6", vehicle=veh, by=staff)
        gate.approve_pass(gp, by=staff)
        gate.record_event(zone=zone, event_id=f"demo-g1-{gp.number}", pass_number=gp.number, gate_id="G1",
                          direction="E", at=now - dt.timedelta(minutes=15 - i), weight=gp.total_weight, by=staff)
        made += 1
        if i == 1:
            gate.record_event(zone=zone, event_id=f"demo-g2-{gp.number}", pass_number=gp.number, gate_id="G2",
                              direction="E", at=now - dt.timedelta(minutes=5), by=staff)
            made += 1
    return made
