"""Out-of-scope ledger objects for the URL-walking scope test (they live in Chongqing, zone c1)."""

from __future__ import annotations

from zonebook.core.testing.scope_samples import register


def _c1_book(world):
    from zonebook.ledger.models import Book
    from zonebook.ledger.tests import factories as f

    existing = Book.objects.filter(enterprise=world.enterprises.c1).first()
    if existing is not None:
        return existing
    book = f.book(world.enterprises.c1, kind="H", number="H5000SAMPLE1")
    m = f.material(book, 1, opening=100)
    p = f.product(book, 1)
    f.bom(p, m, "0.5")
    f.inv_list(book, "5000", "I", "material", [(1, 10)], number=f.list_number("I", 990000001), submit=True)
    return book


@register("ledger.book")
def _book(world):
    return _c1_book(world)


@register("ledger.bookitem")
def _item(world):
    return _c1_book(world).items.order_by("pk").first()


@register("ledger.balance")
def _balance(world):
    return _c1_book(world).balances.order_by("pk").first()


@register("ledger.consumption")
def _consumption(world):
    return _c1_book(world).consumptions.order_by("pk").first()


@register("ledger.inventorylist")
def _list(world):
    return _c1_book(world).inventory_lists.order_by("pk").first()


# --- write-off (h7) ---------------------------------------------------------------------------------------


def _c1_writeoff(world):
    import datetime as dt

    from zonebook.ledger.models import WriteOff
    from zonebook.ledger.services import writeoff as wsvc

    book = _c1_book(world)
    existing = WriteOff.objects.filter(book=book).first()
    if existing is not None:
        return existing
    wo = wsvc.create_writeoff(book, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    wsvc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 0}])  # 100 expected → a case
    return wsvc.change_writeoff_state(wo, "pre_check")


@register("ledger.writeoff")
def _writeoff(world):
    return _c1_writeoff(world)


@register("ledger.differencecase")
def _case(world):
    return _c1_writeoff(world).cases.order_by("pk").first()
