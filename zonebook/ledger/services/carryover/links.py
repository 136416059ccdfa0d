"""Deep-processing carry-over (深加工结转): linking posted lists to an application as shipments and
receipts (halves), and unlinking them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from ...calc import q5
from ...choices import IEMark, ItemKind, ListState
from ...models import CarryOver, CarryOverLink, InventoryList
from ...models.carryover import CarryOverSide, CarryOverState
from .applications import refresh_totals
from .parties import RECV, SHIP, TOLERANCE, _item_label, _lock, config, month_of, own_sides

# ------------------------------------------------------------------ linking lists (halves)


def _side_of(co: CarryOver, lst: InventoryList) -> str:
    """Which half a list is, or a DomainError naming the application's two books (§7 rule 1)."""
    modes = tuple(config()["MODES"])
    if lst.book_id == co.transferor_book_id:
        side, ie, kind, book = SHIP, IEMark.EXPORT, ItemKind.PRODUCT, co.transferor_book
    elif lst.book_id == co.transferee_book_id:
        side, ie, kind, book = RECV, IEMark.IMPORT, ItemKind.MATERIAL, co.transferee_book
    else:
        raise DomainError(
            _(
                "List %(l)s belongs to book %(b)s; application %(n)s pairs only the transfer-out book %(out)s "
                "with the transfer-in book %(in)s."
            )
            % {
                "l": lst.number,
                "b": lst.book.number,
                "n": co.number,
                "out": co.transferor_book.number,
                "in": co.transferee_book.number,
            },
            code="book_mismatch",
            field="list_number",
        )
    if lst.ie_mark != ie or lst.item_kind != kind or lst.supervision_mode not in modes:
        raise DomainError(
            _(
                "List %(l)s (%(ie)s, %(kind)s, mode %(mode)s) is not a carry-over %(side)s: book %(b)s needs "
                "%(want_ie)s lists of %(want_kind)s with supervision mode %(modes)s."
            )
            % {
                "l": lst.number,
                "ie": lst.ie_mark,
                "kind": ItemKind(lst.item_kind).label,
                "mode": lst.supervision_mode,
                "side": CarryOverSide(side).label,
                "b": book.number,
                "want_ie": ie,
                "want_kind": ItemKind(kind).label,
                "modes": " / ".join(modes),
            },
            code="book_mismatch",
            field="list_number",
        )
    return side


@transaction.atomic
def link_list(co: CarryOver, lst: InventoryList | str, *, by=None) -> list[CarryOverLink]:
    """Link the lines of a posted carry-over list on the application's item as halves.

    Refused: application not approved; list not posted, reversed or a reversal; list of another
    book / wrong side / mode (``book_mismatch``); no line on the item; a line already linked; a line
    declared outside the validity; a line whose HS code differs from the counterpart item in the first
    8 digits; legal quantity missing when the application counts legal quantities; a receipt beyond
    the planned quantity (``over_plan``: names application, item, planned, already received, excess).
    Shipments beyond the plan are linked with their ``over_plan_qty`` and queued.
    """
    co = _lock(co)
    mine = own_sides(by, co.transferor_book_id, co.transferee_book_id)
    books = [
        co.transferor_book if side == SHIP else co.transferee_book for side in (SHIP, RECV) if side in mine
    ]
    if isinstance(lst, str):
        number = lst.strip().upper()
        found = (
            InventoryList.objects.filter(number=number, book_id__in=[b.pk for b in books])
            .select_related("book")
            .first()
        )  # only lists of the caller's own side(s)
    else:
        number = lst.number
        found = InventoryList.objects.select_related("book").get(pk=lst.pk)  # the stored state
        if found.book_id in (co.transferor_book_id, co.transferee_book_id) and found.book_id not in {
            b.pk for b in books
        }:
            found = None
    if found is None:
        raise DomainError(
            _("No inventory list %(l)s on your side of application %(n)s (book %(b)s).")
            % {"l": number, "n": co.number, "b": " / ".join(b.number for b in books) or "—"},
            code="not_found",
            field="list_number",
        )
    lst = found
    if co.state != CarryOverState.APPROVED:
        raise DomainError(
            _("Application %(n)s is %(s)s; lists are linked only to approved applications.")
            % {"n": co.number, "s": CarryOverState(co.state).label},
            code="bad_state",
        )
    side = _side_of(co, lst)
    if (
        lst.state != ListState.POSTED
        or lst.direction != 1
        or InventoryList.objects.filter(reverses=lst).exists()
    ):
        raise DomainError(
            _("List %(l)s is %(s)s: only posted lists that are not reversed (nor reversals) can be linked.")
            % {"l": lst.number, "s": ListState(lst.state).label},
            code="bad_state",
            field="list_number",
        )
    item = co.transferor_item if side == SHIP else co.transferee_item
    other = co.transferee_item if side == SHIP else co.transferor_item
    if not (co.valid_from <= lst.declaration_date <= co.valid_to):
        raise DomainError(
            _("List %(l)s is declared on %(d)s, outside the validity of application %(n)s (%(a)s … %(b)s).")
            % {
                "l": lst.number,
                "d": lst.declaration_date,
                "n": co.number,
                "a": co.valid_from,
                "b": co.valid_to,
            },
            code="outside_period",
            field="list_number",
        )
    if side == SHIP and config()["RECEIPT_FIRST"]:
        # 先报进口，再报出口 (domain doc §7): the shipment quotes a receipt declared on or before it
        if not co.links.filter(side=RECV, declaration_date__lte=lst.declaration_date).exists():
            raise DomainError(
                _(
                    "Application %(n)s declares the receipt first (先报进口，再报出口): link the transferee's "
                    "receipt list declared on or before %(d)s before shipment list %(l)s."
                )
                % {"n": co.number, "d": lst.declaration_date, "l": lst.number},
                code="receipt_first",
                field="list_number",
            )
    lines = list(
        lst.lines.filter(item=item)
        .order_by("line_no")
        .values("pk", "line_no", "hs_code", "qty", "legal_qty", "carryover_link__carry_over__number")
    )
    if not lines:
        raise DomainError(
            _("List %(l)s has no line on %(item)s, the item of application %(n)s.")
            % {"l": lst.number, "item": _item_label(item), "n": co.number},
            code="no_lines",
            field="list_number",
        )
    errors = []
    for ln in lines:
        taken = ln["carryover_link__carry_over__number"]
        if taken:
            errors.append(
                RowError(ln["line_no"], "line", "", _("already linked to application %(n)s") % {"n": taken})
            )
        elif ln["hs_code"][:8] != other.hs_code[:8]:
            errors.append(
                RowError(
                    ln["line_no"],
                    "hs_code",
                    ln["hs_code"],
                    _("HS code %(hs)s differs from the counterpart item's HS code in the first 8 digits")
                    % {"hs": ln["hs_code"]},
                )
            )
        elif co.compare_legal and not ln["legal_qty"]:
            errors.append(
                RowError(
                    ln["line_no"],
                    "legal_qty",
                    "",
                    _(
                        "the legal quantity (unit %(u)s) is required: the two items are declared in different units"
                    )
                    % {"u": co.unit},
                )
            )
    if errors:
        raise DomainError(
            _("List %(l)s cannot be linked to application %(n)s: %(e)s")
            % {"l": lst.number, "n": co.number, "e": "; ".join(f"line {e.row}: {e.reason}" for e in errors)},
            code="invalid_lines",
            field="list_number",
            details=errors,
        )
    qty_of = [q5(ln["legal_qty"] if co.compare_legal else ln["qty"]) for ln in lines]
    total = sum(qty_of, Decimal(0))
    if side == RECV:
        already = co.received_qty
        excess = already + total - co.planned_qty
        if excess > TOLERANCE:
            raise DomainError(
                _(
                    "Carry-over receipt exceeds application %(n)s: item %(item)s, planned %(planned)s, already "
                    "received %(already)s, list %(l)s %(qty)s, excess %(excess)s (unit %(u)s)."
                )
                % {
                    "n": co.number,
                    "item": _item_label(item),
                    "planned": co.planned_qty,
                    "already": already,
                    "l": lst.number,
                    "qty": q5(total),
                    "excess": q5(excess),
                    "u": co.unit,
                },
                code="over_plan",
                field="list_number",
            )
    # the input list's lines only (bounded by the document, like create_inventory_list's line checks)
    cumulative = co.shipped_qty if side == SHIP else co.received_qty
    period = month_of(lst.declaration_date)
    links = []
    for ln, q in zip(lines, qty_of, strict=True):
        over = Decimal(0)
        if side == SHIP:
            over = max(Decimal(0), min(q, cumulative + q - co.planned_qty))
        cumulative += q
        links.append(
            CarryOverLink(
                carry_over=co,
                side=side,
                inventory_list=lst,
                line_id=ln["pk"],
                declaration_date=lst.declaration_date,
                period=period,
                declared_qty=ln["qty"],
                qty=q,
                over_plan_qty=q5(over),
                open_qty=q,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
    CarryOverLink.objects.bulk_create(links)
    refresh_totals([co.pk])
    audit.record(
        co,
        code="ledger.carryover.linked",
        by=by,
        changes={
            "list": lst.number,
            "side": side,
            "lines": len(links),
            "qty": q5(total),
            "over_plan": q5(sum((lk.over_plan_qty for lk in links), Decimal(0))),
        },
    )
    return links


def check_list_not_linked(lst: InventoryList) -> None:
    """A list linked to a carry-over application cannot be reversed (unlink it first)."""
    number = (
        CarryOverLink.objects.filter(inventory_list=lst).values_list("carry_over__number", flat=True).first()
    )
    if number:
        raise DomainError(
            _("List %(l)s is linked to carry-over application %(n)s; unlink it there before reversing it.")
            % {"l": lst.number, "n": number},
            code="carryover_linked",
        )


@transaction.atomic
def unlink_list(co: CarryOver, lst: InventoryList, *, by=None) -> int:
    """Remove the unmatched halves of a list (a matched half must be unmatched first)."""
    co = _lock(co)
    mine = own_sides(by, co.transferor_book_id, co.transferee_book_id)
    own_books = [
        pk for side, pk in ((SHIP, co.transferor_book_id), (RECV, co.transferee_book_id)) if side in mine
    ]
    if lst.book_id not in own_books:
        raise DomainError(
            _("List %(l)s is on the counterpart's side of application %(n)s; only that side unlinks it.")
            % {"l": lst.number, "n": co.number},
            code="not_your_side",
        )
    qs = co.links.filter(inventory_list=lst)
    if qs.filter(match__isnull=False).exists():
        raise DomainError(
            _("List %(l)s is part of a pairing of application %(n)s; undo the pairing first.")
            % {"l": lst.number, "n": co.number},
            code="matched",
        )
    n, _x = qs.delete()
    if n:
        refresh_totals([co.pk])
        audit.record(co, code="ledger.carryover.unlinked", by=by, changes={"list": lst.number, "lines": n})
    return n
