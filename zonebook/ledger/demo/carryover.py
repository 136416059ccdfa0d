"""Demo carry-overs (深加工结转) between the demo's processing-trade books (C/E handbooks and e-books),
called by ``load_ledger_demo``: one application fully matched with a later month still unmatched, one
with a shipment beyond the planned quantity, one with a receipt waiting for its shipment.

The transfer-in book gets a material filed with the transferor product's HS code and unit (a 变更);
lists use 监管方式 0654 and go through the posting service, then are linked and auto-matched.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction


def load(demo) -> int:
    """``demo`` is the ``LedgerDemo`` loader (dates, list numbers, acting user).  Returns applications made."""
    from zonebook.core.errors import DomainError
    from zonebook.ledger import services
    from zonebook.ledger.models import Book
    from zonebook.ledger.services import carryover as svc

    books = list(
        Book.objects.filter(kind__in=["C", "E"], status__in=["filed", "in_use"])
        .select_related("enterprise")
        .order_by("number")
    )
    today = demo.today
    made = 0
    # (planned, [(months back, side, qty)]) — shipments "S", receipts "R"
    scenarios = [
        (Decimal(600), [(4, "S", 120), (4, "R", 120), (2, "S", 80), (2, "R", 80), (1, "S", 60)]),
        (Decimal(100), [(3, "S", 80), (3, "R", 80), (1, "S", 40)]),
        (Decimal(300), [(2, "R", 90)]),
    ]
    for k, (planned, events) in enumerate(scenarios):
        if len(books) < 2:
            break
        out_book, in_book = books[(2 * k) % len(books)], books[(2 * k + 1) % len(books)]
        if out_book.pk == in_book.pk:
            break
        product = out_book.items.filter(kind="product").order_by("seq_no").first()
        if product is None:
            continue
        try:
            with transaction.atomic():  # a scenario is written completely or not at all
                made += _scenario(demo, svc, services, out_book, in_book, product, planned, events, today)
        except DomainError:  # a demo book that cannot take it (e.g. a balance too low): skip
            demo.stats["carry-overs skipped"] = demo.stats.get("carry-overs skipped", 0) + 1
    demo.stats["carry-overs"] = made
    return made


def _scenario(demo, svc, services, out_book, in_book, product, planned, events, today) -> int:
    material = in_book.items.filter(kind="material", hs_code=product.hs_code, unit=product.unit).first()
    if material is None:
        seq = (
            in_book.items.filter(kind="material").order_by("-seq_no").values_list("seq_no", flat=True).first()
            or 0
        ) + 1
        material = services.add_item(
            in_book,
            "material",
            {
                "seq_no": seq,
                "part_no": f"JZ-{product.part_no}"[:40],
                "hs_code": product.hs_code,
                "name": product.name,
                "unit": product.unit,
                "legal_unit1": product.legal_unit1,
                "unit_price": product.unit_price,
                "currency": product.currency,
                "filed_qty": Decimal(100_000),
            },
            by=demo.by,
        )
    until = min(d for d in (out_book.valid_until, in_book.valid_until, today + dt.timedelta(days=180)) if d)
    co = svc.create_carryover(
        {
            "transferor_book": out_book,
            "transferor_item": product,
            "transferee_book": in_book,
            "transferee_item": material,
            "planned_qty": planned,
            "valid_from": demo.first_month,
            "valid_to": until,
            "note": "demo",
        },
        by=demo.by,
    )
    svc.change_carryover_state(co, "approved", by=demo.by)
    for back, side, qty in events:
        month = _add_months(today.replace(day=1), -back)
        day = min(month.replace(day=10 if side == "S" else 14), today)
        book, ie, kind, item = (
            (out_book, "E", "product", product) if side == "S" else (in_book, "I", "material", material)
        )
        office = (book.customs_office or "7901")[:4]
        lst = demo.inv(book, office, "0654", ie, kind, day, [(item.seq_no, Decimal(qty), item)])
        svc.link_list(co, lst, by=demo.by)
    svc.auto_match([co], by=demo.by)
    return 1


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return d.replace(year=d.year + y, month=m + 1, day=1)
