"""Deep-processing carry-over (深加工结转): applications, halves, matching rules, queue, pages, API,
import, export, scope and query counts.

The world: transfer-out book C of 成都甲电子 (zone a1) with product 1 (塑料外壳, HS 3926909090,
unit 007; BOM: 0.5 of material 1, opening 10,000) and transfer-in book C of 成都丙物流 (zone a2) with
material 1 (HS 3926909010 — same first 8 digits, unit 007).  Application: 1,000 units, 2026-01-01 …
2026-12-31.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.core.exports import LIST_HEADER_ROWS
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.ledger.models import BookItem, CarryOver, CarryOverLink
from zonebook.ledger.services import carryover as svc
from zonebook.ledger.tests import factories as f
from zonebook.registry.models import Code, CodeTable

HS_OUT = "3926909090"
HS_IN = "3926909010"


def api(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user)
    return c


def _hs(code, name="塑料制品"):
    f.reference()
    table = CodeTable.objects.get(key="hs")
    Code.objects.get_or_create(
        table=table, code=code, defaults={"name": name, "extra": {"legal_unit1": "007"}}
    )


def setup_pair(world, *, out_ent=None, in_ent=None, in_hs=HS_IN, in_unit="007", planned="1000"):
    _hs(HS_OUT)
    _hs(HS_IN)
    out_book = f.book(out_ent or world.enterprises.a1, kind="C")
    mat = f.material(out_book, 1, opening=10000)
    prod = f.product(out_book, 1, hs_code=HS_OUT, name="塑料外壳", unit="007", legal_unit1="007")
    f.bom(prod, mat, "0.5")
    in_book = f.book(in_ent or world.enterprises.a2, kind="C")
    in_mat = f.material(in_book, 1, hs_code=in_hs, name="塑料外壳", unit=in_unit, legal_unit1="007")
    co = svc.create_carryover(
        {
            "transferor_book": out_book,
            "transferor_item": prod,
            "transferee_book": in_book,
            "transferee_item": in_mat,
            "planned_qty": planned,
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": dt.date(2026, 12, 31),
        }
    )
    co = svc.change_carryover_state(co, "approved")
    return co


def ship(co, qty, date, **line):
    return f.post(
        co.transferor_book, "0654", "E", "product", [(1, qty, line)] if line else [(1, qty)], date=date
    ).inventory_list


def receive(co, qty, date, **line):
    return f.post(
        co.transferee_book, "0654", "I", "material", [(1, qty, line)] if line else [(1, qty)], date=date
    ).inventory_list


def refreshed(co):
    return CarryOver.objects.get(pk=co.pk)


# ------------------------------------------------------------------ application rules


def test_hs_first_eight_digits_rule():
    a = BookItem(seq_no=1, part_no="P1", name="x", hs_code="3926909090")
    b = BookItem(seq_no=1, part_no="M1", name="y", hs_code="3926909010")
    assert svc.hs8_error(a, b) is None  # 39269090 = 39269090 → passes
    a.hs_code, b.hs_code = "8471300000", "8471410000"
    err = svc.hs8_error(a, b)  # 84713000 ≠ 84714100 → fails
    assert err.code == "hs_mismatch"
    assert (
        "84713000 ≠ 84714100" in err.message and "8471300000" in err.message and "8471410000" in err.message
    )


def test_create_refuses_hs_mismatch_and_unit_mismatch(world):
    _hs(HS_OUT)
    out_book = f.book(world.enterprises.a1, kind="C")
    prod = f.product(out_book, 1)  # 8471300000, unit 001
    in_book = f.book(world.enterprises.a2, kind="C")
    other = f.material(in_book, 1, hs_code="8471410000", unit="001", legal_unit1="001")
    data = {
        "transferor_book": out_book,
        "transferor_item": prod,
        "transferee_book": in_book,
        "transferee_item": other,
        "planned_qty": "10",
        "valid_from": dt.date(2026, 1, 1),
        "valid_to": dt.date(2026, 6, 30),
    }
    with pytest.raises(DomainError) as e:
        svc.create_carryover(data)
    assert e.value.code == "hs_mismatch" and e.value.field == "transferee_item"
    # same HS, units differ in declared and legal unit → no common unit to match in
    kg = f.material(in_book, 2, hs_code="8471300000", unit="035", legal_unit1="035")
    with pytest.raises(DomainError) as e:
        svc.create_carryover({**data, "transferee_item": kg})
    assert e.value.code == "unit_mismatch" and "001" in e.value.message and "035" in e.value.message
    # declared units differ but the legal units agree → counted in legal quantity
    legal = f.material(in_book, 3, hs_code="8471300000", unit="007", legal_unit1="001")
    co = svc.create_carryover({**data, "transferee_item": legal})
    assert co.unit == "001" and co.compare_legal and co.state == "draft" and co.number.startswith("JZ2026")
    # the same book on both sides, validity order, planned quantity
    with pytest.raises(DomainError) as e:
        svc.create_carryover({**data, "transferee_book": out_book})
    assert e.value.code == "book_mismatch"
    with pytest.raises(DomainError) as e:
        svc.create_carryover({**data, "transferee_item": legal, "valid_to": dt.date(2025, 12, 31)})
    assert e.value.code == "period_order"
    with pytest.raises(DomainError) as e:
        svc.create_carryover({**data, "transferee_item": legal, "planned_qty": "0"})
    assert e.value.field == "planned_qty"


# ------------------------------------------------------------------ linking and plan


def test_receipt_exceeding_the_application_is_refused(world):
    co = setup_pair(world)
    svc.link_list(co, receive(co, 700, dt.date(2026, 3, 5)))
    lst = receive(co, 400, dt.date(2026, 3, 6))
    # planned 1,000; already received 700; this list 400 → 700 + 400 − 1,000 = 100 over
    with pytest.raises(DomainError) as e:
        svc.link_list(co, lst)
    msg = e.value.message
    assert e.value.code == "over_plan"
    assert co.number in msg and "#1 M0001" in msg
    assert "planned 1000.00000" in msg and "already received 700.00000" in msg and "excess 100.00000" in msg
    assert refreshed(co).received_qty == D("700")  # nothing written


def test_shipments_over_plan_are_linked_and_queued(world):
    co = setup_pair(world, planned="500")
    svc.link_list(co, ship(co, 300, dt.date(2026, 3, 2)))
    links = svc.link_list(co, ship(co, 350, dt.date(2026, 3, 10)))
    # shipped 300 + 350 = 650 against a plan of 500 → the second half is 150 over
    assert links[0].over_plan_qty == D("150")
    co = refreshed(co)
    assert co.shipped_qty == D("650") and co.over_plan_qty == D("150") and co.open_halves == 2


def test_link_refuses_other_books_sides_and_periods(world):
    co = setup_pair(world)
    stranger = f.book(world.enterprises.a1b, kind="C")
    f.material(stranger, 1, opening=0)
    lst = f.post(stranger, "0654", "I", "material", [(1, 5)], date=dt.date(2026, 3, 1)).inventory_list
    with pytest.raises(DomainError) as e:
        svc.link_list(co, lst)
    assert e.value.code == "book_mismatch"
    assert stranger.number in e.value.message and co.transferor_book.number in e.value.message
    # an ordinary export (0615) of the transfer-out book is no carry-over shipment
    exp = f.post(
        co.transferor_book, "0615", "E", "product", [(1, 5)], date=dt.date(2026, 3, 1)
    ).inventory_list
    with pytest.raises(DomainError) as e:
        svc.link_list(co, exp)
    assert e.value.code == "book_mismatch" and "0654 / 0255" in e.value.message
    # outside the validity
    late = receive(co, 5, dt.date(2027, 1, 4))
    with pytest.raises(DomainError) as e:
        svc.link_list(co, late)
    assert e.value.code == "outside_period"
    # linked twice
    ok = receive(co, 5, dt.date(2026, 3, 1))
    svc.link_list(co, ok.number)
    with pytest.raises(DomainError) as e:
        svc.link_list(co, ok)
    assert e.value.code == "invalid_lines" and "already linked" in e.value.message


def test_draft_application_takes_no_lists(world):
    co = setup_pair(world)
    draft = svc.create_carryover(
        {
            "transferor_book": co.transferor_book,
            "transferor_item": co.transferor_item,
            "transferee_book": co.transferee_book,
            "transferee_item": co.transferee_item,
            "planned_qty": "10",
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": dt.date(2026, 2, 28),
        }
    )
    with pytest.raises(DomainError) as e:
        svc.link_list(draft, receive(co, 1, dt.date(2026, 2, 1)))
    assert e.value.code == "bad_state"


# ------------------------------------------------------------------ matching


def test_auto_match_by_month_and_queue(world):
    co = setup_pair(world)
    # March: shipped 200 + 100 = 300, received 300 → one pairing (many-to-one allowed by default)
    svc.link_list(co, ship(co, 200, dt.date(2026, 3, 2)))
    svc.link_list(co, ship(co, 100, dt.date(2026, 3, 20)))
    svc.link_list(co, receive(co, 300, dt.date(2026, 3, 25)))
    # April: shipped 150, received 140 → quantities differ, not paired
    svc.link_list(co, ship(co, 150, dt.date(2026, 4, 3)))
    svc.link_list(co, receive(co, 140, dt.date(2026, 4, 8)))
    # May: a shipment without a receipt
    svc.link_list(co, ship(co, 50, dt.date(2026, 5, 10)))
    made = svc.auto_match([co])
    assert len(made) == 1
    m = made[0]
    assert (m.period, m.shipped_qty, m.received_qty, m.difference) == (dt.date(2026, 3, 1), D(300), D(300), 0)
    assert m.shipment_lists == 2 and m.receipt_lists == 1 and m.auto
    co = refreshed(co)
    # shipped 200+100+150+50 = 500, matched 300; received 300+140 = 440, matched 300
    assert (co.shipped_qty, co.matched_shipped_qty) == (D(500), D(300))
    assert (co.received_qty, co.matched_received_qty) == (D(440), D(300))
    assert co.open_halves == 3
    problems = {p["period"]: p for p in svc.matching_problems(co)}
    assert (
        "shipped 150.00000 ≠ received 140.00000 (difference 10.00000"
        in problems[dt.date(2026, 4, 1)]["reason"]
    )
    assert "no receipt" in problems[dt.date(2026, 5, 1)]["reason"]
    # the queue: April's two halves and May's shipment, aged from the declaration date
    rows = list(svc.queue().filter(carry_over=co).order_by("declaration_date"))
    assert [(r.side, r.qty, r.queue_status) for r in rows] == [
        ("shipment", D(150), "unmatched"),
        ("receipt", D(140), "unmatched"),
        ("shipment", D(50), "unmatched"),
    ]
    # a second run changes nothing
    assert svc.auto_match([co]) == []


def test_manual_match_rules(world, settings):
    co = setup_pair(world)
    a = svc.link_list(co, ship(co, 100, dt.date(2026, 3, 1)))[0]
    b = svc.link_list(co, receive(co, 100, dt.date(2026, 4, 5)))[0]
    # 2026-03-01 … 2026-04-05 = 35 days > 30
    with pytest.raises(DomainError) as e:
        svc.match_halves(co, [a.pk], [b.pk])
    assert (
        e.value.code == "window"
        and "35 days apart" in e.value.message
        and "within 30 days" in e.value.message
    )
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_CARRYOVER": {"WINDOW_DAYS": 40}}
    m = svc.match_halves(co, [a.pk], [b.pk])  # 35 ≤ 40: configurable
    assert m.period == dt.date(2026, 3, 1) and m.received_qty == D(100)
    # quantities must be equal: 60 shipped vs 50 received
    c = svc.link_list(co, ship(co, 60, dt.date(2026, 6, 1)))[0]
    d = svc.link_list(co, receive(co, 50, dt.date(2026, 6, 2)))[0]
    with pytest.raises(DomainError) as e:
        svc.match_halves(co, [c.pk], [d.pk])
    assert e.value.code == "qty_mismatch" and "difference 10.00000" in e.value.message
    # one-to-one only when many-to-one is off
    e2 = svc.link_list(co, receive(co, 10, dt.date(2026, 6, 3)))[0]
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_CARRYOVER": {"MANY_TO_ONE": False}}
    with pytest.raises(DomainError) as e:
        svc.match_halves(co, [c.pk], [d.pk, e2.pk])
    assert e.value.code == "many_to_one"
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_CARRYOVER": {}}
    svc.match_halves(co, [c.pk], [d.pk, e2.pk])  # 60 = 50 + 10
    assert not CarryOverLink.objects.filter(carry_over=co, match__isnull=True).exists()
    # empty side, foreign half
    with pytest.raises(DomainError) as e:
        svc.match_halves(co, [c.pk], [])
    assert e.value.code == "match_empty"


def test_cross_year_is_refused(world):
    co = setup_pair(world)
    co.valid_to = dt.date(2027, 6, 30)
    co.save(update_fields=["valid_to"])
    a = svc.link_list(co, ship(co, 100, dt.date(2026, 12, 28)))[0]
    b = svc.link_list(co, receive(co, 100, dt.date(2027, 1, 5)))[0]
    # 2026-12-28 … 2027-01-05 is only 8 days, but crosses the calendar year
    with pytest.raises(DomainError) as e:
        svc.match_halves(co, [a.pk], [b.pk])
    assert e.value.code == "cross_year"
    assert (
        "2026-12-28" in e.value.message
        and "2027-01-05" in e.value.message
        and "across years" in e.value.message
    )
    assert svc.auto_match([co]) == []  # months differ: never grouped either


def test_receipt_first_when_configured(world, settings):
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_CARRYOVER": {"RECEIPT_FIRST": True}}
    co = setup_pair(world)
    early = ship(co, 100, dt.date(2026, 3, 2))
    # no receipt linked yet: the shipment of 03-02 is refused (先报进口，再报出口)
    with pytest.raises(DomainError) as exc:
        svc.link_list(co, early)
    assert exc.value.code == "receipt_first" and "2026-03-02" in exc.value.message
    assert not CarryOverLink.objects.filter(carry_over=co).exists()
    # a receipt declared 03-04 does not cover a shipment declared before it, but one on 03-05 is fine
    svc.link_list(co, receive(co, 100, dt.date(2026, 3, 4)))
    with pytest.raises(DomainError):
        svc.link_list(co, early)
    svc.link_list(co, ship(co, 100, dt.date(2026, 3, 5)))
    assert CarryOverLink.objects.filter(carry_over=co).count() == 2


def test_partial_matching_when_configured(world, settings):
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_CARRYOVER": {"PARTIAL": True}}
    co = setup_pair(world)
    svc.link_list(co, ship(co, 120, dt.date(2026, 3, 2)))
    svc.link_list(co, receive(co, 100, dt.date(2026, 3, 4)))
    (m,) = svc.auto_match([co])
    # 120 shipped − 100 received = 20 left open on the shipment, queued as a partial residue
    assert m.difference == D(20)
    (row,) = svc.queue().filter(carry_over=co)
    assert row.queue_status == "partial" and row.open_qty == D(20) and row.side == "shipment"
    svc.unmatch(m)
    assert CarryOverLink.objects.filter(carry_over=co, match__isnull=True).count() == 2
    assert refreshed(co).matched_shipped_qty == 0


def test_states_and_audit(world):
    co = setup_pair(world)
    a = svc.link_list(co, ship(co, 10, dt.date(2026, 3, 2)))[0]
    with pytest.raises(DomainError) as e:
        svc.change_carryover_state(co, "closed")
    assert e.value.code == "open_halves" and "1 unmatched" in e.value.message
    with pytest.raises(DomainError) as e:
        svc.change_carryover_state(co, "cancelled")
    assert e.value.code == "has_links"
    b = svc.link_list(co, receive(co, 10, dt.date(2026, 3, 3)))[0]
    svc.match_halves(co, [a.pk], [b.pk])
    co = svc.change_carryover_state(co, "closed")
    assert co.closed_at is not None
    with pytest.raises(DomainError):
        svc.change_carryover_state(co, "approved")
    codes = set(
        AuditEntry.objects.filter(object_type="ledger.carryover", object_id=str(co.pk)).values_list(
            "code", flat=True
        )
    )
    assert {
        "ledger.carryover.created",
        "ledger.carryover.approved",
        "ledger.carryover.linked",
        "ledger.carryover.closed",
    } <= codes
    assert AuditEntry.objects.filter(code="ledger.carryover.matched").count() == 1


def test_reversing_a_linked_list_is_refused(world):
    co = setup_pair(world)
    lst = receive(co, 10, dt.date(2026, 3, 3))
    svc.link_list(co, lst)
    from zonebook.ledger import services

    with pytest.raises(DomainError) as e:
        services.reverse_inventory_list(lst, number=f.list_number("I"), declaration_date=dt.date(2026, 3, 4))
    assert e.value.code == "carryover_linked" and co.number in e.value.message


# ------------------------------------------------------------------ pages, queue export, API, import, scope


def _queue_world(world):
    co = setup_pair(world)
    svc.link_list(co, ship(co, 100, dt.date(2026, 3, 2)))
    svc.link_list(co, receive(co, 100, dt.date(2026, 3, 4)))
    svc.link_list(co, ship(co, 40, dt.date(2026, 4, 1)))
    svc.link_list(co, receive(co, 30, dt.date(2026, 5, 20)))
    svc.auto_match([co])  # March pairs; April's shipment and May's receipt stay in the queue
    return co


def test_queue_page_ages_filters_and_exports(world, client_for, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 6, 1))
    co = _queue_world(world)
    c = client_for(world.users.zone)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    r = c.get(reverse("ledger:carryover_queue"))
    body = r.content.decode()
    assert r.status_code == 200 and co.number in body
    # ages: 2026-06-01 − 2026-04-01 = 61 days; 2026-06-01 − 2026-05-20 = 12 days
    e = c.get(reverse("ledger:carryover_queue"), {"export": "xlsx", "min_age": "30", "sort": "-age"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(e.streaming_content))).active.values)
    filter_line, time_line = rows[0][0], rows[1][0]
    assert filter_line == "Filter: Older than (days): 30" and time_line.startswith("Exported at: ")
    rows = rows[LIST_HEADER_ROWS:]
    assert len(rows) == 2  # header + the 61-day shipment only
    header, row = rows
    assert row[header.index("Age (days)")] == 61 and row[header.index("Quantity")] == 40
    e = c.get(reverse("ledger:carryover_queue"), {"export": "csv", "side": "receipt"})
    text = b"".join(e.streaming_content).decode("utf-8-sig")
    assert text.count("\n") == 2 and ",12," in text
    r = api(world.users.zone).get("/api/ledger/carryover-queue/", {"min_age": 30})
    assert r.status_code == 200
    data = r.json()
    data = data.get("results", data)
    assert [(d["side"], d["age_days"], d["queue_status"]) for d in data] == [("shipment", 61, "unmatched")]


def test_create_form_keeps_input_and_shows_errors_inline(world, client_for):
    co = setup_pair(world)
    c = client_for(world.users.enterprise)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    bad_hs = f.material(co.transferee_book, 2, hs_code="8542319000")
    form = {
        "number": "JZTEST0001",
        "transferor_book": co.transferor_book.number,
        "transferor_item": "1",
        "transferee_book": co.transferee_book.number,
        "transferee_item": str(bad_hs.seq_no),
        "planned_qty": "12.5",
        "valid_from": "2026-01-01",
        "valid_to": "2026-06-30",
    }
    r = c.post(reverse("ledger:carryover_create"), form)
    body = r.content.decode()
    # the counterpart's item (another enterprise's book) fails HS: one neutral message, none of its data
    assert r.status_code == 400 and "could not be used" in body and "first 8 HS digits" in body
    assert "8542319000" not in body and bad_hs.name not in body
    assert 'value="JZTEST0001"' in body and 'value="12.5"' in body  # nothing typed is lost
    form["transferee_item"] = "9"
    r = c.post(reverse("ledger:carryover_create"), form)
    assert r.status_code == 400 and "could not be used" in r.content.decode()
    form["transferor_item"] = "9"  # the user's own side: a precise message
    r = c.post(reverse("ledger:carryover_create"), form)
    assert r.status_code == 400 and "no product with sequence number 9" in r.content.decode()
    form["transferee_item"] = form["transferor_item"] = "1"
    r = c.post(reverse("ledger:carryover_create"), form)
    assert r.status_code == 302
    new = CarryOver.objects.get(number="JZTEST0001")
    assert new.planned_qty == D("12.5") and new.created_by == world.users.enterprise
    # the applicant cannot approve; the zone office does
    c.post(reverse("ledger:carryover_transition", args=[new.pk, "approved"]))
    assert CarryOver.objects.get(pk=new.pk).state == "draft"
    client_for(world.users.zone).post(reverse("ledger:carryover_transition", args=[new.pk, "approved"]))
    assert CarryOver.objects.get(pk=new.pk).state == "approved"
    # the transfer-in side links its receipts, pairs through the pages
    c = client_for(user_for("enterprise", world.enterprises.a2, username="e_a2"))
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    lst = receive(new, 5, dt.date(2026, 2, 2))
    r = c.post(reverse("ledger:carryover_link", args=[new.pk]), {"list_number": lst.number})
    assert r.status_code == 302 and CarryOverLink.objects.filter(carry_over=new).count() == 1
    big = receive(new, 10, dt.date(2026, 2, 3))
    r = c.post(reverse("ledger:carryover_link", args=[new.pk]), {"list_number": big.number}, follow=True)
    assert "Carry-over receipt exceeds application JZTEST0001" in r.content.decode()
    r = c.get(reverse("ledger:carryover_matching", args=[new.pk]))
    assert r.status_code == 200 and lst.number in r.content.decode() and "no shipment" in r.content.decode()
    r = c.get(reverse("ledger:book_detail", args=[co.transferee_book.pk]) + "?tab=carryovers")
    assert r.status_code == 200 and "JZTEST0001" in r.content.decode()


def test_both_sides_see_it_others_get_404(world, client_for):
    co = _queue_world(world)
    a2_user = user_for("zone", world.zones.a2, username="a2_staff")
    for user in (world.users.enterprise, world.users.zone, a2_user, world.users.city):
        c = client_for(user)
        assert c.get(reverse("ledger:carryover_detail", args=[co.pk])).status_code == 200
        assert co.number in c.get(reverse("ledger:carryover_list")).content.decode()
        assert api(user).get(f"/api/ledger/carryovers/{co.pk}/").status_code == 200
    for user in (world.users.other_zone, world.users.other_enterprise, world.users.other_province):
        c = client_for(user)
        assert c.get(reverse("ledger:carryover_detail", args=[co.pk])).status_code == 404
        assert c.get(reverse("ledger:carryover_matching", args=[co.pk])).status_code == 404
        assert c.post(reverse("ledger:carryover_auto_match", args=[co.pk])).status_code == 404
        assert co.number not in c.get(reverse("ledger:carryover_list")).content.decode()
        for url in (reverse("ledger:carryover_list"), reverse("ledger:carryover_queue")):
            e = c.get(url, {"export": "csv"})
            assert co.number not in b"".join(e.streaming_content).decode("utf-8-sig")
        assert api(user).get(f"/api/ledger/carryovers/{co.pk}/").status_code == 404
        assert api(user).get("/api/ledger/carryovers/").json()["count"] == 0
        queue = api(user).get("/api/ledger/carryover-queue/").json()
        assert queue.get("count", len(queue)) == 0


def test_read_only_roles_cannot_write(world, client_for):
    co = setup_pair(world)
    c = client_for(world.users.customs)
    assert c.get(reverse("ledger:carryover_detail", args=[co.pk])).status_code == 200
    assert c.post(reverse("ledger:carryover_auto_match", args=[co.pk])).status_code == 403
    assert api(world.users.customs).post(f"/api/ledger/carryovers/{co.pk}/auto-match/").status_code == 403


@pytest.mark.parametrize("n", [1, 6])
def test_list_pages_fixed_query_count(world, client_for, django_assert_max_num_queries, n):
    for _k in range(n):
        co = setup_pair(world)
        svc.link_list(co, ship(co, 10, dt.date(2026, 3, 2)))
        svc.link_list(co, receive(co, 5, dt.date(2026, 3, 3)))
    c = client_for(world.users.province)
    c.get(reverse("ledger:carryover_list"))  # warm caches
    with django_assert_max_num_queries(12):
        assert c.get(reverse("ledger:carryover_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert c.get(reverse("ledger:carryover_queue")).status_code == 200
    with django_assert_max_num_queries(16):
        assert c.get(reverse("ledger:carryover_detail", args=[co.pk])).status_code == 200
    with django_assert_max_num_queries(18):
        assert c.get(reverse("ledger:carryover_matching", args=[co.pk])).status_code == 200
    a = api(world.users.province)
    with django_assert_max_num_queries(8):
        assert a.get("/api/ledger/carryovers/").status_code == 200
    with django_assert_max_num_queries(8):
        assert a.get("/api/ledger/carryover-queue/").status_code == 200


def test_api_flow(world):
    co = setup_pair(world)
    a = api(world.users.enterprise)
    r = a.post(
        "/api/ledger/carryovers/",
        {
            "transferor_book": co.transferor_book.number,
            "transferor_seq_no": 1,
            "transferee_book": co.transferee_book.number,
            "transferee_seq_no": 1,
            "planned_qty": "50",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = a.post(f"/api/ledger/carryovers/{pk}/transition/", {"state": "approved"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "approval_refused"  # not by the applicant alone
    b = api(user_for("enterprise", world.enterprises.a2, username="e_a2"))  # the counterpart confirms
    assert b.post(f"/api/ledger/carryovers/{pk}/transition/", {"state": "approved"}, format="json").status_code == 200
    new = CarryOver.objects.get(pk=pk)
    s = ship(new, 20, dt.date(2026, 7, 1))
    rc = receive(new, 20, dt.date(2026, 7, 9))
    for client, lst in ((a, s), (b, rc)):  # each side links its own list
        assert (
            client.post(
                f"/api/ledger/carryovers/{pk}/link/", {"list_number": lst.number}, format="json"
            ).status_code
            == 200
        )
    over = receive(new, 31, dt.date(2026, 7, 10))
    r = b.post(f"/api/ledger/carryovers/{pk}/link/", {"list_number": over.number}, format="json")
    # planned 50, received 20, this list 31 → 20 + 31 − 50 = 1 over
    assert r.status_code == 400 and r.json()["code"] == "over_plan" and "excess 1.00000" in r.json()["detail"]
    halves = a.get(f"/api/ledger/carryovers/{pk}/halves/").json()["results"]
    ids = {h["side"]: h["id"] for h in halves}
    r = a.post(
        f"/api/ledger/carryovers/{pk}/match/",
        {"shipments": [ids["shipment"]], "receipts": [ids["receipt"]]},
        format="json",
    )
    assert r.status_code == 201 and r.json()["received_qty"] == "20.00000"
    r = a.get(f"/api/ledger/carryovers/{pk}/")
    assert r.json()["matched_received_qty"] == "20.00000" and r.json()["open_halves"] == 0
    assert a.get("/api/ledger/carryovers/", {"state": "approved"}).json()["count"] == 2


def test_import_all_or_nothing(world, tmp_path):
    co = setup_pair(world)
    out_no, in_no = co.transferor_book.number, co.transferee_book.number
    good = "申报表编号,转出方备案号,转出成品序号,转入方备案号,转入料件序号,申报数量,有效期起,有效期止,状态\n"
    good += f"JZIMP01,{out_no},1,{in_no},1,300,2026-01-01,2026-12-31,已备案\n"
    bad = good + f"JZIMP02,{out_no},1,{in_no},9,300,2026-01-01,2026-12-31,\n"
    bad += f"JZIMP03,{out_no},1,{in_no},1,-1,2026-01-01,2026-12-31,\n"
    p = tmp_path / "co.csv"
    p.write_text(bad, encoding="utf-8-sig")
    result = pipeline.run(get_kind("ledger_carryovers"), p, p.name, world.users.enterprise)
    assert not CarryOver.objects.filter(number__startswith="JZIMP").exists()
    text = " | ".join(str(e) for e in result.errors)
    # the counterpart's side: a neutral message on the counterpart's book column
    assert "row 3" in text and "转入方备案号" in text and "could not be used" in text
    assert "row 4" in text and "申报数量" in text
    # an approved application imported by the applicant alone is refused
    assert "row 2" in text and "approved by the zone office" in text
    p.write_text(good, encoding="utf-8-sig")
    result = pipeline.run(get_kind("ledger_carryovers"), p, p.name, world.users.admin)
    assert not result.errors
    assert CarryOver.objects.get(number="JZIMP01").state == "approved"
    # neither book in the importer's scope
    p.write_text(good.replace("JZIMP01", "JZIMP09"), encoding="utf-8-sig")
    result = pipeline.run(get_kind("ledger_carryovers"), p, p.name, world.users.other_zone)
    assert "in your scope" in " ".join(str(e) for e in result.errors)
