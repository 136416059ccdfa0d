"""Cross-scope writes sweep (issue 14 §1, §4): every user of the world tries, through the API and the
pages, to act on the other party's side of a carry-over and to place a zone outside their region.

* carry-over between 成都甲电子 (zone a1, Sichuan) and 重庆戊电脑 (zone c1, Chongqing): link the
  other side's posted list, read the halves, approve a draft as its applicant;
* zones: create one in another province/city, move every visible zone there (API and form).

A "cross-scope success" is any attempt whose effect reaches outside the user's own scope: a list of a
book outside the user's scope linked, a draft approved by its applicant alone, halves read without
scope over either side, a zone created or moved outside the user's region.  There must be none; the
number of attempts is printed (``-s``) for the report.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zonebook.accounts.testing import user_for
from zonebook.ledger.models import Book, CarryOver, CarryOverLink
from zonebook.ledger.services import carryover as csvc
from zonebook.ledger.tests import factories as f
from zonebook.ledger.tests.test_carryover import HS_IN, HS_OUT, _hs
from zonebook.registry.models import Zone
from zonebook.registry.testing import code

pytestmark = pytest.mark.django_db

USERS = (
    "admin",
    "province",
    "city",
    "zone",
    "zone_leader",
    "enterprise",
    "customs",
    "other_province",
    "other_zone",
    "other_enterprise",
)


def _carryover_world(world):
    _hs(HS_OUT)
    _hs(HS_IN)
    out_book = f.book(world.enterprises.a1, kind="C")
    mat = f.material(out_book, 1, opening=10000)
    prod = f.product(out_book, 1, hs_code=HS_OUT, unit="007", legal_unit1="007")
    f.bom(prod, mat, "0.5")
    in_book = f.book(world.enterprises.c1, kind="C")
    in_mat = f.material(in_book, 1, hs_code=HS_IN, unit="007", legal_unit1="007")
    base = {
        "transferor_book": out_book,
        "transferor_item": prod,
        "transferee_book": in_book,
        "transferee_item": in_mat,
        "planned_qty": "1000",
        "valid_from": dt.date(2026, 1, 1),
        "valid_to": dt.date(2026, 12, 31),
    }
    approved = csvc.change_carryover_state(csvc.create_carryover({**base, "number": "JZSWEEP1"}), "approved")
    draft = csvc.create_carryover({**base, "number": "JZSWEEP2"}, by=world.users.enterprise)
    ship = f.post(out_book, "0654", "E", "product", [(1, 10)], date=dt.date(2026, 3, 2)).inventory_list
    recv = f.post(in_book, "0654", "I", "material", [(1, 10)], date=dt.date(2026, 3, 3)).inventory_list
    return approved, draft, ship, recv


def _clients(client, user):
    a = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    a.force_authenticate(user)
    client.force_login(user)
    return a, client


def test_carryover_sides_sweep(world, client):
    approved, draft, ship, recv = _carryover_world(world)
    tried, crossings = 0, []
    for who in USERS:
        user = getattr(world.users, who)
        api, page = _clients(client, user)
        own_books = set(Book.objects.for_user(user).values_list("pk", flat=True))
        sees = CarryOver.objects.for_user(user).filter(pk=approved.pk).exists()
        for lst in (ship, recv):
            for send in (
                lambda n, api=api: api.post(
                    f"/api/ledger/carryovers/{approved.pk}/link/", {"list_number": n}, format="json"
                ),
                lambda n, page=page: page.post(
                    reverse("ledger:carryover_link", args=[approved.pk]), {"list_number": n}
                ),
            ):
                send(lst.number)
                tried += 1
                linked = CarryOverLink.objects.filter(carry_over=approved, inventory_list=lst)
                if linked.exists() and lst.book_id not in own_books:
                    crossings.append(f"{who} linked {lst.number} of another scope")
                linked.delete()
        csvc.refresh_totals([approved.pk])
        r = api.get(f"/api/ledger/carryovers/{approved.pk}/halves/")
        tried += 1
        if r.status_code == 200 and not sees:
            crossings.append(f"{who} read the halves without scope")
        for send in (
            lambda api=api: api.post(
                f"/api/ledger/carryovers/{draft.pk}/transition/", {"state": "approved"}, format="json"
            ),
            lambda page=page: page.post(reverse("ledger:carryover_transition", args=[draft.pk, "approved"])),
        ):
            send()
            tried += 1
            if CarryOver.objects.get(pk=draft.pk).state == "approved":
                applicant_only = user.role == "enterprise" and user.enterprise_id == world.enterprises.a1.pk
                if applicant_only or not CarryOver.objects.for_user(user).filter(pk=draft.pk).exists():
                    crossings.append(f"{who} approved the draft")
                CarryOver.objects.filter(pk=draft.pk).update(state="draft", approved_at=None)
    print(f"carry-over sweep: {len(USERS)} users, {tried} attempts, {len(crossings)} cross-scope successes")
    assert not crossings, crossings
    assert tried == len(USERS) * 7


def _outside(user, zone: Zone) -> bool:
    """Whether a zone's region lies outside the user's own region (province, and city below it)."""
    if user.is_superuser or user.scope_level == "all":
        return False
    if user.province_code and zone.province_code != user.province_code:
        return True
    return user.scope_level in ("city", "zone", "enterprise") and zone.city_code != user.city_code


def test_zone_region_sweep(world, client):
    kind = code("zone_type", "FTZ", "综合保税区")
    targets = [("110000", "110100"), ("510000", "510700"), ("500000", "500100"), ("110000", "510100")]
    tried, crossings = 0, []
    for who in USERS:
        user = getattr(world.users, who)
        api, page = _clients(client, user)
        for n, (province, city) in enumerate(targets):
            name = f"扫描综保区{who}{n}"
            payload = {
                "name": name,
                "short_name": name,
                "level": "national",
                "province_code": province,
                "city_code": city,
            }
            api.post("/api/registry/zones/", {**payload, "kind": kind.code}, format="json")
            page.post(reverse("registry:zone_create"), {**payload, "name": name + "页", "kind": kind.pk})
            tried += 2
            for z in Zone.objects.filter(name__startswith=name):
                if _outside(user, z):
                    crossings.append(f"{who} created {z.name} in {z.province_code}/{z.city_code}")
            for zone in list(Zone.objects.for_user(user).exclude(name__startswith="扫描")):
                before = (zone.province_code, zone.city_code)
                api.patch(
                    f"/api/registry/zones/{zone.pk}/",
                    {"province_code": province, "city_code": city},
                    format="json",
                )
                api.patch(f"/api/registry/zones/{zone.pk}/", {"province_code": province}, format="json")
                tried += 2
                zone.refresh_from_db()
                if (zone.province_code, zone.city_code) != before and _outside(user, zone):
                    crossings.append(f"{who} moved {zone.name} to {zone.province_code}/{zone.city_code}")
                Zone.objects.filter(pk=zone.pk).update(province_code=before[0], city_code=before[1])
    print(f"zone sweep: {len(USERS)} users, {tried} attempts, {len(crossings)} cross-scope successes")
    assert not crossings, crossings
    assert tried > 100


def test_enterprise_user_of_both_books_cannot_self_approve(world):
    """An enterprise holding both books is the applicant on both sides: only the zone office approves."""
    _hs(HS_OUT)
    _hs(HS_IN)
    a = f.book(world.enterprises.a1, kind="C")
    mat = f.material(a, 1)
    prod = f.product(a, 1, hs_code=HS_OUT, unit="007", legal_unit1="007")
    f.bom(prod, mat, "0.5")
    b = f.book(world.enterprises.a1, kind="C")
    mb = f.material(b, 1, hs_code=HS_IN, unit="007", legal_unit1="007")
    other = user_for("enterprise", world.enterprises.a1, username="e_a1_colleague")
    co = csvc.create_carryover(
        {
            "transferor_book": a,
            "transferor_item": prod,
            "transferee_book": b,
            "transferee_item": mb,
            "planned_qty": "5",
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": dt.date(2026, 6, 30),
        },
        by=world.users.enterprise,
    )
    assert not csvc.may_approve(co, other) and not csvc.may_approve(co, world.users.enterprise)
    assert csvc.may_approve(co, world.users.zone)
