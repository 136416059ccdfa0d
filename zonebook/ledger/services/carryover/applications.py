"""Deep-processing carry-over (深加工结转) applications: numbering, the HS/unit checks of the two items,
creating an application, its states, and the stored totals of applications.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from ...choices import ItemKind
from ...models import Book, BookItem, CarryOver, CarryOverLink
from ...models.carryover import CARRYOVER_TRANSITIONS, CarryOverState
from .parties import (
    QTY_FIELD,
    RECV,
    SHIP,
    _item_label,
    _lock,
    counterpart_error,
    not_yours_error,
    own_sides,
    unrestricted,
)

# ------------------------------------------------------------------ application


def next_number(on: dt.date) -> str:
    """JZ + year + 6-digit serial, e.g. JZ2026000001."""
    prefix = f"JZ{on:%Y}"
    last = (
        CarryOver.objects.filter(number__startswith=prefix, number__regex=r"^JZ\d{10}$")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last[6:]) + 1) if last else 1:06d}"


def hs8_equal(a: str, b: str) -> bool:
    """§7 rule 3 on two HS codes: the first 8 digits are equal (also the bonded-goods flows' rule)."""
    return (a or "")[:8] == (b or "")[:8]


def hs8_error(out_item: BookItem, in_item: BookItem) -> DomainError | None:
    """§7 rule 3: 3926909090 ↔ 3926909010 passes, 8471300000 ↔ 8471410000 fails."""
    if hs8_equal(out_item.hs_code, in_item.hs_code):
        return None
    return DomainError(
        _(
            "The HS codes of the transfer-out product %(out)s (%(hs_out)s) and the transfer-in material %(in)s "
            "(%(hs_in)s) differ in the first 8 digits (%(a)s ≠ %(b)s); a carry-over needs them equal."
        )
        % {
            "out": _item_label(out_item),
            "hs_out": out_item.hs_code,
            "in": _item_label(in_item),
            "hs_in": in_item.hs_code,
            "a": out_item.hs_code[:8],
            "b": in_item.hs_code[:8],
        },
        code="hs_mismatch",
        field="transferee_item",
    )


def application_unit(out_item: BookItem, in_item: BookItem) -> tuple[str, bool]:
    """(unit, counted in legal quantity?) — §7 rule 2: declared units equal, else the legal units."""
    if out_item.unit and out_item.unit == in_item.unit:
        return out_item.unit, False
    if out_item.legal_unit1 and out_item.legal_unit1 == in_item.legal_unit1:
        return out_item.legal_unit1, True
    raise DomainError(
        _(
            "The transfer-out product %(out)s is declared in unit %(u1)s (legal unit %(l1)s) and the transfer-in "
            "material %(in)s in unit %(u2)s (legal unit %(l2)s): neither the declared nor the legal units agree, "
            "so the quantities cannot be matched."
        )
        % {
            "out": _item_label(out_item),
            "u1": out_item.unit or "—",
            "l1": out_item.legal_unit1 or "—",
            "in": _item_label(in_item),
            "u2": in_item.unit or "—",
            "l2": in_item.legal_unit1 or "—",
        },
        code="unit_mismatch",
        field="transferee_item",
    )


def _decimal(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("“%(v)s” is not a number.") % {"v": value}, code="invalid", field=field) from None
    if not d.is_finite():
        raise DomainError(_("“%(v)s” is not a number.") % {"v": value}, code="invalid", field=field)
    if d.as_tuple().exponent < -5:
        raise DomainError(
            _("At most 5 decimal places are allowed (got %(v)s).") % {"v": value}, code="invalid", field=field
        )
    return d


@transaction.atomic
def create_carryover(data: Mapping, *, by=None) -> CarryOver:
    """A draft application.

    ``data``: transferor_book, transferor_item (a product of that book), transferee_book,
    transferee_item (a material of that book), planned_qty (> 0, ≤ 5 dp), valid_from, valid_to,
    optionally number (default ``next_number``) and note.
    """
    out_book: Book = data.get("transferor_book")
    in_book: Book = data.get("transferee_book")
    out_item: BookItem = data.get("transferor_item")
    in_item: BookItem = data.get("transferee_item")
    for field, value in (
        ("transferor_book", out_book),
        ("transferor_item", out_item),
        ("transferee_book", in_book),
        ("transferee_item", in_item),
    ):
        if value is None:
            raise DomainError(_("This field is required."), code="required", field=field)
    own = own_sides(by, out_book.pk, in_book.pk)
    if not own:
        raise not_yours_error()

    def counterpart(side: str, field: str) -> DomainError:
        book, item = (out_book, out_item) if side == SHIP else (in_book, in_item)
        return counterpart_error(field, book.number, item.seq_no)

    if out_book.pk == in_book.pk:
        raise DomainError(
            _("Book %(b)s cannot carry over to itself: the transfer-in book must be another book.")
            % {"b": out_book.number},
            code="book_mismatch",
            field="transferee_book",
        )
    if out_item.book_id != out_book.pk or out_item.kind != ItemKind.PRODUCT:
        if SHIP not in own:
            raise counterpart(SHIP, "transferor_book")
        raise DomainError(
            _("%(item)s is not a product of the transfer-out book %(b)s.")
            % {"item": _item_label(out_item), "b": out_book.number},
            code="item_mismatch",
            field="transferor_item",
        )
    if in_item.book_id != in_book.pk or in_item.kind != ItemKind.MATERIAL:
        if RECV not in own:
            raise counterpart(RECV, "transferee_book")
        raise DomainError(
            _("%(item)s is not a material of the transfer-in book %(b)s.")
            % {"item": _item_label(in_item), "b": in_book.number},
            code="item_mismatch",
            field="transferee_item",
        )
    other = ({SHIP, RECV} - own).pop() if len(own) == 1 else None
    other_field = "transferor_book" if other == SHIP else "transferee_book"
    err = hs8_error(out_item, in_item)
    if err:
        raise counterpart(other, other_field) if other else err
    try:
        unit, legal = application_unit(out_item, in_item)
    except DomainError:
        if other:
            raise counterpart(other, other_field) from None
        raise
    planned = _decimal(data.get("planned_qty"), "planned_qty")
    if planned <= 0:
        raise DomainError(
            _("The planned quantity must be greater than zero."), code="invalid", field="planned_qty"
        )
    start, end = data.get("valid_from"), data.get("valid_to")
    if not isinstance(start, dt.date):
        raise DomainError(_("The start of the validity is required."), code="required", field="valid_from")
    if not isinstance(end, dt.date):
        raise DomainError(_("The end of the validity is required."), code="required", field="valid_to")
    if end < start:
        raise DomainError(
            _("The validity ends (%(end)s) before it starts (%(start)s).") % {"start": start, "end": end},
            code="period_order",
            field="valid_to",
        )
    for side, book in ((SHIP, out_book), (RECV, in_book)):
        if book.valid_until and end > book.valid_until:
            if side not in own:
                raise counterpart(side, "transferor_book" if side == SHIP else "transferee_book")
            raise DomainError(
                _("The validity ends on %(end)s, after book %(b)s expires (%(until)s).")
                % {"end": end, "b": book.number, "until": book.valid_until},
                code="book_expired",
                field="valid_to",
            )
    number = str(data.get("number") or "").strip().upper() or next_number(start)
    if len(number) > 20:
        raise DomainError(
            _("An application number has at most 20 characters."), code="invalid", field="number"
        )
    if CarryOver.objects.filter(number=number).exists():
        raise DomainError(
            _("Application number %(n)s already exists.") % {"n": number}, code="duplicate", field="number"
        )
    co = CarryOver(
        number=number,
        transferor_book=out_book,
        transferor_item=out_item,
        transferee_book=in_book,
        transferee_item=in_item,
        planned_qty=planned,
        unit=unit,
        compare_legal=legal,
        valid_from=start,
        valid_to=end,
        note=str(data.get("note") or "")[:300],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    co.save()
    audit.record(
        co,
        code="ledger.carryover.created",
        by=by,
        action="create",
        changes=audit.diff({}, audit.snapshot(co)),
    )
    return co


@transaction.atomic
def change_carryover_state(co: CarryOver, target: str, *, by=None, note: str = "") -> CarryOver:
    """draft → approved → closed; draft/approved → cancelled.

    Closing is refused while halves are unmatched (they would never be matched); cancelling is
    refused once lists are linked (unlink them first).
    """
    co = _lock(co)
    if target not in CarryOverState.values or target not in CARRYOVER_TRANSITIONS[co.state]:
        raise DomainError(
            _("Application %(n)s is %(s)s: it cannot move to %(t)s.")
            % {
                "n": co.number,
                "s": CarryOverState(co.state).label,
                "t": CarryOverState(target).label if target in CarryOverState.values else target,
            },
            code="bad_state",
        )
    if target == CarryOverState.APPROVED and not may_approve(co, by):
        raise DomainError(
            _(
                "Application %(n)s is approved by the zone office, or confirmed by the counterpart enterprise; "
                "the applicant cannot approve it alone."
            )
            % {"n": co.number},
            code="approval_refused",
        )
    if target == CarryOverState.CLOSED:
        unmatched = co.links.filter(match__isnull=True).count()
        if unmatched:
            raise DomainError(
                _("Application %(n)s still has %(c)d unmatched half(s); match or unlink them before closing.")
                % {"n": co.number, "c": unmatched},
                code="open_halves",
            )
    if target == CarryOverState.CANCELLED and co.links.exists():
        raise DomainError(
            _("Application %(n)s has linked lists; unlink them before cancelling.") % {"n": co.number},
            code="has_links",
        )
    old = co.state
    co.state = target
    fields = ["state"]
    now = timezone.now()
    if target == CarryOverState.APPROVED:
        co.approved_at = now
        fields.append("approved_at")
    if target in (CarryOverState.CLOSED, CarryOverState.CANCELLED):
        co.closed_at = now
        fields.append("closed_at")
    co.save(update_fields=fields)
    audit.record(co, code=f"ledger.carryover.{target}", by=by, changes={"state": [old, target]}, message=note)
    return co


def may_approve(co: CarryOver, by) -> bool:
    """A zone office in scope of either side, or the counterpart's confirmation: an enterprise user of
    one side when the application was created by the other side (never by the applicant alone)."""
    if unrestricted(by) or getattr(by, "role", None) == "system_admin":
        return True
    mine = own_sides(by, co.transferor_book_id, co.transferee_book_id)
    if not mine:
        return False
    if by.can_write("ledger_oversight"):
        return True
    if not by.can_write("ledger") or co.created_by_id is None or co.created_by_id == by.pk:
        return False
    creator = co.created_by
    theirs = own_sides(creator, co.transferor_book_id, co.transferee_book_id)
    return not (mine & theirs)


# ------------------------------------------------------------------ totals and the queue


def refresh_totals(co_ids: Iterable[int]) -> int:
    """Recompute the stored totals of the applications with one UPDATE (correlated aggregates)."""
    ids = list(co_ids)
    if not ids:
        return 0

    def total(field: str, **flt):
        sub = (
            CarryOverLink.objects.filter(carry_over=OuterRef("pk"), **flt)
            .order_by()
            .values("carry_over")
            .annotate(t=Sum(field))
            .values("t")
        )
        return Coalesce(Subquery(sub, output_field=QTY_FIELD), Value(Decimal(0)), output_field=QTY_FIELD)

    open_sub = (
        CarryOverLink.objects.filter(carry_over=OuterRef("pk"))
        .filter(Q(open_qty__gt=0) | Q(over_plan_qty__gt=0))
        .order_by()
        .values("carry_over")
        .annotate(n=Count("id"))
        .values("n")
    )
    return CarryOver.objects.filter(pk__in=ids).update(
        shipped_qty=total("qty", side=SHIP),
        received_qty=total("qty", side=RECV),
        matched_shipped_qty=total("qty", side=SHIP, match__isnull=False),
        matched_received_qty=total("qty", side=RECV, match__isnull=False),
        over_plan_qty=total("over_plan_qty"),
        open_halves=Coalesce(Subquery(open_sub), Value(0)),
    )
