"""Customs receipts: posting, waiting queue, held on a negative balance, cancel/reverse, idempotence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.customs.importers import Inv101Import, ReceiptImport
from zonebook.customs.models import Receipt, ReceiptEffect, ReceiptState
from zonebook.ledger.choices import ListState
from zonebook.ledger.models import Balance, InventoryList
from zonebook.ledger.tests import factories as f

from . import builders as b

pytestmark = pytest.mark.django_db


def imp(kind, tmp_path, name, data, user):
    path = b.write(tmp_path, name, data)
    result = pipeline.run(kind, path, name, user)
    assert result.ok, result.errors
    return result


def balance(book, seq):
    return Balance.objects.get(item__book=book, item__kind="material", item__seq_no=seq)


def test_approved_and_deducted_receipt_posts_the_list(world, cbook, tmp_path):
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 100)]), user)
    imp(ReceiptImport, tmp_path, "r.xml", b.receipt(cbook, number=h["bondInvtNo"], message_id="CUS-1"), user)
    lst = InventoryList.objects.get(number=h["bondInvtNo"])
    assert lst.state == ListState.POSTED
    assert (lst.receipt_number, str(lst.receipt_date)) == ("CUS-1", "2026-03-02")
    assert balance(cbook, 1).imports == Decimal("100")
    posted = AuditEntry.objects.get(code="ledger.inventory_list.posted", object_id=str(lst.pk))
    assert posted.changes["receipt"] == ["CUS-1", "2026-03-02"]
    r = Receipt.objects.get()
    assert (r.state, r.effect, r.inventory_list_id) == (ReceiptState.APPLIED, ReceiptEffect.POSTED, lst.pk)
    assert AuditEntry.objects.filter(code="customs.receipt.applied", changes__receipt="CUS-1").exists()


def test_replaying_a_receipt_changes_nothing(world, cbook, tmp_path):
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 100)]), user)
    data = b.receipt(cbook, number=h["bondInvtNo"], message_id="CUS-2")
    imp(ReceiptImport, tmp_path, "r.xml", data, user)
    audits = AuditEntry.objects.count()
    imp(ReceiptImport, tmp_path, "r2.xml", data, user)
    assert Receipt.objects.count() == 1
    assert AuditEntry.objects.count() == audits
    assert balance(cbook, 1).imports == Decimal("100")


def test_a_receipt_before_its_list_waits_and_is_applied_when_the_list_arrives(world, cbook, tmp_path):
    user = world.users.enterprise
    h = b.head(cbook)
    imp(
        ReceiptImport,
        tmp_path,
        "r.xml",
        b.receipt(cbook, inner=h["etpsInnerInvtNo"], message_id="CUS-3"),
        user,
    )
    r = Receipt.objects.get()
    assert r.state == ReceiptState.WAITING and r.inventory_list is None
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 30)]), user)
    r.refresh_from_db()
    assert (r.state, r.effect) == (ReceiptState.APPLIED, ReceiptEffect.POSTED)
    assert InventoryList.objects.get().state == ListState.POSTED
    assert balance(cbook, 1).imports == Decimal("30")


def test_a_receipt_driving_a_balance_negative_is_held_and_nothing_posted(world, cbook, tmp_path):
    user = world.users.enterprise
    f.post(cbook, "0615", "I", "material", [(1, 10)])  # balance 10 (a manual list)
    out = b.head(cbook, mode="0664", ie="E", kind="I")
    imp(Inv101Import, tmp_path, "out.xml", b.inv101(out, [b.line(1, 25)]), user)
    imp(
        ReceiptImport, tmp_path, "r.xml", b.receipt(cbook, number=out["bondInvtNo"], message_id="CUS-4"), user
    )
    r = Receipt.objects.get()
    assert r.state == ReceiptState.HELD
    assert "M0001" in r.reason or "15" in r.reason
    assert InventoryList.objects.get(number=out["bondInvtNo"]).state == ListState.SUBMITTED
    assert balance(cbook, 1).expected_remaining == Decimal("10")


def test_held_and_posted_together_the_good_list_is_posted(world, cbook, tmp_path):
    user = world.users.enterprise
    good = b.head(cbook)
    bad = b.head(cbook, mode="0664", ie="E", kind="I")
    msgs = {"g.xml": b.inv101(good, [b.line(2, 5)]), "b.xml": b.inv101(bad, [b.line(1, 25)])}
    imp(Inv101Import, tmp_path, "m.zip", open(b.zip_of(tmp_path, "x.zip", msgs), "rb").read(), user)
    recs = {
        "r1.xml": b.receipt(cbook, number=good["bondInvtNo"], message_id="CUS-G"),
        "r2.xml": b.receipt(cbook, number=bad["bondInvtNo"], message_id="CUS-B"),
    }
    imp(ReceiptImport, tmp_path, "r.zip", open(b.zip_of(tmp_path, "y.zip", recs), "rb").read(), user)
    states = dict(Receipt.objects.values_list("message_id", "state"))
    assert states == {"CUS-G": ReceiptState.APPLIED, "CUS-B": ReceiptState.HELD}
    assert balance(cbook, 2).imports == Decimal("5")


def test_return_cancels_an_unposted_list(world, cbook, tmp_path):
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 7)]), user)
    imp(
        ReceiptImport,
        tmp_path,
        "r.xml",
        b.receipt(cbook, number=h["bondInvtNo"], status="2", deduction="0"),
        user,
    )
    assert InventoryList.objects.get().state == ListState.CANCELLED
    assert Receipt.objects.get().effect == ReceiptEffect.CANCELLED


def test_deletion_of_a_posted_list_writes_the_reversal(world, cbook, tmp_path):
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 40)]), user)
    imp(ReceiptImport, tmp_path, "r1.xml", b.receipt(cbook, number=h["bondInvtNo"], message_id="CUS-P"), user)
    assert balance(cbook, 1).imports == Decimal("40")
    imp(
        ReceiptImport,
        tmp_path,
        "r2.xml",
        b.receipt(
            cbook,
            number=h["bondInvtNo"],
            status="3",
            deduction="0",
            message_id="CUS-D",
            when="2026-03-05 09:00:00",
        ),
        user,
    )
    orig = InventoryList.objects.get(number=h["bondInvtNo"])
    rev = InventoryList.objects.get(reverses=orig)
    assert rev.direction == -1 and rev.state == ListState.POSTED
    assert balance(cbook, 1).imports == Decimal("0")
    assert Receipt.objects.get(message_id="CUS-D").effect == ReceiptEffect.REVERSED


def test_a_receipt_for_a_book_outside_the_scope_is_refused(world, cbook, tmp_path):
    path = b.write(tmp_path, "r.xml", b.receipt(cbook, number="QD510126I000000001"))
    result = pipeline.run(ReceiptImport, path, "r.xml", world.users.other_enterprise)
    assert not result.ok and "No book" in result.errors[0].reason
    assert not Receipt.objects.exists()


def test_an_inv101_sent_to_the_receipt_import_is_refused(world, cbook, tmp_path):
    path = b.write(tmp_path, "m.xml", b.inv101(b.head(cbook), [b.line(1, 1)]))
    result = pipeline.run(ReceiptImport, path, "m.xml", world.users.enterprise)
    assert not result.ok and result.errors[0].value == "INV101"


def test_manual_lists_stay_manual(world, cbook):
    lst = f.inv_list(cbook, "0615", "I", "material", [(1, 3)])
    assert lst.source == "manual"


# -- receipts of one file are applied in their customs time order ------------------------------------


def _effects(*ids):
    return [Receipt.objects.get(message_id=i).effect or Receipt.objects.get(message_id=i).state for i in ids]


def test_a_return_timed_before_the_deduction_cancels_though_the_file_lists_it_last(world, cbook, tmp_path):
    """File order: 核扣 (10:00) then 退单 (09:00).  Time order: the list is cancelled at 09:00, so
    the 核扣 of 10:00 is held and nothing is posted (applied in file order it would be posted,
    then reversed)."""
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 100)]), user)
    deduct = b.receipt(cbook, number=h["bondInvtNo"], message_id="T-DEDUCT", when="2026-03-02 10:00:00")
    ret = b.receipt(
        cbook,
        number=h["bondInvtNo"],
        status="2",
        deduction="0",
        message_id="T-RETURN",
        when="2026-03-02 09:00:00",
    )
    imp(
        ReceiptImport,
        tmp_path,
        "r.zip",
        b.zip_of(tmp_path, "r.zip", {"a.xml": deduct, "b.xml": ret}).read_bytes(),
        user,
    )
    lst = InventoryList.objects.get(number=h["bondInvtNo"])
    assert lst.state == ListState.CANCELLED
    assert not InventoryList.objects.filter(reverses=lst).exists()
    assert balance(cbook, 1).imports == 0
    held = Receipt.objects.get(message_id="T-DEDUCT")
    assert held.state == ReceiptState.HELD and "cancelled" in held.reason
    assert Receipt.objects.get(message_id="T-RETURN").effect == ReceiptEffect.CANCELLED


def test_a_deduction_timed_before_the_deletion_posts_then_reverses_across_batches(
    world, cbook, tmp_path, monkeypatch
):
    """File order: 删单 (11:00), 核扣 (10:00), 审核通过 (09:00), each in its own import batch.
    Time order: approved, posted, then reversed by the deletion."""
    monkeypatch.setattr(ReceiptImport, "batch_size", 1)
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 100)]), user)
    number = h["bondInvtNo"]
    members = {
        "1.xml": b.receipt(
            cbook, number=number, status="3", deduction="0", message_id="T-DEL", when="2026-03-02 11:00:00"
        ),
        "2.xml": b.receipt(cbook, number=number, message_id="T-DED", when="2026-03-02 10:00:00"),
        "3.xml": b.receipt(
            cbook, number=number, deduction="0", message_id="T-OK", when="2026-03-02 09:00:00"
        ),
    }
    imp(ReceiptImport, tmp_path, "r.zip", b.zip_of(tmp_path, "r.zip", members).read_bytes(), user)
    lst = InventoryList.objects.get(number=number)
    assert lst.state == ListState.POSTED
    assert InventoryList.objects.filter(reverses=lst, state=ListState.POSTED).exists()
    assert _effects("T-OK", "T-DED", "T-DEL") == [
        ReceiptEffect.APPROVED,
        ReceiptEffect.POSTED,
        ReceiptEffect.REVERSED,
    ]
    assert balance(cbook, 1).imports == 0  # posted 100, reversed


def test_return_then_deletion_in_reverse_file_order(world, cbook, tmp_path):
    """删单 (11:00) listed before 退单 (10:00): the 退单 cancels, the 删单 changes nothing."""
    user = world.users.enterprise
    h = b.head(cbook)
    imp(Inv101Import, tmp_path, "m.xml", b.inv101(h, [b.line(1, 100)]), user)
    number = h["bondInvtNo"]
    members = {
        "a.xml": b.receipt(
            cbook, number=number, status="3", deduction="0", message_id="T-D", when="2026-03-02 11:00:00"
        ),
        "b.xml": b.receipt(
            cbook, number=number, status="2", deduction="0", message_id="T-R", when="2026-03-02 10:00:00"
        ),
    }
    imp(ReceiptImport, tmp_path, "r.zip", b.zip_of(tmp_path, "r.zip", members).read_bytes(), user)
    assert InventoryList.objects.get(number=number).state == ListState.CANCELLED
    assert _effects("T-R", "T-D") == [ReceiptEffect.CANCELLED, ReceiptEffect.UNCHANGED]


def test_the_receipt_import_query_count_does_not_grow_with_the_receipts(world, cbook, tmp_path):
    """Posting receipts are applied set-based: the books (with their zones) for the audit scopes are
    read once, not per receipt."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = world.users.enterprise
    counts = []
    for n, tag in ((2, "A"), (6, "B")):
        heads = [b.head(cbook) for _ in range(n)]
        msgs = {f"m{k}.xml": b.inv101(h, [b.line(1 + k % 2, 3)]) for k, h in enumerate(heads)}
        imp(Inv101Import, tmp_path, f"m{tag}.zip", open(b.zip_of(tmp_path, f"x{tag}.zip", msgs), "rb").read(), user)
        recs = {
            f"r{k}.xml": b.receipt(cbook, number=h["bondInvtNo"], message_id=f"CUS-{tag}{k}")
            for k, h in enumerate(heads)
        }
        path = b.zip_of(tmp_path, f"y{tag}.zip", recs)
        with CaptureQueriesContext(connection) as ctx:
            result = pipeline.run(ReceiptImport, path, f"r{tag}.zip", user)
        assert result.ok, result.errors
        counts.append(len(ctx.captured_queries))
    assert Receipt.objects.filter(state=ReceiptState.APPLIED).count() == 8
    assert counts[1] == counts[0], counts
