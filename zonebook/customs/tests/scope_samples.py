"""Out-of-scope customs objects for the URL-walking scope test (Chongqing, zone c1)."""

from __future__ import annotations

from zonebook.core.testing.scope_samples import register


def _c1_list(world):
    from zonebook.ledger.tests.scope_samples import _c1_book

    return _c1_book(world).inventory_lists.order_by("pk").first()


@register("customs.inventorymessage")
def _message(world):
    from zonebook.customs.models import InventoryMessage

    lst = _c1_list(world)
    msg = InventoryMessage.objects.filter(inventory_list=lst).first()
    if msg is None:
        msg = InventoryMessage.objects.create(
            book=lst.book,
            enterprise=lst.enterprise,
            inventory_list=lst,
            internal_number=lst.internal_number,
            list_number=lst.number,
            message_id="SAMPLE-INV101",
            filename="INV101_sample.xml",
            content_hash="0" * 64,
            lines=lst.line_count,
            source="upload",
        )
    return msg


@register("customs.receipt")
def _receipt(world):
    from zonebook.customs.models import Receipt

    lst = _c1_list(world)
    receipt, _ = Receipt.objects.get_or_create(
        message_id="SAMPLE-INV201",
        defaults=dict(
            message_type="INV201",
            book=lst.book,
            list_number="QD500026I999999999",
            internal_number="SAMPLE",
            status="0",
            deduction="2",
            receipt_time="2026-03-02T10:00:00+08:00",
            source="upload",
        ),
    )
    return receipt
