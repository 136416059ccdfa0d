"""Month close (月结) of the bonded ledger: verified snapshots of every balance at month end, the
everyday check that starts from them, and the reopening of a month by a back-dated posting.

* ``close_month(year, month)``: snapshot(M) = snapshot(M−1) + the posted lines declared in M
  (set-based: one statement into a temporary table), compared with a full computation of every
  posted line declared up to the month end (``sql.full_sql(book_ids, as_of)``).  Equal: the snapshot
  rows (items with any non-zero balance) and one ``MonthClose`` row per book are stored, audited.
  Different: a DomainError names the items and columns and nothing is stored.  Idempotent (books
  already closed for M are left as they are); M needs M−1 closed for every book with lines before M.
  Two closes at once: a PostgreSQL advisory lock serialises them (the second waits, then finds the
  month closed); SQLite serialises every write transaction anyway.
* ``check_open(book_ids)``: stored balances vs each book's last closed snapshot + only the lines of
  its open months (one statement) — the everyday check; ``check_balances`` stays the full one.
* ``reopen_for_lists(list_ids)``: called where lists become posted (batch, single, reversal); a list
  declared in a closed month reopens that month and every later one of its book, audited with the
  list.  One indexed query per posting; no lock of its own (a close holds the list table in SHARE
  mode while it runs, so list writes wait for it).
* ``close_through`` / the jobs in ``ledger.jobs``: the monthly schedule, the page's button and the
  demo close every month up to a given one, in order.

docs/ledger.md, "Month close".
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError, RowError

from ..choices import ItemKind, ListState
from ..models import (
    BALANCE_FIELDS,
    BalanceSnapshot,
    Book,
    BookItem,
    InventoryList,
    MonthClose,
    MonthCloseStatus,
)
from ..sql import snapshots as snap_sql

# PostgreSQL advisory lock key of the month close (two closes at once: the second waits).
LOCK_KEY = 0x2E1D_0C10
MAX_NAMED = 50


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not (1 <= int(month) <= 12) or not (2000 <= int(year) <= 2999):
        raise DomainError(_("%(y)s-%(m)s is not a month.") % {"y": year, "m": month}, code="invalid", field="month")
    first = dt.date(int(year), int(month), 1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s month."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _next_month(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _lock() -> None:
    """PostgreSQL: the close's advisory lock (a second close waits), then the list table in SHARE
    mode — it waits for the transactions writing lists (postings) to commit, so the close reads
    their lines, and makes new list writes wait until the close commits, so their
    ``reopen_for_lists`` sees the months closed.  SQLite serialises every write transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cur.execute(f"LOCK TABLE {InventoryList._meta.db_table} IN SHARE MODE")


@dataclass
class CloseResult:
    month: dt.date
    closed: int = 0  # books closed by this call
    already: int = 0  # books that were closed for the month before
    items: int = 0  # snapshot rows stored
    verified: int = 0  # items compared with the full computation
    message: str = ""
    months: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "closed": self.closed,
            "already": self.already,
            "items": self.items,
            "verified": self.verified,
            "months": self.months,
        }


def _books(book_ids) -> list[int]:
    qs = Book.objects.order_by("pk")
    if book_ids is not None:
        qs = qs.filter(pk__in=list(book_ids))
    return list(qs.values_list("pk", flat=True))


def _item_names(diffs: list[dict]) -> dict[int, str]:
    ids = [d["item_id"] for d in diffs[:MAX_NAMED]]
    rows = BookItem.objects.filter(pk__in=ids).values_list("pk", "book__number", "kind", "seq_no", "part_no")
    return {pk: f"{number} {ItemKind(kind).label} #{seq} ({part})" for pk, number, kind, seq, part in rows}


def describe_differences(diffs: list[dict], found_label: str) -> list[RowError]:
    """One RowError per differing (item, column): "book item: column expected x, found y"."""
    names = _item_names(diffs)
    labels = {name: str(label) for name, label, _h in BALANCE_FIELDS}
    out = []
    for d in diffs[:MAX_NAMED]:
        item = names.get(d["item_id"], str(d["item_id"]))
        if d["missing"]:
            out.append(RowError(None, "item", item, _("no row (%(what)s)") % {"what": found_label}))
            continue
        for col, v in d["columns"].items():
            out.append(
                RowError(
                    None,
                    col,
                    item,
                    _("%(item)s: %(col)s is %(found)s in the %(what)s but %(full)s by the full computation")
                    % {"item": item, "col": labels.get(col, col), "found": v["stored"], "what": found_label,
                       "full": v["recomputed"]},
                )
            )
    return out


@transaction.atomic
def close_month(year: int, month: int, by=None, book_ids=None) -> CloseResult:
    """Close month (year, month) of the books (all books when None); see the module docstring."""
    first, last = month_bounds(year, month)
    if last >= timezone.localdate():
        raise DomainError(
            _("%(m)s has not ended yet; a month can be closed from its next day on.") % {"m": f"{first:%Y-%m}"},
            code="month_not_ended",
            field="month",
        )
    _lock()
    books = _books(book_ids)
    result = CloseResult(first)
    existing = dict(MonthClose.objects.filter(book_id__in=books, month=first).values_list("book_id", "status"))
    todo = [b for b in books if existing.get(b) != MonthCloseStatus.CLOSED]
    result.already = len(books) - len(todo)
    if not todo:
        result.message = _("%(m)s was already closed for every book; nothing changed.") % {"m": f"{first:%Y-%m}"}
        return result
    prev = previous_month(first)
    prev_closed = set(
        MonthClose.objects.filter(book_id__in=todo, month=prev, status=MonthCloseStatus.CLOSED).values_list(
            "book_id", flat=True
        )
    )
    need = [b for b in todo if b not in prev_closed]
    blocked = list(
        Book.objects.filter(pk__in=need)
        .filter(
            Exists(
                InventoryList.objects.filter(
                    book_id=OuterRef("pk"), state=ListState.POSTED, declaration_date__lt=first
                )
            )
        )
        .order_by("number")
        .values_list("number", flat=True)
    )
    if blocked:
        raise DomainError(
            _("%(m)s cannot be closed before %(p)s is closed: %(n)d book(s) have lines before it (%(books)s).")
            % {"m": f"{first:%Y-%m}", "p": f"{prev:%Y-%m}", "n": len(blocked), "books": ", ".join(blocked[:10])},
            code="previous_month_open",
            details=[RowError(None, "book", number, _("%(p)s is not closed") % {"p": f"{prev:%Y-%m}"}) for number in blocked[:MAX_NAMED]],
        )
    # every book of the database: the statements need no IN lists of book ids
    sql_books = None if book_ids is None and len(todo) == len(books) else todo
    result.verified = snap_sql.build_month(sql_books, first, last, prev)
    diffs = snap_sql.verify_month(sql_books, last)
    if diffs:
        snap_sql.drop_temp()
        details = describe_differences(diffs, _("snapshot"))
        raise DomainError(
            _("Month close %(m)s failed: the snapshot differs from a full computation for %(n)d item(s); nothing was stored. First: %(first)s")
            % {"m": f"{first:%Y-%m}", "n": len(diffs), "first": details[0].reason if details else ""},
            code="snapshot_mismatch",
            details=details,
        )
    now = timezone.now()
    actor = by if getattr(by, "is_authenticated", False) else None
    reopened = list(MonthClose.objects.filter(book_id__in=todo, month=first).values_list("pk", flat=True))
    if reopened:
        BalanceSnapshot.objects.filter(close_id__in=reopened).delete()
        MonthClose.objects.filter(pk__in=reopened).update(
            status=MonthCloseStatus.CLOSED, closed_at=now, closed_by=actor
        )
    MonthClose.objects.bulk_create(
        [
            MonthClose(book_id=b, month=first, last_day=last, closed_at=now, closed_by=actor)
            for b in todo
            if b not in existing
        ],
        batch_size=2000,
    )
    result.items = snap_sql.store_month(first)
    closes = MonthClose.objects.filter(book_id__in=todo, month=first)
    closes.update(
        items=Subquery(
            BalanceSnapshot.objects.filter(close_id=OuterRef("pk")).order_by().values("close_id")
            .annotate(n=Count("*")).values("n")[:1]
        ),
        verified_items=Subquery(
            BookItem.objects.filter(book_id=OuterRef("book_id")).order_by().values("book_id")
            .annotate(n=Count("*")).values("n")[:1]
        ),
    )
    closes.filter(items__isnull=True).update(items=0)
    closes.filter(verified_items__isnull=True).update(verified_items=0)
    AuditEntry.objects.bulk_create(
        [
            audit.entry(
                mc,
                code="ledger.month.closed",
                by=by,
                changes={"month": f"{first:%Y-%m}", "status": MonthCloseStatus.CLOSED, "items": mc.items,
                         "verified": mc.verified_items, "reclosed": mc.pk in reopened},
            )
            for mc in closes.select_related("book", "book__zone")
        ],
        batch_size=2000,
    )
    result.closed = len(todo)
    result.message = _("%(m)s closed for %(n)d book(s): %(v)d item(s) verified against a full computation, %(s)d snapshot row(s) stored.") % {
        "m": f"{first:%Y-%m}", "n": len(todo), "v": result.verified, "s": result.items
    }
    return result


def months_to_close(until: dt.date, book_ids=None) -> list[dt.date]:
    """The first days of the months from the earliest one any book still needs closed up to the
    month of ``until`` (inclusive, in order): after each book's last closed month, or from its
    first posted list when it has none."""
    target = until.replace(day=1)
    books = _books(book_ids)
    last_closed = dict(
        MonthClose.objects.filter(book_id__in=books, status=MonthCloseStatus.CLOSED)
        .values("book_id").annotate(m=Max("month")).values_list("book_id", "m")
    )
    starts = [_next_month(m) for m in last_closed.values()]
    unclosed = [b for b in books if b not in last_closed]
    if unclosed:
        first_list = InventoryList.objects.filter(book_id__in=unclosed, state=ListState.POSTED).aggregate(
            d=Min("declaration_date")
        )["d"]
        starts.append(first_list.replace(day=1) if first_list else target)
    start = min(starts, default=target)
    out = []
    m = start
    while m <= target:
        out.append(m)
        m = _next_month(m)
    return out


def close_through(until: dt.date, by=None, book_ids=None, on_month=None) -> CloseResult:
    """Close every month up to ``until``'s month that is not closed yet, oldest first, each in its
    own transaction (``close_month``); ``on_month(n, total)`` after each (a job's progress)."""
    months = months_to_close(until, book_ids)
    result = CloseResult(until.replace(day=1))
    for n, m in enumerate(months, start=1):
        r = close_month(m.year, m.month, by=by, book_ids=book_ids)
        result.closed += r.closed
        result.items += r.items
        result.verified += r.verified
        result.months.append(r.as_dict())
        if on_month:
            on_month(n, len(months))
    result.message = _("%(n)d month(s) closed up to %(m)s.") % {"n": len(months), "m": f"{until:%Y-%m}"}
    return result


def check_open(book_ids=None, limit: int = 1000) -> list[dict]:
    """The everyday check: stored balances vs each book's last closed snapshot plus the posted lines
    of its open months (one statement; two small reads find the books' last closed months).  Same
    result as ``check_balances`` (a list of {item_id, book_id, missing, columns}); empty = exact."""
    if book_ids is not None:
        book_ids = [int(b) for b in book_ids]
    closes = MonthClose.objects.filter(status=MonthCloseStatus.CLOSED)
    books = Book.objects.all()
    if book_ids is not None:
        closes, books = closes.filter(book_id__in=book_ids), books.filter(pk__in=book_ids)
    # the earliest "last day of a book's latest closed month" bounds the lines read (a plain date
    # parameter); a book whose later months were reopened reads from its own last closed month (the
    # statement's NOT EXISTS)
    latest = closes.order_by().values("book_id").annotate(d=Max("last_day")).order_by("d").values_list("d", flat=True)
    cut_bound = next(iter(latest[:1]), None)
    unclosed: list[int] = []
    if cut_bound is not None:
        # books with posted lists and no closed month: all their lines count (an index probe per book)
        unclosed = list(
            books.exclude(Exists(MonthClose.objects.filter(book_id=OuterRef("pk"), status=MonthCloseStatus.CLOSED)))
            .filter(Exists(InventoryList.objects.filter(book_id=OuterRef("pk"), state=ListState.POSTED)))
            .values_list("pk", flat=True)
        )
        if len(unclosed) > 500:
            cut_bound, unclosed = None, []
    return snap_sql.check_open(book_ids, cut_bound, unclosed, limit=limit)


def reopen_for_lists(list_ids, by=None) -> int:
    """Reopen the closed months of the books of ``list_ids`` (just posted or reversed) from the
    month of each book's earliest declaration date on: status ``reopened``, the list that caused it
    stored and audited.  Returns the number of closes reopened.

    One indexed query (FOR UPDATE) when nothing is affected — the everyday case.  No lock of its own:
    a close holds the list table in SHARE mode (``_lock``), so a posting either committed before the
    close read the lines, or its list UPDATE waited for the close to commit and this query sees it."""
    ids = [int(i) for i in list_ids]
    if not ids:
        return 0
    affecting = InventoryList.objects.filter(
        pk__any=ids, book_id=OuterRef("book_id"), declaration_date__lte=OuterRef("last_day")
    )
    closes = list(
        MonthClose.objects.select_for_update(of=("self",))
        .filter(Exists(affecting), status=MonthCloseStatus.CLOSED)
        .select_related("book", "book__zone")
        .order_by("pk")
    )
    if not closes:
        return 0
    cause = {}
    for pk, book_id, number, day in (
        InventoryList.objects.filter(pk__any=ids, book_id__in=list({mc.book_id for mc in closes}))
        .order_by("declaration_date", "pk").values_list("pk", "book_id", "number", "declaration_date")
    ):
        cause.setdefault(book_id, (pk, number, day))
    now = timezone.now()
    for mc in closes:
        mc.status, mc.reopened_at, mc.reopened_by_list_id = MonthCloseStatus.REOPENED, now, cause[mc.book_id][0]
    MonthClose.objects.bulk_update(closes, ["status", "reopened_at", "reopened_by_list"], batch_size=2000)
    AuditEntry.objects.bulk_create(
        [
            audit.entry(
                mc,
                code="ledger.month.reopened",
                by=by,
                changes={"month": f"{mc.month:%Y-%m}", "status": [MonthCloseStatus.CLOSED, MonthCloseStatus.REOPENED],
                         "list": cause[mc.book_id][1], "declaration_date": cause[mc.book_id][2].isoformat()},
                message=_("Month %(m)s reopened by list %(l)s declared on %(d)s.")
                % {"m": f"{mc.month:%Y-%m}", "l": cause[mc.book_id][1], "d": cause[mc.book_id][2].isoformat()},
            )
            for mc in closes
        ],
        batch_size=2000,
    )
    return len(closes)
