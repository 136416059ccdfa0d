"""Inventory-list (核注清单) services: create, submit, post (approve), cancel, reverse, preview.

Posting is set-based: after validation the effect of ALL lines is applied by one
``UPDATE ledger_balance … FROM (aggregate)`` statement (``ledger.sql.apply_list``); there is no
Python loop over lines.  Order inside the transaction: lock the list row, validate, resolve
consumption versions (one UPDATE), lock the book's balance rows in pk order (late, once), check
shortfalls (one SELECT), apply (one UPDATE), mark posted, audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from .. import locks, queries, sql
from ..choices import POSTABLE_BOOK_STATUSES, BookStatus, IEMark, ItemKind, ListState, NegativeBalancePolicy
from ..models import Book, BookItem, Consumption, InventoryList, InventoryListLine, ModeBookKind, PostingRule
from ..models.inventory import validate_list_number
from . import monthclose
from ._common import full_clean, hs_problem, known_hs
from .books import _set_status

HEADER_FIELDS = {
    "number",
    "internal_number",
    "ie_mark",
    "supervision_mode",
    "item_kind",
    "declaration_date",
    "customs_declaration_no",
    "note",
}
LINE_BATCH = 5000
# Column order of the rows built by _build_lines and written by _insert_lines (after inventory_list_id).
LINE_COLUMNS = (
    "line_no",
    "item_id",
    "item_seq_no",
    "part_no",
    "hs_code",
    "name",
    "qty",
    "legal_qty",
    "legal_qty2",
    "unit_price",
    "amount",
    "currency",
    "country",
    "consumption_version",
    "resolved_version",
)
_AMOUNT = LINE_COLUMNS.index("amount")
# The keys a caller may give per line: the columns but the two the service derives.
LINE_FIELDS = set(LINE_COLUMNS) - {"item_id", "resolved_version"}


@dataclass
class PostingResult:
    inventory_list: InventoryList
    changed: bool
    message: str
    balances_changed: int = 0
    warnings: list[dict] = field(default_factory=list)


# ------------------------------------------------------------------ validation helpers


def negative_policy() -> str:
    return settings.ZONEBOOK.get("LEDGER_NEGATIVE_BALANCE", NegativeBalancePolicy.REFUSE)


def check_book_accepts(book: Book, on: dt.date, locked_writeoffs: Sequence | None = None) -> None:
    """A list needs a filed/in-use book that has not expired on the declaration date.
    ``locked_writeoffs``: the book's submitted/accepted/closed write-offs, preloaded by a batch."""
    if book.status not in POSTABLE_BOOK_STATUSES:
        raise DomainError(
            _("Book %(number)s is %(status)s: it accepts no inventory lists.")
            % {"number": book.number, "status": BookStatus(book.status).label},
            code="book_not_open",
            field="book",
        )
    if book.valid_until and on > book.valid_until:
        raise DomainError(
            _("Book %(number)s expired on %(date)s; the list is declared on %(on)s.")
            % {"number": book.number, "date": book.valid_until, "on": on},
            code="book_expired",
            field="declaration_date",
        )
    from .writeoff import check_cycle_open  # a submitted/accepted/closed write-off locks its cycle

    check_cycle_open(book, on, locked_writeoffs)


def _in_force(row, on: dt.date) -> bool:
    return row.valid_from <= on and (row.valid_to is None or row.valid_to >= on)


def check_mode_allowed(
    book: Book, mode: str, on: dt.date, table: Sequence[ModeBookKind] | None = None
) -> None:
    """``table``: preloaded ModeBookKind rows (a batch loads them once); else one query."""
    if table is None:
        rows = ModeBookKind.objects.filter(supervision_mode=mode, valid_from__lte=on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )
        kinds = "".join(rows.values_list("book_kinds", flat=True))
    else:
        kinds = "".join(r.book_kinds for r in table if r.supervision_mode == mode and _in_force(r, on))
    if book.kind not in kinds:
        raise DomainError(
            _("Supervision mode %(mode)s is not allowed on %(kind)s books (allowed: %(allowed)s).")
            % {"mode": mode, "kind": book.kind, "allowed": " ".join(kinds) or _("none")},
            code="mode_not_allowed",
            field="supervision_mode",
        )


def find_rule(
    mode: str, ie_mark: str, item_kind: str, on: dt.date, table: Sequence[PostingRule] | None = None
) -> PostingRule:
    """``table``: preloaded posting rules (a batch loads them once); else one query."""
    if table is None:
        rules = list(
            PostingRule.objects.filter(
                supervision_mode=mode, ie_mark=ie_mark, item_kind=item_kind, valid_from__lte=on
            ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))[:2]
        )
    else:
        rules = [
            r
            for r in table
            if (r.supervision_mode, r.ie_mark, r.item_kind) == (mode, ie_mark, item_kind) and _in_force(r, on)
        ][:2]
    if len(rules) != 1:
        raise DomainError(
            _("No single posting rule for supervision mode %(mode)s, %(ie)s, %(kind)s on %(on)s.")
            % {
                "mode": mode,
                "ie": ie_mark,
                "kind": ItemKind(item_kind).label if item_kind in ItemKind.values else item_kind,
                "on": on,
            },
            code="no_rule",
            field="supervision_mode",
        )
    return rules[0]


def _dec(value, row: int, column: str, errors: list, positive: bool = False, required: bool = True):
    if value in (None, ""):
        if required:
            errors.append(RowError(row, column, "", _("a value is required")))
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(RowError(row, column, str(value), _("not a number")))
        return None
    if not d.is_finite():
        errors.append(RowError(row, column, str(value), _("not a number")))
        return None
    if positive and d <= 0:
        errors.append(RowError(row, column, str(value), _("must be greater than zero")))
        return None
    return d


@dataclass
class LineContext:
    """What validating lines needs from the database, loaded once for one or many lists of a book
    and one item kind: the items by sequence number, the known HS codes, and every (product,
    version, valid_from, valid_to) of the products (three queries whatever the number of lists)."""

    items: dict[int, BookItem]
    hs_known: set[str]
    spans: set[tuple]


def line_context(book: Book, item_kind: str, line_sets: Sequence[Sequence[Mapping]]) -> LineContext:
    seqs = {
        int(r["item_seq_no"]) for lines in line_sets for r in lines if str(r.get("item_seq_no", "")).isdigit()
    }
    items = {i.seq_no: i for i in BookItem.objects.filter(book=book, kind=item_kind, seq_no__in=seqs)}
    hs_known = known_hs(
        [str(r.get("hs_code") or "") for lines in line_sets for r in lines]
        + [i.hs_code for i in items.values()]
    )
    spans: set[tuple] = set()
    if item_kind == ItemKind.PRODUCT and items:
        # one query: every (product, version) with its validity (distinct), split in Python
        spans = set(
            Consumption.objects.filter(product__in=list(items.values()))
            .values_list("product_id", "version", "valid_from", "valid_to")
            .distinct()
        )
    return LineContext(items, hs_known, spans)


def _build_lines(
    book: Book,
    item_kind: str,
    lines: Sequence[Mapping],
    on: dt.date | None = None,
    ctx: LineContext | None = None,
) -> list[tuple]:
    """Validate raw lines (dicts) and build the rows to insert (``LINE_COLUMNS`` order, plain tuples:
    no model instance per line); all problems are reported together.  ``ctx``: a ``line_context``
    shared by the lists of one batch (built here for this list otherwise)."""
    errors: list[RowError] = []
    if not lines:
        raise DomainError(_("An inventory list needs at least one line."), code="no_lines", field="lines")
    if ctx is None:
        ctx = line_context(book, item_kind, [lines])
    items, hs_known = ctx.items, ctx.hs_known
    versions, in_force = set(), {}
    if item_kind == ItemKind.PRODUCT:
        versions = {(pid, ver) for pid, ver, _f, _t in ctx.spans}
        if on is not None:  # the only version in force per product, stored now and re-checked at posting
            by_product: dict[int, set] = {}
            for pid, ver, start, end in ctx.spans:
                if (start is None or start <= on) and (end is None or end >= on):
                    by_product.setdefault(pid, set()).add(ver)
            in_force = {pid: next(iter(v)) for pid, v in by_product.items() if len(v) == 1}
    out, seen_no = [], set()
    for n, raw in enumerate(lines, start=1):
        unknown = set(raw) - LINE_FIELDS
        if unknown:
            errors.append(RowError(n, ", ".join(sorted(unknown)), "", _("unknown column")))
        line_no = raw.get("line_no") or n
        if line_no in seen_no:
            errors.append(RowError(n, "line_no", str(line_no), _("duplicate line number")))
        seen_no.add(line_no)
        seq = str(raw.get("item_seq_no", "")).strip()
        item = items.get(int(seq)) if seq.isdigit() else None
        if item is None:
            errors.append(
                RowError(
                    n,
                    "item_seq_no",
                    seq,
                    _("no %(kind)s with this sequence number on book %(book)s")
                    % {"kind": ItemKind(item_kind).label, "book": book.number},
                )
            )
        part_no = str(raw.get("part_no") or (item.part_no if item else "")).strip()
        if item and part_no != item.part_no:
            errors.append(
                RowError(
                    n,
                    "part_no",
                    part_no,
                    _("part no. differs from the filed part no. %(p)s") % {"p": item.part_no},
                )
            )
        hs = str(raw.get("hs_code") or (item.hs_code if item else "")).strip()
        problem = hs_problem(hs, hs_known) if (hs or item) else None
        if problem:
            errors.append(RowError(n, "hs_code", hs, problem[1]))
        elif item and hs != item.hs_code:
            errors.append(
                RowError(
                    n,
                    "hs_code",
                    hs,
                    _("HS code differs from the filed HS code %(hs)s") % {"hs": item.hs_code},
                )
            )
        qty = _dec(raw.get("qty"), n, "qty", errors, positive=True)
        legal_qty = _dec(raw.get("legal_qty"), n, "legal_qty", errors, positive=True, required=False)
        legal_qty2 = _dec(raw.get("legal_qty2"), n, "legal_qty2", errors, positive=True, required=False)
        price = _dec(raw.get("unit_price") or 0, n, "unit_price", errors)
        if price is not None and price < 0:
            errors.append(RowError(n, "unit_price", str(price), _("cannot be negative")))
        amount = _dec(raw.get("amount"), n, "amount", errors, required=False)
        if amount is None and qty is not None and price is not None:
            amount = (qty * price).quantize(Decimal("0.01"))
        version = str(raw.get("consumption_version") or "").strip()
        if version and item_kind != ItemKind.PRODUCT:
            errors.append(
                RowError(
                    n, "consumption_version", version, _("only product lines name a consumption version")
                )
            )
        elif len(version) > 8:
            errors.append(RowError(n, "consumption_version", version, _("at most 8 characters")))
        elif version and item and (item.pk, version) not in versions:
            errors.append(
                RowError(
                    n,
                    "consumption_version",
                    version,
                    _("product %(seq)s has no consumption version %(v)s")
                    % {"seq": item.seq_no, "v": version},
                )
            )
        if item is not None:
            out.append(
                (
                    line_no,
                    item.pk,
                    item.seq_no,
                    part_no,
                    hs,
                    str(raw.get("name") or item.name)[:200],
                    qty,
                    legal_qty,
                    legal_qty2,
                    price or 0,
                    amount or 0,
                    str(raw.get("currency") or item.currency or "")[:3],
                    str(raw.get("country") or item.country or "")[:3],
                    version,
                    version or in_force.get(item.pk, ""),
                )
            )
    if errors:
        raise DomainError(
            _("%(n)d problem(s) in the list lines; first: %(first)s")
            % {"n": len(errors), "first": errors[0]},
            code="invalid_lines",
            field="lines",
            details=errors,
        )
    return out


def clean_header(header: Mapping) -> dict:
    """The checks of a list header that need no database: fields, number format, marks, date."""
    unknown = set(header) - HEADER_FIELDS
    if unknown:
        raise DomainError(
            _("Unknown list field(s): %(f)s.") % {"f": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    h = dict(header)
    h["number"] = str(h.get("number") or "").strip().upper()
    try:
        validate_list_number(h["number"])
    except Exception as exc:  # ValidationError
        raise DomainError(
            " ".join(getattr(exc, "messages", [str(exc)])), code="list_number", field="number"
        ) from None
    if not h.get("internal_number"):
        h["internal_number"] = h["number"]
    if h.get("ie_mark") not in IEMark.values:
        raise DomainError(_("The I/E mark must be I or E."), code="invalid", field="ie_mark")
    if h["number"][8] != h["ie_mark"]:
        raise DomainError(
            _("The list number's I/E letter does not match the I/E mark."), code="invalid", field="number"
        )
    if h.get("item_kind") not in ItemKind.values:
        raise DomainError(
            _("The material/product mark must be material or product."), code="invalid", field="item_kind"
        )
    if not isinstance(h.get("declaration_date"), dt.date):
        raise DomainError(_("The declaration date is required."), code="invalid", field="declaration_date")
    return h


def _check_header(book: Book, header: Mapping, *, exclude_pk=None) -> dict:
    h = clean_header(header)
    if InventoryList.objects.filter(number=h["number"]).exclude(pk=exclude_pk).exists():
        raise DomainError(
            _("List number %(n)s already exists.") % {"n": h["number"]}, code="duplicate", field="number"
        )
    if (
        InventoryList.objects.filter(enterprise_id=book.enterprise_id, internal_number=h["internal_number"])
        .exclude(pk=exclude_pk)
        .exists()
    ):
        raise DomainError(
            _("Internal number %(n)s is already used by this enterprise.") % {"n": h["internal_number"]},
            code="duplicate",
            field="internal_number",
        )
    check_book_accepts(book, h["declaration_date"])
    check_mode_allowed(book, str(h.get("supervision_mode") or ""), h["declaration_date"])
    find_rule(h["supervision_mode"], h["ie_mark"], h["item_kind"], h["declaration_date"])
    return h


# ------------------------------------------------------------------ services


def _totals(rows) -> tuple[int, Decimal]:
    """(line count, declared amount) of built lines, stored on the list header."""
    return len(rows), sum((r[_AMOUNT] or Decimal(0) for r in rows), Decimal(0)).quantize(Decimal("0.01"))


def _insert_lines(list_id: int, rows: Sequence[tuple]) -> None:
    """Write validated line rows: ``COPY … FROM STDIN`` on PostgreSQL, batched ``executemany`` on
    SQLite.  (``bulk_create`` built a model instance and prepared 16 fields per line: 9,000 lines/s
    for a 50,000-line list; docs/performance.md, "posting".)"""
    _insert_many([(list_id, rows)])


def _insert_many(lists: Sequence[tuple[int, Sequence[tuple]]]) -> None:
    """The lines of several lists, ``[(list_id, rows), …]``, in one ``COPY`` (PostgreSQL)."""
    table = InventoryListLine._meta.db_table
    cols = ", ".join(("inventory_list_id", *LINE_COLUMNS))
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for list_id, rows in lists:
                    for row in rows:
                        copy.write_row((list_id, *row))
            return
        marks = ", ".join(["%s"] * (len(LINE_COLUMNS) + 1))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        batch: list[tuple] = []
        for list_id, rows in lists:
            for row in rows:
                batch.append((list_id, *row))
                if len(batch) >= LINE_BATCH:
                    cur.executemany(sql, batch)
                    batch = []
        if batch:
            cur.executemany(sql, batch)


@transaction.atomic
def create_inventory_list(book: Book, header: Mapping, lines: Sequence[Mapping], *, by=None) -> InventoryList:
    """Create a draft list with its lines.  Everything is validated first; nothing is written on error.

    ``header``: number, internal_number (default = number), ie_mark (I/E), supervision_mode,
    item_kind (material/product), declaration_date, customs_declaration_no, note.
    ``lines``: dicts with item_seq_no, qty (> 0) and optionally line_no, part_no, hs_code, name,
    legal_qty, legal_qty2, unit_price, amount, currency, country, consumption_version.
    """
    h = _check_header(book, header)
    objs = _build_lines(book, h["item_kind"], lines, h["declaration_date"])
    inv = InventoryList(book=book, enterprise_id=book.enterprise_id, **h)
    inv.line_count, inv.total_amount = _totals(objs)
    # _check_header checked both unique numbers; book and enterprise are the book's own
    full_clean(inv, exclude=["rule", "reverses", "book", "enterprise"], checked_in_sql=True)
    inv.save()
    _insert_lines(inv.pk, objs)
    audit.record(
        inv,
        code="ledger.inventory_list.created",
        by=by,
        action="create",
        changes={**audit.diff({}, audit.snapshot(inv)), "lines": len(objs)},
    )
    return inv


# Line fields that come from the filed item when a line does not give them: a merged line whose
# item changes takes them from the new item again.
ITEM_DERIVED = ("part_no", "hs_code", "name")


def merge_lines(inv: InventoryList, lines: Sequence[Mapping]) -> list[dict]:
    """The edited lines completed from the stored ones, matched by line number.

    A line naming the ``line_no`` of a stored line keeps every stored field it does not give
    (declared name, second legal quantity…): an edit form shows only some columns, and saving it
    unchanged must change nothing.  A given key wins, also when its value is empty (a cleared
    cell).  When the line's item changes, the item-derived fields are taken from the new item.
    Stored lines no edited line names are dropped; lines without a known ``line_no`` are new.
    """
    stored = {row[0]: row for row in inv.lines.values_list(*LINE_COLUMNS)}
    out = []
    for raw in lines:
        no = raw.get("line_no")
        old = stored.get(int(no)) if str(no or "").strip().isdigit() else None
        if old is None:
            out.append(dict(raw))
            continue
        merged = {k: v for k, v in zip(LINE_COLUMNS, old, strict=True) if k in LINE_FIELDS}
        if "item_seq_no" in raw and str(raw["item_seq_no"]).strip() != str(merged["item_seq_no"]):
            for k in ITEM_DERIVED:
                merged.pop(k, None)
        merged.update(raw)
        merged["line_no"] = int(no)
        out.append(merged)
    return out


@transaction.atomic
def update_inventory_list(
    inv: InventoryList,
    header: Mapping | None = None,
    lines: Sequence[Mapping] | None = None,
    *,
    by=None,
    merge: bool = False,
) -> InventoryList:
    """Edit a draft list: header fields and/or its lines.

    ``lines`` replace all lines; with ``merge`` (the edit page) they are first completed from the
    stored lines by line number (``merge_lines``).  Lines that come out identical to the stored
    ones are not rewritten (an unchanged save changes nothing and records no line change).
    """
    inv = locks.lock_list(inv.pk)
    if inv.state != ListState.DRAFT:
        raise DomainError(
            _("Only draft lists can be edited (list %(n)s is %(s)s).")
            % {"n": inv.number, "s": ListState(inv.state).label},
            code="not_draft",
        )
    before = audit.snapshot(inv)
    if header and lines is None and header.get("item_kind", inv.item_kind) != inv.item_kind:
        raise DomainError(
            _("Changing the material/product mark needs new lines."), code="invalid", field="item_kind"
        )
    if header:
        merged = {k: getattr(inv, k) for k in HEADER_FIELDS}
        merged.update(header)
        h = _check_header(inv.book, merged, exclude_pk=inv.pk)
        for k, v in h.items():
            setattr(inv, k, v)
        full_clean(inv, exclude=["rule", "reverses"])
        inv.save()
    changes = audit.diff(before, audit.snapshot(inv))
    if lines is not None:
        if merge:
            lines = merge_lines(inv, lines)
        objs = _build_lines(inv.book, inv.item_kind, lines, inv.declaration_date)
        stored = list(inv.lines.order_by("line_no").values_list(*LINE_COLUMNS))
        if sorted(objs, key=lambda r: r[0]) == stored:
            if changes:
                audit.record(
                    inv, code="ledger.inventory_list.updated", by=by, action="update", changes=changes
                )
            return inv
        inv.lines.all().delete()
        _insert_lines(inv.pk, objs)
        inv.line_count, inv.total_amount = _totals(objs)
        inv.save(update_fields=["line_count", "total_amount"])
        changes["lines"] = len(objs)
    if changes:
        audit.record(inv, code="ledger.inventory_list.updated", by=by, action="update", changes=changes)
    return inv


@transaction.atomic
def submit_inventory_list(inv: InventoryList, *, by=None) -> InventoryList:
    """draft → submitted (申报).  Re-checks the book, the mode and the posting rule."""
    inv = locks.lock_list(inv.pk)
    if inv.state != ListState.DRAFT:
        raise DomainError(
            _("List %(n)s is %(s)s; only drafts can be submitted.")
            % {"n": inv.number, "s": ListState(inv.state).label},
            code="bad_state",
        )
    if not inv.lines.exists():
        raise DomainError(_("An inventory list needs at least one line."), code="no_lines", field="lines")
    check_book_accepts(inv.book, inv.declaration_date)
    check_mode_allowed(inv.book, inv.supervision_mode, inv.declaration_date)
    find_rule(inv.supervision_mode, inv.ie_mark, inv.item_kind, inv.declaration_date)
    inv.state, inv.submitted_at = ListState.SUBMITTED, timezone.now()
    inv.save(update_fields=["state", "submitted_at"])
    audit.record(
        inv,
        code="ledger.inventory_list.submitted",
        by=by,
        changes={"state": [ListState.DRAFT, ListState.SUBMITTED]},
    )
    return inv


@transaction.atomic
def cancel_inventory_list(inv: InventoryList, *, by=None, note: str = "") -> InventoryList:
    """draft/submitted → cancelled (删单).  Posted lists are never cancelled: reverse them."""
    inv = locks.lock_list(inv.pk)
    if inv.state not in (ListState.DRAFT, ListState.SUBMITTED):
        raise DomainError(
            _("List %(n)s is %(s)s and cannot be cancelled; a posted list is corrected by a reversing list.")
            % {"n": inv.number, "s": ListState(inv.state).label},
            code="bad_state",
        )
    old = inv.state
    inv.state = ListState.CANCELLED
    inv.save(update_fields=["state"])
    audit.record(
        inv,
        code="ledger.inventory_list.cancelled",
        by=by,
        changes={"state": [old, ListState.CANCELLED]},
        message=note,
    )
    return inv


def post_inventory_list(
    inv: InventoryList, *, by=None, receipt_number: str = "", receipt_date: dt.date | None = None
) -> PostingResult:
    """Post (核扣) a submitted list that customs has approved (审核通过); idempotent (a posted list is
    left unchanged).

    Customs approves the list and writes it off; whoever posts it here records that decision from
    customs' approval receipt (回执): ``receipt_number`` and ``receipt_date`` are stored on the list
    and named in the audit entry ("customs receipt … recorded, list posted").  The pages ask for
    both; machine clients and the bulk paths may post without them (docs/ledger.md, "Who does what").

    Raises DomainError for a draft/cancelled list, a closed or expired book, a mode not allowed on the
    book, no posting rule, unusable consumption versions, a receipt number without a date (or a date
    before the declaration or in the future), and — with LEDGER_NEGATIVE_BALANCE = "refuse" — a
    material or scrap balance that would go below zero (details name the items).
    """
    receipt_number = (receipt_number or "").strip()
    with transaction.atomic():
        lst = locks.lock_list(inv.pk)
        if lst.state == ListState.POSTED:
            return PostingResult(
                lst,
                changed=False,
                message=_("List %(n)s is already posted; nothing changed.") % {"n": lst.number},
            )
        if lst.state != ListState.SUBMITTED:
            raise DomainError(
                _("List %(n)s is %(s)s; only submitted lists can be posted.")
                % {"n": lst.number, "s": ListState(lst.state).label},
                code="bad_state",
            )
        _check_receipt(lst, receipt_number, receipt_date)
        check_book_accepts(lst.book, lst.declaration_date)
        check_mode_allowed(lst.book, lst.supervision_mode, lst.declaration_date)
        rule = find_rule(lst.supervision_mode, lst.ie_mark, lst.item_kind, lst.declaration_date)
        lst.receipt_number, lst.receipt_date = receipt_number, receipt_date
        return _post(lst, rule, by=by)


def _check_receipt(lst: InventoryList, number: str, date: dt.date | None) -> None:
    if bool(number) != bool(date):
        raise DomainError(
            _("A customs receipt needs both its number and its date."),
            code="receipt_incomplete",
            field="receipt_date" if number else "receipt_number",
        )
    if date and date < lst.declaration_date:
        raise DomainError(
            _("The customs receipt date %(d)s is before the declaration date %(decl)s.")
            % {"d": date.isoformat(), "decl": lst.declaration_date.isoformat()},
            code="receipt_date",
            field="receipt_date",
        )
    if date and date > timezone.localdate():
        raise DomainError(
            _("The customs receipt date %(d)s is in the future.") % {"d": date.isoformat()},
            code="receipt_date",
            field="receipt_date",
        )


approve_inventory_list = post_inventory_list


def _post(lst: InventoryList, rule: PostingRule, *, by, resolve: bool = True) -> PostingResult:
    lst.rule = rule
    lst.save(update_fields=["rule"])
    if rule.explode and resolve:
        sql.resolve_versions(lst.pk, lst.declaration_date)
        problems = sql.version_problems(lst.pk, lst.declaration_date)
        if problems:
            raise _version_error(problems, lst.declaration_date)
    locks.lock_book_balances(lst.book_id)
    changed, shortfalls = 0, []
    if rule.target:
        before = sql.negatives(lst.book_id)
        changed = sql.apply_list(lst.pk, lst.line_count)
        shortfalls = sql.shortfalls(before, sql.negatives(lst.book_id))
        if shortfalls and negative_policy() != NegativeBalancePolicy.WARN:
            raise _shortfall_error(shortfalls)  # rolls the whole posting back
        queries.refresh_book_summaries([lst.book_id])
    old = lst.state
    lst.state, lst.posted_at = ListState.POSTED, timezone.now()
    lst.save(update_fields=["state", "posted_at", "receipt_number", "receipt_date"])
    monthclose.reopen_for_lists([lst.pk], by=by)  # back-dated (post or reversal): reopens closed months
    if lst.book.status == BookStatus.FILED:
        _set_status(lst.book, BookStatus.IN_USE, by=by, note=_("first posting"))
    changes = {
        "state": [old, ListState.POSTED],
        "rule": rule.pk,
        "balances": changed,
        "warnings": [_plain(s) for s in shortfalls],
    }
    receipt = ""
    if lst.receipt_number:
        changes["receipt_number"] = lst.receipt_number
        changes["receipt_date"] = lst.receipt_date.isoformat()
        receipt = _("Customs approval receipt %(r)s of %(d)s recorded; list posted (核扣).") % {
            "r": lst.receipt_number,
            "d": lst.receipt_date.isoformat(),
        }
    audit.record(lst, code="ledger.inventory_list.posted", by=by, changes=changes, message=receipt)
    msg = _("List %(n)s posted: %(c)d balance rows changed.") % {"n": lst.number, "c": changed}
    return PostingResult(lst, changed=True, message=msg, balances_changed=changed, warnings=shortfalls)


def _plain(d: dict) -> dict:
    return {k: str(v) for k, v in d.items()}


def _version_error(problems: list[dict], on) -> DomainError:
    details = []
    for p in problems:
        if p["named"]:
            reason = _("product %(seq)s (%(part)s) has no consumption version %(v)s") % {
                "seq": p["item_seq_no"],
                "part": p["part_no"],
                "v": p["named"],
            }
        elif p["in_force"] == 0:
            reason = _("product %(seq)s (%(part)s) has no consumption version in force on %(on)s") % {
                "seq": p["item_seq_no"],
                "part": p["part_no"],
                "on": on,
            }
        else:
            reason = _(
                "product %(seq)s (%(part)s) has %(n)d consumption versions in force on %(on)s: name one on the line"
            ) % {
                "seq": p["item_seq_no"],
                "part": p["part_no"],
                "n": p["in_force"],
                "on": on,
            }
        details.append(RowError(p["line_no"], "consumption_version", p["named"] or "", reason))
    return DomainError(
        _("Line %(line)s: %(reason)s.") % {"line": details[0].row, "reason": details[0].reason},
        code="consumption_version",
        field="lines",
        details=details,
    )


def _shortfall_error(shortfalls: list[dict]) -> DomainError:
    details = []
    for s in shortfalls:
        if s["material_shortfall"]:
            reason = _("material %(seq)s (%(part)s) would be short by %(q)s") % {
                "seq": s["seq_no"],
                "part": s["part_no"],
                "q": s["material_shortfall"],
            }
            details.append(RowError(None, "expected_remaining", str(s["expected_remaining_after"]), reason))
        if s["scrap_shortfall"]:
            reason = _("scrap of material %(seq)s (%(part)s) would be short by %(q)s") % {
                "seq": s["seq_no"],
                "part": s["part_no"],
                "q": s["scrap_shortfall"],
            }
            details.append(RowError(None, "scrap_balance", str(s["scrap_balance_after"]), reason))
    return DomainError(
        _("Posting refused: %(first)s (%(n)d item(s) affected).")
        % {"first": details[0].reason, "n": len(shortfalls)},
        code="negative_balance",
        details=details,
    )


@transaction.atomic
def reverse_inventory_list(
    inv: InventoryList,
    *,
    number: str,
    internal_number: str | None = None,
    declaration_date: dt.date | None = None,
    by=None,
) -> PostingResult:
    """Correct a posted list by a reversing list (negated effect, linked by ``reverses``), posted at once.

    The reversal uses the original rule and the consumption versions the original used.  Lines are
    copied with one INSERT … SELECT.
    """
    orig = locks.lock_list(inv.pk)
    if orig.state != ListState.POSTED:
        raise DomainError(
            _("Only posted lists can be reversed (list %(n)s is %(s)s).")
            % {"n": orig.number, "s": ListState(orig.state).label},
            code="bad_state",
        )
    if orig.direction != 1:
        raise DomainError(_("List %(n)s is itself a reversal.") % {"n": orig.number}, code="bad_state")
    if InventoryList.objects.filter(reverses=orig).exists():
        raise DomainError(
            _("List %(n)s has already been reversed.") % {"n": orig.number}, code="already_reversed"
        )
    from .carryover import check_list_not_linked
    from .writeoff import check_list_unlocked

    check_list_unlocked(orig)
    check_list_not_linked(orig)
    on = declaration_date or timezone.localdate()
    check_book_accepts(orig.book, on)
    if not number or str(number).strip().upper()[8:9] != orig.ie_mark:
        raise DomainError(
            _("The reversing list number must be a valid list number with the same I/E letter."),
            code="list_number",
            field="number",
        )
    h = _check_header(
        orig.book,
        {
            "number": number,
            "internal_number": internal_number or f"{orig.internal_number}-R"[:64],
            "ie_mark": orig.ie_mark,
            "supervision_mode": orig.supervision_mode,
            "item_kind": orig.item_kind,
            "declaration_date": on,
            "customs_declaration_no": "",
            "note": _("Reversal of %(n)s") % {"n": orig.number},
        },
    )
    rev = InventoryList(
        book=orig.book,
        enterprise_id=orig.enterprise_id,
        direction=-1,
        reverses=orig,
        state=ListState.SUBMITTED,
        submitted_at=timezone.now(),
        line_count=orig.line_count,
        total_amount=orig.total_amount,
        **h,
    )
    full_clean(rev, exclude=["rule", "reverses"])
    rev.save()
    cols = list(LINE_COLUMNS)
    t = InventoryListLine._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {t} (inventory_list_id, {', '.join(cols)}) SELECT %s, {', '.join(cols)} FROM {t} WHERE inventory_list_id = %s",
            [rev.pk, orig.pk],
        )
    audit.record(
        rev, code="ledger.inventory_list.created", by=by, action="create", changes={"reverses": orig.number}
    )
    return _post(rev, orig.rule, by=by, resolve=False)


def preview_posting(inv: InventoryList) -> list[dict]:
    """The balance effect the list would have, without committing anything (for confirmation pages).

    Returns one dict per affected item: seq_no, kind, part_no, and per column (before, delta, after).
    """
    from ..models import BALANCE_COLUMNS, Balance

    out: list[dict] = []
    try:
        with transaction.atomic():
            lst = locks.lock_list(inv.pk)
            rule = (
                lst.rule
                if lst.state == ListState.POSTED
                else find_rule(lst.supervision_mode, lst.ie_mark, lst.item_kind, lst.declaration_date)
            )
            if lst.state != ListState.POSTED:
                lst.rule = rule
                lst.save(update_fields=["rule"])
                if rule.explode:
                    sql.resolve_versions(lst.pk, lst.declaration_date)
                    problems = sql.version_problems(lst.pk, lst.declaration_date)
                    if problems:
                        raise _version_error(problems, lst.declaration_date)
            before = {
                b.item_id: b for b in Balance.objects.filter(book_id=lst.book_id).select_related("item")
            }
            if rule.target and lst.state != ListState.POSTED:
                sql.apply_list(lst.pk, lst.line_count)
                after = {b.item_id: b for b in Balance.objects.filter(book_id=lst.book_id)}
            else:
                after = before
            for item_id, b in before.items():
                a = after[item_id]
                delta = {c: getattr(a, c) - getattr(b, c) for c in BALANCE_COLUMNS}
                if any(delta.values()):
                    out.append(
                        {
                            "item_id": item_id,
                            "seq_no": b.item.seq_no,
                            "kind": b.item.kind,
                            "part_no": b.item.part_no,
                            "columns": {
                                c: (getattr(b, c), delta[c], getattr(a, c))
                                for c in BALANCE_COLUMNS
                                if delta[c]
                            },
                        }
                    )
            raise _Rollback
    except _Rollback:
        pass
    return out


class _Rollback(Exception):
    pass
