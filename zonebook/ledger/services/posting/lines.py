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

from ... import lines as line_spec
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


POSITIVE = True
_CENT = Decimal("0.01")
# The columns ``_build_lines`` derives field by field, in the order it builds them; a field added to
# the line specification (``ledger/lines.py``) and not named here is taken from the line as given
# (text cut to its length, decimals parsed), so the built rows always follow ``LINE_COLUMNS``.
BUILT = (
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


def _plan(columns: Sequence[str], fields=None):
    """(the extra spec fields to append to a built row, the permutation of the built row to
    ``columns`` order — None when it is already in that order)."""
    spec = line_spec.by_name(fields)
    extras = tuple(spec[c] for c in columns if c not in BUILT)
    full = (*BUILT, *(f.name for f in extras))
    order = tuple(full.index(c) for c in columns)
    return extras, (None if order == tuple(range(len(full))) else order)


_EXTRA_FIELDS, _ORDER = _plan(LINE_COLUMNS)


def _keys(lines: Sequence[Mapping]) -> set:
    keys: set = set()
    for raw in lines:
        keys.update(raw)
    return keys


def _num(
    cache: dict, value, row: int, column: str, errors: list, positive: bool = False, required: bool = True
):
    """``_dec`` with the parsed values of a batch cached (by type and value); problems uncached."""
    key = (type(value), value)
    try:
        d = cache.get(key)
    except TypeError:  # an unhashable value: parse it to report it
        d = None
    if d is not None and (not positive or d > 0):
        return d
    d = _dec(value, row, column, errors, positive, required)
    if d is not None:
        try:
            cache[key] = d
        except TypeError:
            pass
    return d


def _extra(field, value, row: int, errors: list):
    """A line field the specification adds beyond ``BUILT``: taken as given."""
    if field.kind == line_spec.DECIMAL:
        return _dec(value, row, field.name, errors, required=field.required)
    if field.kind == line_spec.INT:
        return None if value in (None, "") else int(value)
    return str(value or "")[: field.max_length or None]


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
            .order_by()  # no Meta ordering: it would join four tables and widen the DISTINCT
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
    # Every per-line step that depends only on the item or on one value is done once per item /
    # value (the item's defaults, the HS check, the parsed numbers): a 50,000-line list names a
    # few hundred items and repeats most quantities and prices.
    check_unknown = not _keys(lines) <= LINE_FIELDS
    hs_checked: dict[str, tuple | None] = {}
    defaults: dict[int, tuple] = {}
    numbers: dict = {}
    extras = _EXTRA_FIELDS
    out, seen_no = [], set()
    append = out.append
    for n, raw in enumerate(lines, start=1):
        get = raw.get
        if check_unknown:
            unknown = set(raw) - LINE_FIELDS
            if unknown:
                errors.append(RowError(n, ", ".join(sorted(unknown)), "", _("unknown column")))
        line_no = get("line_no") or n
        if line_no in seen_no:
            errors.append(RowError(n, "line_no", str(line_no), _("duplicate line number")))
        seen_no.add(line_no)
        seq = get("item_seq_no", "")
        if type(seq) is int:
            item = items.get(seq)
        else:
            seq = str(seq).strip()
            item = items.get(int(seq)) if seq.isdigit() else None
        if item is None:
            errors.append(
                RowError(
                    n,
                    "item_seq_no",
                    str(seq),
                    _("no %(kind)s with this sequence number on book %(book)s")
                    % {"kind": ItemKind(item_kind).label, "book": book.number},
                )
            )
            d_part = d_hs = ""
        else:
            d = defaults.get(item.pk)
            if d is None:
                d = defaults[item.pk] = (
                    str(item.part_no).strip(),
                    str(item.hs_code).strip(),
                    str(item.name)[:200],
                    str(item.currency or "")[:3],
                    str(item.country or "")[:3],
                )
            d_part, d_hs = d[0], d[1]
        v = get("part_no")
        part_no = str(v).strip() if v else d_part
        if item and part_no != item.part_no:
            errors.append(
                RowError(
                    n,
                    "part_no",
                    part_no,
                    _("part no. differs from the filed part no. %(p)s") % {"p": item.part_no},
                )
            )
        v = get("hs_code")
        hs = str(v).strip() if v else d_hs
        if hs or item:
            if hs in hs_checked:
                problem = hs_checked[hs]
            else:
                problem = hs_checked[hs] = hs_problem(hs, hs_known)
        else:
            problem = None
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
        qty = _num(numbers, get("qty"), n, "qty", errors, POSITIVE)
        legal_qty = _num(numbers, get("legal_qty"), n, "legal_qty", errors, POSITIVE, required=False)
        legal_qty2 = _num(numbers, get("legal_qty2"), n, "legal_qty2", errors, POSITIVE, required=False)
        price = _num(numbers, get("unit_price") or 0, n, "unit_price", errors)
        if price is not None and price < 0:
            errors.append(RowError(n, "unit_price", str(price), _("cannot be negative")))
        amount = _num(numbers, get("amount"), n, "amount", errors, required=False)
        if amount is None and qty is not None and price is not None:
            amount = (qty * price).quantize(_CENT)
        v = get("consumption_version")
        version = str(v).strip() if v else ""
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
            v = get("name")
            name = str(v)[:200] if v else d[2]
            v = get("currency")
            currency = str(v)[:3] if v else d[3]
            v = get("country")
            country = str(v)[:3] if v else d[4]
            row = (
                line_no,
                item.pk,
                item.seq_no,
                part_no,
                hs,
                name,
                qty,
                legal_qty,
                legal_qty2,
                price or 0,
                amount or 0,
                currency,
                country,
                version,
                version or in_force.get(item.pk, ""),
            )
            if extras:
                row += tuple(_extra(f, get(f.name), n, errors) for f in extras)
            append(row)
    if errors:
        raise DomainError(
            _("%(n)d problem(s) in the list lines; first: %(first)s")
            % {"n": len(errors), "first": errors[0]},
            code="invalid_lines",
            field="lines",
            details=errors,
        )
    if _ORDER is not None:  # the specification orders a column differently from ``BUILT``
        order = _ORDER
        out = [tuple(r[i] for i in order) for r in out]
    return out


def _totals(rows) -> tuple[int, Decimal]:
    """(line count, declared amount) of built lines, stored on the list header."""
    return len(rows), sum((r[_AMOUNT] or Decimal(0) for r in rows), Decimal(0)).quantize(Decimal("0.01"))


def _insert_lines(list_id: int, rows: Sequence[tuple]) -> None:
    """Write validated line rows: ``COPY … FROM STDIN`` on PostgreSQL, batched ``executemany`` on
    SQLite.  (``bulk_create`` built a model instance and prepared 16 fields per line: 9,000 lines/s
    for a 50,000-line list; docs/performance.md, "posting".)"""
    _insert_many([(list_id, rows)])


_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_CHUNK = 10_000


def _copy_value(v) -> str:
    if v is None:
        return "\\N"
    return str(v).translate(_COPY_ESCAPE) if isinstance(v, str) else str(v)


def _copy_text(lists: Sequence[tuple[int, Sequence[tuple]]]):
    """The rows in ``COPY … FROM STDIN`` text format, ``COPY_CHUNK`` rows per string: each row
    joined once (``psycopg``'s ``write_row`` adapts value by value: ~9 µs a row); a row whose
    text holds a tab, newline, carriage return or backslash of its own is escaped field by field."""
    out: list[str] = []
    for list_id, rows in lists:
        prefix = f"{list_id}\t"
        for row in rows:
            text = "\t".join(["\\N" if v is None else str(v) for v in row])
            if (
                text.count("\t") != len(row) - 1
                or text.count("\\") != row.count(None)
                or "\n" in text
                or "\r" in text
            ):
                text = "\t".join(_copy_value(v) for v in row)
            out.append(prefix + text + "\n")
            if len(out) >= COPY_CHUNK:
                yield "".join(out)
                out = []
    if out:
        yield "".join(out)


def _insert_many(lists: Sequence[tuple[int, Sequence[tuple]]]) -> None:
    """The lines of several lists, ``[(list_id, rows), …]``, in one ``COPY`` (PostgreSQL)."""
    table = InventoryListLine._meta.db_table
    cols = ", ".join(("inventory_list_id", *LINE_COLUMNS))
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for chunk in _copy_text(lists):
                    copy.write(chunk)
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
