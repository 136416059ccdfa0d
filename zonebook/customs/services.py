"""Customs receipts: record them (idempotent), match them to lists, apply what they say to the ledger.

What a receipt does (docs/customs.md):

* ``invtStucd`` 0 审核通过 with ``vrfdedMarkcd`` 2 已核扣 or 3 已核销 → the list is **posted** through
  the ledger's batch posting (``ledger.services.post_inventory_lists``), the receipt's number and
  date stored on the list and named in its audit entry;
* 0 审核通过 with 0 未核扣 / 1 预核扣 → approved, not yet deducted: a draft is declared, nothing posted;
* 1 申报 → a draft list is declared (submitted);
* 2 退单 / 3 删单 → an unposted list is cancelled; a posted one is reversed by the ledger's reversing
  list (``reverse_inventory_list``).

A receipt whose list is not known yet waits (``WAITING``) and is applied when the list arrives
(``match_waiting``, called by the INV101 import).  A receipt whose effect the ledger refuses (a
balance would go negative, the book is closed…) is ``HELD`` with the ledger's reason; nothing is
posted for it.  Replaying a receipt (same message id) changes nothing.  Every applied or held
receipt writes an audit entry naming the receipt number and time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError, RowError
from zonebook.core.vector import copy_create, update_rows
from zonebook.ledger import services as ledger
from zonebook.ledger.choices import ListState
from zonebook.ledger.models import Book, InventoryList

from .models import Receipt, ReceiptEffect, ReceiptState

STATUS_LABELS = {
    "0": gettext_lazy("Approved (审核通过)"),
    "1": gettext_lazy("Declared (申报)"),
    "2": gettext_lazy("Returned (退单)"),
    "3": gettext_lazy("Deleted (删单)"),
}
DEDUCTION_LABELS = {
    "0": gettext_lazy("Not deducted (未核扣)"),
    "1": gettext_lazy("Pre-deducted (预核扣)"),
    "2": gettext_lazy("Deducted (已核扣)"),
    "3": gettext_lazy("Written off (已核销)"),
}
POSTING_DEDUCTIONS = ("2", "3")


@dataclass
class ReceiptResult:
    received: int = 0  # new receipts recorded
    replayed: int = 0  # receipts seen before: nothing changed
    applied: int = 0
    waiting: int = 0
    held: int = 0
    posted_lists: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # the receipts recorded

    def add(self, other: ReceiptResult) -> None:
        self.applied += other.applied
        self.waiting += other.waiting
        self.held += other.held
        self.posted_lists += other.posted_lists


def action_of(receipt: Receipt) -> str:
    if receipt.status == "0":
        return "post" if receipt.deduction in POSTING_DEDUCTIONS else "approve"
    if receipt.status == "1":
        return "declare"
    if receipt.status in ("2", "3"):
        return "withdraw"
    return "unknown"


@transaction.atomic
def record_receipts(
    items: Sequence[dict], *, by=None, source: str = "upload", apply: bool = True
) -> ReceiptResult:
    """Store new receipts (dicts with the ``Receipt`` fields, ``book`` a Book) and apply them
    (``apply=False``: stored waiting; the caller applies them later, e.g. the receipts of a whole
    file in their time order: ``apply_in_time_order``).  Receipt numbers already stored are
    skipped: replaying a receipt changes nothing."""
    ids = [it["message_id"] for it in items]
    known = set(Receipt.objects.filter(message_id__any=ids).values_list("message_id", flat=True))
    new, seen = [], set()
    for it in items:
        if it["message_id"] in known or it["message_id"] in seen:
            continue
        seen.add(it["message_id"])
        new.append(
            Receipt(
                message_id=it["message_id"],
                message_type=it.get("message_type") or "INV201",
                book=it["book"],
                list_number=it.get("list_number") or "",
                internal_number=it.get("internal_number") or "",
                status=it["status"],
                deduction=it.get("deduction") or "",
                manage_result=it.get("manage_result") or "",
                note=it.get("note") or "",
                receipt_time=it["receipt_time"],
                filename=it.get("filename") or "",
                source=source,
            )
        )
    copy_create(Receipt, new)
    if connection_needs_ids(new):
        stored = {r.message_id: r for r in Receipt.objects.filter(message_id__any=[r.message_id for r in new])}
        new = [stored[r.message_id] for r in new]
    result = apply_receipts(new, by=by) if apply else ReceiptResult(waiting=len(new))
    result.received = len(new)
    result.ids = [r.pk for r in new]
    result.replayed = len(items) - len(new)
    return result


def connection_needs_ids(objs) -> bool:
    return any(o.pk is None for o in objs)


APPLY_CHUNK = 5000


@transaction.atomic
def apply_in_time_order(ids: Sequence[int], *, by=None) -> ReceiptResult:
    """Apply recorded receipts (ids) in their customs time order, whatever order they were
    received in (a file's receipts: 审核通过 before 核扣, 退单 before 删单…), ``APPLY_CHUNK`` at a
    time so the memory stays bounded."""
    result = ReceiptResult()
    ordered = list(
        Receipt.objects.filter(pk__any=list(ids)).order_by("receipt_time", "pk").values_list("pk", flat=True)
    )
    for k in range(0, len(ordered), APPLY_CHUNK):
        part = ordered[k : k + APPLY_CHUNK]
        receipts = list(Receipt.objects.filter(pk__any=part))  # (``apply_receipts`` reads their books once)
        result.add(apply_receipts(receipts, by=by))
    return result


@transaction.atomic
def match_waiting(book_ids: Iterable[int], *, by=None) -> ReceiptResult:
    """Apply the waiting receipts of these books whose list now exists."""
    receipts = list(Receipt.objects.filter(state=ReceiptState.WAITING, book_id__in=list(book_ids)))
    if not receipts:
        return ReceiptResult()
    return apply_receipts(receipts, by=by)


@transaction.atomic
def retry(receipts: Sequence[Receipt], *, by=None) -> ReceiptResult:
    """Try held and waiting receipts again (the queue page's button)."""
    todo = [r for r in receipts if r.state != ReceiptState.APPLIED]
    return apply_receipts(todo, by=by)


def _match(receipts: Sequence[Receipt]) -> dict[int, InventoryList]:
    books = {r.book_id for r in receipts}
    numbers = {r.list_number for r in receipts if r.list_number}
    internals = {r.internal_number for r in receipts if r.internal_number}
    found = (
        InventoryList.objects.filter(book_id__any=books, direction=1)
        .filter(Q(number__any=numbers) | Q(internal_number__any=internals))
        .exclude(state=ListState.IMPORTING)
        # what matching and applying read of a list (each ledger call loads its list itself)
        .only("id", "book_id", "number", "internal_number", "state", "direction")
    )
    by_number, by_internal = {}, {}
    for lst in found:
        by_number[(lst.book_id, lst.number)] = lst
        by_internal[(lst.book_id, lst.internal_number)] = lst
    out = {}
    for r in receipts:
        lst = by_number.get((r.book_id, r.list_number)) or by_internal.get((r.book_id, r.internal_number))
        if lst is not None:
            out[r.pk] = lst
    return out


def apply_receipts(receipts: Sequence[Receipt], *, by=None) -> ReceiptResult:
    """Match and apply receipts in their customs time order (receipt time, then arrival).  Posting
    receipts are collected and applied together per book through the ledger's batch posting; any
    other receipt of a list whose posting is collected first posts what was collected, so every
    list sees its receipts in time order (退单 at 9:00 then 核扣 at 10:00: cancelled, the 核扣 is
    held; 核扣 then 退单: posted, then reversed).  A list the ledger refuses holds its receipt with
    the reason and the other lists are posted."""
    result = ReceiptResult()
    if not receipts:
        return result
    receipts = sorted(receipts, key=lambda r: (r.receipt_time, r.pk))
    # the receipts' books with their zones, once: each receipt's audit entry reads its scope from them
    # (one query instead of two per receipt)
    books = Book.objects.select_related("zone").in_bulk({r.book_id for r in receipts})
    for r in receipts:
        r.book = books[r.book_id]
    lists = _match(receipts)
    now = timezone.now()
    entries: list[AuditEntry] = []
    posts: dict[int, dict[int, Receipt]] = {}  # book → list id → the receipt that posts it

    def done(r: Receipt, effect: str, state: str = ReceiptState.APPLIED, reason: str = "") -> None:
        r.state, r.effect, r.reason = state, effect, str(reason)[:1000]
        r.applied_at = now if state == ReceiptState.APPLIED else None
        code = "customs.receipt.applied" if state == ReceiptState.APPLIED else "customs.receipt.held"
        entries.append(
            audit.entry(
                r,
                code=code,
                by=by,
                changes={
                    "receipt": r.message_id,
                    "receipt_time": r.receipt_time.isoformat(),
                    "status": r.status,
                    "deduction": r.deduction,
                    "list": lists[r.pk].number if r.pk in lists else r.list_number,
                    "effect": effect,
                    "reason": r.reason,
                },
            )
        )

    def flush() -> None:
        for book_id, todo in posts.items():
            _post_book(book_id, todo, lists, done, result, by)
        posts.clear()

    for r in receipts:
        lst = lists.get(r.pk)
        if lst is None:
            r.state, r.effect, r.reason = ReceiptState.WAITING, "", ""
            continue
        r.inventory_list = lst
        action = action_of(r)
        pending = posts.get(lst.book_id, {})
        if action == "post":
            if lst.state == ListState.POSTED or lst.pk in pending:
                done(r, ReceiptEffect.UNCHANGED)
            elif lst.state == ListState.CANCELLED:
                done(
                    r,
                    "",
                    ReceiptState.HELD,
                    _("List %(n)s is cancelled; it cannot be posted.") % {"n": lst.number},
                )
            else:
                posts.setdefault(lst.book_id, {})[lst.pk] = r
            continue
        if lst.pk in pending:
            flush()  # this list's posting receipt came first: post before going on
        if action in ("approve", "declare"):
            if lst.state == ListState.DRAFT:
                ledger.submit_inventory_list(lst, by=by)
                lst.state = ListState.SUBMITTED
                done(r, ReceiptEffect.SUBMITTED if action == "declare" else ReceiptEffect.APPROVED)
            else:
                done(r, ReceiptEffect.APPROVED if action == "approve" else ReceiptEffect.UNCHANGED)
        elif action == "withdraw":
            _withdraw(r, lst, done, by)
        else:
            done(r, "", ReceiptState.HELD, _("Unknown list status code %(c)s.") % {"c": r.status})
    flush()

    _save_states(receipts)
    audit.save_entries(entries)
    for r in receipts:
        if r.state == ReceiptState.APPLIED:
            result.applied += 1
        elif r.state == ReceiptState.HELD:
            result.held += 1
        else:
            result.waiting += 1
    return result


def _withdraw(r: Receipt, lst: InventoryList, done, by) -> None:
    """退单/删单: an unposted list is cancelled, a posted one reversed; ``lst`` (shared by the
    receipts of the list) is kept in step for the receipts after this one."""
    fresh = InventoryList.objects.get(pk=lst.pk)
    try:
        with transaction.atomic():
            if fresh.state in (ListState.DRAFT, ListState.SUBMITTED):
                ledger.cancel_inventory_list(
                    fresh, by=by, note=_("customs receipt %(r)s") % {"r": r.message_id}
                )
                lst.state = ListState.CANCELLED
                done(r, ReceiptEffect.CANCELLED)
            elif (
                fresh.state == ListState.POSTED and not InventoryList.objects.filter(reverses=fresh).exists()
            ):
                ledger.reverse_inventory_list(
                    fresh,
                    number=_reversal_number(fresh),
                    declaration_date=max(timezone.localtime(r.receipt_time).date(), fresh.declaration_date),
                    by=by,
                )
                done(r, ReceiptEffect.REVERSED)
            else:
                done(r, ReceiptEffect.UNCHANGED)
    except DomainError as exc:
        done(r, "", ReceiptState.HELD, exc.message)


def _save_states(receipts: Sequence[Receipt]) -> None:
    """Store what applying changed — state, effect, reason, time and matched list — in one set-based
    UPDATE (``update_rows``; each pass over the rows rewrites them: one pass, not one per distinct
    state and one more for the lists; ``bulk_update`` wrote a CASE per row and field: 20 s for
    10,000 receipts)."""
    ops = connection.ops  # (the values as the ORM writes them: SQLite stores text)
    with connection.cursor() as cur:
        update_rows(
            cur,
            Receipt._meta.db_table,
            [r.pk for r in receipts],
            {
                "state": ("text", [r.state for r in receipts]),
                "effect": ("text", [r.effect for r in receipts]),
                "reason": ("text", [r.reason for r in receipts]),
                "applied_at": ("timestamptz", [ops.adapt_datetimefield_value(r.applied_at) for r in receipts]),
                "inventory_list_id": ("bigint", [r.inventory_list_id for r in receipts]),
            },
        )


def _post_book(book_id: int, todo: dict[int, Receipt], lists, done, result: ReceiptResult, by) -> None:
    """Post the lists of one book together; the lists the ledger refuses hold their receipts and
    the others are posted without them (a few rounds at most: each round removes a named list)."""
    book = Book.objects.get(pk=book_id)
    drafts = [lid for lid, r in todo.items() if lists[r.pk].state == ListState.DRAFT]
    for lid in drafts:
        ledger.submit_inventory_list(InventoryList.objects.get(pk=lid), by=by)
        lists[todo[lid].pk].state = ListState.SUBMITTED
    pending = dict(todo)
    numbers = {lid: lists[r.pk].number for lid, r in pending.items()}
    while pending:
        receipts = {
            lid: (r.message_id[:64], timezone.localtime(r.receipt_time).date()) for lid, r in pending.items()
        }
        try:
            with transaction.atomic():
                ledger.post_inventory_lists(book, list(pending), by=by, receipts=receipts)
        except DomainError as exc:
            named: dict[str, list[str]] = {}
            for d in exc.details:
                if isinstance(d, RowError):
                    named.setdefault(str(d.value), []).append(str(d.reason))
            bad = [lid for lid in pending if numbers[lid] in named] or list(pending)
            for lid in bad:
                reason = "; ".join(named.get(numbers[lid], [])) or exc.message
                done(pending.pop(lid), "", ReceiptState.HELD, reason)
            continue
        for lid, r in pending.items():
            lists[r.pk].state = ListState.POSTED
            done(r, ReceiptEffect.POSTED)
            result.posted_lists.append(lid)
        break


def _reversal_number(lst: InventoryList) -> str:
    """A free list number for the reversing list: the original's customs code, year and I/E letter
    with a serial counted down from 999999999 (customs gives a 删单 of a posted list no number)."""
    prefix = lst.number[:9]
    taken = set(
        InventoryList.objects.filter(number__startswith=prefix + "9").values_list("number", flat=True)
    )
    serial = 999_999_999
    while f"{prefix}{serial:09d}" in taken:
        serial -= 1
    return f"{prefix}{serial:09d}"


def age_text(received_at: dt.datetime, now: dt.datetime | None = None) -> str:
    seconds = int(((now or timezone.now()) - received_at).total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": (rest % 3600) // 60}
