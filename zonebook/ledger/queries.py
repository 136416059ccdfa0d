"""Read-only, set-based queries of the ledger pages: list querysets, the oversight figures, drill-downs.

Nothing here writes.  Every function starts from ``Model.objects.for_user(user)`` so the scope rule
applies; every figure is one aggregate statement (no Python loop over rows), so the pages have a
fixed number of queries whatever the data size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from zonebook.notify import lights

from .choices import BookStatus, ItemKind, ListState
from .models import Balance, Book, BookItem, BookSummary, Consumption, InventoryList, InventoryListLine

MONEY = DecimalField(max_digits=24, decimal_places=2)
QTY = DecimalField(max_digits=24, decimal_places=5)
# Balance columns that bring material into the book (the base of "near zero").
INFLOW_COLUMNS = ("opening", "imports", "carry_in", "leftover_in", "returns_in", "adjust_plus")
TOP_ROWS = 10


# ------------------------------------------------------------------ settings


def _setting(name: str, default):
    return getattr(settings, "ZONEBOOK", {}).get(name, default)


def amber_days() -> int:
    return int(_setting("LEDGER_EXPIRY_AMBER_DAYS", 60))


def red_days() -> int:
    return int(_setting("LEDGER_EXPIRY_RED_DAYS", 30))


def near_zero_percent() -> Decimal:
    return Decimal(str(_setting("LEDGER_NEAR_ZERO_PERCENT", 5)))


def book_light(days: int | None) -> str:
    """A book date's light with the ledger's thresholds (``notify.lights.traffic_light``)."""
    return lights.traffic_light(days, amber=amber_days(), red=red_days())


# ------------------------------------------------------------------ balance levels


def _inflow():
    expr = F(INFLOW_COLUMNS[0])
    for c in INFLOW_COLUMNS[1:]:
        expr = expr + F(c)
    return expr


def negative_q() -> Q:
    """Material balances below zero (expected remaining or scrap)."""
    return Q(item__kind=ItemKind.MATERIAL) & (Q(expected_remaining__lt=0) | Q(scrap_balance__lt=0))


def near_zero_q() -> Q:
    """Material balances ≥ 0 but at most LEDGER_NEAR_ZERO_PERCENT % of what came in (and something came in)."""
    pct = near_zero_percent() / Decimal(100)
    return (
        Q(item__kind=ItemKind.MATERIAL)
        & Q(expected_remaining__gte=0)
        & Q(scrap_balance__gte=0)
        & Q(inflow__gt=0)
        & Q(expected_remaining__lte=ExpressionWrapper(F("inflow") * Value(pct), output_field=QTY))
    )


VALUE = DecimalField(max_digits=30, decimal_places=9)


def _summary_rows(balances_qs):
    """(book_id, negative, near_zero, stocked, bonded_value) per book: one GROUP BY over the balances."""
    return (
        balances_qs.annotate(inflow=_inflow())
        .order_by()
        .values("book_id")
        .annotate(
            negative=Count("id", filter=negative_q()),
            near_zero=Count("id", filter=near_zero_q()),
            stocked=Count("id", filter=Q(item__kind=ItemKind.MATERIAL, expected_remaining__gt=0)),
            bonded_value=Coalesce(
                Sum(bonded_value_expr(), filter=Q(item__kind=ItemKind.MATERIAL, expected_remaining__gt=0)),
                Value(Decimal(0)),
                output_field=VALUE,
            ),
        )
        .values_list("book_id", "negative", "near_zero", "stocked", "bonded_value")
    )


def refresh_book_summaries(book_ids=None) -> int:
    """Rebuild the ``BookSummary`` rows of the books (every book when None) from their balances.

    Set-based: one DELETE and one ``INSERT … SELECT`` of the GROUP BY above, in the caller's
    transaction.  Called by the services that change balances or item prices.  Returns the rows written.
    """
    balances_qs = Balance.objects.all()
    where, where_params = "", []
    if book_ids is not None:
        book_ids = list(book_ids)
        balances_qs = balances_qs.filter(book_id__in=book_ids)
        where = f" WHERE book_id IN ({', '.join(['%s'] * len(book_ids))})" if book_ids else " WHERE 1 = 0"
        where_params = book_ids
    select, params = _summary_rows(balances_qs).query.sql_with_params()
    table = BookSummary._meta.db_table
    # the caller's transaction when there is one (no savepoint: two statements per posting), else its own
    atomic = contextlib.nullcontext() if connection.in_atomic_block else transaction.atomic()
    with atomic, connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table}{where}", where_params)
        cur.execute(
            f"INSERT INTO {table} (book_id, negative, near_zero, stocked, bonded_value, near_zero_percent, refreshed_at)"
            f" SELECT s.*, %s, %s FROM ({select}) s",
            [near_zero_percent(), timezone.now(), *params],  # the two columns come first in the text
        )
        return cur.rowcount


def balances(user):
    """Balances in scope with the item and book, annotated with ``inflow`` (for the near-zero rule)."""
    return (
        Balance.objects.for_user(user)
        .select_related("item", "book", "book__enterprise")
        .annotate(inflow=ExpressionWrapper(_inflow(), output_field=QTY))
    )


# ------------------------------------------------------------------ list querysets


def books(user):
    return Book.objects.for_user(user).select_related("enterprise", "zone")


def inventory_lists(user):
    # line_count / total_amount are header columns kept by the posting services
    return InventoryList.objects.for_user(user).select_related("book", "enterprise")


# ------------------------------------------------------------------ oversight


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def bonded_value_expr():
    """Value of the remaining bonded material: expected remaining × unit price (materials only)."""
    return ExpressionWrapper(F("expected_remaining") * F("item__unit_price"), output_field=MONEY)


def _top_enterprises(rows, value) -> list[dict]:
    """The enterprises with the highest bonded value: ``rows`` are balances or book summaries (both
    reach the enterprise through ``book``), ``value`` the sum that values them."""
    return list(
        rows.order_by()
        # one row per enterprise and book currency: amounts in different currencies are not added
        .values("book__enterprise_id", "book__enterprise__name", "book__zone__short_name", "book__currency")
        .annotate(value=value, books=Count("book_id", distinct=True))
        .order_by("-value", "book__enterprise__name")[:TOP_ROWS]
    )


def zone_books(user, today: dt.date | None = None) -> list[dict]:
    """Books per zone of the user's scope: total, open, and open books with a red or amber expiry or
    write-off deadline (one GROUP BY; the oversight page and the dashboards show it)."""
    today = today or timezone.localdate()
    amber = today + dt.timedelta(days=amber_days())
    red = today + dt.timedelta(days=red_days())
    return list(
        Book.objects.for_user(user)
        .order_by()
        .values("zone_id", "zone__short_name")
        .annotate(
            books=Count("id"),
            open=Count("id", filter=~Q(status=BookStatus.CLOSED)),
            red=Count(
                "id", filter=~Q(status=BookStatus.CLOSED) & (Q(valid_until__lte=red) | Q(cycle_end__lte=red))
            ),
            amber=Count(
                "id",
                filter=~Q(status=BookStatus.CLOSED)
                & ~(Q(valid_until__lte=red) | Q(cycle_end__lte=red))
                & (Q(valid_until__lte=amber) | Q(cycle_end__lte=amber)),
            ),
        )
        .order_by("zone__short_name")
    )


def zone_bonded_values(user) -> list[dict]:
    """Bonded value (remaining materials × unit price) per zone and book currency, from the per-book
    summaries (one GROUP BY; amounts in different currencies are never added)."""
    return list(
        BookSummary.objects.for_user(user)
        .order_by()
        .values("book__zone_id", "book__currency")
        .annotate(value=Coalesce(Sum("bonded_value", output_field=MONEY), Value(Decimal(0)), output_field=MONEY))
        .order_by("book__zone_id", "book__currency")
    )


def oversight(user, today: dt.date | None = None, *, figures_only: bool = False) -> dict:
    """Every figure of the oversight page, each from one aggregate query over the user's scope.

    ``figures_only`` (the zone office's dashboard panel): the counts only — books by status, deadline
    and low-balance counts, lists posted this month — without the row lists (nearest deadlines, worst
    balances, top enterprises, per zone), which are empty then."""
    today = today or timezone.localdate()
    amber = today + dt.timedelta(days=amber_days())
    red = today + dt.timedelta(days=red_days())
    scoped_books = Book.objects.for_user(user)
    open_books = scoped_books.exclude(status=BookStatus.CLOSED)

    # 1. books by status (one GROUP BY)
    by_status = dict(scoped_books.order_by().values_list("status").annotate(n=Count("id")))
    status_rows = [(s, label, by_status.get(s, 0)) for s, label in BookStatus.choices]

    # 2. expiry and write-off deadlines: counts per light (one query) and the nearest books (one query)
    def light_counts(field):
        return {
            "red": Count("id", filter=Q(**{f"{field}__lte": red})),
            "amber": Count("id", filter=Q(**{f"{field}__gt": red, f"{field}__lte": amber})),
        }

    c_exp, c_wo = light_counts("valid_until"), light_counts("cycle_end")
    counts = open_books.aggregate(
        expiry_red=c_exp["red"],
        expiry_amber=c_exp["amber"],
        writeoff_red=c_wo["red"],
        writeoff_amber=c_wo["amber"],
    )
    deadline = Case(
        When(
            Q(cycle_end__isnull=False) & (Q(valid_until__isnull=True) | Q(cycle_end__lt=F("valid_until"))),
            then=F("cycle_end"),
        ),
        default=F("valid_until"),
    )
    nearest = [] if figures_only else list(
        open_books.select_related("enterprise", "zone")
        .annotate(deadline=deadline)
        .filter(deadline__isnull=False, deadline__lte=amber)
        .order_by("deadline", "number")[: TOP_ROWS * 2]
    )
    for b in nearest:
        b.days_to_expiry = (b.valid_until - today).days if b.valid_until else None
        b.days_to_writeoff = (b.cycle_end - today).days if b.cycle_end else None
        b.light_expiry = book_light(b.days_to_expiry)
        b.light_writeoff = book_light(b.days_to_writeoff)

    # 3. negative / near-zero material balances: counts (one query) and the worst rows (one query)
    #    From the per-book summaries when they were built with the current near-zero threshold
    #    (one row per book instead of every balance); else from the balances themselves.
    bal = balances(user)
    summaries = BookSummary.objects.for_user(user)
    current = not summaries.exclude(near_zero_percent=near_zero_percent()).exists()
    if current:
        low = summaries.aggregate(
            negative=Coalesce(Sum("negative"), Value(0)), near_zero=Coalesce(Sum("near_zero"), Value(0))
        )
        low_books = summaries.filter(Q(negative__gt=0) | Q(near_zero__gt=0)).values("book_id")
        low_source = bal.filter(book_id__in=low_books)
    else:
        low = bal.aggregate(
            negative=Count("id", filter=negative_q()),
            near_zero=Count("id", filter=near_zero_q()),
        )
        low_source = bal
    low_rows = [] if figures_only else list(
        low_source.filter(negative_q() | near_zero_q()).order_by(
            "expected_remaining", "book__number", "item__seq_no"
        )[: TOP_ROWS * 2]
    )

    # 4. lists posted this month (one aggregate)
    first, last = month_bounds(today)
    # a range on the column itself (local midnights), so the posted_at index serves it; the
    # __date lookup cast every list's timestamp first (a scan of all the province's lists)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    posted = InventoryList.objects.for_user(user).filter(
        state=ListState.POSTED, posted_at__gte=start, posted_at__lt=end
    )
    posted_counts = posted.aggregate(
        total=Count("id"),
        imports=Count("id", filter=Q(ie_mark="I")),
        exports=Count("id", filter=Q(ie_mark="E")),
        reversals=Count("id", filter=Q(direction=-1)),
        # from the header totals (one aggregate over the month's lists, not over their lines)
        lines=Coalesce(Sum("line_count"), Value(0)),
        amount=Coalesce(Sum("total_amount"), Value(Decimal(0)), output_field=MONEY),
    )
    posted_lines = {"n": posted_counts.pop("lines"), "amount": posted_counts.pop("amount")}
    # the declared amount split by the books' currencies (a sum over USD and CNY means nothing)
    posted_lines["by_currency"] = [] if figures_only else list(
        posted.order_by("book__currency")
        .values_list("book__currency")
        .annotate(amount=Coalesce(Sum("total_amount"), Value(Decimal(0)), output_field=MONEY))
    )

    # 5. top enterprises by bonded value (one GROUP BY)
    if figures_only:
        top = []
    elif current:
        top = _top_enterprises(summaries.filter(stocked__gt=0), Sum("bonded_value", output_field=MONEY))
    else:
        top = _top_enterprises(
            Balance.objects.for_user(user).filter(item__kind=ItemKind.MATERIAL, expected_remaining__gt=0),
            Sum(bonded_value_expr()),
        )

    # 6. per zone (province/city users see their zones side by side; one GROUP BY)
    zones = [] if figures_only else zone_books(user, today)
    return {
        "today": today,
        "amber_days": amber_days(),
        "red_days": red_days(),
        "near_zero_percent": near_zero_percent(),
        "status_rows": status_rows,
        "book_total": sum(n for *_x, n in status_rows),
        "deadline_counts": counts,
        "nearest": nearest,
        "low_counts": low,
        "low_rows": low_rows,
        "month_first": first,
        "month_last": last,
        "posted_counts": posted_counts,
        "posted_lines": posted_lines,
        "top_enterprises": top,
        "zones": zones,
    }


# ------------------------------------------------------------------ balance drill-down

EXPLODED_COLUMNS = ("consumption", "tangible_loss", "intangible_loss")


def direct_lines(item: BookItem, column: str | None = None):
    """Posted lines that moved a balance column of ``item`` directly (rule target), newest first."""
    qs = (
        InventoryListLine.objects.filter(item=item, inventory_list__state=ListState.POSTED)
        .exclude(inventory_list__rule__target="")
        .select_related("inventory_list", "inventory_list__rule")
        .annotate(signed_qty=ExpressionWrapper(F("qty") * F("inventory_list__direction"), output_field=QTY))
        .order_by("-inventory_list__declaration_date", "-inventory_list_id", "line_no")
    )
    if column:
        qs = qs.filter(inventory_list__rule__target=column)
    return qs


def exploded_lines(material: BookItem):
    """Posted product lines that consumed ``material`` through their consumption version, with the
    share of each line in consumption, tangible and intangible loss (computed in the query, 5 dp as posted)."""
    # at most one row: (product, material, version) is unique.  order_by(): without it the model's
    # default ordering joined four tables into every sub-select (~20 ms of planning per page at
    # province scale).  The products q x k_cons / q x k_tang (stored factors) equal
    # q x 单耗 x rate / 100.
    cons = Consumption.objects.filter(
        product=OuterRef("item_id"), material=material, version=OuterRef("resolved_version")
    ).order_by()
    uc = Subquery(cons.values("unit_consumption")[:1])
    share = Subquery(cons.values("bonded_share")[:1])
    k_cons = Subquery(cons.values("k_cons")[:1])
    k_tang = Subquery(cons.values("k_tang")[:1])
    sign = F("inventory_list__direction") * F("inventory_list__rule__sign")
    return (
        InventoryListLine.objects.filter(
            inventory_list__state=ListState.POSTED, inventory_list__rule__explode=True
        )
        .filter(Exists(cons))
        .select_related("inventory_list", "item")
        .annotate(
            unit_consumption=uc,
            bonded_share=share,
            consumed=ExpressionWrapper(-sign * F("qty") * k_cons, output_field=QTY),
            tangible=ExpressionWrapper(-sign * F("qty") * k_tang, output_field=QTY),
        )
        .order_by("-inventory_list__declaration_date", "-inventory_list_id", "line_no")
    )


def versions_used(material: BookItem):
    """Consumption versions (product, version) of the material that posted lines used."""
    used = InventoryListLine.objects.filter(
        inventory_list__state=ListState.POSTED,
        item_id=OuterRef("product_id"),
        resolved_version=OuterRef("version"),
    )
    return (
        Consumption.objects.filter(material=material)
        .annotate(used=Exists(used))
        .select_related("product")
        .order_by("product__seq_no", "version")
    )


def direct_totals(item: BookItem) -> dict:
    """Σ signed quantity per target column of the posted direct lines of the item (one GROUP BY)."""
    rows = (
        InventoryListLine.objects.filter(item=item, inventory_list__state=ListState.POSTED)
        .exclude(inventory_list__rule__target="")
        .order_by()
        .values("inventory_list__rule__target")
        .annotate(
            total=Sum(ExpressionWrapper(F("qty") * F("inventory_list__direction"), output_field=QTY)),
            n=Count("id"),
        )
    )
    return {r["inventory_list__rule__target"]: r for r in rows}
