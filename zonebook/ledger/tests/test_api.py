"""Ledger API: scoped, filtered reads; list create (draft with lines) → submit → preview → approve → reverse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from zonebook.ledger.models import Balance, InventoryList
from zonebook.ledger.tests import ledger_world


@pytest.fixture
def lw(world):
    return ledger_world.build(world)


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


LIST = {
    "number": "QD510126E900000601",
    "ie_mark": "E",
    "supervision_mode": "5100",
    "item_kind": "product",
    "declaration_date": "2026-03-06",
    "lines": [{"item_seq_no": 1, "qty": "10", "consumption_version": "1"}],
}


@pytest.mark.django_db
def test_approve_records_the_customs_receipt(world, lw):
    c = api(world.users.enterprise)
    pk = c.post("/api/ledger/lists/", {**LIST, "book": lw.book.pk}, format="json").json()["id"]
    c.post(f"/api/ledger/lists/{pk}/submit/")
    r = c.post(f"/api/ledger/lists/{pk}/approve/", {"receipt_number": "R-77"}, format="json")
    assert r.status_code == 400 and InventoryList.objects.get(pk=pk).state == "submitted"  # no date
    r = c.post(
        f"/api/ledger/lists/{pk}/approve/", {"receipt_number": "R-77", "receipt_date": "2026-03-08"}, format="json"
    )
    assert r.status_code == 200, r.json()
    body = r.json()["inventory_list"]
    assert (body["state"], body["receipt_number"], body["receipt_date"]) == ("posted", "R-77", "2026-03-08")


@pytest.mark.django_db
def test_create_submit_preview_approve_reverse(world, lw):
    c = api(world.users.enterprise)
    r = c.post("/api/ledger/lists/", {**LIST, "book": lw.book.pk}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["lines"][0]["qty"] == "10.00000"
    assert c.post(f"/api/ledger/lists/{pk}/submit/").json()["state"] == "submitted"
    effect = c.get(f"/api/ledger/lists/{pk}/preview/").json()
    m1 = next(e for e in effect if e["kind"] == "material" and e["seq_no"] == 1)
    er = next(col for col in m1["columns"] if col["column"] == "expected_remaining")
    assert Decimal(er["delta"]) == Decimal("-9.47368") and Decimal(er["after"]) == Decimal("1395.78948")
    r = c.post(f"/api/ledger/lists/{pk}/approve/")
    assert (
        r.status_code == 200
        and r.json()["changed"] is True
        and r.json()["inventory_list"]["state"] == "posted"
    )
    assert Balance.objects.get(item=lw.m1).expected_remaining == Decimal("1395.78948")
    # approving again is idempotent
    r = c.post(f"/api/ledger/lists/{pk}/approve/")
    assert r.status_code == 200 and r.json()["changed"] is False
    assert Balance.objects.get(item=lw.m1).expected_remaining == Decimal("1395.78948")
    r = c.post(
        f"/api/ledger/lists/{pk}/reverse/",
        {"number": "QD510126E900000602", "declaration_date": "2026-03-07"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["inventory_list"]["reverses"] == pk
    assert Balance.objects.get(item=lw.m1).expected_remaining == Decimal("1405.26316")


@pytest.mark.django_db
def test_bad_input_is_a_400_naming_the_line_and_nothing_is_written(world, lw):
    c = api(world.users.enterprise)
    body = {
        **LIST,
        "book": lw.book.pk,
        "lines": [{"item_seq_no": 1, "qty": "5"}, {"item_seq_no": 9, "qty": "1"}],
    }
    r = c.post("/api/ledger/lists/", body, format="json")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_lines"
    assert r.json()["errors"][0]["row"] == 2 and r.json()["errors"][0]["column"] == "item_seq_no"
    assert not InventoryList.objects.filter(number=LIST["number"]).exists()


@pytest.mark.django_db
def test_scope_and_write_rights(world, lw):
    other = ledger_world.build(world, enterprise=world.enterprises.c1)
    c = api(world.users.enterprise)
    assert c.get(f"/api/ledger/books/{other.book.pk}/").status_code == 404
    assert c.post(f"/api/ledger/lists/{other.imp.pk}/submit/").status_code == 404
    # a book outside the scope cannot be named on create
    r = c.post("/api/ledger/lists/", {**LIST, "book": other.book.pk}, format="json")
    assert r.status_code == 400 and "book" in r.json()
    # zone staff read but do not write
    z = api(world.users.zone)
    assert z.get("/api/ledger/lists/").status_code == 200
    assert z.post("/api/ledger/lists/", {**LIST, "book": lw.book.pk}, format="json").status_code == 403
    assert (
        z.post(
            f"/api/ledger/lists/{lw.imp.pk}/reverse/", {"number": "QD510126I900000603"}, format="json"
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_reads_use_the_page_filtersets(world, lw):
    c = api(world.users.zone)
    books = c.get("/api/ledger/books/", {"kind": "H"}).json()
    assert [b["number"] for b in books["results"]] == [lw.book.number]
    items = c.get("/api/ledger/items/", {"book": lw.book.pk, "kind": "material"}).json()
    assert [i["seq_no"] for i in items["results"]] == [1, 2]
    cons = c.get("/api/ledger/consumption/", {"book": lw.book.pk, "in_force_on": "2026-03-01"}).json()
    assert {x["unit_consumption"] for x in cons["results"]} == {"0.947368421", "2.000000000"}
    lists = c.get("/api/ledger/lists/", {"ie_mark": "E"}).json()
    assert [x["number"] for x in lists["results"]] == [lw.exp.number] and lists["results"][0][
        "line_count"
    ] == 1
    bal = c.get("/api/ledger/balances/", {"book": lw.book.pk, "kind": "material"}).json()
    assert {b["seq_no"]: b["expected_remaining"] for b in bal["results"]} == {1: "1405.26316", 2: "100.00000"}


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 5])
def test_api_lists_have_a_fixed_query_count(world, django_assert_max_num_queries, n):
    for i in range(n):
        ledger_world.build(world, number=f"H51019{i:06d}")
    c = api(world.users.province)
    for url in (
        "/api/ledger/books/",
        "/api/ledger/lists/",
        "/api/ledger/balances/",
        "/api/ledger/items/",
        "/api/ledger/consumption/",
    ):
        with django_assert_max_num_queries(6):
            assert c.get(url).status_code == 200


@pytest.mark.django_db
def test_approve_batch_is_scoped_and_all_or_nothing(world, lw):
    import datetime as dt

    from . import factories as f

    other = ledger_world.build(world, enterprise=world.enterprises.c1)
    foreign = f.inv_list(other.book, "5000", "I", "material", [(1, 1)])
    mine = [
        f.inv_list(lw.book, "5000", "I", "material", [(2, 10)], date=dt.date(2026, 3, 7)),
        f.inv_list(lw.book, "5000", "I", "material", [(2, 5)], date=dt.date(2026, 3, 8)),
    ]
    c = api(world.users.enterprise)
    before = Balance.objects.get(item=lw.m2).imports
    # a list of another enterprise is "no such list" (its existence is not confirmed) and nothing is posted
    r = c.post("/api/ledger/lists/approve-batch/", {"lists": [mine[0].pk, foreign.pk]}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "not_found" and str(foreign.pk) in r.json()["detail"]
    assert Balance.objects.get(item=lw.m2).imports == before
    assert (
        api(world.users.zone)
        .post("/api/ledger/lists/approve-batch/", {"lists": [mine[0].pk]}, format="json")
        .status_code
        == 403
    )
    r = c.post("/api/ledger/lists/approve-batch/", {"lists": [m.pk for m in mine]}, format="json")
    assert r.status_code == 200 and r.json()["posted"] == 2, r.json()
    assert Balance.objects.get(item=lw.m2).imports == before + 15
    # again: nothing changes; a draft is refused with its number
    draft = f.inv_list(lw.book, "5000", "I", "material", [(2, 1)], submit=False)
    r = c.post("/api/ledger/lists/approve-batch/", {"lists": [mine[0].pk, draft.pk]}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["value"] == draft.number
    assert c.post("/api/ledger/lists/approve-batch/", {"lists": []}, format="json").status_code == 400
