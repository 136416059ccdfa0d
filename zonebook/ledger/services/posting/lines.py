"""Lines of inventory lists: validate raw line dicts against the book's items and build the rows to
write (``LINE_COLUMNS`` order, from the one line specification ``ledger/lines.py``), write them, and
merge an edited grid with the stored lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    return set().union(*lines)


class KeyedLines(list):
    """Lines whose dicts name the line fields by keys of their own (a customs message's elements, as
    parsed): ``field_keys`` maps each line field to the key its value is read from; the dicts' other
    keys are not read.  An empty or absent value is a value not given (as an empty cell)."""

    def __init__(self, lines: Sequence[Mapping], field_keys: Mapping[str, str]):
        super().__init__(lines)
        self.field_keys = field_keys


def _key_of(lines: Sequence[Mapping], name: str) -> str | None:
    """The key a line field is read from in ``lines`` (None: not read)."""
    keys = getattr(lines, "field_keys", None)
    return name if keys is None else keys.get(name)


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
    # the derived text fields of each (item, given texts) combination met so far, shared by the lists
    # validated with this context (``_columns``; keyed by what the derivation depends on)
    memo: dict = field(default_factory=dict)
    # what was looked up (found or not): a context extended for more lines looks up only the rest
    seqs_asked: set = field(default_factory=set)
    hs_asked: set = field(default_factory=set)


# A context kept across the batches of one import forgets its derived fields past this many
# combinations (the memory stays bounded however varied the lines).
MEMO_LIMIT = 100_000


def line_context(
    book: Book, item_kind: str, line_sets: Sequence[Sequence[Mapping]], base: LineContext | None = None
) -> LineContext:
    """The context of ``line_sets``; ``base``: a context of the same book and kind from earlier
    batches of the same import, extended in place with what these lines name that it has not looked
    up yet (the items and HS codes it knows are not read again)."""
    # the distinct values first (a 50,000-line list names a few hundred items and HS codes)
    # (an int as it is, anything else as its text: True and 1.0 are equal to 1 but no sequence number)
    raw = [r.get(key, "") for lines in line_sets for key in (_key_of(lines, "item_seq_no"),) for r in lines]
    given = set(raw) if set(map(type, raw)) == {int} else {s if type(s) is int else str(s) for s in raw}
    seqs = {int(s) for s in given if str(s).isdigit()}
    ctx = base if base is not None else LineContext({}, set(), set())
    new_seqs = seqs - ctx.seqs_asked
    new_items = (
        {i.seq_no: i for i in BookItem.objects.filter(book=book, kind=item_kind, seq_no__in=new_seqs)}
        if new_seqs
        else {}
    )
    ctx.items.update(new_items)
    ctx.seqs_asked |= new_seqs
    raw = [r.get(key) for lines in line_sets for key in (_key_of(lines, "hs_code"),) for r in lines]
    texts = set(raw) if set(map(type, raw)) <= {str, type(None)} else raw  # (equal texts are the same)
    new_hs = ({str(v or "") for v in texts} | {i.hs_code for i in new_items.values()}) - ctx.hs_asked
    if new_hs:
        ctx.hs_known |= known_hs(new_hs)
        ctx.hs_asked |= new_hs
    if item_kind == ItemKind.PRODUCT and new_items:
        # one query: every (product, version) with its validity (distinct), split in Python
        ctx.spans |= set(
            Consumption.objects.filter(product__in=list(new_items.values()))
            .order_by()  # no Meta ordering: it would join four tables and widen the DISTINCT
            .values_list("product_id", "version", "valid_from", "valid_to")
            .distinct()
        )
    if sum(map(len, ctx.memo.values())) > MEMO_LIMIT:
        ctx.memo.clear()
    return ctx


@dataclass
class Columns:
    """Validated lines, column by column (``_columns``): the line numbers, per line its
    ((item_id … name), (currency … resolved_version)) pair and the key of its distinct combination
    (``combos``; ``fields``: the pair of each combination, None when a given value was unhashable),
    the numbers (None where not given) and the specification's extra fields."""

    n: int
    line_nos: list
    pairs: list
    combos: list
    fields: dict | None
    qty: list
    legal_qty: list
    legal_qty2: list
    price: list
    amount: list
    extra: list
    # the line counts of the lists when the lines are several lists' together (``_columns(lengths=)``)
    lengths: tuple | None = None

    def totals(self) -> tuple[int, Decimal]:
        """(line count, declared amount): the list header's totals (as ``_totals`` of the rows)."""
        return self.n, sum(self.amount, Decimal(0)).quantize(_CENT)

    def list_totals(self) -> list[tuple[int, Decimal]]:
        """``totals`` of each list of a batch's columns (``lengths``), in order."""
        if self.lengths is None:
            return [self.totals()]
        out, a = [], 0
        for n in self.lengths:
            out.append((n, sum(self.amount[a : a + n], Decimal(0)).quantize(_CENT)))
            a += n
        return out


def _build_lines(
    book: Book,
    item_kind: str,
    lines: Sequence[Mapping],
    on: dt.date | None = None,
    ctx: LineContext | None = None,
) -> list[tuple]:
    """Validate raw lines (dicts) and build the rows to insert (``LINE_COLUMNS`` order, plain tuples:
    no model instance per line); all problems are reported together, line by line in column order.
    ``ctx``: a ``line_context`` shared by the lists of one batch (built here for this list otherwise)."""
    return _rows(_columns(book, item_kind, lines, on, ctx))


def _columns(
    book: Book,
    item_kind: str,
    lines: Sequence[Mapping],
    on: dt.date | None = None,
    ctx: LineContext | None = None,
    lengths: Sequence[int] | None = None,
) -> Columns:
    """Validate raw lines (``_build_lines``) into ``Columns``; raises a DomainError naming every problem.

    ``lengths``: the lines are those of several lists one after the other, this many each (none
    empty): validated together in one pass, a line's default number is its position in its own list
    and a line number may repeat across lists.  A problem's row is then its position in all the
    lines; a caller that names problems per list validates the lists one by one after a refusal.

    Column by column: every step that depends only on the item and the given text fields is done
    once per distinct combination (``_text_fields``), every number is parsed once per distinct value
    (``_numbers``) — a 50,000-line list names a few hundred items and repeats most quantities and
    prices."""
    if not lines:
        raise DomainError(_("An inventory list needs at least one line."), code="no_lines", field="lines")
    if ctx is None:
        ctx = line_context(book, item_kind, [lines])
    items = ctx.items
    versions, in_force = set(), {}
    if item_kind == ItemKind.PRODUCT:
        versions = {(pid, ver) for pid, ver, _f, _t in ctx.spans}
        if on is not None:  # the only version in force per product, stored now and re-checked at posting
            by_product: dict[int, set] = {}
            for pid, ver, start, end in ctx.spans:
                if (start is None or start <= on) and (end is None or end >= on):
                    by_product.setdefault(pid, set()).add(ver)
            in_force = {pid: next(iter(v)) for pid, v in by_product.items() if len(v) == 1}
    n = len(lines)
    field_keys = getattr(lines, "field_keys", None)  # (``KeyedLines``)
    keys = _keys(lines) if field_keys is None else set(field_keys)
    # (row, step, problem): sorted at the end into the line-by-line, column-by-column order
    problems: list[tuple[int, int, RowError]] = []

    def column(name: str):
        if name not in keys:
            return None
        key = name if field_keys is None else field_keys[name]
        return [r.get(key) for r in lines]

    # step 0: unknown keys (keyed lines read their mapped keys only)
    if field_keys is None and not keys <= LINE_FIELDS:
        for k, raw in enumerate(lines, start=1):
            unknown = set(raw) - LINE_FIELDS
            if unknown:
                problems.append((k, 0, RowError(k, ", ".join(sorted(unknown)), "", _("unknown column"))))
    # step 1: line numbers (the given one, else the line's position)
    given = column("line_no")
    if field_keys is not None and given is not None:  # (texts as parsed: whole numbers when they are)
        try:
            given = [int(v) if v else None for v in given]
        except ValueError:
            pass
    if lengths is not None and len(lengths) > 1:
        if sum(lengths) != n or not all(lengths):
            raise ValueError("lengths must split the lines into non-empty lists")
        positions = [k for m in lengths for k in range(1, m + 1)]
        line_nos = positions if given is None else [v or k for k, v in zip(positions, given, strict=True)]
        if given is not None and line_nos != positions:  # (numbered 1, 2, … in every list: no repeat)
            owner = [j for j, m in enumerate(lengths) for _k in range(m)]
            if len(set(zip(owner, line_nos, strict=True))) != n:
                seen_in: set = set()
                for k, key in enumerate(zip(owner, line_nos, strict=True), start=1):
                    if key in seen_in:
                        problems.append((k, 1, RowError(k, "line_no", str(key[1]), _("duplicate line number"))))
                    seen_in.add(key)
        given = None  # (checked per list)
    else:
        lengths = None
        line_nos = list(range(1, n + 1)) if given is None else [v or k for k, v in enumerate(given, start=1)]
    if given is not None and len(set(line_nos)) != n:
        seen: set = set()
        for k, no in enumerate(line_nos, start=1):
            if no in seen:
                problems.append((k, 1, RowError(k, "line_no", str(no), _("duplicate line number"))))
            seen.add(no)
    # step 2: the item of each line
    seq_key = "item_seq_no" if field_keys is None else field_keys.get("item_seq_no")
    seqs = [r.get(seq_key, "") for r in lines]
    seq_types = set(map(type, seqs))
    if seq_types == {int}:
        item_of = list(map(items.get, seqs))
    elif seq_types == {str}:  # (the texts of a message or a sheet) each distinct text looked up once
        of_text = {}
        for seq in set(seqs):
            text = seq.strip()
            of_text[seq] = items.get(int(text)) if text.isdigit() else None
        item_of = list(map(of_text.__getitem__, seqs))
        if not all(item_of):
            seqs = [seq.strip() for seq in seqs]
    else:
        item_of = []
        for k, seq in enumerate(seqs):
            if type(seq) is not int:
                seqs[k] = seq = str(seq).strip()
                item_of.append(items.get(int(seq)) if seq.isdigit() else None)
            else:
                item_of.append(items.get(seq))
    if not all(item_of):  # (``None in`` would call the model's ``__eq__`` per line)
        reason = _("no %(kind)s with this sequence number on book %(book)s") % {
            "kind": ItemKind(item_kind).label,
            "book": book.number,
        }
        for k, item in enumerate(item_of, start=1):
            if item is None:
                problems.append((k, 2, RowError(k, "item_seq_no", str(seqs[k - 1]), reason)))
    # steps 3, 4 and 11: the text fields, once per distinct (item, given texts)
    texts = [column(name) for name in TEXT_GIVEN]
    given_texts = [t for t in texts if t is not None]
    # a combination's key: the item and the given values (with their type unless all are text:
    # 12 and 12.0 are equal but not the same text)
    key_cols = [
        t if set(map(type, t)) <= {str, type(None)} else list(zip(map(type, t), t, strict=True))
        for t in given_texts
    ]
    combos = list(zip(map(id, item_of), *key_cols, strict=True)) if key_cols else list(map(id, item_of))
    hs_checked: dict[str, tuple | None] = {}

    def derive(k: int) -> tuple:
        values = tuple(t[k] if t is not None else None for t in texts)
        return _text_fields(item_of[k], values, item_kind, ctx, versions, in_force, hs_checked)

    try:
        first = dict(zip(reversed(combos), range(n - 1, -1, -1), strict=True))  # each key's first line
    except TypeError:  # an unhashable value: each line on its own
        built = [derive(k) for k in range(n)]
        derived, fields = built, None
    else:
        # the lists of a batch repeat their items' combinations: each is derived once per context
        # (and per declaration date for products, whose version in force depends on it)
        given_names = tuple(name for name, t in zip(TEXT_GIVEN, texts, strict=True) if t is not None)
        memo = ctx.memo.setdefault((item_kind, on if item_kind == ItemKind.PRODUCT else None, given_names), {})
        fields = {}
        for c, k in first.items():
            f = memo.get(c)
            if f is None:
                f = memo[c] = derive(k)
            fields[c] = f
        built = [fields[c] for c in combos]
        derived = fields.values()
    if any(f[1] for f in derived):
        for k, f in enumerate(built, start=1):
            for step, col, value, reason in f[1]:
                problems.append((k, step, RowError(k, col, value, reason)))
    # steps 5-10: the numbers, each distinct value parsed once
    qty = _numbers(column("qty"), n, "qty", 5, problems, POSITIVE)
    legal_qty = _numbers(column("legal_qty"), n, "legal_qty", 6, problems, POSITIVE, required=False)
    legal_qty2 = _numbers(column("legal_qty2"), n, "legal_qty2", 7, problems, POSITIVE, required=False)
    prices = column("unit_price")
    if prices is None:  # not given: zero (``_dec(0)``) on every line
        price = [_dec(0, 0, "unit_price", [])] * n
    else:
        price = _numbers([v or 0 for v in prices], n, "unit_price", 8, problems)
    for k, p in enumerate(price, start=1):
        if p is not None and p < 0:
            problems.append((k, 9, RowError(k, "unit_price", str(p), _("cannot be negative"))))
    amount = _numbers(column("amount"), n, "amount", 10, problems, required=False)
    # steps 12…: the fields the specification adds beyond ``BUILT`` (lines with an item)
    extra_cols = []
    for j, fld in enumerate(_EXTRA_FIELDS):
        errs: list = []
        key = _key_of(lines, fld.name)
        values = [
            _extra(fld, r.get(key), k, errs) if item is not None else None
            for k, (r, item) in enumerate(zip(lines, item_of, strict=True), start=1)
        ]
        problems += [(e.row, 12 + j, e) for e in errs]
        extra_cols.append(values)
    if problems:
        problems.sort(key=lambda p: (p[0], p[1]))
        errors = [p[2] for p in problems]
        raise DomainError(
            _("%(n)d problem(s) in the list lines; first: %(first)s")
            % {"n": len(errors), "first": errors[0]},
            code="invalid_lines",
            field="lines",
            details=errors,
        )
    # every line has an item, valid numbers and text fields
    if prices is None and amount.count(None) == n:
        amount = price = [0] * n  # (q × 0).quantize(0.01) is a zero: stored as 0
    else:
        cent = _CENT
        amount = [
            a if a is not None else (q * p).quantize(cent) for a, q, p in zip(amount, qty, price, strict=True)
        ]
        price = [p or 0 for p in price]
        amount = [a or 0 for a in amount]
    pairs = [f[0] for f in built]  # ((item_id … name), (currency … resolved_version)) per line
    return Columns(
        n,
        line_nos,
        pairs,
        combos,
        fields,
        qty,
        legal_qty,
        legal_qty2,
        price,
        amount,
        extra_cols,
        None if lengths is None else tuple(lengths),
    )


def _rows(c: Columns) -> list[tuple]:
    """The rows to insert (``LINE_COLUMNS`` order), zipped from validated columns."""
    if c.extra:
        out = [
            (no, *h, q, lq, lq2, p, a, *t, *x)
            for no, (h, t), q, lq, lq2, p, a, *x in zip(
                c.line_nos,
                c.pairs,
                c.qty,
                c.legal_qty,
                c.legal_qty2,
                c.price,
                c.amount,
                *c.extra,
                strict=True,
            )
        ]
    else:
        out = [
            (no,) + h + (q, lq, lq2, p, a) + t
            for no, (h, t), q, lq, lq2, p, a in zip(
                c.line_nos, c.pairs, c.qty, c.legal_qty, c.legal_qty2, c.price, c.amount, strict=True
            )
        ]
    return _ordered(out)


def _write_lines(c: Columns, sink, frags_memo: dict | None = None, list_ids: Sequence[int] | None = None) -> None:
    """Hand validated columns to a ``line_writer`` sink, ``SINK_CHUNK`` lines at a time, so that the
    database writes one chunk while the next is formatted: as COPY text formatted straight from the
    columns (each distinct combination's text fields formatted and escaped once) when the rows are
    in ``BUILT`` order, else as rows.  ``list_ids``: the list of each part of columns of several
    lists (``c.lengths``; the sink's own list otherwise)."""
    n = c.n
    if list_ids is not None and c.lengths is not None:
        prefixes = [f"{pk}\t" for pk, m in zip(list_ids, c.lengths, strict=True) for _k in range(m)]
    else:
        prefixes = [sink.prefix] * n
    if _ORDER is not None or c.extra or c.fields is None:
        rows = _rows(c)
        for k in range(0, n, SINK_CHUNK):
            sink.text_rows(prefixes[k : k + SINK_CHUNK], rows[k : k + SINK_CHUNK])
        return
    if frags_memo is None:
        frags = {key: _text_frags(f[0]) for key, f in c.fields.items()}
    else:  # (lists validated with one context share their combinations' derived fields: ``memo``)
        frags = {}
        for key, f in c.fields.items():
            text = frags_memo.get(id(f))
            if text is None:
                text = frags_memo[id(f)] = _text_frags(f[0])
            frags[key] = text
    columns = (
        _text_column(c.line_nos),
        [frags[key] for key in c.combos],
        _text_column(c.qty),
        _text_column(c.legal_qty),
        _text_column(c.legal_qty2),
        _text_column(c.price),
        _text_column(c.amount),
    )
    for k in range(0, n, SINK_CHUNK):
        sink.text(
            "".join(
                [
                    f"{prefix}{no}\t{head}\t{q}\t{lq}\t{lq2}\t{p}\t{a}\t{tail}\n"
                    for prefix, no, (head, tail), q, lq, lq2, p, a in zip(
                        prefixes[k : k + SINK_CHUNK], *(col[k : k + SINK_CHUNK] for col in columns), strict=True
                    )
                ]
            )
        )


def _text_frags(fields: tuple) -> tuple[str, str]:
    """The COPY text of a line's item fields (item_id … name) and of its trailing text fields
    (currency … resolved_version), escaped (``BUILT`` order)."""
    head, tail = fields
    return "\t".join(map(_copy_value, head)), "\t".join(map(_copy_value, tail))


def _text_column(values: list) -> list[str]:
    """A column's COPY text, value by value (the integers and decimals of a line need no escaping)."""
    kinds = set(map(type, values))
    if kinds == {type(None)}:
        return ["\\N"] * len(values)
    if kinds == {int} and values.count(values[0]) == len(values):  # (zero prices and amounts)
        return [str(values[0])] * len(values)
    if kinds <= {int, Decimal}:
        return list(map(str, values))
    if kinds <= {int, Decimal, type(None)}:
        return ["\\N" if v is None else str(v) for v in values]
    return list(map(_copy_value, values))


# The given text fields ``_text_fields`` derives from (after the item), in this order.
TEXT_GIVEN = ("part_no", "hs_code", "name", "currency", "country", "consumption_version")


def _text_fields(
    item, given: tuple, item_kind: str, ctx: LineContext, versions, in_force, hs_checked
) -> tuple:
    """The item fields of a line from its item (or None) and its given ``TEXT_GIVEN`` values:
    (((item_id, item_seq_no, part_no, hs_code, name), (currency, country, consumption_version,
    resolved_version)) — None without an item —, problems as (step, column, value, reason)).  The same for every line with the same item and values."""
    v_part, v_hs, v_name, v_currency, v_country, v_version = given
    problems = []
    if item is None:
        d_part = d_hs = ""
    else:
        d_part, d_hs = str(item.part_no).strip(), str(item.hs_code).strip()
    part_no = str(v_part).strip() if v_part else d_part
    if item and part_no != item.part_no:
        problems.append(
            (3, "part_no", part_no, _("part no. differs from the filed part no. %(p)s") % {"p": item.part_no})
        )
    hs = str(v_hs).strip() if v_hs else d_hs
    if hs or item:
        if hs in hs_checked:
            problem = hs_checked[hs]
        else:
            problem = hs_checked[hs] = hs_problem(hs, ctx.hs_known)
    else:
        problem = None
    if problem:
        problems.append((4, "hs_code", hs, problem[1]))
    elif item and hs != item.hs_code:
        problems.append(
            (4, "hs_code", hs, _("HS code differs from the filed HS code %(hs)s") % {"hs": item.hs_code})
        )
    version = str(v_version).strip() if v_version else ""
    if version and item_kind != ItemKind.PRODUCT:
        problems.append(
            (11, "consumption_version", version, _("only product lines name a consumption version"))
        )
    elif len(version) > 8:
        problems.append((11, "consumption_version", version, _("at most 8 characters")))
    elif version and item and (item.pk, version) not in versions:
        problems.append(
            (
                11,
                "consumption_version",
                version,
                _("product %(seq)s has no consumption version %(v)s") % {"seq": item.seq_no, "v": version},
            )
        )
    if item is None:
        return None, problems
    name = str(v_name)[:200] if v_name else str(item.name)[:200]
    currency = str(v_currency)[:3] if v_currency else str(item.currency or "")[:3]
    country = str(v_country)[:3] if v_country else str(item.country or "")[:3]
    resolved = version or in_force.get(item.pk, "")
    return ((item.pk, item.seq_no, part_no, hs, name), (currency, country, version, resolved)), problems


def _numbers(
    values: list | None,
    n: int,
    column: str,
    step: int,
    problems: list,
    positive: bool = False,
    required: bool = True,
) -> list:
    """The parsed numbers of one column (``_dec`` once per distinct value; None where missing or
    refused), the problems appended as (row, step, problem).  ``values`` None: the column is not
    given (all missing)."""
    if values is None:
        if not required:
            return [None] * n
        values = [None] * n
    kinds = set(map(type, values))
    if kinds == {Decimal} and all(map(Decimal.is_finite, values)) and (not positive or min(values) > 0):
        return list(values)  # what ``_dec`` returns for each: Decimal(str(d)) is d, digit for digit
    if kinds == {str}:  # texts: all parsed in one pass (``_dec`` is Decimal(text)) unless one is refused
        try:
            parsed = list(map(Decimal, values))
        except (InvalidOperation, ValueError):
            pass
        else:
            if all(map(Decimal.is_finite, parsed)) and (not positive or min(parsed) > 0):
                return parsed
    cache: dict = {}
    scratch: list = []
    try:
        if len(kinds) == 1:  # one type: equal values parse to equal numbers
            for v in set(values):
                cache[v] = _dec(v, 0, column, scratch, positive, required)
            out = list(map(cache.__getitem__, values))
        else:  # the type is part of the key: True, 1 and 1.0 are equal but not the same text
            keyed = list(zip(map(type, values), values, strict=True))
            for key in set(keyed):
                cache[key] = _dec(key[1], 0, column, scratch, positive, required)
            out = list(map(cache.__getitem__, keyed))
    except TypeError:  # an unhashable value: each on its own
        out = [_dec(v, 0, column, scratch, positive, required) for v in values]
    if scratch:  # report each refused value on its line, with its own text
        for k, (v, d) in enumerate(zip(values, out, strict=True), start=1):
            if d is None:
                errs: list = []
                _dec(v, k, column, errs, positive, required)
                problems += [(k, step, e) for e in errs]
    return out


def _ordered(rows: list[tuple]) -> list[tuple]:
    """Built rows in ``LINE_COLUMNS`` order (a permutation only when the specification orders a
    column differently from ``BUILT``)."""
    if _ORDER is None:
        return rows
    order = _ORDER
    return [tuple(r[i] for i in order) for r in rows]


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
SINK_CHUNK = 2_500  # lines handed to a ``sink`` at a time: small, so that formatting and writing overlap


def _copy_value(v) -> str:
    if v is None:
        return "\\N"
    return str(v).translate(_COPY_ESCAPE) if isinstance(v, str) else str(v)


def _copy_text(lists: Sequence[tuple[int, Sequence[tuple]]]):
    """The rows in ``COPY … FROM STDIN`` text format, ``COPY_CHUNK`` rows per string: each row
    joined once (``psycopg``'s ``write_row`` adapts value by value: ~9 µs a row); a row whose
    text holds a tab, newline, carriage return or backslash of its own is escaped field by field."""
    return _prefixed_text((f"{list_id}\t", row) for list_id, rows in lists for row in rows)


def _prefixed_text(rows):
    """``_copy_text`` of (prefix, row) pairs: each row's text after its prefix."""
    out: list[str] = []
    for prefix, row in rows:
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


class _Sink:
    """What ``line_writer`` hands to ``_write_lines``: ``text_rows(prefixes, rows)`` writes built
    rows, ``text(text)`` COPY text whose lines start with ``prefix`` (the list id)."""

    def __init__(self, copy, list_id: int):
        self.copy, self.prefix = copy, f"{list_id}\t"

    def text_rows(self, prefixes: Sequence[str], rows) -> None:
        """Built rows, each after its prefix (its list id)."""
        for text in _prefixed_text(zip(prefixes, rows, strict=True)):
            self.copy.write(text)

    def text(self, text: str) -> None:
        self.copy.write(text)


@contextmanager
def line_writer(list_id: int):
    """A ``sink`` for ``_write_lines`` (PostgreSQL): one ``COPY`` open for the lines of list
    ``list_id``, each chunk written as it comes (the database ingests one chunk while the next is
    formatted).  An error inside the block aborts the ``COPY``; the caller's transaction is then
    rolled back."""
    table = InventoryListLine._meta.db_table
    cols = ", ".join(("inventory_list_id", *LINE_COLUMNS))
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        yield _Sink(copy, list_id)


def _insert_columns(lists: Sequence[tuple[Sequence[int], Columns]]) -> None:
    """The validated lines of several lists, ``[(list ids, Columns), …]`` (one id, or one per list of
    columns of several lists: ``Columns.lengths``): one ``COPY`` formatted straight from the columns
    (``_write_lines``) on PostgreSQL, the rows otherwise."""
    if connection.vendor != "postgresql":
        parts = []
        for ids, c in lists:
            rows, a = _rows(c), 0
            for list_id, m in zip(ids, c.lengths or (c.n,), strict=True):
                parts.append((list_id, rows[a : a + m]))
                a += m
        _insert_many(parts)
        return
    table = InventoryListLine._meta.db_table
    cols = ", ".join(("inventory_list_id", *LINE_COLUMNS))
    frags_memo: dict = {}  # id of a derived combination (alive in the Columns) → its COPY text
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for ids, c in lists:
            _write_lines(c, _Sink(copy, ids[0]), frags_memo, ids)


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
