"""Carry-over between two enterprises: each side acts on its own book only (issue 14 §1).

An enterprise user names the counterpart's book and item from the paper application; errors never
show the counterpart's data nor say which part of it failed; only the zone office (or the
counterpart's confirmation) approves; each side links only its own lists; audit entries are visible to
both sides' zone offices.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.ledger.models import CarryOver, CarryOverLink
from zonebook.ledger.services import carryover as svc
from zonebook.ledger.tests import factories as f
from zonebook.ledger.tests.test_carryover import HS_IN, HS_OUT, _hs, api, receive, ship

pytestmark = pytest.mark.django_db


def _books(world):
    """e_a1's transfer-out book (product 1) and e_a2's transfer-in book (material 1 fits, material 2
    has another HS code, material 3 another unit)."""
    _hs(HS_OUT)
    _hs(HS_IN)
    out_book = f.book(world.enterprises.a1, kind="C")
    mat = f.material(out_book, 1, opening=10000)
    prod = f.product(out_book, 1, hs_code=HS_OUT, name="塑料外壳", unit="007", legal_unit1="007")
    f.bom(prod, mat, "0.5")
    in_book = f.book(world.enterprises.a2, kind="C")
    f.material(
        in_book, 1, hs_code=HS_IN, name="丙方秘密料件", part_no="SECRET-M1", unit="007", legal_unit1="007"
    )
    f.material(in_book, 2, hs_code="8542319000", name="丙方芯片", part_no="SECRET-M2")
    f.material(
        in_book, 3, hs_code=HS_IN, name="丙方千克料件", part_no="SECRET-M3", unit="035", legal_unit1="035"
    )
    return out_book, in_book


def _payload(out_book, in_book, **kw):
    return {
        "transferor_book": out_book.number,
        "transferor_seq_no": 1,
        "transferee_book": in_book.number,
        "transferee_seq_no": 1,
        "planned_qty": "100",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        **kw,
    }


def _users(world):
    return {
        "e_a1": world.users.enterprise,
        "e_a2": user_for("enterprise", world.enterprises.a2, username="e_a2"),
        "a1_staff": world.users.zone,
        "a2_staff": user_for("zone", world.zones.a2, username="a2_staff"),
        "b1_staff": world.users.other_zone,
    }


def test_counterpart_errors_reveal_nothing(world, client_for):
    out_book, in_book = _books(world)
    a = api(world.users.enterprise)
    secrets = ("SECRET", "丙方", "8542319000", "035", world.enterprises.a2.name)
    details = set()
    for seq, book in ((2, in_book.number), (3, in_book.number), (9, in_book.number), (1, "ZZ9999999999")):
        r = a.post(
            "/api/ledger/carryovers/",
            _payload(out_book, in_book, transferee_book=book, transferee_seq_no=seq),
            format="json",
        )
        body = r.content.decode()
        assert r.status_code == 400 and r.json()["code"] == "counterpart", body
        assert not any(s in body for s in secrets), body
        details.add(r.json()["detail"].replace(book, "B").replace(f"no. {seq}", "no. N"))
    # HS mismatch, unit mismatch, no such item, no such book: the same words
    assert len(details) == 1
    # the same through the page form
    c = client_for(world.users.enterprise)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = {**_payload(out_book, in_book), "transferor_item": "1", "transferee_item": "2"}
    r = c.post(reverse("ledger:carryover_create"), form)
    assert r.status_code == 400 and "could not be used" in r.content.decode()
    # the page's text and the values it echoes, without markup and the footer: the random CSRF token,
    # the request id in the footer and hashed static names may contain a short secret such as "035"
    html = r.content.decode().split("<footer")[0]
    html = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]*"', "", html)
    page = re.sub(r'<(?:script|link|meta)\b[^>]*>', "", html)
    assert not any(s in page for s in secrets)
    # neither book in the user's scope: nothing is looked up, the same answer for any numbers
    other = user_for("enterprise", world.enterprises.b1, username="e_b1")
    r1 = api(other).post("/api/ledger/carryovers/", _payload(out_book, in_book), format="json")
    r2 = api(other).post(
        "/api/ledger/carryovers/",
        _payload(out_book, in_book, transferor_book="ZZ0000000001", transferee_book="ZZ0000000002"),
        format="json",
    )
    assert r1.status_code == r2.status_code == 400 and r1.json() == r2.json()
    assert r1.json()["code"] == "out_of_scope"
    assert not CarryOver.objects.exists()


def test_draft_hides_the_counterpart_until_approved(world, client_for):
    out_book, in_book = _books(world)
    u = _users(world)
    r = api(u["e_a1"]).post("/api/ledger/carryovers/", _payload(out_book, in_book), format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    c = client_for(u["e_a1"])
    for url in (reverse("ledger:carryover_detail", args=[pk]), reverse("ledger:carryover_list")):
        body = c.get(url).content.decode()
        assert in_book.number in body and "SECRET-M1" not in body and world.enterprises.a2.name not in body
    assert (
        "SECRET-M1"
        in client_for(u["e_a2"]).get(reverse("ledger:carryover_detail", args=[pk])).content.decode()
    )
    svc.change_carryover_state(CarryOver.objects.get(pk=pk), "approved", by=u["a1_staff"])
    body = client_for(u["e_a1"]).get(reverse("ledger:carryover_detail", args=[pk])).content.decode()
    assert "SECRET-M1" in body and world.enterprises.a2.name in body


def test_approval_by_zone_office_or_counterpart_never_applicant(world, client_for):
    out_book, in_book = _books(world)
    u = _users(world)
    pks = []
    for n in range(3):
        r = api(u["e_a1"]).post(
            "/api/ledger/carryovers/", _payload(out_book, in_book, number=f"JZP{n}"), format="json"
        )
        assert r.status_code == 201
        pks.append(r.json()["id"])
    url = "/api/ledger/carryovers/{}/transition/"
    # the applicant alone: refused through the API and the page (no approve button either)
    r = api(u["e_a1"]).post(url.format(pks[0]), {"state": "approved"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "approval_refused"
    c = client_for(u["e_a1"])
    assert "state/approved/" not in c.get(reverse("ledger:carryover_detail", args=[pks[0]])).content.decode()
    c.post(reverse("ledger:carryover_transition", args=[pks[0], "approved"]))
    assert CarryOver.objects.get(pk=pks[0]).state == "draft"
    # a zone office of another zone: not found
    assert (
        api(u["b1_staff"]).post(url.format(pks[0]), {"state": "approved"}, format="json").status_code == 404
    )
    # either side's zone office, or the counterpart enterprise confirming
    assert (
        api(u["a1_staff"]).post(url.format(pks[0]), {"state": "approved"}, format="json").status_code == 200
    )
    assert (
        api(u["a2_staff"]).post(url.format(pks[1]), {"state": "approved"}, format="json").status_code == 200
    )
    assert api(u["e_a2"]).post(url.format(pks[2]), {"state": "approved"}, format="json").status_code == 200
    assert set(CarryOver.objects.values_list("state", flat=True)) == {"approved"}


def test_each_side_links_only_its_own_lists(world, client_for):
    out_book, in_book = _books(world)
    u = _users(world)
    r = api(u["e_a1"]).post("/api/ledger/carryovers/", _payload(out_book, in_book), format="json")
    pk = r.json()["id"]
    co = svc.change_carryover_state(CarryOver.objects.get(pk=pk), "approved", by=u["a2_staff"])
    victim_list = receive(co, 40, dt.date(2026, 3, 3))  # e_a2's posted receipt
    own_list = ship(co, 40, dt.date(2026, 3, 2))
    link = f"/api/ledger/carryovers/{pk}/link/"
    r = api(u["e_a1"]).post(link, {"list_number": victim_list.number}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "not_found"
    # nothing of the other side's list: not its quantity (40, as a number of its own: a book number
    # such as C51010000140 may hold the digits) nor its date
    detail = r.json()["detail"]
    assert not re.search(r"(?<![\w.])40(?:\.0*)?(?![\w.])", detail) and "2026-03-03" not in detail
    # the page refuses it too, and halves show nothing of it
    c = client_for(u["e_a1"])
    c.post(reverse("ledger:carryover_link", args=[pk]), {"list_number": victim_list.number})
    assert api(u["e_a1"]).get(f"/api/ledger/carryovers/{pk}/halves/").json()["count"] == 0
    # each side links its own; the counterpart's list is not blocked
    assert api(u["e_a1"]).post(link, {"list_number": own_list.number}, format="json").status_code == 200
    assert api(u["e_a2"]).post(link, {"list_number": victim_list.number}, format="json").status_code == 200
    assert CarryOverLink.objects.filter(carry_over=co).count() == 2
    # unlinking the counterpart's list is refused
    r = c.post(reverse("ledger:carryover_unlink", args=[pk]), {"list": victim_list.pk}, follow=True)
    assert CarryOverLink.objects.filter(carry_over=co, inventory_list=victim_list).exists()
    # a zone office whose zone holds both books links both sides
    both = user_for("city", "510100", username="cd_city_2")
    assert svc.own_sides(both, co.transferor_book_id, co.transferee_book_id) == {"shipment", "receipt"}


def test_audit_entries_visible_to_both_zone_offices(world, client_for):
    out_book, in_book = _books(world)
    u = _users(world)
    r = api(u["e_a1"]).post("/api/ledger/carryovers/", _payload(out_book, in_book), format="json")
    pk = r.json()["id"]
    co = svc.change_carryover_state(CarryOver.objects.get(pk=pk), "approved", by=u["a2_staff"])
    api(u["e_a2"]).post(
        f"/api/ledger/carryovers/{pk}/link/",
        {"list_number": receive(co, 10, dt.date(2026, 3, 3)).number},
        format="json",
    )
    codes = {"ledger.carryover.created", "ledger.carryover.approved", "ledger.carryover.linked"}
    for who in ("a1_staff", "a2_staff", "e_a1", "e_a2"):
        seen = set(
            AuditEntry.objects.for_user(u[who])
            .filter(object_type="ledger.carryover")
            .values_list("code", flat=True)
        )
        assert codes <= seen, who
        body = (
            client_for(u[who])
            .get(reverse("audit:list"), {"code": "ledger.carryover.linked"})
            .content.decode()
        )
        assert co.number in body, who
    assert not AuditEntry.objects.for_user(u["b1_staff"]).filter(object_type="ledger.carryover").exists()


def test_party_messages_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert "对方账册 B1" in str(svc.counterpart_error("transferee_book", "B1", 2).message)
        assert "两本账册都不属于您" in str(svc.not_yours_error().message)
