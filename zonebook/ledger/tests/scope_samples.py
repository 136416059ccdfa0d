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


# --- carry-over (深加工结转) -------------------------------------------------------------------------------


def _c1_carryover(world):
    import datetime as dt

    from zonebook.ledger.models import CarryOver
    from zonebook.ledger.services import carryover as csvc
    from zonebook.ledger.tests import factories as f

    existing = CarryOver.objects.filter(number="JZSAMPLE1").first()
    if existing is not None:
        return existing
    out_book = f.book(world.enterprises.c1, kind="C", number="C5000SAMPLE2")
    m = f.material(out_book, 1, opening=1000)
    p = f.product(out_book, 1)
    f.bom(p, m, "0.5")
    in_book = f.book(world.enterprises.c1, kind="C", number="C5000SAMPLE3")
    mi = f.material(in_book, 1, hs_code=p.hs_code, unit=p.unit, legal_unit1=p.legal_unit1)
    co = csvc.create_carryover(
        {
            "number": "JZSAMPLE1",
            "transferor_book": out_book,
            "transferor_item": p,
            "transferee_book": in_book,
            "transferee_item": mi,
            "planned_qty": "100",
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": dt.date(2026, 12, 31),
        }
    )
    csvc.change_carryover_state(co, "approved")
    day = dt.date(2026, 3, 2)
    a = csvc.link_list(co, f.post(out_book, "0654", "E", "product", [(1, 10)], date=day).inventory_list)
    b = csvc.link_list(co, f.post(in_book, "0654", "I", "material", [(1, 10)], date=day).inventory_list)
    csvc.match_halves(co, [a[0].pk], [b[0].pk])
    return co


@register("ledger.carryover")
def _carryover(world):
    return _c1_carryover(world)


@register("ledger.carryovermatch")
def _carryover_match(world):
    return _c1_carryover(world).matches.order_by("pk").first()
