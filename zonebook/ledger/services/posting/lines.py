"""Lines of inventory lists: validate raw line dicts against the book's items and build the rows to
write (``LINE_COLUMNS`` order, from the one line specification ``ledger/lines.py``), write them, and
merge an edited grid with the stored lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError, RowError

from ...choices import ItemKind
from ...lines import LINE_COLUMNS, LINE_FIELDS
from ...models import Book, BookItem, Consumption, InventoryList, InventoryListLine
from .._common import hs_problem, known_hs

LINE_BATCH = 5000
_AMOUNT = LINE_COLUMNS.index("amount")


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
