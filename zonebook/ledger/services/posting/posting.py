"""Posting (核扣) of inventory lists: ONE engine for one list and for a batch of lists of a book.

``post_inventory_list`` (one list, with customs' receipt), ``post_inventory_lists`` (a batch of one
book) and ``reverse_inventory_list`` (a reversing list) all run ``_post_many``: the rules are
checked per list, the consumption versions of every list are resolved together, the book's
balance rows are locked once (pk order), ONE running-sum negative-balance check runs over the
lists in (declaration date, id) order (``sql.batch_shortfalls``), ONE ``UPDATE … FROM pivot``
applies them all (``sql.apply_lists``), the lists are marked posted and the audit entries are
inserted together.  A one-list call keeps the one-list messages and audit entry.

With ``LEDGER_NEGATIVE_BALANCE = "refuse"`` a list that would take a material below zero is named
even when a later list of the same batch would refill it, and the whole call is refused; with
"warn" each list's audit entry carries its own warnings.
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
from zonebook.core.vector import update_rows

from ... import locks, queries, sql
from ...choices import BookStatus, ListState, NegativeBalancePolicy
from ...lines import LINE_COLUMNS
from ...models import Book, InventoryList, InventoryListLine, PostingRule
from .. import monthclose
from .._common import full_clean
from ..books import _set_status
from .checks import Tables, check_book_accepts, check_mode_allowed, find_rule, negative_policy
from .lists import BatchResult, _check_header, _error


@dataclass
class PostingResult:
    inventory_list: InventoryList
    changed: bool
    message: str
    balances_changed: int = 0
    warnings: list[dict] = field(default_factory=list)


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
    """Post one checked list (the lock is held): the batch engine with one list."""
    lst.rule = rule
    receipts = {lst.pk: (lst.receipt_number, lst.receipt_date)} if lst.receipt_number else {}
    changed, warnings, _now = _post_many(
        lst.book, [lst], by=by, receipts=receipts, single=True, resolve=resolve
    )
    msg = _("List %(n)s posted: %(c)d balance rows changed.") % {"n": lst.number, "c": changed}
    return PostingResult(lst, changed=True, message=msg, balances_changed=changed, warnings=warnings)


def _post_many(
    book: Book,
    todo: Sequence[InventoryList],
    *,
    by,
    receipts: Mapping[int, tuple] | None = None,
    single: bool = False,
    resolve: bool = True,
    fresh: bool = False,
) -> tuple[int, list[dict], dt.datetime]:
    """THE posting engine: post the checked, submitted lists ``todo`` of ``book`` (each with its
    ``rule`` set, in posting order: declaration date, id).  Returns (balance rows changed, warnings,
    posted_at).

    ``single``: one list — its errors, warnings and audit entry keep the one-list form (the errors
    name lines and items, the entry records the balance rows changed and the receipt as a message).
    ``fresh``: the lists were created in this call — their versions were resolved for their
    declaration dates moments ago from the same consumption rows, so they are only checked.
    ``resolve=False``: the lines' consumption versions are kept as stored (a reversal uses the
    versions its original used)."""
    receipts = receipts or {}
    by_rule: dict[int, list[int]] = {}
    for lst in todo:
        by_rule.setdefault(lst.rule.pk, []).append(lst.pk)
    for rule_id, pks in by_rule.items():  # (a batch-created list has its rule already: not rewritten)
        InventoryList.objects.filter(pk__any=pks).exclude(rule_id=rule_id).update(rule_id=rule_id)
    explode = [lst.pk for lst in todo if lst.rule.explode] if resolve else []
    if explode:
        problems = sql.check_versions_many(explode, resolve=not fresh)
        if problems:
            if single:
                raise _version_error(problems, todo[0].declaration_date)
            raise _batch_version_error(todo, problems)
    targeted = [lst for lst in todo if lst.rule.target]
    changed, warnings = 0, []
    if targeted:
        locks.lock_book_balances(book.pk)
        tids = [lst.pk for lst in targeted]
        refuse = negative_policy() != NegativeBalancePolicy.WARN
        changed, warnings = sql.check_and_apply(tids, sum(lst.line_count for lst in targeted), refuse=refuse)
        if warnings and refuse:
            raise _shortfall_error(warnings) if single else _batch_shortfall_error(todo, warnings)
        queries.refresh_book_summaries([book.pk])
    now = timezone.now()
    ids = [lst.pk for lst in todo]
    if receipts:  # state, time and the receipts in one pass over the rows (each pass rewrites them)
        for lst in todo:
            if lst.pk in receipts:
                lst.receipt_number, lst.receipt_date = receipts[lst.pk]
        ops = connection.ops  # (the values as the ORM writes them: SQLite stores text)
        with connection.cursor() as cur:
            update_rows(
                cur,
                InventoryList._meta.db_table,
                ids,
                {
                    "state": ("text", [ListState.POSTED] * len(ids)),
                    "posted_at": ("timestamptz", [ops.adapt_datetimefield_value(now)] * len(ids)),
                    "receipt_number": ("text", [lst.receipt_number for lst in todo]),
                    "receipt_date": ("date", [ops.adapt_datefield_value(lst.receipt_date) for lst in todo]),
                },
            )
    else:
        InventoryList.objects.filter(pk__any=ids).update(state=ListState.POSTED, posted_at=now)
    monthclose.reopen_for_lists(ids, by=by)  # back-dated: reopens closed months
    if book.status == BookStatus.FILED:
        _set_status(book, BookStatus.IN_USE, by=by, note=_("first posting"))
    own: dict[int, list[dict]] = {}
    for w in warnings:
        own.setdefault(w["list_id"], []).append(w)
    if single:
        for w in warnings:
            del w["list_id"]
        entries = [_single_entry(todo[0], changed, warnings, by)]
    else:
        entries = [
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
        ]
    audit.save_entries(entries)
    for lst in todo:
        lst.state, lst.posted_at = ListState.POSTED, now
    return changed, warnings, now


def _single_entry(lst: InventoryList, changed: int, warnings: list[dict], by) -> AuditEntry:
    changes = {
        "state": [ListState.SUBMITTED, ListState.POSTED],
        "rule": lst.rule.pk,
        "balances": changed,
        "warnings": [_plain(s) for s in warnings],
    }
    receipt = ""
    if lst.receipt_number:
        changes["receipt_number"] = lst.receipt_number
        changes["receipt_date"] = lst.receipt_date.isoformat()
        receipt = _("Customs approval receipt %(r)s of %(d)s recorded; list posted (核扣).") % {
            "r": lst.receipt_number,
            "d": lst.receipt_date.isoformat(),
        }
    return audit.entry(lst, code="ledger.inventory_list.posted", by=by, changes=changes, message=receipt)


def _batch_version_error(todo: Sequence[InventoryList], problems: list[dict]) -> DomainError:
    by_list: dict[int, list[dict]] = {}
    for p in problems:
        by_list.setdefault(p["list_id"], []).append(p)
    details = []
    for lst in todo:
        if lst.pk in by_list:
            exc = _version_error(by_list[lst.pk], lst.declaration_date)
            details += [
                RowError(None, "list", lst.number, _("line %(l)s: %(r)s") % {"l": d.row, "r": d.reason})
                for d in exc.details
            ]
    return _error(details)


def _batch_shortfall_error(todo: Sequence[InventoryList], warnings: list[dict]) -> DomainError:
    by_list: dict[int, list[dict]] = {}
    for w in warnings:
        by_list.setdefault(w["list_id"], []).append(w)
    details = []
    for lst in todo:
        if lst.pk in by_list:
            exc = _shortfall_error(by_list[lst.pk])
            details += [RowError(None, "list", lst.number, d.reason) for d in exc.details]
    return DomainError(
        _("Posting refused: list %(l)s: %(first)s (%(n)d problem(s)).")
        % {"l": details[0].value, "first": details[0].reason, "n": len(details)},
        code="negative_balance",
        details=details,
    )


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
    from ..carryover import check_list_not_linked
    from ..writeoff import check_list_unlocked

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
    from ...models import BALANCE_COLUMNS, Balance

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


@dataclass
class _Posted(BatchResult):
    posted_at: object = None


@transaction.atomic
def post_inventory_lists(
    book: Book,
    list_ids: Sequence[int],
    *,
    by=None,
    receipts: Mapping[int, tuple] | None = None,
    _fresh: bool = False,
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
        .filter(pk__any=ids)
        .order_by("declaration_date", "pk")
    )
    errors: list[RowError] = []
    found = {lst.pk for lst in lists}
    for pk in ids:
        if pk not in found:
            errors.append(RowError(None, "list", str(pk), _("no such list")))
    book = Book.objects.select_related("zone").get(pk=book.pk)
    todo = []
    tables = Tables(book, {lst.supervision_mode for lst in lists})
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
    for lst in todo:
        lst.rule = rules[lst.pk]
    changed, warnings, now = _post_many(book, todo, by=by, receipts=receipts, fresh=_fresh)
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
    for pk, book_id in InventoryList.objects.filter(pk__any=ids).values_list("pk", "book_id"):
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
