"""Gate passes and gate events: the checks at the event, idempotency, tokens, officer decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from zonebook.accounts import tokens
from zonebook.audit.models import AuditEntry
from zonebook.operations import calc, gate
from zonebook.operations.choices import PassStatus
from zonebook.operations.models import GateEvent, GateException, StockNote, WeightTolerance

from .conftest import vehicle

pytestmark = pytest.mark.django_db
URL = "/api/operations/gate-events/"


@pytest.fixture
def zone_admin(world):
    leader = world.users.zone_leader
    leader.can_manage_users = True
    leader.save()
    return leader


def token_client(world, zone_admin, zone=None):
    if zone is None:
        zone = world.zones.a1
    else:
        from zonebook.accounts.testing import user_for

        zone_admin = user_for("zone", zone, role="zone_leader", can_manage_users=True)
    tok, raw = tokens.issue_token(name="卡口系统", zone=zone, areas=["ops"], by=zone_admin)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api, tok


def example_pass(world, *, qty="100", approve=True, number="P510120260000000000001"):
    """Example I of the domain doc: 15,000 + 7,000 + 3,800 + 20,000 = 45,800 kg."""
    staff = world.users.zone
    v = vehicle(world.zones.a1, staff) if not hasattr(world, "_v") else world._v
    world._v = v
    if not StockNote.objects.filter(number="RK2026001").exists():
        gate.add_stock_note(enterprise=world.enterprises.a1, number="RK2026001", direction="I", by=staff,
                            lines=[{"name": "集成电路", "hs_code": "8542319000", "qty": "150", "unit": "个",
                                    "gross_weight": "20000"}])
    gp = gate.create_pass(zone=world.zones.a1, number=number, direction="I", pass_type="3", vehicle=v, by=staff,
                          enterprise=world.enterprises.a1, container_no="TGHU1234567", container_weight=Decimal("3800"),
                          goods_weight=Decimal("20000"), documents=[{"kind": "2", "number": "RK2026001"}],
                          lines=[{"document": 0, "related_seq": 1, "qty": qty, "name": "集成电路", "unit": "个"}])
    if approve:
        gate.approve_pass(gp, by=staff)
    return gp


def test_expected_weight_example_one():
    exp = calc.expected_weight(15000, 7000, 3800, 20000)
    assert exp == Decimal(45800)
    ok, dev, share = calc.weight_check(exp, Decimal(46100), Decimal("1"), Decimal(0))
    assert ok and dev == 300 and share == Decimal("0.655")
    assert not calc.weight_check(exp, Decimal(46100), Decimal("0.5"), Decimal(0))[0]
    assert calc.weight_check(exp, Decimal(46100), Decimal("0.5"), Decimal(300))[0]


def test_release_and_idempotent_retry(world, zone_admin):
    gp = example_pass(world)
    assert gp.total_weight == Decimal(45800)
    api, _ = token_client(world, zone_admin)
    body = {"event_id": "E1", "pass_number": gp.number, "gate_id": "G1", "direction": "I", "weight": "46100",
            "photo_ref": "cam1/2026/001.jpg"}
    r = api.post(URL, body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["result"] == "released" and r.json()["duplicate"] is False
    gp.refresh_from_db()
    assert gp.status == PassStatus.PASSED and gp.weighed == Decimal(46100)
    r2 = api.post(URL, body, format="json")
    assert r2.status_code == 200 and r2.json()["duplicate"] is True and r2.json()["id"] == r.json()["id"]
    assert GateEvent.objects.count() == 1
    assert StockNote.objects.get().passed is False  # 100 of 150 passed
    # the same pass again under a new event id: already used
    r3 = api.post(URL, {**body, "event_id": "E2"}, format="json")
    assert r3.status_code == 409 and r3.json()["reason_code"] == "already_used"


def test_unknown_unapproved_cancelled(world, zone_admin):
    api, _ = token_client(world, zone_admin)
    r = api.post(URL, {"event_id": "X1", "pass_number": "NOPE", "gate_id": "G1", "direction": "I"}, format="json")
    assert r.status_code == 404 and r.json()["reason_code"] == "unknown_pass"
    gp = example_pass(world, approve=False)
    r = api.post(URL, {"event_id": "X2", "pass_number": gp.number, "gate_id": "G1", "direction": "I"}, format="json")
    assert r.status_code == 409 and r.json()["reason_code"] == "not_approved"
    gate.cancel_pass(gp, by=world.users.zone, reason="车辆更换")
    r = api.post(URL, {"event_id": "X3", "pass_number": gp.number, "gate_id": "G1", "direction": "I"}, format="json")
    assert r.status_code == 409 and r.json()["reason_code"] == "cancelled"
    gp.refresh_from_db()
    assert gp.status == PassStatus.CANCELLED


def test_weight_outside_tolerance_holds_until_officer_decides(world, zone_admin, client_for):
    WeightTolerance.objects.create(zone=world.zones.a1, goods_kind="general", pct=Decimal("0.5"))
    gp = example_pass(world)
    api, _ = token_client(world, zone_admin)
    r = api.post(URL, {"event_id": "W1", "pass_number": gp.number, "gate_id": "G1", "direction": "I",
                       "weight": "46100"}, format="json")
    assert r.status_code == 202 and r.json()["result"] == "held"
    exc = GateException.objects.get()
    assert exc.kind == "weight" and "300" in exc.detail and exc.expected == 45800
    gp.refresh_from_db()
    assert gp.status == PassStatus.APPROVED  # not released
    c = client_for(world.users.zone)
    page = c.get("/operations/gate/").content.decode()
    assert gp.number in page and "id=\"pass_number\"" in page and "autofocus" in page
    r = c.post(f"/operations/gate/exceptions/{exc.pk}/decide/", {"decision": "release", "reason": ""})
    exc.refresh_from_db()
    assert exc.state == "open"  # a reason is required
    c.post(f"/operations/gate/exceptions/{exc.pk}/decide/", {"decision": "release", "reason": "集装箱实重已核"})
    exc.refresh_from_db()
    gp.refresh_from_db()
    assert exc.state == "released" and exc.decided_by == world.users.zone and gp.status == PassStatus.PASSED
    assert AuditEntry.objects.filter(code="operations.gateexception.released").exists()


def test_hold_keeps_the_pass(world):
    WeightTolerance.objects.create(zone=world.zones.a1, goods_kind="general", pct=Decimal("0.1"))
    gp = example_pass(world)
    out = gate.record_event(zone=world.zones.a1, event_id="H1", pass_number=gp.number, gate_id="G1", direction="I",
                            weight=Decimal("47000"), by=world.users.zone)
    gate.decide(out.exceptions[0], release=False, reason="超重，退回", by=world.users.zone)
    gp.refresh_from_db()
    assert gp.status == PassStatus.APPROVED and GateException.objects.get().state == "held"


def test_pass_lines_exceeding_the_list(world):
    first = example_pass(world, qty="100")
    gate.record_event(zone=world.zones.a1, event_id="Q1", pass_number=first.number, gate_id="G1", direction="I",
                      by=world.users.zone)
    second = example_pass(world, qty="60", number="P510120260000000000002")  # 100 + 60 > 150
    out = gate.record_event(zone=world.zones.a1, event_id="Q2", pass_number=second.number, gate_id="G1",
                            direction="I", by=world.users.zone)
    assert out.event.result == "held" and out.exceptions[0].kind == "quantity"
    assert "150" in out.exceptions[0].detail
    third = example_pass(world, qty="50", number="P510120260000000000003")  # exactly 150: complete
    gate.cancel_pass(second, by=world.users.zone)
    out = gate.record_event(zone=world.zones.a1, event_id="Q3", pass_number=third.number, gate_id="G1",
                            direction="I", by=world.users.zone)
    assert out.event.result == "released"
    assert StockNote.objects.get().passed is True


def test_other_zone_token_404_and_revoked_401(world, zone_admin):
    gp = example_pass(world)
    other, _ = token_client(world, zone_admin, zone=world.zones.b1)
    r = other.post(URL, {"event_id": "Z1", "pass_number": gp.number, "gate_id": "G1", "direction": "I"}, format="json")
    assert r.status_code == 404
    gp.refresh_from_db()
    assert gp.status == PassStatus.APPROVED
    assert other.get(URL).json()["count"] == 1 and other.get(f"/api/operations/passes/{gp.pk}/").status_code == 404
    api, tok = token_client(world, zone_admin)
    tokens.revoke_token(tok, by=zone_admin)
    r = api.post(URL, {"event_id": "Z2", "pass_number": gp.number, "gate_id": "G1", "direction": "I"}, format="json")
    assert r.status_code == 401


def test_pass_api_create_approve_and_pages(world, zone_admin, client_for):
    vehicle(world.zones.a1, world.users.zone, plate="川A00001")
    staff = APIClient()
    staff.force_authenticate(world.users.zone)
    r = staff.post("/api/operations/passes/", {"number": "P1", "direction": "E", "pass_type": "6", "vehicle": "川A00001"},
                   format="json")
    assert r.status_code == 201, r.content
    assert r.json()["total_weight"] == "22000.000"
    pk = r.json()["id"]
    assert staff.post(f"/api/operations/passes/{pk}/approve/").json()["status"] == "1"
    bad = staff.post("/api/operations/passes/", {"number": "P2", "direction": "E", "pass_type": "6",
                                                 "vehicle": "川A00001", "lines": [{"related_seq": 1, "qty": "1"}]},
                     format="json")
    assert bad.status_code == 400
    c = client_for(world.users.zone)
    gate.record_event(zone=world.zones.a1, event_id="web-1", pass_number="P1", gate_id="G2", direction="E",
                      by=world.users.zone)
    for url in ("/operations/gate/passes/", "/operations/gate/log/", "/operations/gate/figures/",
                f"/operations/gate/passes/{pk}/", "/operations/gate/log/?export=xlsx"):
        assert c.get(url).status_code == 200, url
    assert "P1" in c.get("/operations/gate/log/").content.decode()
    assert client_for(world.users.other_zone).get(f"/operations/gate/passes/{pk}/").status_code == 404


def test_officer_page_records_a_scan(world, client_for):
    gp = example_pass(world)
    c = client_for(world.users.zone)
    r = c.post("/operations/gate/", {"pass_number": gp.number, "gate_id": "G1", "direction": "I", "weight": "45800",
                                     "event_id": "web-abc"})
    assert r.status_code == 200 and 'id="gate-result"' in r.content.decode()
    gp.refresh_from_db()
    assert gp.status == PassStatus.PASSED
    assert client_for(world.users.enterprise).get("/operations/gate/").status_code == 403


def test_empty_vehicle_abuse_figure(world):
    from django.utils import timezone

    from zonebook.operations.views_gate import figures

    v = vehicle(world.zones.a1, world.users.zone, plate="川A77777")
    t = timezone.now()
    for i in range(3):
        gp = gate.create_pass(zone=world.zones.a1, number=f"E{i}", direction="E", pass_type="6", vehicle=v,
                              by=world.users.zone)
        gate.approve_pass(gp, by=world.users.zone)
        gate.record_event(zone=world.zones.a1, event_id=f"e{i}", pass_number=gp.number, gate_id="G1", direction="E",
                          at=t - __import__("datetime").timedelta(minutes=10 * i), by=world.users.zone)
    f = figures(world.users.zone)
    assert f["abuse"] == [("川A77777", 2)] and f["today"] >= 1
