"""Business applications: route, SLA clock (pause on 退回补正), versions, attachments, negative list,
notifications, scope, statistics."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.notify.models import Notification
from zonebook.operations import services, stats
from zonebook.operations.choices import Status
from zonebook.operations.models import Application, ApplicationType, NegativeListRule
from zonebook.sla.models import Deadline

from .conftest import attach

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
LINES = [{"hs_code": "84713000", "name": "笔记本电脑", "qty": "10", "unit": "台", "value": "50000"}]


def new_app(world, code="equipment_return", data=None, lines=LINES, by=None):
    t = ApplicationType.objects.get(code=code)
    by = by or world.users.enterprise
    return services.create_application(app_type=t, enterprise=world.enterprises.a1, data=data or {}, lines=lines, by=by)


def ready_infra(world):
    app = new_app(world, "infra_material", {"category": "基建物资", "vehicle": "川A12345", "entry_date": "2026-03-02"})
    attach(app, world.users.enterprise, "物资清单")
    return app


def test_catalogue_has_the_issue_types():
    names = set(ApplicationType.objects.values_list("name", flat=True))
    for n in ["项目入区审核", "企业入区准入", "基建物资进区", "设备退运", "设备出区检测/维修", "外发加工", "电子账册备案/变更",
              "废弃包装物/固体废物出区", "退运", "内销", "深加工结转", "边角料/残次品出区", "展示"]:
        assert n in names
    assert all(t.current and t.current.version == 1 for t in ApplicationType.objects.all())


def test_full_route_with_return_pausing_the_clock(ops):
    w = ops
    app = ready_infra(w)
    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # Monday
    services.submit(app, by=w.users.enterprise, at=t0)
    d = Deadline.objects.get(object_id=app.pk)
    assert d.policy.key == "operations.infra_material" and timezone.localtime(d.due_at).date() == dt.date(2026, 3, 3)
    staff = w.users.zone
    services.act(app, "accept", by=staff, at=t0 + dt.timedelta(hours=1))
    with pytest.raises(DomainError) as e:
        services.act(app, "return", by=staff, note="")
    assert e.value.code == "reason_required"
    # 退回补正 on Monday 11:00, resubmitted Wednesday: the clock stood still two working days
    services.act(app, "return", by=staff, note="补充车辆行驶证", at=t0 + dt.timedelta(hours=2))
    app.refresh_from_db()
    d.refresh_from_db()
    assert app.status == Status.RETURNED and d.state == Deadline.State.PAUSED
    assert Notification.objects.filter(recipient=w.users.enterprise, kind="operations.returned").exists()
    # what was entered is kept; the enterprise corrects one field
    assert app.data["vehicle"] == "川A12345" and app.lines.count() == 1
    services.update_application(app, data={**app.data, "vehicle": "川A54321"}, by=w.users.enterprise)
    services.submit(app, by=w.users.enterprise, at=dt.datetime(2026, 3, 4, 9, 0, tzinfo=SH))
    d.refresh_from_db()
    assert d.state == Deadline.State.RUNNING and timezone.localtime(d.due_at).date() == dt.date(2026, 3, 5)
    app.refresh_from_db()
    assert app.due_at == d.due_at and app.lines.get().name == "笔记本电脑"
    services.act(app, "accept", by=staff)
    services.act(app, "review", by=staff)
    services.act(app, "approve", by=w.users.zone_leader)
    services.act(app, "complete", by=staff, at=dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH))
    app.refresh_from_db()
    d.refresh_from_db()
    assert app.status == Status.COMPLETED and d.state == Deadline.State.STOPPED
    # Mon→Thu is 3 working days, minus the 2 the clock was paused (Mon→Wed)
    assert app.handling_days == 1 and app.on_time is True
    steps = list(app.steps.values_list("action", flat=True))
    assert steps == ["create", "submit", "accept", "return", "edit", "submit", "accept", "review", "approve", "complete"]
    codes = set(AuditEntry.objects.filter(object_type="operations.application", object_id=str(app.pk))
                .values_list("code", flat=True))
    assert {"operations.application.return", "operations.application.complete", "operations.application.submitted"} <= codes


def test_refuse_needs_reason_and_stops_clock(ops):
    app = ready_infra(ops)
    services.submit(app, by=ops.users.enterprise)
    services.act(app, "refuse", by=ops.users.zone, note="不属于基建物资")
    app.refresh_from_db()
    assert app.status == Status.REFUSED and app.reason == "不属于基建物资"
    assert Deadline.objects.get(object_id=app.pk).state == Deadline.State.STOPPED
    with pytest.raises(DomainError):
        services.act(app, "accept", by=ops.users.zone)


def test_missing_required_field_and_attachment_keep_the_draft(ops):
    app = new_app(ops, "infra_material", {"category": "基建物资"})
    with pytest.raises(ValidationError) as e:
        services.submit(app, by=ops.users.enterprise)
    errors = e.value.message_dict
    assert "vehicle" in errors and "entry_date" in errors and "attachments" in errors
    assert "物资清单" in errors["attachments"][0]
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.data == {"category": "基建物资"} and app.lines.count() == 1
    assert not Deadline.objects.filter(object_id=app.pk).exists()


def test_form_keeps_what_was_entered(ops, client_for):
    c = client_for(ops.users.enterprise)
    r = c.post("/operations/applications/new/?type=infra_material", {
        "subject": "厂房二期钢材", "f_category": "基建物资", "f_vehicle": "川A99999", "f_entry_date": "",
        "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "lines-0-hs_code": "72163100", "lines-0-name": "H型钢",
        "lines-0-qty": "12.5", "lines-0-unit": "吨", "submit": "1"})
    assert r.status_code == 400
    body = r.content.decode()
    assert "川A99999" in body and "H型钢" in body and "厂房二期钢材" in body
    assert "进区日期 is required." in body or "进区日期" in body
    app = Application.objects.get()
    assert app.status == Status.DRAFT and app.data["vehicle"] == "川A99999"


def test_deadline_across_spring_festival_and_adjusted_saturday(ops):
    """设备退运: promised 2, legal 3 working days.  Filed Thu 2026-02-12: Fri 13 and the 调休 Saturday
    14 are working days; 15–23 is the Spring Festival; the legal limit lands on Tue 24."""
    app = new_app(ops, "equipment_return", {"book": None, "reason": "设备故障退运"})
    from zonebook.operations.models import ApplicationTypeVersion

    # no book field is needed for this check: use a version without it
    v = ApplicationTypeVersion.objects.get(type__code="equipment_return")
    v.fields = [f for f in v.fields if f["kind"] != "book"]
    v.attachments = []
    v.save()
    services.submit(app, by=ops.users.enterprise, at=dt.datetime(2026, 2, 12, 10, 0, tzinfo=SH))
    d = Deadline.objects.get(object_id=app.pk)
    assert timezone.localtime(d.due_at).date() == dt.date(2026, 2, 14)
    assert timezone.localtime(d.legal_due_at).date() == dt.date(2026, 2, 24)


def test_type_edited_while_open_keeps_version(ops):
    app = ready_infra(ops)
    services.submit(app, by=ops.users.enterprise)
    t = ApplicationType.objects.get(code="infra_material")
    v1 = t.current
    v2 = services.revise_type(t, fields=v1.fields + [{"name": "driver", "label": "驾驶员", "kind": "text", "required": True}],
                              attachments=["物资清单", "驾驶证"], sla_policy=v1.sla_policy, by=ops.users.admin)
    assert v2.version == 2 and t.current == v2
    app.refresh_from_db()
    assert app.type_version == v1
    # the open application proceeds under v1 (no 驾驶员, no 驾驶证)
    services.act(app, "accept", by=ops.users.zone)
    services.act(app, "return", by=ops.users.zone, note="补正")
    services.submit(app, by=ops.users.enterprise)
    # a new one is filed under v2 and needs the new field
    new = new_app(ops, "infra_material", {"category": "基建物资", "vehicle": "川A1", "entry_date": "2026-03-02"})
    assert new.type_version == v2
    attach(new, ops.users.enterprise, "物资清单")
    with pytest.raises(ValidationError) as e:
        services.submit(new, by=ops.users.enterprise)
    assert set(e.value.message_dict) == {"driver", "attachments"}


def test_negative_list_refuses_with_rule_unless_exception(ops):
    w = ops
    NegativeListRule.objects.create(zone=w.zones.a1, kind="industry", pattern="2611", description="电镀工艺项目不予入区",
                                    source="成都高新综保区环保负面清单（2024）第3条")
    app = new_app(w, "project_admission", {"project": "电镀线", "industry": "26110", "process": "电镀",
                                           "investment": "500"}, lines=())
    attach(app, w.users.enterprise, "项目可行性报告")
    attach(app, w.users.enterprise, "环评文件")
    with pytest.raises(DomainError) as e:
        services.submit(app, by=w.users.enterprise)
    assert e.value.code == "negative_list" and "电镀工艺项目不予入区" in str(e.value) and "第3条" in str(e.value)
    with pytest.raises(PermissionDenied):
        services.grant_rule_exception(app, reason="省政府专题会议纪要", by=w.users.zone)
    services.grant_rule_exception(app, reason="省政府专题会议纪要〔2026〕5号", by=w.users.zone_leader)
    assert AuditEntry.objects.filter(code="operations.application.rule_exception", actor=w.users.zone_leader).exists()
    services.submit(app, by=w.users.enterprise)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.matched_rule.pattern == "2611"


def test_action_by_other_zone_is_404(ops, client_for):
    app = ready_infra(ops)
    services.submit(app, by=ops.users.enterprise)
    c = client_for(ops.users.other_zone)
    assert c.post(f"/operations/applications/{app.pk}/act/", {"action": "accept"}).status_code == 404
    assert c.get(f"/operations/applications/{app.pk}/").status_code == 404
    assert app.number not in c.get("/operations/").content.decode()
    assert app.number not in c.get("/operations/?export=csv").getvalue().decode()
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(ops.users.other_zone)
    assert api.post(f"/api/operations/applications/{app.pk}/act/", {"action": "accept"}).status_code == 404
    assert api.get("/api/operations/applications/").json()["count"] == 0
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_enterprise_cannot_act_and_other_enterprise_cannot_file(ops):
    app = ready_infra(ops)
    services.submit(app, by=ops.users.enterprise)
    with pytest.raises(PermissionDenied):
        services.act(app, "accept", by=ops.users.enterprise)
    with pytest.raises(PermissionDenied):
        services.create_application(app_type=app.type, enterprise=ops.enterprises.a1, data={}, by=ops.users.ent_b1)


def test_counter_and_pages(ops, client_for, django_assert_max_num_queries):
    c = client_for(ops.users.zone)
    r = c.get("/operations/counter/", {"enterprise": ops.enterprises.a1b.pk, "type": "infra_material"})
    assert r.status_code == 302 and "enterprise=" in r["Location"]
    r = c.post(r["Location"], {"f_category": "基建物资", "f_vehicle": "川A1", "f_entry_date": "2026-03-02",
                               "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-hs_code": "7216",
                               "lines-0-name": "钢材", "lines-0-qty": "3", "lines-0-unit": "吨", "save": "1"})
    assert r.status_code == 302
    app = Application.objects.get()
    assert app.channel == "counter" and app.enterprise == ops.enterprises.a1b and app.created_by == ops.users.zone
    for _i in range(5):
        a = ready_infra(ops)
        services.submit(a, by=ops.users.enterprise)
    c.get("/operations/")  # warm the calendar cache
    with django_assert_max_num_queries(10):
        r = c.get("/operations/?box=todo")
    assert r.status_code == 200 and r.content.decode().count('data-light="') == 5
    assert c.get(f"/operations/applications/{app.pk}/").status_code == 200
    x = c.get("/operations/?export=xlsx")
    assert x.status_code == 200


def test_statistics_and_annual_table(ops, client_for):
    w = ops
    for i in range(3):
        a = ready_infra(w)
        at = dt.datetime(2026, 3, 2 + i, 9, 0, tzinfo=SH)
        services.submit(a, by=w.users.enterprise, at=at)
        for step in ("accept", "review", "approve"):
            services.act(a, step, by=w.users.zone, at=at)
        services.act(a, "complete", by=w.users.zone, at=at + dt.timedelta(days=i * 2))
    rows = stats.annual_table(w.users.zone, 2026)
    assert [(r["type"].name, r["count"], r["unit"]) for r in rows] == [("基建物资进区", 3, "单次")]
    assert stats.annual_sentence(2026, rows) == "2026年共审批基建物资进区3单次。"
    h = stats.handling(w.users.zone, 2026)
    # completed after 0, 2 and 4 calendar days: Mon→Mon 0, Tue→Thu 2, Wed→Sun 2 working days
    days = sorted(Application.objects.values_list("handling_days", flat=True))
    assert days == [0, 2, 2]
    assert h["types"][0]["n"] == 3 and str(h["types"][0]["avg"]) == "1.3" and h["types"][0]["p90"] == 2
    # due after 1 working day: only the first is on time
    assert str(h["types"][0]["on_time"]) == "33.3"
    monthly = stats.monthly_counts(w.users.zone, 2026)
    assert monthly[0]["months"][2] == 3 and monthly[0]["total"] == 3
    r = client_for(w.users.zone).get("/operations/statistics/?year=2026&export=annual")
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
    assert "基建物资进区" in cells and 3 in cells and "2026年共审批基建物资进区3单次。" in cells
    assert client_for(w.users.zone).get("/operations/statistics/?year=2026").status_code == 200
    assert client_for(w.users.zone).get("/operations/statistics/?year=abc").status_code == 400


def test_api_submit_and_act(ops):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(ops.users.enterprise)
    r = api.post("/api/operations/applications/", {"type": "infra_material", "data": {"category": "基建物资"},
                                                   "lines": LINES}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = api.post(f"/api/operations/applications/{pk}/submit/")
    assert r.status_code == 400 and "vehicle" in r.json()
    staff = APIClient()
    staff.force_authenticate(ops.users.zone)
    app = Application.objects.get(pk=pk)
    services.update_application(app, data={"category": "基建物资", "vehicle": "川A1", "entry_date": "2026-03-02"},
                                by=ops.users.enterprise)
    attach(app, ops.users.enterprise, "物资清单")
    assert api.post(f"/api/operations/applications/{pk}/submit/").status_code == 200
    r = staff.post(f"/api/operations/applications/{pk}/act/", {"action": "accept"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = staff.post(f"/api/operations/applications/{pk}/act/", {"action": "complete"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "bad_transition"
    assert api.post(f"/api/operations/applications/{pk}/act/", {"action": "review"}, format="json").status_code == 403


def test_overdue_application_escalates_to_its_handler(ops):
    from zonebook.sla import services as sla_services
    from zonebook.sla.models import Escalation

    app = ready_infra(ops)
    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    services.submit(app, by=ops.users.enterprise, at=t0)
    services.act(app, "accept", by=ops.users.zone, at=t0)
    d = Deadline.objects.get(object_id=app.pk)
    assert d.handler == ops.users.zone and d.escalations.count() == 2
    out = sla_services.run_escalations(now=dt.datetime(2026, 3, 4, 9, 0, tzinfo=SH))
    assert out["fired"] == 1 and Escalation.objects.get(state="fired").target == "handler"


def test_attachment_field_of_the_schema_is_required_at_submission(ops):
    t = ApplicationType.objects.get(code="infra_material")
    v1 = t.current
    services.revise_type(t, fields=v1.fields + [{"name": "permit", "label": "施工许可证", "kind": "attachment",
                                                  "required": True}],
                         attachments=v1.attachments, sla_policy=v1.sla_policy, by=ops.users.admin)
    app = ready_infra(ops)
    with pytest.raises(ValidationError) as e:
        services.submit(app, by=ops.users.enterprise)
    assert set(e.value.message_dict) == {"attachments"} and "施工许可证" in e.value.message_dict["attachments"][0]
    attach(app, ops.users.enterprise, "施工许可证")
    assert services.submit(app, by=ops.users.enterprise).status == Status.SUBMITTED
