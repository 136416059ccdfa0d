"""Out-of-scope operations objects for the URL-walking scope test (Chongqing, zone c1; user e_c1)."""

from __future__ import annotations

import datetime as dt

from zonebook.core.testing.scope_samples import register


def _c1(world):
    return world.zones.c1, world.enterprises.c1


@register("operations.application")
def _application(world):
    from zonebook.operations.models import Application, ApplicationType

    zone, ent = _c1(world)
    t = ApplicationType.objects.get(code="infra_material")
    return Application.objects.get_or_create(number="YW2026C1SAMPLE", defaults={
        "type": t, "type_version": t.current, "enterprise": ent, "zone": zone, "status": "submitted"})[0]


def _vehicle(world):
    from zonebook.operations.models import Vehicle

    zone, ent = _c1(world)
    return Vehicle.objects.get_or_create(zone=zone, plate="渝A00001", defaults={"tare_weight": 15000, "owner": "重庆运输",
                                                                               "enterprise": ent})[0]


@register("operations.gatepass")
def _pass(world):
    from zonebook.operations.models import GatePass

    zone, ent = _c1(world)
    return GatePass.objects.get_or_create(number="C1SAMPLEPASS", defaults={
        "zone": zone, "enterprise": ent, "direction": "I", "pass_type": "3", "vehicle": _vehicle(world),
        "status": "1"})[0]


@register("operations.gateevent")
def _event(world):
    from django.utils import timezone

    from zonebook.operations.models import GateEvent

    gp = _pass(world)
    return GateEvent.objects.get_or_create(zone=gp.zone, event_id="c1-sample", defaults={
        "pass_number": gp.number, "gate_pass": gp, "gate_id": "G1", "direction": "I", "at": timezone.now(),  # the gate log shows the last 24 hours
        "result": "held"})[0]


@register("operations.gateexception")
def _exception(world):
    from zonebook.operations.models import GateException

    ev = _event(world)
    return GateException.objects.get_or_create(event=ev, defaults={"zone": ev.zone, "gate_pass": ev.gate_pass,
                                                                   "kind": "weight", "detail": "超重"})[0]


@register("operations.stocknote")
def _note(world):
    from zonebook.operations.models import StockNote

    zone, ent = _c1(world)
    return StockNote.objects.get_or_create(number="C1SAMPLENOTE", defaults={"zone": zone, "enterprise": ent,
                                                                            "direction": "I"})[0]


@register("operations.entrybatch")
def _batch(world):
    from zonebook.operations.models import EntryBatch

    zone, ent = _c1(world)
    return EntryBatch.objects.get_or_create(number="C1SAMPLEBATCH", defaults={
        "zone": zone, "enterprise": ent, "inspection_no": "J", "inspected_on": dt.date(2026, 1, 1),
        "inspection_result": "合格", "goods": "芯片", "hs_code": "8542", "qty": 10, "unit": "个", "remaining": 10})[0]


@register("operations.flowdeclaration")
def _flow(world):
    from zonebook.operations.models import FlowDeclaration

    zone, ent = _c1(world)
    return FlowDeclaration.objects.get_or_create(side="E", list_number="C1SAMPLEFLOW", defaults={
        "kind": "intra", "zone": zone, "enterprise": ent, "counterpart_list": "X", "counterpart_zone": zone,
        "hs_code": "8542", "qty": 1, "unit": "个", "declared_on": dt.date(2026, 1, 1)})[0]


@register("operations.container")
def _container(world):
    from zonebook.operations.models import Container

    zone, _ent = _c1(world)
    return Container.objects.get_or_create(zone=zone, number="CSQU3054383", defaults={
        "size_type": "40HQ", "tare_weight": 3800, "owner": "重庆集装箱"})[0]
