"""Inventory lists (核注清单) before posting: create (one or a batch), update, submit, cancel, and the
staged lists of a large import (publish / discard / purge).

Batches: the rules are those of the single-list functions; what is shared is the work: the
items, HS codes, consumption spans, posting rules, mode table and locked write-offs are loaded
once per batch, the lines of every list go out in one ``COPY``, and the audit entries are
inserted together (one per list and step, as the single path writes them).

Errors: everything is validated before anything is written; a batch's ``DomainError`` lists every
problem as a ``RowError`` whose ``row`` counts the lines of all entries in order (1-based), so an
import can point at its spreadsheet rows; header problems point at the first line of their list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError, RowError
from zonebook.core.vector import copy_create

from ... import locks
from ...choices import IEMark, ItemKind, ListState
from ...lines import LINE_COLUMNS
from ...models import Book, InventoryList, PostingRule
from ...models.inventory import validate_list_number
from .._common import full_clean
from .checks import Tables, check_book_accepts, check_mode_allowed, find_rule
from .lines import (
    Columns,
    KeyedLines,
    _build_lines,
    _columns,
    _insert_columns,
    _insert_lines,
    _rows,
    _totals,
    _write_lines,
    line_context,
    line_writer,
    merge_lines,
)

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

ACTIONS = ("draft", "submit", "post")


@dataclass
class BatchResult:
    lists: list[InventoryList]
    posted: int = 0
    balances_changed: int = 0
    warnings: list[dict] = field(default_factory=list)
    message: str = ""


def _error(errors: list[RowError]) -> DomainError:
    return DomainError(
        _("%(n)d problem(s) in the lists; first: %(first)s") % {"n": len(errors), "first": errors[0]},
        code="invalid_lists",
        field="lines",
        details=errors,
    )


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


def _next_id(model) -> int:
    """The next id of ``model``'s identity column (PostgreSQL), taken before its row is inserted."""
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
        return cur.fetchone()[0]


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


@transaction.atomic
def create_inventory_list(book: Book, header: Mapping, lines: Sequence[Mapping], *, by=None) -> InventoryList:
    """Create a draft list with its lines.  Everything is validated first; nothing is written on error.

    ``header``: number, internal_number (default = number), ie_mark (I/E), supervision_mode,
    item_kind (material/product), declaration_date, customs_declaration_no, note.
    ``lines``: dicts with item_seq_no, qty (> 0) and optionally line_no, part_no, hs_code, name,
    legal_qty, legal_qty2, unit_price, amount, currency, country, consumption_version.
    """
    h = _check_header(book, header)
    inv = InventoryList(book=book, enterprise_id=book.enterprise_id, **h)
    cols = _columns(book, h["item_kind"], lines, h["declaration_date"])
    inv.line_count, inv.total_amount = cols.totals()
    # _check_header checked both unique numbers; book and enterprise are the book's own
    full_clean(inv, exclude=["rule", "reverses", "book", "enterprise"], checked_in_sql=True)
    if connection.vendor == "postgresql":
        # the list's id first, so that its lines are COPYed (chunk by chunk, the database writing
        # one while the next is formatted) before its row; the line → list foreign key is checked
        # at commit
        inv.pk = _next_id(InventoryList)
        with line_writer(inv.pk) as sink:
            _write_lines(cols, sink)
        inv.save(force_insert=True)
    else:
        inv.save(force_insert=True)
        _insert_lines(inv.pk, _rows(cols))
    audit.record(
        inv,
        code="ledger.inventory_list.created",
        by=by,
        action="create",
        changes={**audit.diff({}, audit.snapshot(inv)), "lines": cols.n},
    )
    return inv


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


@transaction.atomic
def create_inventory_lists(
    book: Book,
    entries: Sequence[tuple[Mapping, Sequence[Mapping]]],
    *,
    action: str = "draft",
    by=None,
    staged: bool = False,
    source: str | None = None,
    line_contexts: dict | None = None,
) -> BatchResult:
    """Create many lists of ``book`` — ``entries`` = [(header, lines), …] as for
    ``create_inventory_list`` — and, with ``action`` "submit" or "post", submit (and post) them.
    All or nothing.

    ``staged``: the lists and lines are written in the hidden state ``ListState.IMPORTING`` with no
    audit entry and no posting; ``publish_staged_lists`` later makes them what ``action`` says (or
    ``discard_staged_lists`` removes them).  A large import stages its lists in many short
    transactions and publishes them in one (core/imports/staging.py).

    ``source``: where the lists come from (``ListSource``; manual entry by default).
    ``line_contexts``: a dict the caller keeps across the calls of one import: the line contexts of
    earlier calls (per book and item kind) are extended, not loaded again (``line_context(base=)``)."""
    if action not in ACTIONS:
        raise DomainError(_("Unknown action %(a)s.") % {"a": action}, code="invalid", field="action")
    if not entries:
        return BatchResult([], message=_("No lists."))
    errors: list[RowError] = []
    offsets, cleaned = [], []
    offset = 0
    for header, lines in entries:
        offsets.append(offset)
        first = offset + 1
        offset += max(1, len(lines))
        try:
            cleaned.append(clean_header(header))
        except DomainError as exc:
            errors.append(RowError(first, exc.field or "number", "", exc.message))
            cleaned.append(None)
    # uniqueness of both numbers: inside the batch and against the database (two queries)
    numbers: dict[str, int] = {}
    internals: dict[str, int] = {}
    for k, h in enumerate(cleaned):
        if h is None:
            continue
        for key, seen in (("number", numbers), ("internal_number", internals)):
            if (
                key == "internal_number"
                and h[key] == h["number"]
                and h["number"] in numbers
                and numbers[h["number"]] != k
            ):
                continue  # the defaulted internal number repeats the number: reported once
            if h[key] in seen:
                errors.append(
                    RowError(
                        offsets[k] + 1,
                        key,
                        h[key],
                        _("repeated in this batch (first at row %(r)d)") % {"r": offsets[seen[h[key]]] + 1},
                    )
                )
            else:
                seen[h[key]] = k
    taken = set(InventoryList.objects.filter(number__any=list(numbers)).values_list("number", flat=True))
    taken_internal = set(
        InventoryList.objects.filter(
            enterprise_id=book.enterprise_id, internal_number__any=list(internals)
        ).values_list("internal_number", flat=True)
    )
    tables = Tables(book, {h.get("supervision_mode") for h in cleaned if h})
    contexts = {}
    for kind in {h["item_kind"] for h in cleaned if h}:
        contexts[kind] = line_context(
            book,
            kind,
            [lines for h, (_hd, lines) in zip(cleaned, entries, strict=True) if h and h["item_kind"] == kind],
            None if line_contexts is None else line_contexts.get((book.pk, kind)),
        )
        if line_contexts is not None:
            line_contexts[(book.pk, kind)] = contexts[kind]
    # the header checks, list by list; then the lines of the lists that passed them, validated
    # together per item kind (and declaration date for products: their version in force depends on
    # it) — one ``_columns`` pass over all their lines, list by list only when it finds a problem
    # (to name it on its list)
    found: dict[int, list[RowError]] = {}
    ok: dict[tuple, list[int]] = {}
    rules: dict[int, PostingRule] = {}  # the rule each list posts by today (stored unless a draft; posting finds it again)
    for k, h in enumerate(cleaned):
        if h is None:
            continue
        first = offsets[k] + 1
        mine = found.setdefault(k, [])
        if h["number"] in taken:
            mine.append(RowError(first, "number", h["number"], _("this list number already exists")))
        if h["internal_number"] in taken_internal and not (
            h["internal_number"] == h["number"] and h["number"] in taken
        ):
            mine.append(
                RowError(first, "internal_number", h["internal_number"], _("already used by this enterprise"))
            )
        try:
            rules[k] = tables.check(book, h)
        except DomainError as exc:
            mine.append(RowError(first, exc.field or "", "", exc.message))
            continue
        kind = h["item_kind"]
        keys = getattr(entries[k][1], "field_keys", None)  # (``KeyedLines``: validated with their like)
        ok.setdefault((kind, h["declaration_date"] if kind == ItemKind.PRODUCT else None, id(keys)), []).append(
            k
        )
    columns: dict[int, tuple[Columns, int]] = {}  # list → (its columns, its part of them)
    for (kind, _on, _keys), ks in ok.items():
        if len(ks) > 1 and all(entries[k][1] for k in ks):
            together_lines = [line for k in ks for line in entries[k][1]]
            keys = getattr(entries[ks[0]][1], "field_keys", None)
            try:
                together = _columns(
                    book,
                    kind,
                    together_lines if keys is None else KeyedLines(together_lines, keys),
                    cleaned[ks[0]]["declaration_date"],
                    contexts[kind],
                    lengths=[len(entries[k][1]) for k in ks],
                )
            except DomainError:
                pass  # named list by list below
            else:
                columns.update((k, (together, j)) for j, k in enumerate(ks))
                continue
        for k in ks:
            try:
                columns[k] = (
                    _columns(book, kind, entries[k][1], cleaned[k]["declaration_date"], contexts[kind]),
                    0,
                )
            except DomainError as exc:
                first = offsets[k] + 1
                if exc.details:
                    for d in exc.details:
                        row = offsets[k] + d.row if isinstance(d, RowError) and d.row else first
                        found[k].append(
                            RowError(
                                row,
                                getattr(d, "column", ""),
                                getattr(d, "value", ""),
                                getattr(d, "reason", str(d)),
                            )
                        )
                else:
                    found[k].append(RowError(first, exc.field or "", "", exc.message))
    for k in sorted(found):
        errors += found[k]
    built = [(cleaned[k], columns[k], rules[k]) for k in range(len(cleaned)) if k in columns]
    if errors:
        raise _error(errors)

    now = timezone.now()
    state = ListState.DRAFT if action == "draft" else ListState.SUBMITTED
    objs = []
    totals = {}  # id of shared columns → the totals of their lists
    for h, (cols, j), rule in built:
        inv = InventoryList(book=book, enterprise_id=book.enterprise_id, **h)
        if action != "draft":  # (a draft can still be edited: its rule is found when it is submitted)
            inv.rule = rule
        if source is not None:
            inv.source = source
        if id(cols) not in totals:
            totals[id(cols)] = cols.list_totals()
        inv.line_count, inv.total_amount = totals[id(cols)][j]
        full_clean(inv, exclude=["rule", "reverses", "book", "enterprise"], checked_in_sql=True)
        if staged:
            inv.state = ListState.IMPORTING
        elif state == ListState.SUBMITTED:
            inv.state, inv.submitted_at = state, now
        objs.append(inv)
    copy_create(InventoryList, objs)
    parts: dict[int, tuple[list, Columns]] = {}  # id of the columns → (their lists' ids, columns)
    for inv, (_h, (cols, _j), _r) in zip(objs, built, strict=True):
        parts.setdefault(id(cols), ([], cols))[0].append(inv.pk)
    _insert_columns(list(parts.values()))
    if staged:
        return BatchResult(objs, message=_("%(n)d list(s) created.") % {"n": len(objs)})
    _audit_created(objs, state, by)
    result = BatchResult(objs, message=_("%(n)d list(s) created.") % {"n": len(objs)})
    if action == "post":
        from .posting import post_inventory_lists

        # created in this call: their versions were resolved at creation (checked again, not redone)
        posted = post_inventory_lists(book, [inv.pk for inv in objs], by=by, _fresh=True)
        posted.lists = objs
        for inv in objs:
            inv.state, inv.posted_at = ListState.POSTED, posted.posted_at
        return posted
    return result


def _audit_created(objs: Sequence[InventoryList], state: str, by) -> None:
    """The "created" (and "submitted") audit entries of new lists, inserted together."""
    entries_out = []
    for inv in objs:
        snap = audit.snapshot(inv)
        if state == ListState.SUBMITTED:
            snap["state"], snap["submitted_at"] = ListState.DRAFT, None
        entries_out.append(
            audit.entry(
                inv,
                code="ledger.inventory_list.created",
                by=by,
                action=AuditEntry.Action.CREATE,
                changes={**audit.diff({}, snap), "lines": inv.line_count},
            )
        )
        if state == ListState.SUBMITTED:
            entries_out.append(
                audit.entry(
                    inv,
                    code="ledger.inventory_list.submitted",
                    by=by,
                    changes={"state": [ListState.DRAFT, ListState.SUBMITTED]},
                )
            )
    audit.save_entries(entries_out)


# Staged lists made visible per part of this many (``publish_staged_lists``): the memory of a publish
# is bounded by it, not by the import (a 1 GB zip of messages stages 430,000 lists).
PUBLISH_CHUNK = 5_000


@transaction.atomic
def publish_staged_lists(book: Book, list_ids: Sequence[int], *, action: str, by=None) -> BatchResult:
    """Make staged lists of ``book`` (see ``create_inventory_lists(staged=True)``) drafts, submitted
    or posted lists, with their audit entries — all or nothing (one transaction), ``PUBLISH_CHUNK``
    lists loaded at a time.  A list that is no longer staged (it was discarded meanwhile) makes the
    whole call fail.  The result names the number of lists, not the lists (a publish may hold
    hundreds of thousands); posting returns what ``post_inventory_lists`` returns."""
    if action not in ACTIONS:
        raise DomainError(_("Unknown action %(a)s.") % {"a": action}, code="invalid", field="action")
    ids = sorted({int(i) for i in list_ids})
    if not ids:
        return BatchResult([], message=_("No lists."))
    now = timezone.now()
    state = ListState.DRAFT if action == "draft" else ListState.SUBMITTED
    submitted_at = now if state == ListState.SUBMITTED else None
    for k in range(0, len(ids), PUBLISH_CHUNK):
        part = ids[k : k + PUBLISH_CHUNK]
        objs = list(
            InventoryList.objects.select_for_update(of=("self",))
            .filter(pk__any=part, book_id=book.pk, state=ListState.IMPORTING)
            .order_by("pk")
        )
        if len(objs) != len(part):
            rest = ids[k + PUBLISH_CHUNK :]  # (the earlier parts were staged: they are published now)
            staged = InventoryList.objects.filter(pk__any=rest, book_id=book.pk, state=ListState.IMPORTING)
            missing = len(part) - len(objs) + len(rest) - staged.count()
            raise DomainError(
                _("%(n)d of the imported lists were removed before the import finished; nothing was imported.")
                % {"n": missing},
                code="staged_lists_missing",
            )
        InventoryList.objects.filter(pk__any=part).update(state=state, submitted_at=submitted_at)
        for inv in objs:
            inv.book = book  # one book for every audit scope
            inv.state, inv.submitted_at = state, submitted_at
        _audit_created(objs, state, by)
    if action == "post":
        from .posting import post_inventory_lists

        return post_inventory_lists(book, ids, by=by)
    return BatchResult([], message=_("%(n)d list(s) created.") % {"n": len(ids)})


def discard_staged_lists(list_ids: Sequence[int], *, lines_per_transaction: int = 20_000) -> int:
    """Delete staged lists and their lines (the compensating rollback of a failed import), about
    ``lines_per_transaction`` lines per transaction so the write lock is never held long.  Only lists
    still in the hidden state ``IMPORTING`` are touched.  Returns the number of lists deleted."""
    from ...models import InventoryListLine

    ids = sorted({int(i) for i in list_ids})
    staged = []
    for k in range(0, len(ids), 500):
        staged += InventoryList.objects.filter(
            pk__in=ids[k : k + 500], state=ListState.IMPORTING
        ).values_list("pk", "line_count")
    deleted, part, lines = 0, [], 0

    def flush() -> int:
        with transaction.atomic():
            InventoryListLine.objects.filter(inventory_list_id__in=part)._raw_delete(
                InventoryListLine.objects.db
            )
            # (the ORM's delete for the lists: it also deletes what other apps attach to a staged
            # list, such as the customs message it was imported from)
            _n, per_model = InventoryList.objects.filter(pk__in=part, state=ListState.IMPORTING).delete()
            return per_model.get(InventoryList._meta.label, 0)

    for pk, count in sorted(staged):
        part.append(pk)
        lines += count
        if lines >= lines_per_transaction or len(part) >= 500:
            deleted += flush()
            part, lines = [], 0
    if part:
        deleted += flush()
    return deleted


def purge_stale_staged_lists(older_than) -> int:
    """Delete staged lists created before ``older_than`` (a datetime): left behind by an import
    whose process died before it could publish or discard them."""
    ids = list(
        InventoryList.objects.filter(state=ListState.IMPORTING, created_at__lt=older_than).values_list(
            "pk", flat=True
        )
    )
    return discard_staged_lists(ids) if ids else 0
