"""The gate-event path's cost: a fixed, small number of queries per event, whatever the pass carries,
with every check kept (weight tolerance per goods kind, quantities against the documents)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zonebook.operations import gate
from zonebook.operations.choices import PassStatus
from zonebook.operations.models import GateEvent, StockNote, WeightTolerance

from .conftest import vehicle
from .test_gate import URL, example_pass, token_client, zone_admin  # noqa: F401

pytestmark = pytest.mark.django_db


def _warm(api):
    """A first request stamps the token's last_used_at; the figures below are the steady state."""
    assert api.get(URL + "?page_size=1").status_code == 200


def test_released_event_with_goods_costs_a_fixed_number_of_queries(world, zone_admin, django_assert_num_queries):  # noqa: F811
    gp = example_pass(world)
    api, _ = token_client(world, zone_admin)
    _warm(api)
    body = {"event_id": "E1", "pass_number": gp.number, "gate_id": "G1", "direction": "I", "weight": "46100"}
    # token (+ user + zone); savepoint; pass + tolerance; lines + documents; document lines; passed
    # quantities; event; pass status; audit; release — was 16 with the token's stamp and its commit
    with django_assert_num_queries(10):
        r = api.post(URL, body, format="json")
    assert r.status_code == 201, r.content
    gp.refresh_from_db()
    assert gp.status == PassStatus.PASSED and gp.weighed == Decimal(46100)
    assert StockNote.objects.get().passed is False  # 100 of 150


def test_last_goods_complete_the_stock_note_in_one_more_update(world, zone_admin, django_assert_num_queries):  # noqa: F811
    first = example_pass(world, qty="100")
    gate.record_event(zone=world.zones.a1, event_id="Q1", pass_number=first.number, gate_id="G1", direction="I",
                      by=world.users.zone)
    rest = example_pass(world, qty="50", number="P510120260000000000002")
    api, _ = token_client(world, zone_admin)
    _warm(api)
    with django_assert_num_queries(11):
        r = api.post(URL, {"event_id": "Q2", "pass_number": rest.number, "gate_id": "G1", "direction": "I"},
                     format="json")
    assert r.status_code == 201, r.content
    assert StockNote.objects.get().passed is True


def test_empty_vehicle_event_costs_seven_queries_and_its_retry_as_many(world, zone_admin, django_assert_num_queries):  # noqa: F811
    v = vehicle(world.zones.a1, world.users.zone)
    gp = gate.create_pass(zone=world.zones.a1, number="K0001", direction="E", pass_type="6", vehicle=v,
                          by=world.users.zone)
    gate.approve_pass(gp, by=world.users.zone)
    api, _ = token_client(world, zone_admin)
    _warm(api)
    body = {"event_id": "K1", "pass_number": gp.number, "gate_id": "G1", "direction": "E", "weight": "22010"}
    with django_assert_num_queries(7):  # token; savepoint; pass + tolerance; event; pass; audit; release
        r = api.post(URL, body, format="json")
    assert r.status_code == 201, r.content
    # the retry answers from the unique constraint: token; savepoint; pass; event (conflict); rollback;
    # the stored event (its exceptions only when held)
    with django_assert_num_queries(7):
        r2 = api.post(URL, body, format="json")
    assert r2.status_code == 200 and r2.json()["duplicate"] is True and r2.json()["id"] == r.json()["id"]
    assert GateEvent.objects.count() == 1


def test_tolerance_of_the_goods_kind_before_the_zones_general_one(world):
    """The tolerance read with the pass: the goods kind's row, else the zone's general row, else 1 %."""
    staff = world.users.zone
    v = vehicle(world.zones.a1, staff)

    def event(number, goods_kind, weight):
        gp = gate.create_pass(zone=world.zones.a1, number=number, direction="I", pass_type="5", vehicle=v, by=staff,
                              goods_weight=Decimal("20000"), goods_kind=goods_kind)
        gate.approve_pass(gp, by=staff)
        return gate.record_event(zone=world.zones.a1, event_id=number, pass_number=number, gate_id="G1",
                                 direction="I", weight=weight, by=staff).event.result

    # expected 42,000 kg; 42,300 kg is 0.714 % over
    assert event("T1", "bulk", "42300") == "released"  # no rows: the default 1 %
    WeightTolerance.objects.create(zone=world.zones.a1, goods_kind="general", pct=Decimal("0.5"))
    assert event("T2", "bulk", "42300") == "held"  # the general row
    WeightTolerance.objects.create(zone=world.zones.a1, goods_kind="bulk", pct=Decimal("2"))
    assert event("T3", "bulk", "42300") == "released"  # the goods kind's row first
    assert event("T4", "general", "42300") == "held"
    WeightTolerance.objects.create(zone=world.zones.b1, goods_kind="general", pct=Decimal("5"))  # another zone's
    WeightTolerance.objects.filter(zone=world.zones.a1, goods_kind="general").update(min_kg=Decimal("400"))
    assert event("T5", "general", "42300") == "released"  # within the minimum in kg


def test_retry_of_a_held_event_answers_with_its_exceptions(world, zone_admin):  # noqa: F811
    WeightTolerance.objects.create(zone=world.zones.a1, goods_kind="general", pct=Decimal("0.5"))
    gp = example_pass(world)
    api, _ = token_client(world, zone_admin)
    body = {"event_id": "H1", "pass_number": gp.number, "gate_id": "G1", "direction": "I", "weight": "46100"}
    r = api.post(URL, body, format="json")
    assert r.status_code == 202 and len(r.json()["exceptions"]) == 1
    r2 = api.post(URL, body, format="json")
    assert r2.status_code == 202 and r2.json()["duplicate"] is True
    assert r2.json()["exceptions"] == r.json()["exceptions"]
