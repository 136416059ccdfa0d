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
