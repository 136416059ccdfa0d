"""Deep-processing carry-over (深加工结转): configuration, shared helpers and the parties — who may see
and do what on each side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, F, Q, Value, When
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError
from zonebook.core.permissions import may_write as may_write_area
from zonebook.core.scoping import ALL

from ...choices import ItemKind
from ...models import Book, BookItem, CarryOver
from ...models.carryover import CarryOverSide, CarryOverState

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

    from ...models.book import BOOK_SCOPE

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
