"""Write-off (报核/核销) cycles: the closed-cycle lock, creating a cycle and freezing its lists, computing
its figures, moving it through its states and the report of a cycle.

States: draft → pre_check (预报核) → submitted → accepted → closed; pre_check → draft withdraws
(open cases are superseded).  The computation is ``sql_writeoff.store`` (one INSERT … SELECT);
it runs while the write-off is a draft, and once more when it moves to pre-check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from ... import calc_settlement
from ...choices import ListState
from ...models import Book, DifferenceCase, InventoryList, StocktakeRow, WriteOff, WriteOffList
from ...models.writeoff import WRITEOFF_TRANSITIONS, CaseStatus, WriteOffState
from ...sql import writeoff as sql_writeoff
from .cases import _flagged, _open_cases, _recompute_cases, open_case_numbers


def default_threshold() -> Decimal:
    return Decimal(
        str(settings.ZONEBOOK.get("LEDGER_WRITEOFF_DIFF_THRESHOLD", calc_settlement.DEFAULT_THRESHOLD))
    )


def _lock(wo: WriteOff) -> WriteOff:
    return WriteOff.objects.select_for_update(of=("self",)).select_related("book", "book__zone").get(pk=wo.pk)


def _require_state(wo: WriteOff, *states: str, action: str) -> None:
    if wo.state not in states:
        raise DomainError(
            _("Write-off %(wo)s is %(state)s: it cannot be %(action)s.")
            % {"wo": wo, "state": WriteOffState(wo.state).label, "action": action},
            code="bad_state",
        )


# ------------------------------------------------------------------ the closed-cycle lock


def closed_cycle_on(book_id: int, on: dt.date) -> WriteOff | None:
    """The closed (or accepted/submitted) write-off of the book whose cycle contains ``on``."""
    return (
        WriteOff.objects.filter(book_id=book_id, start__lte=on, end__gte=on)
        .exclude(state__in=[WriteOffState.DRAFT, WriteOffState.PRE_CHECK])
        .first()
    )


def locked_writeoffs(book_id: int) -> list[WriteOff]:
    """The book's submitted/accepted/closed write-offs (their cycles are locked), for a batch."""
    return list(
        WriteOff.objects.filter(book_id=book_id).exclude(
            state__in=[WriteOffState.DRAFT, WriteOffState.PRE_CHECK]
        )
    )


def check_cycle_open(book: Book, on: dt.date, locked: Sequence[WriteOff] | None = None) -> None:
    """Lists dated inside a submitted/accepted/closed write-off cycle are refused (the cycle is locked).
    ``locked``: ``locked_writeoffs(book)`` preloaded by a batch; else one query."""
    if locked is None:
        wo = closed_cycle_on(book.pk, on)
    else:
        wo = next((w for w in locked if w.start <= on <= w.end), None)
    if wo is not None:
        raise DomainError(
            _("The date %(on)s lies in write-off %(wo)s, which is %(state)s: its lists are locked.")
            % {"on": on, "wo": wo, "state": WriteOffState(wo.state).label},
            code="writeoff_locked",
            field="declaration_date",
        )


def check_list_unlocked(lst: InventoryList) -> None:
    """A list frozen in a submitted/accepted/closed write-off cannot be reversed."""
    link = WriteOffList.objects.filter(inventory_list=lst).select_related("writeoff").first()
    if link is not None and link.writeoff.state not in (WriteOffState.DRAFT, WriteOffState.PRE_CHECK):
        raise DomainError(
            _("List %(n)s belongs to write-off %(wo)s, which is %(state)s: it is locked.")
            % {"n": lst.number, "wo": link.writeoff, "state": WriteOffState(link.writeoff.state).label},
            code="writeoff_locked",
        )


# ------------------------------------------------------------------ create


def _previous(book: Book, start: dt.date) -> WriteOff | None:
    return WriteOff.objects.filter(book=book, end__lt=start).order_by("-end").first()


@transaction.atomic
def create_writeoff(
    book: Book,
    start: dt.date,
    end: dt.date,
    *,
    list_numbers: Iterable[str] | None = None,
    threshold_percent=None,
    note: str = "",
    by=None,
) -> WriteOff:
    """Open a write-off (draft) for a cycle of the book, freeze its lists and compute it.

    Refused: end before start; a cycle overlapping another write-off of the book (names it); a
    previous write-off not closed yet; a gap between the previous cycle's end and ``start`` (the
    next cycle's opening is the previous closing); ``list_numbers`` naming lists that are not
    posted lists of the book or are declared outside the cycle (one error per list).
    Without ``list_numbers`` every posted list of the book declared in the cycle is included.
    """
    book = Book.objects.select_for_update().get(pk=book.pk)
    if end < start:
        raise DomainError(
            _("The cycle ends (%(end)s) before it starts (%(start)s).") % {"start": start, "end": end},
            code="cycle_order",
            field="end",
        )
    overlap = WriteOff.objects.filter(book=book, start__lte=end, end__gte=start).order_by("start").first()
    if overlap is not None:
        raise DomainError(
            _("The cycle %(start)s…%(end)s overlaps write-off %(wo)s (%(state)s).")
            % {"start": start, "end": end, "wo": overlap, "state": WriteOffState(overlap.state).label},
            code="cycle_overlap",
            field="start",
        )
    previous = _previous(book, start)
    if previous is not None:
        if previous.state != WriteOffState.CLOSED:
            raise DomainError(
                _(
                    "The previous write-off %(wo)s is %(state)s; close it first: its closing is this cycle's opening."
                )
                % {"wo": previous, "state": WriteOffState(previous.state).label},
                code="previous_open",
                field="start",
            )
        if start != previous.end + dt.timedelta(days=1):
            raise DomainError(
                _("The cycle must start on %(day)s, the day after write-off %(wo)s ended.")
                % {"day": previous.end + dt.timedelta(days=1), "wo": previous},
                code="cycle_gap",
                field="start",
            )
    elif WriteOff.objects.filter(book=book, start__gt=end).exists():
        raise DomainError(
            _("A later write-off of this book already exists."), code="cycle_overlap", field="start"
        )
    threshold = default_threshold() if threshold_percent in (None, "") else Decimal(str(threshold_percent))
    if threshold < 0:
        raise DomainError(
            _("The difference threshold cannot be negative."), code="threshold", field="threshold_percent"
        )
    list_ids = None
    if list_numbers is not None:
        list_ids = _check_lists(book, start, end, list_numbers)
    report_no = (WriteOff.objects.filter(book=book).aggregate(n=Max("report_no"))["n"] or 0) + 1
    wo = WriteOff.objects.create(
        book=book,
        report_no=report_no,
        start=start,
        end=end,
        previous=previous,
        threshold_percent=threshold,
        note=note,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit.record(
        wo,
        code="ledger.writeoff.created",
        by=by,
        action="create",
        changes={
            "start": start,
            "end": end,
            "report_no": report_no,
            "threshold_percent": threshold,
            "previous": previous.pk if previous else None,
        },
    )
    _freeze(wo, list_ids)
    _compute(wo)
    return wo


def _check_lists(book: Book, start, end, numbers) -> list[int]:
    numbers = [str(n).strip().upper() for n in numbers if str(n).strip()]
    found = {
        lst.number: lst
        for lst in InventoryList.objects.filter(number__in=numbers).only(
            "id", "number", "book_id", "state", "declaration_date"
        )
    }
    errors = []
    for n, number in enumerate(numbers, start=1):
        lst = found.get(number)
        if lst is None or lst.book_id != book.pk:
            reason = _("list %(n)s is not a list of book %(book)s") % {"n": number, "book": book.number}
        elif lst.state != ListState.POSTED:
            reason = _("list %(n)s is not posted") % {"n": number}
        elif not (start <= lst.declaration_date <= end):
            reason = _("list %(n)s is declared on %(d)s, outside the cycle %(start)s…%(end)s") % {
                "n": number,
                "d": lst.declaration_date,
                "start": start,
                "end": end,
            }
        else:
            continue
        errors.append(RowError(row=n, column="list", value=number, reason=reason))
    if errors:
        raise DomainError(
            _("%(count)d list(s) cannot be included: %(first)s.")
            % {"count": len(errors), "first": errors[0].reason},
            code="lists_outside_cycle",
            field="lists",
            details=errors,
        )
    return [found[n].pk for n in numbers]


def _freeze(wo: WriteOff, list_ids: list[int] | None = None) -> None:
    """(Re)build the write-off's list set: the given lists, else every posted list declared in the
    cycle that no other write-off holds (one DELETE, one INSERT … SELECT)."""
    t_wol, t_list = WriteOffList._meta.db_table, InventoryList._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {t_wol} WHERE writeoff_id = %s", [wo.pk])
        if list_ids is not None:
            WriteOffList.objects.bulk_create(
                [WriteOffList(writeoff=wo, inventory_list_id=i) for i in list_ids]
            )
            return
        cur.execute(
            f"""INSERT INTO {t_wol} (writeoff_id, inventory_list_id)
                SELECT %s, lst.id FROM {t_list} lst
                 WHERE lst.book_id = %s AND lst.state = 'posted'
                   AND lst.declaration_date >= %s AND lst.declaration_date <= %s
                   AND NOT EXISTS (SELECT 1 FROM {t_wol} w WHERE w.inventory_list_id = lst.id)""",
            [wo.pk, wo.book_id, wo.start, wo.end],
        )


def _missing_lists(wo: WriteOff):
    """Posted lists of the book declared in the cycle that no write-off holds: lists posted after
    the figures were computed (or left out of an explicit choice)."""
    return InventoryList.objects.filter(
        book_id=wo.book_id,
        state=ListState.POSTED,
        declaration_date__gte=wo.start,
        declaration_date__lte=wo.end,
        writeoff_link__isnull=True,
    )


def lists_posted_since(wo: WriteOff) -> int:
    """How many posted lists of the cycle the figures leave out (0 once submitted: the cycle is
    locked then, no list can be posted into it)."""
    if wo.state not in (WriteOffState.DRAFT, WriteOffState.PRE_CHECK):
        return 0
    return _missing_lists(wo).count()


def _include_missing_lists(wo: WriteOff) -> int:
    """Add the cycle's posted lists no write-off holds (one INSERT … SELECT); returns how many."""
    t_wol, t_list = WriteOffList._meta.db_table, InventoryList._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {t_wol} (writeoff_id, inventory_list_id)
                SELECT %s, lst.id FROM {t_list} lst
                 WHERE lst.book_id = %s AND lst.state = 'posted'
                   AND lst.declaration_date >= %s AND lst.declaration_date <= %s
                   AND NOT EXISTS (SELECT 1 FROM {t_wol} w WHERE w.inventory_list_id = lst.id)""",
            [wo.pk, wo.book_id, wo.start, wo.end],
        )
        return max(cur.rowcount, 0)


def _compute(wo: WriteOff) -> None:
    """Write the lines (one INSERT … SELECT) and the header totals."""
    lists = sql_writeoff.frozen_lists(wo.pk)
    has_stock = StocktakeRow.objects.filter(writeoff=wo).exists()
    sql_writeoff.store(
        wo.pk,
        wo.book_id,
        lists,
        method=wo.book.writeoff_method,
        previous_id=wo.previous_id,
        stocktake_id=wo.pk if has_stock else None,
    )
    t = sql_writeoff.totals(wo.pk, lists)
    wo.import_amount, wo.export_amount = sql_writeoff.amounts(lists)
    for k, v in t.items():
        setattr(wo, k, v)
    wo.has_stocktake = has_stock
    wo.over_threshold = len(_flagged(wo)) if has_stock else 0
    wo.computed_at = timezone.now()
    wo.save()


@transaction.atomic
def compute_writeoff(wo: WriteOff, *, refresh_lists: bool = True, by=None) -> WriteOff:
    """Recompute a draft: with ``refresh_lists`` re-collect every posted list of the cycle (lists
    posted since are included; an explicit list choice is replaced), then the lines and totals."""
    wo = _lock(wo)
    _require_state(wo, WriteOffState.DRAFT, action=_("recomputed"))
    before = wo.list_count
    if refresh_lists:
        _freeze(wo, None)
    _compute(wo)
    audit.record(
        wo,
        code="ledger.writeoff.computed",
        by=by,
        changes={"list_count": [before, wo.list_count], "over_threshold": wo.over_threshold},
    )
    return wo


# ------------------------------------------------------------------ states


@transaction.atomic
def change_writeoff_state(wo: WriteOff, target: str, *, by=None, note: str = "") -> WriteOff:
    """Move a write-off to ``target``.

    * → pre_check: needs a stocktake; recomputes and opens a case per material over the threshold;
    * pre_check → draft: withdraws; open cases become superseded;
    * → closed: refused while cases are open (the error lists their sequence numbers); stamps the
      closing, which becomes the next cycle's opening.  Submitted/accepted/closed cycles lock their lists.
    """
    wo = _lock(wo)
    if target not in WRITEOFF_TRANSITIONS.get(wo.state, set()):
        allowed = ", ".join(str(WriteOffState(s).label) for s in WRITEOFF_TRANSITIONS.get(wo.state, ()))
        raise DomainError(
            _("Write-off %(wo)s cannot move from %(from)s to %(to)s (allowed: %(allowed)s).")
            % {
                "wo": wo,
                "from": WriteOffState(wo.state).label,
                "to": WriteOffState(target).label if target in WriteOffState.values else target,
                "allowed": allowed or "-",
            },
            code="bad_transition",
            field="state",
        )
    previous_state = wo.state
    extra = {}
    if target == WriteOffState.PRE_CHECK:
        if not StocktakeRow.objects.filter(writeoff=wo).exists():
            raise DomainError(
                _("Import the stocktake first: the actual remaining (实际剩余) is mandatory."),
                code="no_stocktake",
                field="state",
            )
        # the figures are computed from the ledger as it stands now: lists posted since the
        # last computation are taken in first
        extra["lists_added"] = _include_missing_lists(wo)
        _compute(wo)
        extra["cases_opened"] = _open_cases(wo, by=by)
    elif target == WriteOffState.SUBMITTED:
        # 正式报核 submits figures computed from the ledger as it stands at this moment: lists
        # posted since the pre-check are taken in and everything is recomputed in this transaction;
        # the cases of the pre-check follow the new figures (see _recompute_cases).
        added = _include_missing_lists(wo)
        if added:
            computed_before = wo.computed_at
            _compute(wo)
            extra.update(_recompute_cases(wo, by=by))
            extra["lists_added"] = added
            extra["figures_computed_before"] = computed_before.isoformat() if computed_before else None
    elif target == WriteOffState.DRAFT:
        extra["cases_superseded"] = DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.OPEN).update(
            status=CaseStatus.SUPERSEDED
        )
    elif target == WriteOffState.CLOSED:
        open_seq = open_case_numbers(wo)
        if open_seq:
            raise DomainError(
                _(
                    "Write-off %(wo)s has %(n)d open difference case(s) (materials %(list)s); resolve them before closing."
                )
                % {"wo": wo, "n": len(open_seq), "list": ", ".join(str(s) for s in open_seq[:30])},
                code="open_cases",
                field="state",
                details=[RowError(None, "seq_no", str(s), _("open difference case")) for s in open_seq],
            )
        wo.closed_at = timezone.now()
    wo.state = target
    wo.save()
    wo.lists_added = extra.get("lists_added", 0)  # for the caller's message
    audit.record(
        wo,
        code=f"ledger.writeoff.{target}",
        by=by,
        action="update",
        changes={"state": [previous_state, target], **extra},
        message=note,
    )
    return wo


def report_for_cycle(book: Book, start: dt.date, end: dt.date) -> tuple[WriteOff | None, list[dict]]:
    """The report of a cycle: the write-off with exactly that cycle (its frozen lists and stocktake),
    else computed on the fly from the posted lists declared in the cycle (nothing is stored)."""
    wo = WriteOff.objects.filter(book=book, start=start, end=end).first()
    if wo is not None:
        has_stock = StocktakeRow.objects.filter(writeoff=wo).exists()
        rows = sql_writeoff.report_rows(
            book.pk,
            sql_writeoff.frozen_lists(wo.pk),
            method=book.writeoff_method,
            previous_id=wo.previous_id,
            stocktake_id=wo.pk if has_stock else None,
        )
        return wo, rows
    if end < start:
        raise DomainError(
            _("The cycle ends (%(end)s) before it starts (%(start)s).") % {"start": start, "end": end},
            code="cycle_order",
        )
    prev = (
        WriteOff.objects.filter(book=book, end__lt=start, state=WriteOffState.CLOSED).order_by("-end").first()
    )
    rows = sql_writeoff.report_rows(
        book.pk,
        sql_writeoff.posted_in_window(book.pk, start, end),
        method=book.writeoff_method,
        previous_id=prev.pk if prev else None,
    )
    return None, rows
