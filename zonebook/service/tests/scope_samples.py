"""Out-of-scope samples for the URL-walking scope test: service rows of the Chongqing enterprise / zone."""

import datetime as dt

from django.utils import timezone

from zonebook.core.testing.scope_samples import register


def _office(world):
    return world.users.other_province


@register("service.servicerequest")
def _request(world):
    from zonebook.service import services
    from zonebook.service.models import Category

    return services.receive(enterprise=world.enterprises.c1, category=Category.objects.get(code="OTH"), title="重庆诉求",
                            description="d", channel="counter", by=_office(world))


@register("service.visit")
def _visit(world):
    from zonebook.service import services

    return services.record_visit(date=timezone.localdate(), kind="visit", officers=[_office(world)],
                                 enterprises=[world.enterprises.c1], by=_office(world))


@register("service.liaison")
def _liaison(world):
    from zonebook.service.models import Liaison

    return Liaison.objects.get_or_create(enterprise=world.enterprises.c1, officer=_office(world),
                                         defaults={"valid_from": dt.date(2026, 1, 1)})[0]


@register("service.campaign")
def _campaign(world):
    from zonebook.service.models import Campaign

    c = Campaign.objects.create(title="重庆运行情况", zone=world.zones.c1, start_date=dt.date(2026, 1, 1),
                                end_date=dt.date(2026, 12, 31))
    c.enterprises.set([world.enterprises.c1])
    return c


@register("service.operationreport")
def _report(world):
    from zonebook.service.models import OperationReport

    c = _campaign(world)
    return OperationReport.objects.create(campaign=c, enterprise=world.enterprises.c1, date=dt.date(2026, 1, 2),
                                          state="normal", submitted_at=timezone.now())


@register("service.jointmeeting")
def _meeting(world):
    from zonebook.service.models import JointMeeting

    return JointMeeting.objects.create(zone=world.zones.c1, date=dt.date(2026, 1, 2), title="重庆联席会议")


@register("service.meetingdecision")
def _decision(world):
    from zonebook.accounts.models import Unit
    from zonebook.service.models import MeetingDecision

    unit = Unit.objects.get_or_create(name="重庆商务委", kind="commerce_dept", scope_level="city", city_code="500100",
                                      province_code="500000")[0]
    return MeetingDecision.objects.create(meeting=_meeting(world), text="x", lead_unit=unit, due_date=dt.date(2026, 2, 1))
