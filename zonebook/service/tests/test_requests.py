"""The request lifecycle (domain doc §4.2) with its SLA clocks, and the issue's bad-input items."""

import datetime as dt

import pytest
from django.utils import timezone

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.service import services
from zonebook.service.models import Assignment, RequestEvent, ServiceRequest, Status
from zonebook.sla.models import Deadline

from .conftest import at


def localdate(moment):
    return timezone.localtime(moment).date()

pytestmark = pytest.mark.django_db


def _new(world, svc, when=None, category=None):
    return services.receive(enterprise=world.enterprises.a1, category=category or svc.cat, title="查验等待时间长",
                            description="近两周查验平均等待3天", channel="liaison", by=svc.dispatcher,
                            at=when or at(2026, 9, 1))


def _in_progress(world, svc, when=None):
    req = _new(world, svc, when)
    services.dispatch(req, lead_unit=svc.service_dept, co_units=[svc.econ_dept], by=svc.dispatcher,
                      at=at(2026, 9, 1, 11))
    services.sign(req, by=svc.member, at=at(2026, 9, 1, 14))
    return ServiceRequest.objects.get(pk=req.pk)


def test_intake_starts_the_close_clock_with_ten_working_days(world, svc):
    req = _new(world, svc)
    assert req.number.startswith("SQ2026") and req.status == Status.RECEIVED
    assert req.first_receiver == svc.dispatcher  # 首问负责
    d = Deadline.objects.get(object_id=req.pk, policy__key="service.request.close")
    # 2026-09-01 (Tue) + 10 working days = 2026-09-15 (Tue), end of day
    assert d.due_at.astimezone(at(2026, 1, 1).tzinfo).date() == dt.date(2026, 9, 15)
    assert req.due_at == d.due_at


def test_complex_category_gets_25_working_days(world, svc):
    req = _new(world, svc, category=svc.complex_cat)
    assert req.clock_policy == "service.request.complex"
    # 2026-09-01 + 25 wd crosses the National Day holiday (10-01..10-08; 09-27 and 10-10 are working Sundays/Saturday)
    d = Deadline.objects.get(object_id=req.pk, policy__key="service.request.complex")
    assert localdate(d.due_at) > dt.date(2026, 10, 6)


def test_full_lifecycle_closes_on_time_with_satisfaction(world, svc):
    req = _in_progress(world, svc)
    a = Assignment.objects.get(request=req)
    clocks = services.deadlines_of(a)
    assert clocks["service.request.sign"].state == Deadline.State.STOPPED
    services.stage_reply(req, text="已联系海关查验科", next_date=dt.date(2026, 9, 4), by=svc.member, at=at(2026, 9, 2))
    services.stage_reply(req, text="经发局配合协调", by=svc.co_member, at=at(2026, 9, 2, 15))
    assert services.deadlines_of(a)["service.request.reply"].state == Deadline.State.STOPPED
    services.submit_result(req, result="已协调增开查验通道", solved=True, by=svc.member, at=at(2026, 9, 7))
    with pytest.raises(DomainError) as exc:  # a member may not sign off the result
        services.review_result(req, accept=True, by=svc.member, at=at(2026, 9, 7, 15))
    assert exc.value.code == "not_unit_head"
    services.review_result(req, accept=True, by=svc.head, at=at(2026, 9, 8))
    services.revisit(req, satisfaction="basically", by=svc.dispatcher, at=at(2026, 9, 9))
    req.refresh_from_db()
    assert req.status == Status.CLOSED and req.closed_on_time is True and req.satisfaction == "basically"
    kinds = list(RequestEvent.objects.filter(request=req).values_list("kind", flat=True))
    assert kinds == ["received", "dispatched", "signed", "stage_reply", "co_reply", "result", "result_accepted",
                     "revisited", "closed"]
    assert AuditEntry.objects.filter(code="service.request.closed", object_id=str(req.pk)).exists()


def test_dispatch_outside_the_zone_is_refused(world, svc):
    req = _new(world, svc)
    with pytest.raises(DomainError) as exc:
        services.dispatch(req, lead_unit=svc.other_zone_unit, by=svc.dispatcher)
    assert exc.value.code == "unit_outside_zone"
    with pytest.raises(DomainError):  # a co-handler outside the zone too
        services.dispatch(req, lead_unit=svc.service_dept, co_units=[svc.other_zone_unit], by=svc.dispatcher)
    assert ServiceRequest.objects.get(pk=req.pk).status == Status.RECEIVED
    # the city's customs office lies above the zone: allowed
    services.dispatch(req, lead_unit=svc.city_unit, by=svc.dispatcher)


def test_responsibility_table_proposes_a_unit_of_the_zone(world, svc):
    from zonebook.service.models import Responsibility

    Responsibility.objects.create(category=svc.cat.parent, unit=svc.other_zone_unit, priority=1)
    Responsibility.objects.create(category=svc.cat.parent, unit=svc.service_dept, priority=2)
    assert services.propose_unit(svc.cat, world.zones.a1) == svc.service_dept
    Responsibility.objects.create(category=svc.cat, unit=svc.city_unit, priority=5)
    assert services.propose_unit(svc.cat, world.zones.a1) == svc.city_unit  # the subcategory's row wins


def test_extension_is_approved_and_capped(world, svc):
    req = _in_progress(world, svc)
    due_before = ServiceRequest.objects.get(pk=req.pk).due_at
    ext = services.request_extension(req, days=5, reason="需省局批复", by=svc.member, at=at(2026, 9, 3))
    services.decide_extension(ext, approve=True, by=svc.dispatcher, at=at(2026, 9, 3, 15))
    req.refresh_from_db()
    assert req.extension_days == 5 and req.status == Status.IN_PROGRESS
    # 2026-09-15 + 5 working days = 2026-09-21 (Sunday 09-20 is a working day before National Day)
    assert localdate(req.due_at) == dt.date(2026, 9, 21) and req.due_at > due_before
    assert services.deadlines_of(req)["service.request.close"].due_at == req.due_at
    with pytest.raises(DomainError) as exc:  # 5 + 6 > 10
        services.request_extension(req, days=6, reason="再延", by=svc.member, at=at(2026, 9, 4))
    assert exc.value.code == "extension_cap"
    ext2 = services.request_extension(req, days=5, reason="再延", by=svc.member, at=at(2026, 9, 4))
    services.decide_extension(ext2, approve=False, by=svc.dispatcher, note="理由不充分")
    req.refresh_from_db()
    assert req.extension_days == 5


def test_closing_without_a_result_is_refused(world, svc):
    req = _in_progress(world, svc)
    with pytest.raises(DomainError) as exc:
        services.close(req, by=svc.dispatcher)
    assert exc.value.code == "result_required"
    with pytest.raises(DomainError) as exc:
        services.submit_result(req, result="  ", solved=True, by=svc.member)
    assert exc.value.code == "result_required"


def _to_revisit(world, svc):
    req = _in_progress(world, svc)
    services.submit_result(req, result="已答复", solved=False, by=svc.member, at=at(2026, 9, 7))
    services.review_result(req, accept=True, by=svc.head, at=at(2026, 9, 8))
    return ServiceRequest.objects.get(pk=req.pk)


def test_unsatisfied_not_attributable_closes_flagged_and_needs_a_reason(world, svc):
    req = _to_revisit(world, svc)
    with pytest.raises(DomainError) as exc:
        services.revisit(req, satisfaction="unsatisfied", attributable=False, reason="", by=svc.dispatcher)
    assert exc.value.code == "reason_required"
    services.revisit(req, satisfaction="unsatisfied", attributable=False, reason="诉求超出政策范围",
                     by=svc.dispatcher, at=at(2026, 9, 9))
    req.refresh_from_db()
    assert req.status == Status.CLOSED and req.not_attributable and req.reopen_count == 0
    assert Assignment.objects.filter(request=req).count() == 1  # no reopen


def test_unsatisfied_attributable_reopens_to_the_same_unit_with_a_redo_clock(world, svc):
    req = _to_revisit(world, svc)
    services.revisit(req, satisfaction="unsatisfied", attributable=True, reason="问题未解决",
                     by=svc.dispatcher, at=at(2026, 9, 9))
    req.refresh_from_db()
    assert req.status == Status.DISPATCHED and req.reopen_count == 1 and req.clock_policy == "service.request.redo"
    redo = Assignment.objects.filter(request=req, redo=True).get()
    assert redo.lead_unit == svc.service_dept
    assert services.deadlines_of(redo)["service.request.redo"].due_at == req.due_at


def test_return_needs_a_reason_and_a_unit_returns_once(world, svc):
    req = _new(world, svc)
    services.dispatch(req, lead_unit=svc.service_dept, by=svc.dispatcher)
    with pytest.raises(DomainError):
        services.return_request(req, reason="", by=svc.member)
    services.return_request(req, reason="不属于本局职责", by=svc.member)
    req.refresh_from_db()
    assert req.status == Status.RECEIVED and req.lead_unit is None
    a = Assignment.objects.get(request=req)
    assert all(d.state == Deadline.State.STOPPED for d in services.deadlines_of(a).values())
    services.dispatch(req, lead_unit=svc.service_dept, by=svc.dispatcher, note="经研究仍由企业服务局牵头")
    with pytest.raises(DomainError) as exc:
        services.return_request(req, reason="再次退回", by=svc.member)
    assert exc.value.code == "return_disputed"


def test_only_the_lead_unit_signs(world, svc):
    req = _new(world, svc)
    services.dispatch(req, lead_unit=svc.service_dept, by=svc.dispatcher)
    with pytest.raises(DomainError) as exc:
        services.sign(req, by=svc.outsider)
    assert exc.value.code == "not_lead_unit"


def test_enterprise_user_files_for_own_enterprise_only(world, svc):
    req = services.receive(enterprise=world.enterprises.a1, category=svc.cat, title="t", description="d",
                           by=world.users.enterprise)
    assert req.channel == "enterprise"
    with pytest.raises(DomainError) as exc:
        services.receive(enterprise=world.enterprises.a1b, category=svc.cat, title="t", description="d",
                         by=world.users.enterprise)
    assert exc.value.code == "not_own_enterprise"
