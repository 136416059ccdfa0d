"""Bonded goods flows: pairing (区内/区间), the queue with age, entry batches never below zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from zonebook.core.errors import DomainError
from zonebook.operations import flows
from zonebook.operations.models import EntryBatch, FlowDeclaration

pytestmark = pytest.mark.django_db
D = dt.date(2026, 11, 20)


def side(world, side, ent, lst, other, zone, qty="100", hs="8542319000", by=None):
    return flows.declare(side=side, enterprise=ent, list_number=lst, counterpart_list=other, counterpart_zone=zone,
                         hs_code=hs, qty=qty, unit="个", declared_on=D, by=by or world.users.zone)


def test_intra_zone_pairing_and_mismatch(ops):
    w = ops
    a = side(w, "E", w.enterprises.a1, "QD-OUT-1", "QD-IN-1", w.zones.a1)
    assert a.kind == "intra" and a.state == "unpaired"
    b = side(w, "I", w.enterprises.a1b, "QD-IN-1", "QD-OUT-1", w.zones.a1)
    a.refresh_from_db()
    assert a.state == b.state == "paired" and a.partner == b
    c = side(w, "E", w.enterprises.a1, "QD-OUT-2", "QD-IN-2", w.zones.a1, qty="100")
    d = side(w, "I", w.enterprises.a1b, "QD-IN-2", "QD-OUT-2", w.zones.a1, qty="90")
    c.refresh_from_db()
    assert c.state == d.state == "mismatch" and "100" in d.problem and "90" in d.problem
    rows = flows.queue(w.users.zone, today=D + dt.timedelta(days=5))
    assert {r.list_number for r in rows} == {"QD-OUT-2", "QD-IN-2"} and rows[0].age == 5


def test_inter_zone_unpaired_seen_by_both_zones(ops, client_for):
    w = ops
    side(w, "E", w.enterprises.a1, "QJ-OUT-9", "QJ-IN-9", w.zones.b1)
    rows = flows.queue(w.users.other_zone)  # the counterpart zone sees the waiting side
    assert [r.kind for r in rows] == ["inter"]
    assert "QJ-OUT-9" in client_for(w.users.zone).get("/operations/flows/").content.decode()
    assert "QJ-OUT-9" not in client_for(w.users.other_province).get("/operations/flows/").content.decode()
    assert client_for(w.users.zone).get("/operations/flows/?export=xlsx").status_code == 200


def test_entry_batch_partial_exits_never_below_zero(ops, client_for):
    w = ops
    b = flows.create_batch(enterprise=w.enterprises.a1, number="PC2026001", inspection_no="JY2026-118",
                           inspected_on=D, inspection_result="合格", goods="集成电路", hs_code="8542319000", qty="1000",
                           unit="个", by=w.users.zone)
    flows.release(b, "400", by=w.users.zone)
    flows.release(b, Decimal("600"), by=w.users.zone)
    b.refresh_from_db()
    assert b.remaining == 0 and [r.remaining_after for r in b.releases.all()] == [600, 0]
    with pytest.raises(DomainError) as e:
        flows.release(b, "0.00001", by=w.users.zone)
    assert e.value.code == "exceeds_remaining"
    with pytest.raises(DomainError):
        flows.release(b, "-5", by=w.users.zone)
    c = client_for(w.users.zone)
    assert c.get(f"/operations/flows/batches/{b.pk}/").status_code == 200
    assert client_for(w.users.other_zone).get(f"/operations/flows/batches/{b.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(w.users.zone)
    r = api.post("/api/operations/batches/", {"number": "PC2", "enterprise": w.enterprises.a1.pk, "inspection_no": "J",
                                              "inspected_on": "2026-11-20", "inspection_result": "合格", "goods": "芯片",
                                              "hs_code": "8542", "qty": "10", "unit": "个"}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert api.post(f"/api/operations/batches/{pk}/release/", {"qty": "7"}, format="json").json()["remaining"] == "3.00000"
    r = api.post(f"/api/operations/batches/{pk}/release/", {"qty": "4"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "exceeds_remaining"
    assert EntryBatch.objects.get(pk=pk).remaining == 3


def test_flow_api_and_scope(ops):
    api = APIClient()
    api.force_authenticate(ops.users.enterprise)
    r = api.post("/api/operations/flows/", {"side": "E", "enterprise": ops.enterprises.a1.pk, "list_number": "L1",
                                            "counterpart_list": "L2", "counterpart_zone": ops.zones.a2.pk,
                                            "hs_code": "85423190", "qty": "5", "unit": "个",
                                            "declared_on": "2026-11-20"}, format="json")
    assert r.status_code == 201 and r.json()["kind"] == "inter"
    other = APIClient()
    other.force_authenticate(ops.users.ent_b1)
    r = other.post("/api/operations/flows/", {"side": "E", "enterprise": ops.enterprises.a1.pk, "list_number": "L3",
                                              "counterpart_list": "L4", "counterpart_zone": ops.zones.a2.pk,
                                              "hs_code": "85423190", "qty": "5", "unit": "个",
                                              "declared_on": "2026-11-20"}, format="json")
    assert r.status_code == 404
    assert FlowDeclaration.objects.count() == 1


def _pair(world, out_on, in_on, *, qty_in="100", unit_in="个", n="1"):
    out = flows.declare(side="E", enterprise=world.enterprises.a1, list_number=f"RW-OUT-{n}", counterpart_list=f"RW-IN-{n}",
                        counterpart_zone=world.zones.a1, hs_code="3926909090", qty="100", unit="个",
                        declared_on=out_on, by=world.users.zone)
    into = flows.declare(side="I", enterprise=world.enterprises.a1b, list_number=f"RW-IN-{n}",
                         counterpart_list=f"RW-OUT-{n}", counterpart_zone=world.zones.a1, hs_code="3926909010",
                         qty=qty_in, unit=unit_in, declared_on=in_on, by=world.users.zone)
    out.refresh_from_db()
    return out, into


def test_flow_pairing_is_the_ledgers_carry_over_rule(ops):
    """HS-8 equal (3926909090 ↔ 3926909010 pairs), 30-day window and calendar year as for carry-overs."""
    w = ops
    out, into = _pair(w, dt.date(2026, 3, 1), dt.date(2026, 3, 31), n="1")
    assert out.state == into.state == "paired"
    out, into = _pair(w, dt.date(2026, 3, 1), dt.date(2026, 4, 2), n="2")
    assert into.state == "mismatch" and "32" in into.problem and "30" in into.problem
    out, into = _pair(w, dt.date(2025, 12, 30), dt.date(2026, 1, 2), n="3")
    assert into.state == "mismatch" and "2025-12-30" in into.problem
    out, into = _pair(w, dt.date(2026, 3, 1), dt.date(2026, 3, 1), unit_in="千克", n="4")
    assert into.state == "mismatch" and "千克" in into.problem


def test_flow_pairing_follows_the_ledgers_configuration(ops, settings):
    w = ops
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_CARRYOVER": {"WINDOW_DAYS": 60, "PARTIAL": True}}
    out, into = _pair(w, dt.date(2026, 3, 1), dt.date(2026, 4, 20), qty_in="90", n="5")
    assert out.state == into.state == "paired"
