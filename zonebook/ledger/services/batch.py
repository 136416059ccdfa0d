"""Batches of inventory lists of one book: create, submit and post many lists in one call.

Used by the inventory-list import (the lists of one book in a spreadsheet), the "post selected"
action of the list page and the API, and the benchmark generator.  The rules are those of
``create_inventory_list`` / ``submit_inventory_list`` / ``post_inventory_list``; what is shared is
the work: the items, HS codes, consumption spans, posting rules, mode table and locked write-offs
are loaded once per batch, the lines of every list go out in one ``COPY``, the versions of every
list are resolved together, the balances are locked once and changed by ONE ``UPDATE`` over all
lists, and the audit entries are inserted together (one per list and step, as the single path
writes them).

Posting order inside a batch is (declaration date, creation order).  The negative-balance check is
exact for that order: ``sql.batch_shortfalls`` runs the balances forward list by list in one
statement, so a list that would take a material below zero is named even when a later list of
the same batch would refill it (with ``LEDGER_NEGATIVE_BALANCE = "refuse"`` the whole batch is
refused; with "warn" each list's audit entry carries its own warnings).

Errors: everything is validated before anything is written; a ``DomainError`` lists every problem
as a ``RowError`` whose ``row`` counts the lines of all entries in order (1-based), so an import can
point at its spreadsheet rows; header problems point at the first line of their list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError, RowError

from .. import locks, queries, sql
from ..choices import BookStatus, ListState, NegativeBalancePolicy
from ..models import Book, InventoryList, ModeBookKind, PostingRule
from . import monthclose
from ._common import full_clean
from .books import _set_status
from .posting import (
    _build_lines,
    _insert_many,
    _plain,
    _shortfall_error,
    _totals,
    _version_error,
    check_book_accepts,
    check_mode_allowed,
    clean_header,
    find_rule,
    line_context,
    negative_policy,
)
from .writeoff import locked_writeoffs

ACTIONS = ("draft", "submit", "post")


@dataclass
class BatchResult:
    lists: list[InventoryList]
    posted: int = 0
    balances_changed: int = 0
    warnings: list[dict] = field(default_factory=list)
    message: str = ""


class _Tables:
    """The reference rows every list of a batch is checked against, loaded once."""

    def __init__(self, book: Book, modes):
        modes = set(modes)
        self.modes = list(ModeBookKind.objects.filter(supervision_mode__in=modes))
        self.rules = list(PostingRule.objects.filter(supervision_mode__in=modes))
        self.locked = locked_writeoffs(book.pk)

    def check(self, book: Book, h: Mapping) -> PostingRule:
        on = h["declaration_date"]
        check_book_accepts(book, on, self.locked)
        check_mode_allowed(book, str(h.get("supervision_mode") or ""), on, self.modes)
        return find_rule(h["supervision_mode"], h["ie_mark"], h["item_kind"], on, self.rules)


def _error(errors: list[RowError]) -> DomainError:
    return DomainError(
        _("%(n)d problem(s) in the lists; first: %(first)s") % {"n": len(errors), "first": errors[0]},
        code="invalid_lists",
        field="lines",
        details=errors,
    )


@transaction.atomic
def create_inventory_lists(
    book: Book,
    entries: Sequence[tuple[Mapping, Sequence[Mapping]]],
    *,
    action: str = "draft",
    by=None,
    staged: bool = False,
) -> BatchResult:
    """Create many lists of ``book`` — ``entries`` = [(header, lines), …] as for
    ``create_inventory_list`` — and, with ``action`` "submit" or "post", submit (and post) them.
    All or nothing.

    ``staged``: the lists and lines are written in the hidden state ``ListState.IMPORTING`` with no
    audit entry and no posting; ``publish_staged_lists`` later makes them what ``action`` says (or
    ``discard_staged_lists`` removes them).  A large import stages its lists in many short
    transactions and publishes them in one (core/imports/staging.py)."""
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
    taken = set(InventoryList.objects.filter(number__in=list(numbers)).values_list("number", flat=True))
    taken_internal = set(
        InventoryList.objects.filter(
            enterprise_id=book.enterprise_id, internal_number__in=list(internals)
        ).values_list("internal_number", flat=True)
    )
    tables = _Tables(book, {h.get("supervision_mode") for h in cleaned if h})
    contexts = {}
    for kind in {h["item_kind"] for h in cleaned if h}:
        contexts[kind] = line_context(
            book,
            kind,
            [lines for h, (_hd, lines) in zip(cleaned, entries, strict=True) if h and h["item_kind"] == kind],
        )
    built: list[tuple[dict, list[tuple]]] = []
    for k, (h, (_header, lines)) in enumerate(zip(cleaned, entries, strict=True)):
        if h is None:
            continue
        first = offsets[k] + 1
        if h["number"] in taken:
            errors.append(RowError(first, "number", h["number"], _("this list number already exists")))
        if h["internal_number"] in taken_internal and not (
            h["internal_number"] == h["number"] and h["number"] in taken
        ):
            errors.append(
                RowError(first, "internal_number", h["internal_number"], _("already used by this enterprise"))
            )
        try:
            tables.check(book, h)
            rows = _build_lines(book, h["item_kind"], lines, h["declaration_date"], contexts[h["item_kind"]])
        except DomainError as exc:
            if exc.details:
                for d in exc.details:
                    row = offsets[k] + d.row if isinstance(d, RowError) and d.row else first
                    errors.append(
                        RowError(
                            row,
                            getattr(d, "column", ""),
                            getattr(d, "value", ""),
                            getattr(d, "reason", str(d)),
                        )
                    )
            else:
                errors.append(RowError(first, exc.field or "", "", exc.message))
            continue
        built.append((h, rows))
    if errors:
        raise _error(errors)

    now = timezone.now()
    state = ListState.DRAFT if action == "draft" else ListState.SUBMITTED
    objs = []
    for h, rows in built:
        inv = InventoryList(book=book, enterprise_id=book.enterprise_id, **h)
        inv.line_count, inv.total_amount = _totals(rows)
        full_clean(inv, exclude=["rule", "reverses", "book", "enterprise"], checked_in_sql=True)
        if staged:
            inv.state = ListState.IMPORTING
        elif state == ListState.SUBMITTED:
            inv.state, inv.submitted_at = state, now
        objs.append(inv)
    InventoryList.objects.bulk_create(objs, batch_size=1000)
    _insert_many([(inv.pk, rows) for inv, (_h, rows) in zip(objs, built, strict=True)])
    if staged:
        return BatchResult(objs, message=_("%(n)d list(s) created.") % {"n": len(objs)})
    _audit_created(objs, state, by)
    result = BatchResult(objs, message=_("%(n)d list(s) created.") % {"n": len(objs)})
    if action == "post":
        posted = post_inventory_lists(book, [inv.pk for inv in objs], by=by)
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
    AuditEntry.objects.bulk_create(entries_out, batch_size=2000)


@transaction.atomic
def publish_staged_lists(book: Book, list_ids: Sequence[int], *, action: str, by=None) -> BatchResult:
    """Make staged lists of ``book`` (see ``create_inventory_lists(staged=True)``) drafts, submitted
    or posted lists, with their audit entries — all or nothing.  A list that is no longer staged
    (it was discarded meanwhile) makes the whole call fail."""
    if action not in ACTIONS:
        raise DomainError(_("Unknown action %(a)s.") % {"a": action}, code="invalid", field="action")
    ids = sorted({int(i) for i in list_ids})
    if not ids:
        return BatchResult([], message=_("No lists."))
    objs = list(
        InventoryList.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, book_id=book.pk, state=ListState.IMPORTING)
        .order_by("pk")
    )
    if len(objs) != len(ids):
        raise DomainError(
            _("%(n)d of the imported lists were removed before the import finished; nothing was imported.")
            % {"n": len(ids) - len(objs)},
            code="staged_lists_missing",
        )
    now = timezone.now()
    state = ListState.DRAFT if action == "draft" else ListState.SUBMITTED
    submitted_at = now if state == ListState.SUBMITTED else None
    InventoryList.objects.filter(pk__in=ids).update(state=state, submitted_at=submitted_at)
    for inv in objs:
        inv.book = book  # one book for every audit scope
        inv.state, inv.submitted_at = state, submitted_at
    _audit_created(objs, state, by)
    if action == "post":
        posted = post_inventory_lists(book, ids, by=by)
        posted.lists = objs
        for inv in objs:
            inv.state, inv.posted_at = ListState.POSTED, posted.posted_at
        return posted
    return BatchResult(objs, message=_("%(n)d list(s) created.") % {"n": len(objs)})


def discard_staged_lists(list_ids: Sequence[int], *, lines_per_transaction: int = 20_000) -> int:
    """Delete staged lists and their lines (the compensating rollback of a failed import), about
    ``lines_per_transaction`` lines per transaction so the write lock is never held long.  Only lists
    still in the hidden state ``IMPORTING`` are touched.  Returns the number of lists deleted."""
    from ..models import InventoryListLine

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
            return InventoryList.objects.filter(pk__in=part, state=ListState.IMPORTING)._raw_delete(
                InventoryList.objects.db
            )

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


@dataclass
class _Posted(BatchResult):
    posted_at: object = None


@transaction.atomic
def post_inventory_lists(
    book: Book, list_ids: Sequence[int], *, by=None, receipts: Mapping[int, tuple] | None = None
) -> BatchResult:
    """Approve and post submitted lists of ``book`` together (lists already posted are left as they
    are, like ``post_inventory_list``).  Raises one DomainError naming every list that cannot be
    posted; nothing is posted then.

    ``receipts``: list id → (customs receipt number, receipt date) of the receipts that post them
    (the customs message import): stored on the lists and named in their audit entries."""
    ids = sorted({int(i) for i in list_ids})
    if not ids:
        return _Posted([], message=_("No lists."))
    lists = list(
        InventoryList.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("declaration_date", "pk")
    )
    errors: list[RowError] = []
    found = {lst.pk for lst in lists}
    for pk in ids:
        if pk not in found:
            errors.append(RowError(None, "list", str(pk), _("no such list")))
    book = Book.objects.select_related("zone").get(pk=book.pk)
    todo = []
    tables = _Tables(book, {lst.supervision_mode for lst in lists})
    rules: dict[int, PostingRule] = {}
    for lst in lists:
        if lst.book_id != book.pk:
            errors.append(RowError(None, "list", lst.number, _("belongs to another book")))
            continue
        lst.book = book  # one book for every audit scope
        if lst.state == ListState.POSTED:
            continue
        if lst.state != ListState.SUBMITTED:
            errors.append(
                RowError(
                    None,
                    "list",
                    lst.number,
                    _("is %(s)s; only submitted lists can be posted") % {"s": ListState(lst.state).label},
                )
            )
            continue
        try:
            rules[lst.pk] = tables.check(
                book,
                {
                    "declaration_date": lst.declaration_date,
                    "supervision_mode": lst.supervision_mode,
                    "ie_mark": lst.ie_mark,
                    "item_kind": lst.item_kind,
                },
            )
        except DomainError as exc:
            errors.append(RowError(None, "list", lst.number, exc.message))
            continue
        todo.append(lst)
    if errors:
        raise _error(errors)
    if not todo:
        return _Posted(
            lists, message=_("All %(n)d list(s) were already posted; nothing changed.") % {"n": len(lists)}
        )
    numbers = {lst.pk: lst.number for lst in todo}
    by_rule: dict[int, list[int]] = {}
    for lst in todo:
        lst.rule = rules[lst.pk]
        by_rule.setdefault(lst.rule.pk, []).append(lst.pk)
    for rule_id, pks in by_rule.items():
        InventoryList.objects.filter(pk__in=pks).update(rule_id=rule_id)
    explode = [lst.pk for lst in todo if lst.rule.explode]
    if explode:
        sql.resolve_versions_many(explode)
        problems = sql.version_problems_many(explode)
        if problems:
            by_list: dict[int, list[dict]] = {}
            for p in problems:
                by_list.setdefault(p["list_id"], []).append(p)
            details = []
            for lst in todo:
                if lst.pk in by_list:
                    exc = _version_error(by_list[lst.pk], lst.declaration_date)
                    details += [
                        RowError(
                            None, "list", lst.number, _("line %(l)s: %(r)s") % {"l": d.row, "r": d.reason}
                        )
                        for d in exc.details
                    ]
            raise _error(details)
    targeted = [lst for lst in todo if lst.rule.target]
    changed, warnings = 0, []
    if targeted:
        locks.lock_book_balances(book.pk)
        tids = [lst.pk for lst in targeted]
        warnings = sql.batch_shortfalls(tids)
        if warnings and negative_policy() != NegativeBalancePolicy.WARN:
            by_list = {}
            for w in warnings:
                by_list.setdefault(w["list_id"], []).append(w)
            details = []
            for lst in todo:
                if lst.pk in by_list:
                    exc = _shortfall_error(by_list[lst.pk])
                    details += [RowError(None, "list", lst.number, d.reason) for d in exc.details]
            raise DomainError(
                _("Posting refused: list %(l)s: %(first)s (%(n)d problem(s)).")
                % {"l": details[0].value, "first": details[0].reason, "n": len(details)},
                code="negative_balance",
                details=details,
            )
        changed = sql.apply_lists(tids, sum(lst.line_count for lst in targeted))
        queries.refresh_book_summaries([book.pk])
    now = timezone.now()
    InventoryList.objects.filter(pk__in=[lst.pk for lst in todo]).update(
        state=ListState.POSTED, posted_at=now
    )
    monthclose.reopen_for_lists([lst.pk for lst in todo], by=by)  # back-dated: reopens closed months
    receipts = receipts or {}
    with_receipt = [lst for lst in todo if lst.pk in receipts]
    for lst in with_receipt:
        lst.receipt_number, lst.receipt_date = receipts[lst.pk]
    if with_receipt:
        InventoryList.objects.bulk_update(with_receipt, ["receipt_number", "receipt_date"], batch_size=2000)
    if book.status == BookStatus.FILED:
        _set_status(book, BookStatus.IN_USE, by=by, note=_("first posting"))
    own: dict[int, list[dict]] = {}
    for w in warnings:
        own.setdefault(w["list_id"], []).append(w)
    AuditEntry.objects.bulk_create(
        [
            audit.entry(
                lst,
                code="ledger.inventory_list.posted",
                by=by,
                changes={
                    "state": [ListState.SUBMITTED, ListState.POSTED],
                    "rule": lst.rule.pk,
                    "batch": {"lists": len(todo), "balances": changed},
                    **(
                        {"receipt": [lst.receipt_number, str(lst.receipt_date or "")]}
                        if lst.pk in receipts
                        else {}
                    ),
                    "warnings": [
                        _plain({k: v for k, v in w.items() if k != "list_id"}) for w in own.get(lst.pk, [])
                    ],
                },
            )
            for lst in todo
        ],
        batch_size=2000,
    )
    for lst in todo:
        lst.state, lst.posted_at = ListState.POSTED, now
    for w in warnings:
        w["list"] = numbers.get(w["list_id"], "")
    return _Posted(
        lists,
        posted=len(todo),
        balances_changed=changed,
        warnings=warnings,
        message=_("%(n)d list(s) posted: %(c)d balance rows changed.") % {"n": len(todo), "c": changed},
        posted_at=now,
    )


@transaction.atomic
def post_lists(list_ids: Sequence[int], *, by=None) -> BatchResult:
    """Post lists of any number of books: one ``post_inventory_lists`` per book (books in id order,
    each in a savepoint).  All or nothing: the problems of every book are reported together.
    The caller hands in only ids the user may see (the page and the API take them from the user's
    scoped queryset)."""
    ids = sorted({int(i) for i in list_ids})
    books: dict[int, list[int]] = {}
    for pk, book_id in InventoryList.objects.filter(pk__in=ids).values_list("pk", "book_id"):
        books.setdefault(book_id, []).append(pk)
    found = {pk for pks in books.values() for pk in pks}
    errors = [RowError(None, "list", str(pk), _("no such list")) for pk in ids if pk not in found]
    total = BatchResult([], message="")
    for book in Book.objects.filter(pk__in=list(books)).order_by("pk"):
        try:
            with transaction.atomic():
                r = post_inventory_lists(book, books[book.pk], by=by)
        except DomainError as exc:
            errors += exc.details or [RowError(None, "list", book.number, exc.message)]
            continue
        total.lists += r.lists
        total.posted += r.posted
        total.balances_changed += r.balances_changed
        total.warnings += r.warnings
    if errors:
        raise DomainError(
            _("Nothing was posted: %(n)d problem(s); first: %(first)s")
            % {"n": len(errors), "first": f"{errors[0].value}: {errors[0].reason}"},
            code="batch_refused",
            details=errors,
        )
    total.message = _("%(n)d list(s) posted: %(c)d balance rows changed.") % {
        "n": total.posted,
        "c": total.balances_changed,
    }
    return total
