"""Set-based computation of the current deadlines (the rows of the alert register).

Each function runs one aggregate query over all books (the register is global; pages scope it with
``Alert.objects.for_user``) and returns plain row dicts.  Only the date arithmetic that the ORM
cannot express portably on SQLite and PostgreSQL (adding days or a month to a column) is done on the
aggregated rows, with the ``calc`` functions; the window filters are pushed into SQL by shifting the
comparison date instead.

Decisions (docs/alerts.md):

* **book expiry** — open books (filed, in use, under write-off) whose ``valid_until`` is within the
  amber window or past;
* **write-off deadline** — handbooks (B/C/D): grace days after the later of the last posted export
  list (not reversed) and ``valid_until``; done once any write-off of the book is submitted,
  accepted or closed.  Periodic books (E/H/T/L): grace days after ``cycle_end``; done once a
  write-off whose cycle ends on or after ``cycle_end`` is submitted, accepted or closed;
* **carry-over half unmatched** (domain doc §11 R10) — a linked carry-over half (shipment or
  receipt, ``CarryOverLink``) with an open quantity must be matched (对碰) within
  ``carryover_match_days`` (default 30, the zones' window of GG2016-86) of its declaration date:
  one alert per (book of the half, application), due = earliest open half + the days;
* **domestic-sale tax due** — posted, not reversed lists of the configured 内销 modes, grouped per
  book and declaration month M → due on the tax-due day of M+1.  Whether the tax was paid is not
  recorded in the ledger, so the alert stays until the lists are in a closed write-off or a user
  dismisses it ("tax paid", audited).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth

from zonebook.ledger.choices import BookStatus, ListState
from zonebook.ledger.models import Book, CarryOverLink, InventoryList, InventoryListLine, WriteOff
from zonebook.ledger.models.carryover import CarryOverState

from . import calc
from .choices import HANDBOOK_KINDS, AlertKind

OPEN_BOOK_STATUSES = (BookStatus.FILED, BookStatus.IN_USE, BookStatus.UNDER_WRITEOFF)
REPORTED_STATES = ("submitted", "accepted", "closed")


def _open_books():
    return Book.objects.filter(status__in=OPEN_BOOK_STATUSES)


def expiry_rows(today: dt.date, cfg) -> list[dict]:
    horizon = today + dt.timedelta(days=cfg.expiry_amber_days)
    rows = (
        _open_books()
        .filter(valid_until__isnull=False, valid_until__lte=horizon)
        .order_by()
        .values("id", "valid_until")
    )
    return [
        {
            "key": f"expiry:{r['id']}:{r['valid_until']:%Y%m%d}",
            "kind": AlertKind.EXPIRY,
            "book_id": r["id"],
            "due_date": r["valid_until"],
            "basis_date": r["valid_until"],
            "period": "",
            "list_count": 0,
            "amount": None,
        }
        for r in rows
    ]


def _last_export():
    return Subquery(
        InventoryList.objects.filter(
            book=OuterRef("pk"), state=ListState.POSTED, ie_mark="E", direction=1, reversed_by__isnull=True
        )
        .order_by()
        .values("book")
        .annotate(m=Max("declaration_date"))
        .values("m")[:1]
    )


def writeoff_rows(today: dt.date, cfg) -> list[dict]:
    grace = cfg.writeoff_grace_days
    # due = base + grace ≤ today + amber  ⇔  base ≤ today + amber − grace
    base_horizon = today + dt.timedelta(days=cfg.writeoff_amber_days - grace)
    reported_any = WriteOff.objects.filter(book=OuterRef("pk"), state__in=REPORTED_STATES)
    reported_cycle = reported_any.filter(end__gte=OuterRef("cycle_end"))
    handbooks = (
        _open_books()
        .filter(kind__in=HANDBOOK_KINDS)
        .annotate(last_export=_last_export())
        .exclude(Exists(reported_any))
        .filter(
            Q(valid_until__isnull=False, valid_until__lte=base_horizon, last_export__isnull=True)
            | Q(last_export__lte=base_horizon, valid_until__isnull=True)
            | Q(last_export__lte=base_horizon, valid_until__lte=base_horizon)
        )
        .order_by()
        .values("id", "valid_until", "last_export")
    )
    periodic = (
        _open_books()
        .exclude(kind__in=HANDBOOK_KINDS)
        .filter(cycle_end__isnull=False, cycle_end__lte=base_horizon)
        .exclude(Exists(reported_cycle))
        .order_by()
        .values("id", "cycle_end")
    )
    out = []
    for r in handbooks:
        due = calc.writeoff_due_date(
            True, last_export=r["last_export"], valid_until=r["valid_until"], cycle_end=None, grace_days=grace
        )
        out.append(_writeoff_row(r["id"], due, due - dt.timedelta(days=grace)))
    for r in periodic:
        due = calc.writeoff_due_date(
            False, last_export=None, valid_until=None, cycle_end=r["cycle_end"], grace_days=grace
        )
        out.append(_writeoff_row(r["id"], due, r["cycle_end"]))
    return out


def _writeoff_row(book_id: int, due: dt.date, basis: dt.date) -> dict:
    return {
        "key": f"writeoff:{book_id}:{due:%Y%m%d}",
        "kind": AlertKind.WRITEOFF,
        "book_id": book_id,
        "due_date": due,
        "basis_date": basis,
        "period": "",
        "list_count": 0,
        "amount": None,
    }


def tax_rows(today: dt.date, cfg) -> list[dict]:
    modes = cfg.modes()
    if not modes:
        return []
    # due(M) = day D of M+1 ≤ today + amber  ⇔  M ≤ the month before (today + amber − (D − 1) days)
    latest_due = today + dt.timedelta(days=cfg.tax_amber_days)
    last_month = calc.add_months(latest_due - dt.timedelta(days=cfg.tax_due_day - 1), -1)
    until = calc.add_months(last_month, 1) - dt.timedelta(days=1)
    rows = (
        InventoryListLine.objects.filter(
            inventory_list__state=ListState.POSTED,
            inventory_list__supervision_mode__in=modes,
            inventory_list__direction=1,
            inventory_list__reversed_by__isnull=True,
            inventory_list__declaration_date__lte=until,
            inventory_list__book__status__in=OPEN_BOOK_STATUSES,
        )
        .exclude(inventory_list__writeoff_link__writeoff__state="closed")
        .order_by()
        .values(book_id=F("inventory_list__book_id"), month=TruncMonth("inventory_list__declaration_date"))
        .annotate(lists=Count("inventory_list", distinct=True), amount=Sum("amount"))
    )
    out = []
    for r in rows:
        month = r["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        due = calc.tax_due_date(month, cfg.tax_due_day)
        out.append(
            {
                "key": f"tax:{r['book_id']}:{month:%Y-%m}",
                "kind": AlertKind.TAX_DUE,
                "book_id": r["book_id"],
                "due_date": due,
                "basis_date": month,
                "period": f"{month:%Y-%m}",
                "list_count": r["lists"],
                "amount": (r["amount"] or Decimal(0)).quantize(Decimal("0.01")),
            }
        )
    return out


def carryover_rows(today: dt.date, cfg) -> list[dict]:
    # due = earliest open half + N days ≤ today + amber  ⇔  earliest ≤ today + amber − N
    horizon = today + dt.timedelta(days=cfg.carryover_amber_days - cfg.carryover_match_days)
    rows = (
        CarryOverLink.objects.filter(
            carry_over__state__in=[CarryOverState.APPROVED, CarryOverState.CLOSED],
            open_qty__gt=0,
            inventory_list__book__status__in=OPEN_BOOK_STATUSES,
        )
        .order_by()
        .values(book_id=F("inventory_list__book_id"), co_id=F("carry_over_id"))
        .annotate(first=Min("declaration_date"), halves=Count("id"))
        .filter(first__lte=horizon)
    )
    return [
        {
            "key": f"carryover:{r['book_id']}:{r['co_id']}:{r['first']:%Y%m%d}",
            "kind": AlertKind.CARRYOVER,
            "book_id": r["book_id"],
            "carry_over_id": r["co_id"],
            "due_date": r["first"] + dt.timedelta(days=cfg.carryover_match_days),
            "basis_date": r["first"],
            "period": f"{r['first']:%Y-%m}",
            "list_count": r["halves"],
            "amount": None,
        }
        for r in rows
    ]


def current_rows(today: dt.date, cfg) -> list[dict]:
    """Every deadline that is amber or red today (or overdue), all kinds (four queries)."""
    return expiry_rows(today, cfg) + writeoff_rows(today, cfg) + tax_rows(today, cfg) + carryover_rows(today, cfg)
