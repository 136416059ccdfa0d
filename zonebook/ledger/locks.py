"""Row locks of the ledger (see docs/ledger.md "Concurrency").

Rules: lock once, late in the transaction, in primary-key order; the list row first (serialises
two posters of the same list), then the balance rows of the book (serialises postings to one book
so the negative-balance check sees committed values).  SQLite has no row locks: its
``transaction_mode=IMMEDIATE`` makes every transaction take the database write lock instead.
"""

from __future__ import annotations

from .models import Balance, InventoryList


def lock_list(list_id: int) -> InventoryList:
    return (
        InventoryList.objects.select_for_update(of=("self",))
        .select_related("book", "book__zone")
        .get(pk=list_id)
    )


def lock_book_balances(book_id: int) -> int:
    """Lock every balance row of the book in pk order; returns how many rows were locked."""
    return len(
        list(
            Balance.objects.select_for_update()
            .filter(book_id=book_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    )
