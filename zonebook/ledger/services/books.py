"""Book (账册/手册) and item (料件/成品) services.  Every write records an audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from .. import queries
from ..choices import BOOK_TRANSITIONS, BookKind, BookStatus, ItemKind
from ..models import Balance, Book, BookItem, BookStatusEvent
from ..models.book import preloaded_units
from ._common import check_hs, full_clean, hs_problem, known_hs

BOOK_FIELDS = {
    "number",
    "kind",
    "enterprise",
    "zone",
    "customs_office",
    "trade_mode",
    "cycle_start",
    "cycle_end",
    "valid_until",
    "max_import_value",
    "currency",
    "writeoff_method",
    "note",
}
ITEM_FIELDS = {
    "seq_no",
    "part_no",
    "hs_code",
    "name",
    "spec",
    "unit",
    "legal_unit1",
    "legal_unit2",
    "unit_price",
    "currency",
    "country",
    "filed_qty",
    "status",
}


def _only(data: Mapping, allowed: set[str], what: str) -> dict:
    unknown = set(data) - allowed
    if unknown:
        raise DomainError(
            _("Unknown %(what)s field(s): %(fields)s.")
            % {"what": what, "fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    return dict(data)


@transaction.atomic
def create_book(data: Mapping, *, by=None) -> Book:
    """Create a draft book.  ``zone`` defaults to the enterprise's zone and ``kind`` to the number's first letter."""
    data = _only(data, BOOK_FIELDS, "book")
    if data.get("number"):
        data["number"] = str(data["number"]).strip().upper()
        if not data.get("kind") and data["number"][:1] in BookKind.values:
            data["kind"] = data["number"][0]
    if data.get("enterprise") is not None and data.get("zone") is None:
        data["zone"] = data["enterprise"].zone
    if Book.objects.filter(number=data.get("number")).exists():
        raise DomainError(
            _("Book number %(number)s already exists.") % {"number": data["number"]},
            code="duplicate",
            field="number",
        )
    book = Book(**data)
    full_clean(book)
    book.save()
    audit.record(
        book, code="ledger.book.created", by=by, action="create", changes=audit.diff({}, audit.snapshot(book))
    )
    BookStatusEvent.objects.create(book=book, status=book.status, date=timezone.localdate(), by=_user(by))
    return book


@transaction.atomic
def update_book(book: Book, data: Mapping, *, by=None) -> dict:
    """Change header fields.  After filing, every effective change counts as a 变更 (change_count + 1)."""
    data = _only(data, BOOK_FIELDS - {"number", "kind", "enterprise", "zone"}, "book")
    book = Book.objects.select_for_update().get(pk=book.pk)
    if book.status == BookStatus.CLOSED:
        raise DomainError(
            _("Book %(number)s is closed and cannot be changed.") % {"number": book.number},
            code="book_closed",
        )
    before = audit.snapshot(book)
    for k, v in data.items():
        setattr(book, k, v)
    full_clean(book)
    changes = audit.diff(before, audit.snapshot(book))
    if changes:
        if book.status != BookStatus.DRAFT:
            book.change_count += 1
            changes["change_count"] = [book.change_count - 1, book.change_count]
        book.save()
        audit.record(book, code="ledger.book.updated", by=by, action="update", changes=changes)
    return changes


@transaction.atomic
def change_book_status(
    book: Book, status: str, *, by=None, date: dt.date | None = None, note: str = ""
) -> Book:
    """Move a book along draft → filed → in use → under write-off → closed, with a history row."""
    book = Book.objects.select_for_update().get(pk=book.pk)
    if status not in BOOK_TRANSITIONS.get(book.status, set()):
        raise DomainError(
            _("Book %(number)s cannot go from %(old)s to %(new)s.")
            % {
                "number": book.number,
                "old": BookStatus(book.status).label,
                "new": BookStatus(status).label if status in BookStatus.values else status,
            },
            code="bad_transition",
            field="status",
        )
    _set_status(book, status, by=by, date=date, note=note)
    return book


def _set_status(book: Book, status: str, *, by=None, date=None, note=""):
    old = book.status
    book.status = status
    book.save(update_fields=["status", "updated_at"])
    BookStatusEvent.objects.create(
        book=book,
        status=status,
        previous=old,
        date=date or timezone.localdate(),
        note=note[:300],
        by=_user(by),
    )
    audit.record(
        book, code="ledger.book.status_changed", by=by, changes={"status": [old, status]}, message=note
    )


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _count_change(book: Book) -> None:
    if book.status != BookStatus.DRAFT:
        Book.objects.filter(pk=book.pk).update(change_count=F("change_count") + 1)


@transaction.atomic
def add_item(book: Book, kind: str, data: Mapping, *, by=None) -> BookItem:
    """File a material or product on the book (and create its balance row).

    Refused: unknown or malformed HS code, duplicate sequence or part number, closed book.
    """
    data = _only(data, ITEM_FIELDS | {"opening_qty", "opening_amount"}, "item")
    if book.status == BookStatus.CLOSED:
        raise DomainError(_("Book %(number)s is closed.") % {"number": book.number}, code="book_closed")
    if kind not in ItemKind.values:
        raise DomainError(_("Unknown item kind %(kind)s.") % {"kind": kind}, code="invalid", field="kind")
    check_hs(str(data.get("hs_code", "")))
    if kind == ItemKind.PRODUCT and Decimal(data.get("opening_qty") or 0):
        raise DomainError(_("Only materials have an opening balance."), code="invalid", field="opening_qty")
    dup = BookItem.objects.filter(book=book, kind=kind)
    if dup.filter(seq_no=data.get("seq_no")).exists():
        raise DomainError(
            _("Sequence no. %(seq)s is already used on this book.") % {"seq": data.get("seq_no")},
            code="duplicate",
            field="seq_no",
        )
    if dup.filter(part_no=data.get("part_no")).exists():
        raise DomainError(
            _("Part no. %(part)s is already used on this book.") % {"part": data.get("part_no")},
            code="duplicate",
            field="part_no",
        )
    item = BookItem(book=book, kind=kind, **data)
    full_clean(item)
    item.save()
    Balance.objects.create(
        book=book, item=item, opening=item.opening_qty, expected_remaining=item.opening_qty
    )
    _count_change(book)
    audit.record(
        item,
        code="ledger.bookitem.created",
        by=by,
        action="create",
        changes=audit.diff({}, audit.snapshot(item)),
    )
    return item


@transaction.atomic
def add_items(book: Book, kind: str, rows: Sequence[Mapping], *, by=None) -> list[BookItem]:
    """File many materials or products on one book at once (item imports, the benchmark generator).

    The rules of ``add_item`` — known fields, HS code in the code table, field validation, sequence
    and part numbers unique on the book — plus uniqueness inside ``rows``, checked set-based (one
    query per rule, not per row).  Every problem is reported as a ``RowError`` (row = position in
    ``rows``, from 1) and nothing is written.  Items, their balance rows and one audit entry per item
    are inserted in bulk; the book's change count moves once (one change filing).
    """
    if book.status == BookStatus.CLOSED:
        raise DomainError(_("Book %(number)s is closed.") % {"number": book.number}, code="book_closed")
    if kind not in ItemKind.values:
        raise DomainError(_("Unknown item kind %(kind)s.") % {"kind": kind}, code="invalid", field="kind")
    allowed = ITEM_FIELDS | {"opening_qty", "opening_amount"}
    errors: list[RowError] = []
    hs_codes = known_hs(str(r.get("hs_code", "")).strip() for r in rows)
    with preloaded_units():  # unit codes: one read of the unit table, not a query per item
        items = _build_items(book, kind, rows, allowed, hs_codes, errors)
    existing = BookItem.objects.filter(book=book, kind=kind)
    taken_seq = set(
        existing.filter(seq_no__in=[i.seq_no for _n, i in items]).values_list("seq_no", flat=True)
    )
    taken_part = set(
        existing.filter(part_no__in=[i.part_no for _n, i in items]).values_list("part_no", flat=True)
    )
    for n, item in items:
        if item.seq_no in taken_seq:
            errors.append(
                RowError(
                    n,
                    "seq_no",
                    str(item.seq_no),
                    _("Sequence no. %(seq)s is already used on this book.") % {"seq": item.seq_no},
                )
            )
        if item.part_no in taken_part:
            errors.append(
                RowError(
                    n,
                    "part_no",
                    item.part_no,
                    _("Part no. %(part)s is already used on this book.") % {"part": item.part_no},
                )
            )
        taken_seq.add(item.seq_no)
        taken_part.add(item.part_no)
    if errors:
        errors.sort(key=lambda e: e.row or 0)
        raise DomainError(
            _("%(n)d problem(s) in the items; first: %(first)s") % {"n": len(errors), "first": errors[0]},
            code="invalid_items",
            details=errors,
        )
    created = BookItem.objects.bulk_create([i for _n, i in items], batch_size=2000)
    Balance.objects.bulk_create(
        [
            Balance(book=book, item=i, opening=i.opening_qty, expected_remaining=i.opening_qty)
            for i in created
        ],
        batch_size=2000,
    )
    if created:
        _count_change(book)
        audit.record_many(created, code="ledger.bookitem.created", by=by, action="create")
        queries.refresh_book_summaries([book.pk])  # opening quantities are balances
    return created


def _build_items(book, kind, rows, allowed, hs_codes, errors) -> list[tuple[int, BookItem]]:
    """Unsaved items of ``add_items`` with their row numbers; problems are appended to ``errors``."""
    items: list[tuple[int, BookItem]] = []
    for n, raw in enumerate(rows, start=1):
        unknown = set(raw) - allowed
        if unknown:
            errors.append(RowError(n, ", ".join(sorted(unknown)), "", _("unknown column")))
            continue
        item = BookItem(book=book, kind=kind, **raw)
        problem = hs_problem(str(raw.get("hs_code", "")), hs_codes)
        if problem:
            errors.append(RowError(n, "hs_code", str(raw.get("hs_code", "")), problem[1]))
        try:
            item.full_clean(
                exclude=["book"], validate_unique=False, validate_constraints=False
            )  # book: given
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.append(RowError(n, field, str(raw.get(field, "")), " ".join(messages)))
            continue
        if kind == ItemKind.PRODUCT and item.opening_qty:
            errors.append(
                RowError(
                    n, "opening_qty", str(item.opening_qty), _("Only materials have an opening balance.")
                )
            )
        items.append((n, item))
    return items


@transaction.atomic
def update_item(item: BookItem, data: Mapping, *, by=None) -> dict:
    """Change an item's filed data (a 变更 once the book is filed).  The sequence number never changes."""
    data = _only(data, ITEM_FIELDS - {"seq_no"}, "item")
    if "hs_code" in data:
        check_hs(str(data["hs_code"]))
    if (
        "part_no" in data
        and BookItem.objects.filter(book=item.book, kind=item.kind, part_no=data["part_no"])
        .exclude(pk=item.pk)
        .exists()
    ):
        raise DomainError(
            _("Part no. %(part)s is already used on this book.") % {"part": data["part_no"]},
            code="duplicate",
            field="part_no",
        )
    before = audit.snapshot(item)
    for k, v in data.items():
        setattr(item, k, v)
    full_clean(item)
    changes = audit.diff(before, audit.snapshot(item))
    if changes:
        item.save()
        _count_change(item.book)
        audit.record(item, code="ledger.bookitem.updated", by=by, action="update", changes=changes)
        if "unit_price" in changes or "kind" in changes:
            queries.refresh_book_summaries([item.book_id])  # the bonded value
    return changes


@transaction.atomic
def set_opening_balance(item: BookItem, qty, amount=0, *, by=None) -> Balance:
    """Set a material's opening balance (核销周期初始数量) and move its balance row by the difference."""
    from .. import locks

    if item.kind != ItemKind.MATERIAL:
        raise DomainError(_("Only materials have an opening balance."), code="invalid", field="opening_qty")
    qty, amount = Decimal(qty), Decimal(amount)
    locks.lock_book_balances(item.book_id)
    item = BookItem.objects.get(pk=item.pk)
    delta = qty - item.opening_qty
    before = {"opening_qty": str(item.opening_qty), "opening_amount": str(item.opening_amount)}
    item.opening_qty, item.opening_amount = qty, amount
    full_clean(item)
    item.save(update_fields=["opening_qty", "opening_amount"])
    Balance.objects.filter(item=item).update(
        opening=F("opening") + delta, expected_remaining=F("expected_remaining") + delta
    )
    queries.refresh_book_summaries([item.book_id])
    audit.record(
        item,
        code="ledger.bookitem.opening_set",
        by=by,
        changes=audit.diff(before, {"opening_qty": str(qty), "opening_amount": str(amount)}),
    )
    return Balance.objects.get(item=item)
