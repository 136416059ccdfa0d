"""Pages and API: scope (404 by id, lists, exports), internal notes, query counts, supervision."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from zonebook.service import services
from zonebook.service.models import ServiceRequest

from .conftest import at

pytestmark = pytest.mark.django_db
NOTE = "内部：企业法人与局长有矛盾"


def _req(world, svc, enterprise=None, when=None, title="查验等待时间长"):
    return services.receive(enterprise=enterprise or world.enterprises.a1, category=svc.cat, title=title,
                            description="d", channel="counter", by=svc.dispatcher if enterprise is None or
                            enterprise.zone_id == world.zones.a1.pk else world.users.admin, at=when)


def test_enterprise_user_sees_own_requests_only_and_never_internal_notes(world, svc, client_for):
    mine = _req(world, svc)
    services.add_note(mine, text=NOTE, by=svc.dispatcher)
    other = _req(world, svc, enterprise=world.enterprises.a1b, title="他家的诉求")
    c = client_for(world.users.enterprise)
    page = c.get(reverse("service:request_detail", args=[mine.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert NOTE not in html and 'data-kind="received"' in html
    assert c.get(reverse("service:request_detail", args=[other.pk])).status_code == 404
    listing = c.get(reverse("service:request_list")).content.decode()
    assert mine.number in listing and other.number not in listing
    export = c.get(reverse("service:request_list") + "?export=csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert mine.number in body and other.number not in body
    # API: the same scope, and no internal notes
    assert c.get(f"/api/service/requests/{other.pk}/").status_code == 404
    assert c.get(f"/api/service/requests/{other.pk}/events/").status_code == 404
    events = c.get(f"/api/service/requests/{mine.pk}/events/").json()
    assert [e["kind"] for e in events] == ["received"] and all(not e["internal"] for e in events)
    assert c.post(f"/api/service/requests/{mine.pk}/note/", {"text": "x"}).status_code == 403
    # the office sees the note
    staff = client_for(svc.dispatcher)
    assert NOTE in staff.get(reverse("service:request_detail", args=[mine.pk])).content.decode()
    assert any(e["internal"] for e in staff.get(f"/api/service/requests/{mine.pk}/events/").json())


def test_other_zone_and_province_see_nothing(world, svc, client_for):
    req = _req(world, svc)
    for user in (world.users.other_zone, world.users.other_province, world.users.other_enterprise):
        c = client_for(user)
        assert c.get(reverse("service:request_detail", args=[req.pk])).status_code == 404
        assert c.get(f"/api/service/requests/{req.pk}/").status_code == 404
        assert req.number not in c.get(reverse("service:request_list")).content.decode()
    city = client_for(world.users.city)
    assert city.get(reverse("service:request_detail", args=[req.pk])).status_code == 200


def test_request_list_query_count_is_fixed(world, svc, client_for, django_assert_max_num_queries):
    for i in range(30):
        _req(world, svc, title=f"诉求{i}")
    c = client_for(svc.dispatcher)
    c.get(reverse("service:request_list"))  # warm caches (content types, calendar)
    with django_assert_max_num_queries(14):
        r = c.get(reverse("service:request_list"))
    assert r.status_code == 200 and r.content.decode().count('data-light="') == 30


def test_request_pages_walk_the_workflow(world, svc, client_for):
    c = client_for(svc.dispatcher)
    r = c.post(reverse("service:request_create"), {"enterprise": world.enterprises.a1.pk, "category": svc.cat.pk,
                                                   "channel": "counter", "title": "用电紧张", "description": "限电"})
    req = ServiceRequest.objects.get(title="用电紧张")
    assert r.status_code == 302 and req.first_receiver == svc.dispatcher
    url = lambda a: reverse("service:request_action", args=[req.pk, a])  # noqa: E731
    r = c.post(url("dispatch"), {"dispatch-lead_unit": svc.other_zone_unit.pk})
    # refused with the service's message naming the unit (the choices list only the zone's units)
    assert r.status_code == 200 and "绵阳经济发展局" in r.content.decode()
    assert ServiceRequest.objects.get(pk=req.pk).status == "received"
    c.post(url("dispatch"), {"dispatch-lead_unit": svc.service_dept.pk})
    assert ServiceRequest.objects.get(pk=req.pk).status == "dispatched"
    assert c.post(url("sign")).status_code == 403  # the dispatcher is not in the lead unit
    m = client_for(svc.member)
    m.post(url("sign"))
    m.post(url("result"), {"result-result": "已协调供电公司", "result-solved": "on"})
    h = client_for(svc.head)
    h.post(url("review"), {"review-accept": "1"})
    c = client_for(svc.dispatcher)
    c.post(url("revisit"), {"revisit-satisfaction": "satisfied"})
    req.refresh_from_db()
    assert req.status == "closed" and req.solved is True


def test_supervision_lists_overdue_items_of_the_scope_with_unit_and_feedback(world, svc, client_for):
    old = _req(world, svc, when=timezone.now() - dt.timedelta(days=40), title="超期诉求")
    services.dispatch(old, lead_unit=svc.service_dept, by=svc.dispatcher, at=timezone.now() - dt.timedelta(days=39))
    services.sign(old, by=svc.member, at=timezone.now() - dt.timedelta(days=39))
    services.stage_reply(old, text="正在协调", by=svc.member, at=timezone.now() - dt.timedelta(days=38))
    fresh = _req(world, svc, title="新诉求")
    c = client_for(svc.dispatcher)
    html = c.get(reverse("service:supervision")).content.decode()
    assert old.number in html and fresh.number not in html and "企业服务局" in html and "正在协调" in html
    x = c.get(reverse("service:supervision") + "?export=xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    assert old.number not in client_for(world.users.other_zone).get(reverse("service:supervision")).content.decode()
    assert client_for(world.users.enterprise).get(reverse("service:supervision")).status_code == 403


def test_reminder_notice_content(world, svc):
    from zonebook.service import supervision

    old = _req(world, svc, when=timezone.now() - dt.timedelta(days=40), title="超期诉求")
    services.dispatch(old, lead_unit=svc.service_dept, by=svc.dispatcher, at=timezone.now() - dt.timedelta(days=39))
    rows = supervision.rows_for(supervision.overdue_deadlines(svc.dispatcher))
    sign_row = next(r for r in rows if r.deadline.policy.key == "service.request.sign")
    assert sign_row.unit == svc.service_dept and sign_row.overdue_days > 20
    doc = supervision.reminder_notice(sign_row, today=dt.date(2026, 12, 5))
    text = doc.sections[0].blocks[0].text
    assert doc.title == "催办通知书" and doc.recipients == "企业服务局"
    assert old.number in text and f"已超期{sign_row.overdue_days}个工作日" in text
    circular = supervision.circular_draft(rows, title_scope="成都高新综保区")
    assert "企业服务局" in circular.sections[0].blocks[0].text
    assert len(circular.sections[1].blocks[0].rows) == len(rows)


def test_statistics_rates(world, svc, client_for):
    a = _req(world, svc, when=at(2026, 9, 1))
    b = _req(world, svc, when=at(2026, 9, 2))
    _req(world, svc, when=at(2026, 10, 2))
    for req in (a, b):
        services.answer_directly(req, result="已答复", by=svc.dispatcher, at=at(2026, 9, 3))
    services.revisit(a, satisfaction="satisfied", by=svc.dispatcher, at=at(2026, 9, 4))
    services.revisit(b, satisfaction="unsatisfied", attributable=False, reason="不认可", by=svc.dispatcher,
                     at=at(2026, 9, 5))
    from zonebook.service import figures

    rows = {r.key: r for r in figures.request_figures(ServiceRequest.objects.all(), "month")}
    sep = rows["2026-09"]
    assert (sep.received, sep.closed, sep.on_time, sep.revisited, sep.satisfied) == (2, 2, 2, 2, 1)
    assert str(sep.closure_rate) == "100.0" and str(sep.satisfaction_rate) == "50.0"
    # a: 09-01 10:00 → 09-04 10:00 = 3 days; b: 09-02 10:00 → 09-05 10:00 = 3 days
    assert str(sep.avg_days) == "3.0"
    assert rows["2026-10"].closed == 0 and rows["2026-10"].closure_rate == 0
    page = client_for(svc.dispatcher).get(reverse("service:request_stats") + "?group=month")
    assert page.status_code == 200 and "2026-09" in page.content.decode()


def test_reminder_notice_and_circular_download_as_docx(world, svc, client_for):
    old = _req(world, svc, when=timezone.now() - dt.timedelta(days=40), title="超期诉求")
    services.dispatch(old, lead_unit=svc.service_dept, by=svc.dispatcher, at=timezone.now() - dt.timedelta(days=39))
    c = client_for(svc.dispatcher)
    r = c.get(reverse("service:reminder_notice", args=[old.pk, "docx"]))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(reverse("service:supervision") + "?doc=docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    fresh = _req(world, svc, title="新诉求")
    assert c.get(reverse("service:reminder_notice", args=[fresh.pk, "docx"])).status_code == 404
    assert client_for(world.users.other_zone).get(reverse("service:reminder_notice", args=[old.pk, "docx"])).status_code == 404


def test_visit_summary_counts_and_docx(world, svc, client_for):
    from zonebook.service.models import Category

    cus, pol = Category.objects.get(code="CUS-INS"), Category.objects.get(code="POL")
    today = timezone.localdate()
    v1 = services.record_visit(date=today - dt.timedelta(days=3), kind="visit", officers=[svc.dispatcher, svc.member],
                               enterprises=[world.enterprises.a1], problems=[(cus, "查验等待时间长"), (pol, "奖补申报")],
                               by=svc.dispatcher)
    services.record_visit(date=today - dt.timedelta(days=2), kind="patrol", officers=[svc.dispatcher],
                          enterprises=[world.enterprises.a1b], by=svc.dispatcher)
    problems = ServiceRequest.objects.filter(visit=v1)
    assert problems.count() == 2 and {p.channel for p in problems} == {"visit"}
    solved = problems.get(category=pol)
    services.answer_directly(solved, result="已答复", by=svc.dispatcher)
    services.revisit(solved, satisfaction="satisfied", by=svc.dispatcher)
    from zonebook.service import visits

    officers = {r["user__username"]: r for r in visits.by_officer(svc.dispatcher, today - dt.timedelta(days=30), today)}
    me = officers[svc.dispatcher.username]
    assert (me["visits"], me["enterprises"], me["problems"], me["solved"], me["open"]) == (2, 2, 2, 1, 1)
    assert officers[svc.member.username]["visits"] == 1
    ents = {r["name"]: r for r in visits.by_enterprise(svc.dispatcher, today - dt.timedelta(days=30), today)}
    assert (ents["成都甲电子有限公司"]["problems"], ents["成都甲电子有限公司"]["open"]) == (2, 1)
    stale = {e.name for e in visits.not_visited(svc.dispatcher, 1)}
    assert "成都甲电子有限公司" in stale and world.enterprises.b1.name not in stale  # other zone: out of scope
    assert not {e.name for e in visits.not_visited(svc.dispatcher, 30)} & {"成都甲电子有限公司", "成都乙精密制造有限公司"}
    c = client_for(svc.dispatcher)
    assert c.get(reverse("service:visit_summary")).status_code == 200
    r = c.get(reverse("service:visit_summary") + "?export=docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(reverse("service:visit_summary") + "?export=xlsx")
    assert r.status_code == 200
    from zonebook.core.errors import DomainError

    with pytest.raises(DomainError):
        services.record_visit(date=today + dt.timedelta(days=1), kind="visit", officers=[svc.dispatcher],
                              enterprises=[world.enterprises.a1], by=svc.dispatcher)


def test_visit_list_query_count(world, svc, client_for, django_assert_max_num_queries):
    today = timezone.localdate()
    for i in range(20):
        services.record_visit(date=today - dt.timedelta(days=i), kind="visit", officers=[svc.dispatcher],
                              enterprises=[world.enterprises.a1, world.enterprises.a1b], by=svc.dispatcher)
    c = client_for(svc.dispatcher)
    c.get(reverse("service:visit_list"))
    with django_assert_max_num_queries(12):
        r = c.get(reverse("service:visit_list"))
    assert r.status_code == 200 and r.content.decode().count("成都乙精密制造有限公司") >= 20


def test_visit_and_liaison_api(world, svc, client_for):
    c = client_for(svc.dispatcher)
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    r = c.post("/api/service/visits/", {"date": day, "kind": "visit", "enterprises": [world.enterprises.a1.pk],
                                        "officers": [svc.dispatcher.pk], "topics": "用工", "problems": ["LAB 缺普工"]},
               content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["problem_count"] == 1
    assert ServiceRequest.objects.get(visit_id=r.json()["id"]).category.code == "LAB"
    bad = c.post("/api/service/visits/", {"date": day, "kind": "visit", "enterprises": [world.enterprises.a1.pk],
                                          "officers": [svc.dispatcher.pk], "problems": ["NOPE x"]},
                 content_type="application/json")
    assert bad.status_code == 400
    r = c.post("/api/service/liaisons/", {"enterprise": world.enterprises.a1.pk, "officer": svc.dispatcher.pk,
                                          "role": "staff", "valid_from": day}, content_type="application/json")
    assert r.status_code == 201
    assert len(c.get("/api/service/liaisons/").json()["results"] if isinstance(c.get("/api/service/liaisons/").json(), dict)
               else c.get("/api/service/liaisons/").json()) == 1
    assert client_for(world.users.other_zone).get("/api/service/visits/").json() in ([], {"count": 0, "next": None,
                                                                                          "previous": None, "results": []})
    assert client_for(world.users.enterprise).get("/api/service/visits/").status_code == 403


def test_joint_meeting_decisions_are_tracked(world, svc, client_for):
    from zonebook.service.models import MeetingDecision
    from zonebook.service.views_meetings import decision_light

    c = client_for(svc.dispatcher)
    today = timezone.localdate()
    r = c.post(reverse("service:meeting_create"), {
        "zone": world.zones.a1.pk, "date": today.isoformat(), "title": "海关、检验、外汇联席会议",
        "units": [svc.service_dept.pk, svc.city_unit.pk], "minutes": "研究企业通关问题",
        "d0_text": "开通查验绿色通道", "d0_unit": svc.city_unit.pk, "d0_due": (today + dt.timedelta(days=2)).isoformat(),
        "d1_text": "汇总企业用工需求", "d1_unit": svc.service_dept.pk, "d1_due": (today + dt.timedelta(days=10)).isoformat(),
    })
    assert r.status_code == 302
    d0, d1 = MeetingDecision.objects.order_by("due_date")
    assert (d0.lead_unit, decision_light(d0), decision_light(d1)) == (svc.city_unit, "amber", "green")
    assert decision_light(d0, today + dt.timedelta(days=3)) == "overdue"
    bad = c.post(reverse("service:meeting_create"), {
        "zone": world.zones.a1.pk, "date": today.isoformat(), "title": "x", "units": [svc.service_dept.pk],
        "d0_text": "y", "d0_unit": svc.other_zone_unit.pk, "d0_due": today.isoformat()})
    assert bad.status_code == 200 and MeetingDecision.objects.count() == 2  # refused: unit outside the zone
    c.post(reverse("service:decision_done", args=[d1.pk]), {"result": "已汇总"})
    d1.refresh_from_db()
    assert d1.done_at is not None and decision_light(d1) == ""
    assert "开通查验绿色通道" in c.get(reverse("service:meeting_list")).content.decode()
    assert client_for(world.users.other_zone).get(reverse("service:meeting_detail", args=[d0.meeting_id])).status_code == 404


def test_dashboard_panels_and_todo_counters(world, svc, rf):
    from zonebook.service import dashboard

    old = _req(world, svc, when=timezone.now() - dt.timedelta(days=40), title="超期诉求")
    services.dispatch(old, lead_unit=svc.service_dept, by=svc.dispatcher, at=timezone.now() - dt.timedelta(days=39))
    services.assign_liaison(enterprise=world.enterprises.a1, officer=svc.dispatcher, role="staff",
                            valid_from=timezone.localdate() - dt.timedelta(days=5), by=svc.dispatcher)
    request = rf.get("/")
    request.user = svc.dispatcher
    liaison = dashboard.liaison_panel(request)
    row = liaison["rows"][0]
    assert row.name == world.enterprises.a1.name and row.open_requests == 1 and row.overdue_requests == 1
    panel = dashboard.supervision_panel(request)
    assert panel["count"] == 3 and {r.request.pk for r in panel["rows"]} == {old.pk}  # close, sign, reply clocks
    assert dashboard.overdue_count(svc.dispatcher) == 3
    assert dashboard.unit_todo_count(svc.member) == 1 and dashboard.unit_todo_count(svc.co_member) == 0
    assert dashboard.overdue_count(world.users.enterprise) == 0 and dashboard.overdue_count(world.users.other_zone) == 0
