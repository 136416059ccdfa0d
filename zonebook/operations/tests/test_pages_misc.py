"""Dashboard panel and to-do counters, type catalogue page, PostgreSQL concurrency of gate events and
batch releases."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import RequestFactory

from zonebook.core import modules
from zonebook.operations import dashboard, flows, gate, services
from zonebook.operations.models import ApplicationType, EntryBatch, GateEvent

from .conftest import attach, vehicle


@pytest.mark.django_db
def test_dashboard_counts_and_registration(ops):
    w = ops
    t = ApplicationType.objects.get(code="infra_material")
    app = services.create_application(app_type=t, enterprise=w.enterprises.a1, by=w.users.enterprise,
                                      data={"category": "基建物资", "vehicle": "川A1", "entry_date": "2026-03-02"},
                                      lines=[{"hs_code": "7216", "name": "钢材", "qty": "1", "unit": "吨"}])
    attach(app, w.users.enterprise, "物资清单")
    import datetime as dt

    from django.utils import timezone

    services.submit(app, by=w.users.enterprise, at=timezone.now() - dt.timedelta(days=10))
    assert dashboard.todo_count(w.users.zone) == 1 and dashboard.overdue_count(w.users.zone) == 1
    assert dashboard.todo_count(w.users.other_zone) == 0 and dashboard.overdue_count(w.users.other_zone) == 0
    assert dashboard.returned_count(w.users.enterprise) == 0
    request = RequestFactory().get("/")
    request.user = w.users.zone
    ctx = dashboard.office_panel(request)
    assert ctx["overdue"] == [app] and ctx["todo"] == 1
    mod = modules.get("zonebook.operations")
    assert mod is not None and mod.url_prefix == "operations"
    for todo in mod.todos:
        assert isinstance(modules.resolve(todo.count)(w.users.zone), int)
    from django.template.loader import render_to_string

    html = render_to_string("operations/_dashboard.html", ctx)
    assert app.number in html


@pytest.mark.django_db
def test_type_catalogue_page_adds_a_version(ops, client_for):
    c = client_for(ops.users.admin)
    assert "基建物资进区" in c.get("/operations/types/").content.decode()
    r = c.post("/operations/types/infra_material/", {
        "fields_json": '[{"name": "vehicle", "label": "车牌号", "kind": "text", "required": true}]',
        "attachments": "物资清单\n驾驶证", "sla_policy": ApplicationType.objects.get(code="infra_material").current.sla_policy_id,
        "needs_review": "on", "note": "增加驾驶证"})
    assert r.status_code == 302
    v = ApplicationType.objects.get(code="infra_material").current
    assert v.version == 2 and v.attachments == ["物资清单", "驾驶证"]
    bad = c.post("/operations/types/infra_material/", {"fields_json": "[{", "sla_policy": v.sla_policy_id})
    assert bad.status_code == 400
    assert client_for(ops.users.zone).get("/operations/types/infra_material/").status_code == 403


def _parallel(fns):
    errors = []

    def run(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_and_releases(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent inserts: PostgreSQL")
    staff = world.users.zone
    v = vehicle(world.zones.a1, staff)
    gp = gate.create_pass(zone=world.zones.a1, number="PX1", direction="E", pass_type="6", vehicle=v, by=staff)
    gate.approve_pass(gp, by=staff)
    outcomes = []

    def post():
        outcomes.append(gate.record_event(zone=world.zones.a1, event_id="SAME", pass_number="PX1", gate_id="G1",
                                          direction="E", by=staff))

    assert _parallel([post] * 4) == []
    assert GateEvent.objects.filter(event_id="SAME").count() == 1
    assert sum(o.created for o in outcomes) == 1 and {o.event.pk for o in outcomes} == {outcomes[0].event.pk}
    batch = flows.create_batch(enterprise=world.enterprises.a1, number="PCX", inspection_no="J", inspected_on="2026-11-20",
                               inspection_result="合格", goods="芯片", hs_code="8542", qty="10", unit="个", by=staff)
    errors = _parallel([lambda: flows.release(batch, "3", by=staff)] * 5)
    batch.refresh_from_db()
    assert batch.remaining == Decimal("1") and len(errors) == 2
    assert EntryBatch.objects.get(pk=batch.pk).releases.count() == 3


@pytest.mark.django_db
def test_vehicle_import(ops, tmp_path):
    import openpyxl

    from zonebook.core.imports import pipeline
    from zonebook.core.imports.kinds import get_kind
    from zonebook.operations.models import Vehicle

    vehicle(ops.zones.a1, ops.users.zone, plate="川A00009")

    def xlsx(rows):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["车牌号", "车辆自重", "车架重", "车辆所有人"])
        for r in rows:
            ws.append(r)
        path = tmp_path / "vehicles.xlsx"
        wb.save(path)
        return path

    bad = pipeline.run(get_kind("vehicles"), xlsx([["川a10001", 15000, 7000, "甲运输"],
                                                                ["川A00009", 15000, 0, "乙运输"],
                                                                ["川A10001", 14000, 0, "丙运输"]]), "v.xlsx", ops.users.zone)
    assert not bad.ok and Vehicle.objects.count() == 1
    reasons = " ".join(str(e) for e in bad.errors)
    assert "川A00009" in reasons and ("twice" in reasons or "重复" in reasons)
    good = pipeline.run(get_kind("vehicles"), xlsx([["川A10001", "15,000", 7000, "甲运输"]]), "v.xlsx",
                        ops.users.zone)
    assert good.ok and Vehicle.objects.get(plate="川A10001").tare_weight == 15000
    assert Vehicle.objects.get(plate="川A10001").zone == ops.zones.a1


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "1800-05-01T08:00"])
def test_gate_log_dates_out_of_range_are_a_form_error_not_a_server_error(ops, client_for, value):
    # 0001-01-01 in Asia/Shanghai falls before year 1 in UTC (found by schemathesis on PostgreSQL)
    c = client_for(ops.users.zone)
    r = c.get("/api/operations/gate-events/", {"at_from": value})
    assert r.status_code == 400 and "at_from" in r.json()
    assert c.get("/api/operations/gate-events/", {"at_from": "2026-01-01T00:00"}).status_code == 200
