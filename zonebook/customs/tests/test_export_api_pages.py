"""INV101 export (round trip), the customs client's API drop, the pages and their scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from zonebook.accounts import tokens
from zonebook.core.errors import DomainError
from zonebook.core.imports import pipeline
from zonebook.customs import export
from zonebook.customs.importers import Inv101Import
from zonebook.customs.models import InventoryMessage, Receipt, ReceiptState
from zonebook.jobs import services as job_services
from zonebook.jobs.models import Job
from zonebook.ledger.choices import ListState
from zonebook.ledger.models import InventoryList, InventoryListLine
from zonebook.ledger.tests import factories as f

from . import builders as b

pytestmark = pytest.mark.django_db

LINE_FIELDS = (
    "line_no",
    "item_id",
    "item_seq_no",
    "part_no",
    "hs_code",
    "name",
    "qty",
    "legal_qty",
    "legal_qty2",
    "unit_price",
    "amount",
    "currency",
    "country",
    "consumption_version",
)
HEAD_FIELDS = (
    "number",
    "internal_number",
    "book_id",
    "ie_mark",
    "supervision_mode",
    "item_kind",
    "declaration_date",
    "customs_declaration_no",
    "note",
    "line_count",
    "total_amount",
)


def snapshot(lst):
    head = InventoryList.objects.filter(pk=lst.pk).values(*HEAD_FIELDS).get()
    lines = list(
        InventoryListLine.objects.filter(inventory_list=lst).order_by("line_no").values(*LINE_FIELDS)
    )
    return head, lines


def test_export_then_import_gives_the_same_list(world, cbook, tmp_path):
    draft = f.inv_list(
        cbook,
        "0615",
        "I",
        "material",
        [
            (
                1,
                "12.5",
                {
                    "legal_qty": "12.5",
                    "unit_price": "3.2",
                    "amount": "40",
                    "currency": "502",
                    "country": "KOR",
                    "name": "晶圆",
                },
            ),
            (2, 8),
        ],
        submit=False,
        internal_number="ERP-RT-1",
        note="往返",
    )
    before = snapshot(draft)
    data = export.export_inv101(draft, user=world.users.enterprise)
    assert b"<BondInvtNo>" + draft.number.encode() + b"</BondInvtNo>" in data
    InventoryListLine.objects.filter(inventory_list=draft).delete()
    InventoryList.objects.filter(pk=draft.pk).delete()
    path = b.write(tmp_path, "rt.xml", data)
    result = pipeline.run(Inv101Import, path, "rt.xml", world.users.enterprise)
    assert result.ok, result.errors
    again = InventoryList.objects.get(number=before[0]["number"])
    assert snapshot(again) == before
    assert again.state == ListState.SUBMITTED


def test_export_is_checked_by_the_import_rules(world, cbook):
    draft = f.inv_list(cbook, "0615", "I", "material", [(1, 5)], submit=False)
    draft.book.items.filter(seq_no=1).update(unit="999")  # a unit no longer in the code table
    with pytest.raises(DomainError) as exc:
        export.export_inv101(draft, user=world.users.enterprise)
    assert any("dclUnitcd" in d.column for d in exc.value.details)
    assert InventoryList.objects.get(pk=draft.pk).number == draft.number  # the check was rolled back


def test_posted_lists_are_not_exported(world, cbook):
    f.post(cbook, "0615", "I", "material", [(1, 5)])
    lst = InventoryList.objects.get()
    with pytest.raises(DomainError):
        export.export_inv101(lst, user=world.users.enterprise)


def test_export_page_is_scoped(world, cbook, client_for):
    draft = f.inv_list(cbook, "0615", "I", "material", [(1, 5)], submit=False)
    ok = client_for(world.users.enterprise).get(f"/customs/lists/{draft.pk}/inv101.xml")
    assert ok.status_code == 200 and ok["Content-Type"].startswith("application/xml")
    other = client_for(world.users.other_enterprise).get(f"/customs/lists/{draft.pk}/inv101.xml")
    assert other.status_code == 404


def _token(world, zone):
    _, raw = tokens.issue_token(name="金二客户端", zone=zone, areas=["ledger"], by=world.users.admin)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_customs_client_drops_messages_and_receipts_processed_by_the_worker(world, cbook, tmp_path):
    h = b.head(cbook)
    drop = b.zip_of(
        tmp_path,
        "drop.zip",
        {
            "INV101.xml": b.inv101(h, [b.line(1, 11)]),
            "INV201.xml": b.receipt(cbook, number=h["bondInvtNo"], message_id="CUS-API"),
        },
    )
    api = _token(world, world.zones.a1)
    with open(drop, "rb") as fh:
        response = api.post("/api/customs/inbox/", {"file": fh}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job"])
    assert job_services.execute(job.pk) == Job.State.SUCCEEDED
    lst = InventoryList.objects.get(number=h["bondInvtNo"])
    assert lst.state == ListState.POSTED and lst.receipt_number == "CUS-API"
    assert InventoryMessage.objects.get().source == "api"
    listed = api.get("/api/customs/receipts/", {"state": "applied"}).json()["results"]
    assert [r["message_id"] for r in listed] == ["CUS-API"]


def test_a_token_of_another_zone_cannot_post_to_a_book_it_does_not_see(world, cbook, tmp_path):
    h = b.head(cbook)
    api = _token(world, world.zones.b1)
    with open(b.write(tmp_path, "m.xml", b.inv101(h, [b.line(1, 11)])), "rb") as fh:
        response = api.post("/api/customs/inbox/", {"file": fh}, format="multipart")
    job = Job.objects.get(pk=response.json()["job"])
    assert job_services.execute(job.pk) == Job.State.FAILED
    assert not InventoryList.objects.exists()
    assert api.get("/api/customs/receipts/").json()["results"] == []


def _enterprise_token(world, enterprise):
    _, raw = tokens.issue_token(
        name="企业金二客户端",
        zone=enterprise.zone,
        enterprise=enterprise,
        areas=["ledger"],
        by=world.users.admin,
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _drop(api, path):
    with open(path, "rb") as fh:
        response = api.post("/api/customs/inbox/", {"file": fh}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["job"])
    return job_services.execute(job.pk), Job.objects.get(pk=job.pk)


def test_an_enterprise_token_sends_only_for_its_own_books(world, cbook, tmp_path):
    """cbook belongs to enterprise a1; a1b is another enterprise of the same zone."""
    other_book = f.book(world.enterprises.a1b, kind="C")
    f.material(other_book, 1)
    own = _enterprise_token(world, world.enterprises.a1)
    assert own.get(f"/api/ledger/books/{cbook.pk}/").status_code == 200
    assert own.get(f"/api/ledger/books/{other_book.pk}/").status_code == 404

    h = b.head(cbook)
    state, _job = _drop(own, b.write(tmp_path, "own.xml", b.inv101(h, [b.line(1, 11)])))
    assert state == Job.State.SUCCEEDED
    assert InventoryList.objects.get(number=h["bondInvtNo"]).book == cbook

    # another enterprise's book, although in the token's zone: refused like an out-of-scope write
    h2 = b.head(other_book)
    state, job = _drop(own, b.write(tmp_path, "other.xml", b.inv101(h2, [b.line(1, 11)])))
    assert state == Job.State.FAILED
    named = [m["text"] for m in job.messages if "InvtHeadType/putrecNo" in m["text"]]
    assert len(named) == 1 and other_book.number in named[0]  # "no book … in your scope"
    assert not InventoryList.objects.filter(number=h2["bondInvtNo"]).exists()
    # and its receipts are not shown to the token
    Receipt.objects.create(
        message_id="CUS-OTHER",
        book=other_book,
        list_number="QD510126I000000999",
        status="0",
        deduction="2",
        receipt_time="2026-03-02T10:00:00+08:00",
    )
    other = Receipt.objects.get(message_id="CUS-OTHER")
    assert own.get(f"/api/customs/receipts/{other.pk}/").status_code == 404

    # a zone token of the same zone sees and writes both enterprises' books
    zone_api = _token(world, world.zones.a1)
    h3 = b.head(other_book)
    state, _job = _drop(zone_api, b.write(tmp_path, "zone.xml", b.inv101(h3, [b.line(1, 11)])))
    assert state == Job.State.SUCCEEDED


def test_an_enterprise_token_must_name_an_enterprise_of_its_zone(world):
    with pytest.raises(DomainError) as exc:
        tokens.issue_token(
            name="x",
            zone=world.zones.b1,
            enterprise=world.enterprises.a1,
            areas=["ledger"],
            by=world.users.admin,
        )
    assert exc.value.field == "enterprise"


def test_drop_refuses_other_files(world):
    api = _token(world, world.zones.a1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        "/api/customs/inbox/", {"file": SimpleUploadedFile("x.exe", b"MZ")}, format="multipart"
    )
    assert response.status_code == 400


def _queue(world, cbook):
    Receipt.objects.create(
        message_id="CUS-Q1",
        message_type="INV201",
        book=cbook,
        list_number="QD510126I000099999",
        status="0",
        deduction="2",
        receipt_time="2026-03-02T10:00:00+08:00",
        source="upload",
    )


def test_queue_page_shows_waiting_receipts_with_age_in_scope_only(
    world, cbook, client_for, django_assert_max_num_queries
):
    _queue(world, cbook)
    client = client_for(world.users.zone)
    with django_assert_max_num_queries(20):
        page = client.get("/customs/receipts/")
    assert page.status_code == 200
    assert "QD510126I000099999" in page.content.decode()
    assert Receipt.objects.get().state == ReceiptState.WAITING
    other = client_for(world.users.other_zone).get("/customs/receipts/")
    assert "QD510126I000099999" not in other.content.decode()


def test_queue_query_count_does_not_grow(world, cbook, client_for, django_assert_max_num_queries):
    for n in range(30):
        Receipt.objects.create(
            message_id=f"CUS-N{n}",
            message_type="INV201",
            book=cbook,
            list_number=f"QD510126I0000{n:05d}",
            status="0",
            deduction="2",
            receipt_time="2026-03-02T10:00:00+08:00",
            source="upload",
        )
    client = client_for(world.users.zone)
    with django_assert_max_num_queries(20):
        assert client.get("/customs/receipts/").status_code == 200


def test_message_page_lists_messages_and_drafts(
    world, cbook, client_for, tmp_path, django_assert_max_num_queries
):
    h = b.head(cbook)
    pipeline.run(
        Inv101Import, b.write(tmp_path, "m.xml", b.inv101(h, [b.line(1, 5)])), "m.xml", world.users.enterprise
    )
    draft = f.inv_list(cbook, "0615", "I", "material", [(1, 5)], submit=False)
    client = client_for(world.users.enterprise)
    with django_assert_max_num_queries(25):
        page = client.get("/customs/messages/")
    text = page.content.decode()
    assert (
        page.status_code == 200
        and h["bondInvtNo"] in text
        and f"/customs/lists/{draft.pk}/inv101.xml" in text
    )
    assert (
        h["bondInvtNo"]
        not in client_for(world.users.other_enterprise).get("/customs/messages/").content.decode()
    )


def test_retry_button_applies_a_receipt_whose_list_exists_now(world, cbook, client_for):
    _queue(world, cbook)
    f.inv_list(cbook, "0615", "I", "material", [(1, 5)], number="QD510126I000099999")
    response = client_for(world.users.enterprise).post("/customs/receipts/retry/")
    assert response.status_code == 302
    r = Receipt.objects.get()
    assert r.state == ReceiptState.APPLIED
    assert InventoryList.objects.get().state == ListState.POSTED
    assert r.inventory_list.lines.get().qty == Decimal("5")


def test_list_page_says_where_the_list_came_from(world, cbook, client_for, tmp_path):
    h = b.head(cbook)
    pipeline.run(
        Inv101Import, b.write(tmp_path, "m.xml", b.inv101(h, [b.line(1, 5)])), "m.xml", world.users.enterprise
    )
    manual = f.inv_list(cbook, "0615", "I", "material", [(1, 5)], submit=False)
    client = client_for(world.users.enterprise)
    from_msg = client.get(
        f"/ledger/lists/{InventoryList.objects.get(number=h['bondInvtNo']).pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Customs message INV101 (posted by receipt)" in from_msg.content.decode()
    typed = client.get(f"/ledger/lists/{manual.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Entered in Zonebook (manual post)" in typed.content.decode()


def test_upload_preview_and_confirm_on_the_import_pages(world, cbook, client_for, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    h = b.head(cbook)
    client = client_for(world.users.enterprise)
    upload = SimpleUploadedFile("INV101.xml", b.inv101(h, [b.line(1, 6)]), content_type="application/xml")
    response = client.post(reverse("imports:upload", args=["customs_inv101"]), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and h["bondInvtNo"] in preview.content.decode()
    assert not InventoryList.objects.exists()
    done = client.post(response["Location"])
    assert done.status_code == 302
    assert InventoryList.objects.get(number=h["bondInvtNo"]).source == "customs"
