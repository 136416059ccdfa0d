"""Two-gate passage (已过一卡 → 已过二卡): gates configured per zone, checks at the right gate, the
second gate without the first is a gate exception, idempotent retries, the log and open-pass views."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.operations import gate
from zonebook.operations.choices import PassStatus
from zonebook.operations.models import GateException, StockNote, WeightTolerance, ZoneGate
from zonebook.operations.views_gate import figures

from .test_gate import URL, example_pass, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone_admin(world):
    leader = world.users.zone_leader
    leader.can_manage_users = True
    leader.save()
    return leader


def two_gates(world, *, weighbridge_at="second"):
    staff = world.users.zone
    gate.save_gate(zone=world.zones.a1, code="K1", name="一号卡口（外）", stage="first", by=staff,
                   weighbridge=weighbridge_at == "first")
    gate.save_gate(zone=world.zones.a1, code="K2", name="二号卡口（内）", stage="second", by=staff,
                   weighbridge=weighbridge_at == "second")


def post(api, event_id, gp, gate_id, weight=None):
    body = {"event_id": event_id, "pass_number": gp.number, "gate_id": gate_id, "direction": "I"}
    if weight is not None:
        body["weight"] = weight
    return api.post(URL, body, format="json")


def test_first_then_second_gate_with_idempotent_retries(world, zone_admin):
    two_gates(world)
    gp = example_pass(world, qty="150")
    api, _ = token_client(world, zone_admin)
    r = post(api, "T1", gp, "K1", weight="99999")  # no weighbridge at the first gate: not checked there
    assert r.status_code == 201, r.content
    assert r.json()["stage"] == "first" and r.json()["pass_status"] == PassStatus.FIRST_GATE
    gp.refresh_from_db()
    assert gp.status == PassStatus.FIRST_GATE and gp.first_gate_at is not None and gp.passed_at is None
    assert StockNote.objects.get().passed is False  # the goods count where the passage completes
    assert post(api, "T1", gp, "K1", weight="99999").status_code == 200  # the gate system's retry
    again = post(api, "T1b", gp, "K1")
    assert again.status_code == 409 and again.json()["reason_code"] == "first_gate_passed"
    r = post(api, "T2", gp, "K2", weight="46100")
    assert r.status_code == 201 and r.json()["pass_status"] == PassStatus.SECOND_GATE
    gp.refresh_from_db()
    assert gp.status == PassStatus.SECOND_GATE and gp.passed_at is not None and gp.weighed == Decimal("46100")
    assert StockNote.objects.get().passed is True  # all 150 passed
    retry = post(api, "T2", gp, "K2", weight="46100")
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    assert post(api, "T3", gp, "K2").json()["reason_code"] == "already_used"


def test_weight_is_checked_at_the_weighbridge_gate(world, zone_admin):
    two_gates(world, weighbridge_at="first")
    WeightTolerance.objects.create(zone=world.zones.a1, goods_kind="general", pct=Decimal("0.5"))
    gp = example_pass(world)
    api, _ = token_client(world, zone_admin)
    r = post(api, "W1", gp, "K1", weight="46100")  # 300 kg over 45,800 at 0.5 %: held at the first gate
    assert r.status_code == 202 and r.json()["exceptions"][0]["kind"] == "weight"
    gate.decide(GateException.objects.get(), release=True, reason="复磅合格", by=world.users.zone)
    gp.refresh_from_db()
    assert gp.status == PassStatus.FIRST_GATE  # the release lets it through the first gate only
    r = post(api, "W2", gp, "K2", weight="1")  # no weighbridge at the second gate
    assert r.status_code == 201
    gp.refresh_from_db()
    assert gp.status == PassStatus.SECOND_GATE


def test_second_gate_without_the_first_is_a_gate_exception(world, zone_admin, client_for):
    two_gates(world)
    gp = example_pass(world)
    api, _ = token_client(world, zone_admin)
    r = post(api, "S1", gp, "K2", weight="45800")
    assert r.status_code == 202 and r.json()["result"] == "held"
    exc = GateException.objects.get()
    assert exc.kind == "sequence" and exc.event.stage == "second"
    gp.refresh_from_db()
    assert gp.status == PassStatus.APPROVED
    c = client_for(world.users.zone)
    c.post(f"/operations/gate/exceptions/{exc.pk}/decide/", {"decision": "release", "reason": "一卡读卡器故障，人工核实"})
    gp.refresh_from_db()
    assert gp.status == PassStatus.SECOND_GATE


def test_unknown_gate_of_a_configured_zone_is_refused(world, zone_admin):
    two_gates(world)
    gp = example_pass(world)
    api, _ = token_client(world, zone_admin)
    r = post(api, "U1", gp, "G9")
    assert r.status_code == 409 and r.json()["reason_code"] == "unknown_gate"
    gp.refresh_from_db()
    assert gp.status == PassStatus.APPROVED


def test_log_and_open_passes_show_the_state(world, zone_admin, client_for):
    two_gates(world)
    gp = example_pass(world)
    gp.created_at = gp.created_at.replace(year=gp.created_at.year - 1)
    gp.save(update_fields=["created_at"])
    api, _ = token_client(world, zone_admin)
    post(api, "L1", gp, "K1")
    figs = figures(world.users.zone, open_hours=24)
    assert [p.number for p in figs["old_open"]] == [gp.number]  # between the gates: still open
    c = client_for(world.users.zone)
    page = c.get("/operations/gate/log/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已过一卡" in page and "一卡" in page
    figures_page = c.get("/operations/gate/figures/?hours=1").content.decode()
    assert gp.number in figures_page
    post(api, "L2", gp, "K2")
    assert figures(world.users.zone, open_hours=24)["old_open_count"] == 0


def test_gates_page_configures_gates_in_scope(world, client_for):
    c = client_for(world.users.zone)
    r = c.post("/operations/gate/gates/", {"code": "", "name": "一号卡口", "stage": "first"})
    assert r.status_code == 200 and "一号卡口" in r.content.decode()  # the form keeps what was typed
    r = c.post("/operations/gate/gates/", {"code": "K1", "name": "一号卡口", "stage": "first", "weighbridge": "1"})
    assert r.status_code == 302
    g = ZoneGate.objects.get()
    assert (g.zone, g.stage, g.weighbridge) == (world.zones.a1, "first", True)
    assert AuditEntry.objects.filter(object_id=str(g.pk), action=AuditEntry.Action.CREATE).exists()
    c.post("/operations/gate/gates/", {"code": "K1", "name": "一号卡口", "stage": "second"})
    g.refresh_from_db()
    assert (g.stage, g.weighbridge) == ("second", False)
    other = client_for(world.users.other_zone).get("/operations/gate/gates/").content.decode()
    assert "一号卡口" not in other
    assert client_for(world.users.enterprise).post("/operations/gate/gates/", {"code": "X", "stage": "first"}
                                                   ).status_code == 403
    with pytest.raises(DomainError):
        gate.save_gate(zone=world.zones.a1, code="K5", stage="third", by=world.users.zone)
