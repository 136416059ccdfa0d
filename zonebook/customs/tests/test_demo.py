"""The demo loader: messages with receipts for a demo book, one receipt waiting; loading twice changes nothing."""

import io

import pytest

from zonebook.customs import demo
from zonebook.customs.models import InventoryMessage, Receipt, ReceiptState
from zonebook.ledger.choices import ListState
from zonebook.ledger.models import InventoryList

pytestmark = pytest.mark.django_db


def test_demo_loads_messages_and_receipts_and_is_idempotent(world, cbook):
    demo.load(io.StringIO())
    assert InventoryMessage.objects.count() == 3
    states = sorted(InventoryList.objects.filter(source="customs").values_list("state", flat=True))
    assert states == [ListState.POSTED, ListState.POSTED, ListState.SUBMITTED]
    assert Receipt.objects.get(state=ReceiptState.WAITING).message_id == "DEMO-INV201-404"
    assert demo.present()
    before = (InventoryList.objects.count(), Receipt.objects.count(), InventoryMessage.objects.count())
    demo.load(io.StringIO())
    assert (
        InventoryList.objects.count(),
        Receipt.objects.count(),
        InventoryMessage.objects.count(),
    ) == before


def test_watched_folder_processes_dropped_files(world, cbook, tmp_path):
    import os
    import time

    from django.core.management import call_command

    from . import builders as b

    h = b.head(cbook)
    good = b.write(tmp_path, "INV101_ok.xml", b.inv101(h, [b.line(1, 4)]))
    bad = b.write(tmp_path, "INV101_bad.xml", b"<not-xml")
    old = time.time() - 60
    for p in (good, bad):
        os.utime(p, (old, old))
    call_command(
        "customs_watch",
        folder=str(tmp_path),
        user=world.users.enterprise.username,
        once=True,
        stdout=io.StringIO(),
    )
    assert (tmp_path / "done" / "INV101_ok.xml").exists() and (
        tmp_path / "failed" / "INV101_bad.xml"
    ).exists()
    assert "malformed" in (tmp_path / "failed" / "INV101_bad.xml.json").read_text()
    assert InventoryList.objects.get(number=h["bondInvtNo"]).source == "customs"
    assert InventoryMessage.objects.get().source == "folder"
