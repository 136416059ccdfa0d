"""Deep-processing carry-over (深加工结转) services: applications, linking posted lists as shipments and
receipts, pairing them (对碰) by hand or automatically per (application, item, month), the queue of
unmatched and over-plan halves.  Every write records an audit entry in the same transaction.

The matching rules (domain doc §7, zones GG2016-86 / GG2014-83, derived for 加贸) are enforced here
with a ``DomainError`` whose code names the rule:

* ``book_mismatch``  — one pairing ↔ one transfer-out and one transfer-in book: a list of any other
  book (or the wrong I/E side, mode or item kind) is refused;
* ``hs_mismatch``    — the first 8 HS digits of both items (and of every linked line) are equal;
* ``unit_mismatch``  — both items in the same declared unit, else in the same legal unit (then every
  half counts its legal quantity);
* ``qty_mismatch``   — shipped = received in a pairing unless partial pairing is configured;
* ``cross_year``     — never across calendar years;
* ``window``         — first and last declaration of a pairing at most ``WINDOW_DAYS`` apart;
* ``many_to_one``    — one list per side unless many-to-one pairing is configured;
* ``over_plan``      — receipts beyond the planned quantity are refused (shipments beyond it are
  accepted and queued as over-plan).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError
from zonebook.core.permissions import may_write as may_write_area
from zonebook.core.scoping import ALL

from ..calc import q5
from ..choices import IEMark, ItemKind, ListState
from ..models import Book, BookItem, CarryOver, CarryOverLink, CarryOverMatch, InventoryList
from ..models.carryover import CARRYOVER_TRANSITIONS, CarryOverSide, CarryOverState, QueueStatus

SHIP, RECV = CarryOverSide.SHIPMENT, CarryOverSide.RECEIPT
TOLERANCE = Decimal("0.000005")  # SQLite keeps decimals as floats
DEFAULTS = {
    "MODES": ("0654", "0255"),
    "WINDOW_DAYS": 30,
    "PARTIAL": False,
    "MANY_TO_ONE": True,
    "RECEIPT_FIRST": False,
}
QTY_FIELD = DecimalField(max_digits=20, decimal_places=5)


def config() -> dict:
    return {**DEFAULTS, **settings.ZONEBOOK.get("LEDGER_CARRYOVER", {})}


def month_of(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _item_label(item: BookItem) -> str:
    return f"#{item.seq_no} {item.part_no} {item.name}".strip()


def _lock(co: CarryOver) -> CarryOver:
    return (
        CarryOver.objects.select_for_update(of=("self",))
        .select_related(
            "transferor_book__zone", "transferee_book__zone", "transferor_item", "transferee_item"
        )
        .get(pk=co.pk)
    )


# ------------------------------------------------------------------ parties: who may see and do what
#
# Each side acts on its own book only: an enterprise links its own lists, the counterpart links its side,
# a zone office acts on the books of its zone (both sides when both are there).  The counterpart's book
# is referenced by the number and sequence number printed on the paper application; a refusal involving
# it never says which part failed (existence, item, HS code, unit, expiry) and never shows its data.
# An application is approved by a zone office in scope of either side, or confirmed by the counterpart
# enterprise — never by the applicant alone.  See docs/ledger-carryover.md, "Parties".

SIDES = (
    # side, book field, item field, item kind
    (SHIP, "transferor_book", "transferor_item", ItemKind.PRODUCT),
    (RECV, "transferee_book", "transferee_item", ItemKind.MATERIAL),
)


def unrestricted(by) -> bool:
    """System calls (``by`` None), superusers and whole-installation users act on both sides."""
    return by is None or getattr(by, "is_superuser", False) or getattr(by, "scope_level", None) == ALL


def own_sides(by, transferor_book_id, transferee_book_id) -> set[str]:
    """The sides whose book lies in ``by``'s scope (one query)."""
    if unrestricted(by):
        return {SHIP, RECV}
    ids = set(
        Book.objects.for_user(by)
        .filter(pk__in=[transferor_book_id, transferee_book_id])
        .values_list("pk", flat=True)
    )
    return {side for side, pk in ((SHIP, transferor_book_id), (RECV, transferee_book_id)) if pk in ids}


def may_write(user) -> bool:
    """Carry-over actions: enterprises (ledger) and zone offices (ledger oversight)."""
    return may_write_area(user, "ledger") or may_write_area(user, "ledger_oversight")


def counterpart_error(field: str, number, seq=None) -> DomainError:
    """The one refusal about the counterpart's side: the same words whatever failed."""
    return DomainError(
        _(
            "The counterpart's book %(b)s, item no. %(seq)s could not be used. Check both numbers against the "
            "paper application: the item must be filed on that book, agree with your item in the first 8 HS "
            "digits and in the declared or legal unit, and the book must be valid for the whole period."
        )
        % {"b": str(number or "").strip().upper() or "—", "seq": seq if seq is not None else "—"},
        code="counterpart",
        field=field,
    )


def not_yours_error() -> DomainError:
    return DomainError(
        _("Neither book is yours: one of the two books must be in your scope (your side of the carry-over)."),
        code="out_of_scope",
    )


def with_party_details(qs, user):
    """Annotate the parties' enterprise names and the transfer-in part number, blank for the counterpart
    of a draft application (the user sees them once the zone office has approved it)."""
    from zonebook.core.scoping import scope_q

    from ..models.book import BOOK_SCOPE

    def shown(prefix: str, value: str):
        q = scope_q({k: f"{prefix}__{v}" for k, v in BOOK_SCOPE.items()}, user)
        if q is not None and not q:  # the user sees every book
            return F(value)
        visible = ~Q(state=CarryOverState.DRAFT) if q is None else ~Q(state=CarryOverState.DRAFT) | q
        return Case(When(visible, then=F(value)), default=Value(""))

    return qs.annotate(
        transferor_enterprise_name=shown("transferor_book", "transferor_book__enterprise__name"),
        transferee_enterprise_name=shown("transferee_book", "transferee_book__enterprise__name"),
        transferee_part_no=shown("transferee_book", "transferee_item__part_no"),
    )


def resolve_parties(values: Mapping, by=None) -> tuple[dict, list[tuple[str, str]]]:
    """Books by number (备案号) and items by sequence number, as on the paper application.

    ``values``: transferor_book, transferor_seq_no, transferee_book, transferee_seq_no.  Returns
    (``{transferor_book, transferor_item, transferee_book, transferee_item}``, errors as
    ``[(field, message)]``).  The user's own side (its book in scope) gets precise errors; the
    counterpart's gets ``counterpart_error`` only; with neither book in scope nothing is looked up.
    """
    found: dict = {}
    errors: list[tuple[str, str]] = []
    scoped = Book.objects.all() if unrestricted(by) else Book.objects.for_user(by)
    numbers = {}
    own = {}
    for side, book_key, _item_key, _kind in SIDES:
        numbers[side] = str(values.get(book_key) or "").strip().upper()
        own[side] = scoped.filter(number=numbers[side]).first() if numbers[side] else None
    if not any(own.values()):
        if all(numbers.values()):
            e = not_yours_error()
            errors.append((None, str(e.message)))
        else:
            errors += [
                (book_key, _("This field is required."))
                for side, book_key, _i, _k in SIDES
                if not numbers[side]
            ]
        return found, errors
    for side, book_key, item_key, kind in SIDES:
        seq = values.get(item_key.replace("_item", "_seq_no"))
        book = own[side]
        if book is not None:
            item = BookItem.objects.filter(book=book, kind=kind, seq_no=seq).first() if seq else None
            if item is None:
                errors.append(
                    (
                        item_key,
                        _("Book %(b)s has no %(kind)s with sequence number %(seq)s.")
                        % {
                            "b": book.number,
                            "kind": _("product") if kind == ItemKind.PRODUCT else _("material"),
                            "seq": seq,
                        },
                    )
                )
                continue
        else:
            book = Book.objects.filter(number=numbers[side]).first() if numbers[side] else None
            item = (
                BookItem.objects.filter(book=book, kind=kind, seq_no=seq).first()
                if book is not None and seq
                else None
            )
            if item is None:
                e = counterpart_error(book_key, numbers[side], seq)
                errors.append((book_key, str(e.message)))
                continue
        found[book_key], found[item_key] = book, item
    return found, errors


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
    books = [co.transferor_book if side == SHIP else co.transferee_book for side in (SHIP, RECV) if side in mine]
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
    own_books = [pk for side, pk in ((SHIP, co.transferor_book_id), (RECV, co.transferee_book_id)) if side in mine]
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


# ------------------------------------------------------------------ pairing (对碰)


def pairing_rule(
    *, first: dt.date, last: dt.date, ship_qty, recv_qty, ship_lists: int = 1, recv_lists: int = 1, cfg=None
) -> tuple[str, dict] | None:
    """The §7 rules 2 and 4–5 of one pairing from the aggregates of its two sides: ``(code, figures)``
    of the first broken rule (``cross_year``, ``window``, ``many_to_one``, ``qty_mismatch``), else None.

    Shared by the carry-over pairing (``_pairing_errors``) and the zone operations' bonded-goods flows
    (区内/区间流转, GG2016-86: the same 30-day window, calendar year and quantity rule)."""
    cfg = config() if cfg is None else cfg
    if first.year != last.year:
        return "cross_year", {"a": first, "b": last}
    window = cfg.get("WINDOW_DAYS")
    if window is not None and (last - first).days > int(window):
        return "window", {"d": (last - first).days, "a": first, "b": last, "w": int(window)}
    if not cfg.get("MANY_TO_ONE") and (ship_lists != 1 or recv_lists != 1):
        return "many_to_one", {"s": ship_lists, "r": recv_lists}
    diff = ship_qty - recv_qty
    if abs(diff) > TOLERANCE and not cfg.get("PARTIAL"):
        return "qty_mismatch", {"s": q5(ship_qty), "r": q5(recv_qty), "d": q5(diff)}
    return None


def _pairing_errors(co: CarryOver, ship: Mapping, recv: Mapping, cfg: Mapping) -> DomainError | None:
    """Rules of one pairing from the aggregates of its two sides (dicts: qty, lists, first, last)."""
    broken = pairing_rule(
        first=min(ship["first"], recv["first"]),
        last=max(ship["last"], recv["last"]),
        ship_qty=ship["qty"],
        recv_qty=recv["qty"],
        ship_lists=ship["lists"],
        recv_lists=recv["lists"],
        cfg=cfg,
    )
    if broken is None:
        return None
    code, f = broken
    if code == "cross_year":
        return DomainError(
            _(
                "Application %(n)s: the halves are declared on %(a)s and %(b)s, in different calendar years; "
                "carry-overs are never matched across years."
            )
            % {"n": co.number, **f},
            code=code,
        )
    if code == "window":
        return DomainError(
            _(
                "Application %(n)s: the halves are declared %(d)d days apart (%(a)s … %(b)s); the halves of one "
                "pairing must be declared within %(w)d days."
            )
            % {"n": co.number, **f},
            code=code,
        )
    if code == "many_to_one":
        return DomainError(
            _(
                "Application %(n)s: %(s)d shipment list(s) against %(r)d receipt list(s); only one-to-one "
                "pairings are allowed."
            )
            % {"n": co.number, **f},
            code=code,
        )
    return DomainError(
        _(
            "Application %(n)s, item %(item)s: shipped %(s)s ≠ received %(r)s (difference %(d)s, unit %(u)s); "
            "the declared quantities of a pairing must be equal."
        )
        % {"n": co.number, "item": f"#{co.transferee_item.seq_no}", "u": co.unit, **f},
        code=code,
    )


def _side_aggregate(qs) -> dict:
    a = qs.aggregate(
        qty=Coalesce(Sum("qty"), Value(Decimal(0)), output_field=QTY_FIELD),
        lists=Count("inventory_list", distinct=True),
        first=Min("declaration_date"),
        last=Max("declaration_date"),
        n=Count("id"),
    )
    a["qty"] = q5(a["qty"])
    return a


@transaction.atomic
def match_halves(
    co: CarryOver, shipment_ids: Iterable[int], receipt_ids: Iterable[int], *, by=None
) -> CarryOverMatch:
    """Pair the chosen unmatched halves (at least one per side) of one application."""
    co = _lock(co)
    if co.state != CarryOverState.APPROVED:
        raise DomainError(
            _("Application %(n)s is %(s)s; only approved applications are matched.")
            % {"n": co.number, "s": CarryOverState(co.state).label},
            code="bad_state",
        )
    ship_ids, recv_ids = {int(i) for i in shipment_ids}, {int(i) for i in receipt_ids}
    if not ship_ids or not recv_ids:
        raise DomainError(
            _("A pairing of application %(n)s needs at least one shipment and one receipt.")
            % {"n": co.number},
            code="match_empty",
        )
    free = co.links.filter(match__isnull=True)
    ship_qs = free.filter(side=SHIP, pk__in=ship_ids)
    recv_qs = free.filter(side=RECV, pk__in=recv_ids)
    ship, recv = _side_aggregate(ship_qs), _side_aggregate(recv_qs)
    if ship["n"] != len(ship_ids) or recv["n"] != len(recv_ids):
        raise DomainError(
            _("Some of the chosen halves are not unmatched halves of application %(n)s on that side.")
            % {"n": co.number},
            code="match_foreign",
        )
    cfg = config()
    err = _pairing_errors(co, ship, recv, cfg)
    if err:
        raise err
    first = min(ship["first"], recv["first"])
    m = CarryOverMatch.objects.create(
        carry_over=co,
        period=month_of(first),
        shipped_qty=ship["qty"],
        received_qty=recv["qty"],
        difference=q5(ship["qty"] - recv["qty"]),
        shipment_lists=ship["lists"],
        receipt_lists=recv["lists"],
        first_date=first,
        last_date=max(ship["last"], recv["last"]),
        auto=False,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    CarryOverLink.objects.filter(pk__in=ship_ids | recv_ids).update(match=m, open_qty=0)
    _carry_residue([m])
    refresh_totals([co.pk])
    audit.record(
        m,
        code="ledger.carryover.matched",
        by=by,
        action="create",
        changes={
            "carry_over": co.number,
            "period": m.period,
            "shipped": m.shipped_qty,
            "received": m.received_qty,
            "difference": m.difference,
            "halves": sorted(ship_ids | recv_ids),
        },
    )
    return m


def _carry_residue(matches: list[CarryOverMatch]) -> None:
    """A partial pairing's residue stays open on the latest half of the side that has more (one UPDATE
    per partial pairing; pairings are equal unless PARTIAL is configured)."""
    for m in matches:
        if abs(m.difference) <= TOLERANCE:
            continue
        side = SHIP if m.difference > 0 else RECV
        last = (
            m.links.filter(side=side)
            .order_by("-declaration_date", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        if last:
            CarryOverLink.objects.filter(pk=last).update(open_qty=abs(m.difference))


@transaction.atomic
def auto_match(carry_overs=None, *, by=None) -> list[CarryOverMatch]:
    """Pair every (application, month) whose unmatched halves satisfy the rules, set-based.

    One aggregate query groups the unmatched halves of approved applications by (application, month);
    groups passing the rules become pairings (one bulk INSERT) and their halves are attached with one
    UPDATE.  Groups that fail stay in the queue (``matching_problems`` explains them).
    """
    cfg = config()
    qs = CarryOverLink.objects.filter(match__isnull=True, carry_over__state=CarryOverState.APPROVED)
    if carry_overs is not None:
        ids = [c.pk if hasattr(c, "pk") else int(c) for c in carry_overs]
        qs = qs.filter(carry_over_id__in=ids)
    groups = list(_groups(qs))
    if not groups:
        return []
    cos = {
        c.pk: c
        for c in CarryOver.objects.filter(pk__in={g["carry_over_id"] for g in groups}).select_related(
            "transferee_item"
        )
    }
    run = uuid.uuid4().hex
    new = []
    for g in groups:  # aggregated groups (one per application and month), not table rows
        ship, recv = _group_sides(g)
        if ship is None or recv is None or _pairing_errors(cos[g["carry_over_id"]], ship, recv, cfg):
            continue
        new.append(
            CarryOverMatch(
                carry_over_id=g["carry_over_id"],
                period=g["period"],
                shipped_qty=ship["qty"],
                received_qty=recv["qty"],
                difference=q5(ship["qty"] - recv["qty"]),
                shipment_lists=ship["lists"],
                receipt_lists=recv["lists"],
                first_date=g["first"],
                last_date=g["last"],
                auto=True,
                run=run,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
    if not new:
        return []
    CarryOverMatch.objects.bulk_create(new)
    made = list(
        CarryOverMatch.objects.filter(run=run).select_related(
            "carry_over__transferor_book__zone", "carry_over__transferee_book__zone"
        )
    )
    in_run = CarryOverMatch.objects.filter(
        run=run, carry_over_id=OuterRef("carry_over_id"), period=OuterRef("period")
    )
    CarryOverLink.objects.filter(
        match__isnull=True,
        carry_over_id__in={m.carry_over_id for m in made},
        period__in={m.period for m in made},
    ).filter(Exists(in_run)).update(match=Subquery(in_run.values("pk")[:1]), open_qty=0)
    _carry_residue(made)
    refresh_totals({m.carry_over_id for m in made})
    for m in made:
        audit.record(
            m,
            code="ledger.carryover.matched",
            by=by,
            action="create",
            changes={
                "carry_over": m.carry_over.number,
                "period": m.period,
                "shipped": m.shipped_qty,
                "received": m.received_qty,
                "difference": m.difference,
                "auto": True,
            },
        )
    return made


def _groups(qs):
    return (
        qs.values("carry_over_id", "period")
        .annotate(
            s_qty=Sum("qty", filter=Q(side=SHIP)),
            r_qty=Sum("qty", filter=Q(side=RECV)),
            s_lists=Count("inventory_list", filter=Q(side=SHIP), distinct=True),
            r_lists=Count("inventory_list", filter=Q(side=RECV), distinct=True),
            s_first=Min("declaration_date", filter=Q(side=SHIP)),
            s_last=Max("declaration_date", filter=Q(side=SHIP)),
            r_first=Min("declaration_date", filter=Q(side=RECV)),
            r_last=Max("declaration_date", filter=Q(side=RECV)),
            first=Min("declaration_date"),
            last=Max("declaration_date"),
        )
        .order_by("carry_over_id", "period")
    )


def _group_sides(g) -> tuple[dict | None, dict | None]:
    ship = recv = None
    if g["s_qty"]:
        ship = {"qty": q5(g["s_qty"]), "lists": g["s_lists"], "first": g["s_first"], "last": g["s_last"]}
    if g["r_qty"]:
        recv = {"qty": q5(g["r_qty"]), "lists": g["r_lists"], "first": g["r_first"], "last": g["r_last"]}
    return ship, recv


def matching_problems(co: CarryOver) -> list[dict]:
    """Per month of unmatched halves: the aggregates and why they are not paired automatically."""
    cfg = config()
    out = []
    for g in _groups(co.links.filter(match__isnull=True)):
        ship, recv = _group_sides(g)
        if ship is None:
            reason = _("no shipment (transfer-out list) yet")
        elif recv is None:
            reason = _("no receipt (transfer-in list) yet")
        else:
            err = _pairing_errors(co, ship, recv, cfg)
            reason = str(err.message) if err else _("ready to be matched")
        out.append(
            {
                "period": g["period"],
                "shipped": q5(g["s_qty"] or 0),
                "received": q5(g["r_qty"] or 0),
                "first": g["first"],
                "last": g["last"],
                "ready": ship is not None and recv is not None and reason == _("ready to be matched"),
                "reason": reason,
            }
        )
    return out


@transaction.atomic
def unmatch(match: CarryOverMatch, *, by=None) -> None:
    """Undo a pairing: its halves go back to the queue."""
    co = _lock(match.carry_over)
    if co.state != CarryOverState.APPROVED:
        raise DomainError(
            _("Application %(n)s is %(s)s; its pairings cannot be changed.")
            % {"n": co.number, "s": CarryOverState(co.state).label},
            code="bad_state",
        )
    snapshot = {
        "carry_over": co.number,
        "period": match.period,
        "shipped": match.shipped_qty,
        "received": match.received_qty,
    }
    audit.record(match, code="ledger.carryover.unmatched", by=by, action="delete", changes=snapshot)
    CarryOverLink.objects.filter(match=match).update(match=None, open_qty=F("qty"))
    match.delete()
    refresh_totals([co.pk])


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


def queue(user=None):
    """The matching queue (对碰队列): halves with an open quantity (unmatched, or the residue of a partial
    pairing) or over the plan, with their queue status; scoped to ``user`` when given."""
    qs = CarryOverLink.objects.all() if user is None else CarryOverLink.objects.for_user(user)
    return (
        qs.filter(carry_over__state__in=[CarryOverState.APPROVED, CarryOverState.CLOSED])
        .filter(Q(open_qty__gt=0) | Q(over_plan_qty__gt=0))
        .annotate(
            queue_status=Case(
                When(match__isnull=True, then=Value(QueueStatus.UNMATCHED.value)),
                When(open_qty__gt=0, then=Value(QueueStatus.PARTIAL.value)),
                default=Value(QueueStatus.OVER_PLAN.value),
            )
        )
    )


def period_summary(co: CarryOver) -> list[dict]:
    """Per month: shipped, received, matched and open quantities of the application (one query)."""
    rows = (
        co.links.values("period")
        .annotate(
            shipped=Sum("qty", filter=Q(side=SHIP)),
            received=Sum("qty", filter=Q(side=RECV)),
            matched_shipped=Sum("qty", filter=Q(side=SHIP, match__isnull=False)),
            matched_received=Sum("qty", filter=Q(side=RECV, match__isnull=False)),
            open_total=Sum("open_qty"),
            over_total=Sum("over_plan_qty"),
            oldest_open=Min("declaration_date", filter=Q(open_qty__gt=0)),
        )
        .order_by("period")
    )
    zero = Decimal(0)
    return [
        {
            "period": r["period"],
            "oldest_open": r["oldest_open"],
            **{
                k: q5(r[k] or zero)
                for k in (
                    "shipped",
                    "received",
                    "matched_shipped",
                    "matched_received",
                    "open_total",
                    "over_total",
                )
            },
        }
        for r in rows
    ]
