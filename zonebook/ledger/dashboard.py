"""The ledger's dashboard panels and to-do counters (declared in registration.py).

Province/city: the bonded-ledger figures by zone (books, bonded value, red/amber deadlines) — two
GROUP BYs shared with the oversight page (``queries.zone_books``, ``queries.zone_bonded_values``).
Zone office: the oversight page's figures (``queries.oversight``, one query per figure set).
Enterprise: its open books with their deadlines and bonded value (one query).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.documents.charts import chart
from zonebook.registry.names import code_name

from . import queries
from .choices import BookStatus
from .models import Book, WriteOff
from .models.writeoff import WriteOffState

MY_BOOKS = 20
WAN = Decimal(10000)
CENT = Decimal("0.01")


def zones_panel(request) -> dict:
    user = request.user
    rows = queries.zone_books(user)
    values: dict = {}
    for v in queries.zone_bonded_values(user):
        values.setdefault(v["book__zone_id"], []).append((v["book__currency"], v["value"]))
    currencies: dict[str, list] = {}
    for r in rows:
        r["values"] = values.get(r["zone_id"], [])
        for currency, value in r["values"]:
            currencies.setdefault(currency, []).append((r["zone__short_name"], value))
    return {
        "zone_rows": rows,
        "totals": {k: sum(r[k] for r in rows) for k in ("books", "open", "red", "amber")},
        "books_chart": chart(
            "bar",
            _("Open books and red/amber deadlines by zone"),
            [r["zone__short_name"] for r in rows],
            # red first: the chart palette's first colour is red
            {_("red"): [r["red"] for r in rows], _("amber"): [r["amber"] for r in rows], _("Open"): [r["open"] for r in rows]},
        ),
        "value_charts": [
            chart(
                "ranked_bar",
                _("Bonded value (%(currency)s)") % {"currency": code_name("currency", c) or c},
                [name for name, _v in vals],
                {_("Bonded value"): [(v / WAN).quantize(CENT) for _n, v in vals]},
                unit=_("10k %(currency)s") % {"currency": code_name("currency", c) or c},
            )
            for c, vals in sorted(currencies.items())
        ],
        "red_days": queries.red_days(),
        "amber_days": queries.amber_days(),
    }


def oversight_panel(request) -> dict:
    data = queries.oversight(request.user, figures_only=True)
    counts = data["deadline_counts"]
    return {
        **data,
        "status_chart": chart(
            "pie",
            _("Books by status"),
            [str(label) for _s, label, n in data["status_rows"] if n],
            {_("Books"): [n for *_x, n in data["status_rows"] if n]},
        ),
        "deadline_chart": chart(
            "bar",
            _("Deadlines of open books"),
            [_("Validity"), _("Write-off cycle end")],
            {_("red"): [counts["expiry_red"], counts["writeoff_red"]],
             _("amber"): [counts["expiry_amber"], counts["writeoff_amber"]]},
        ),
    }


def books_panel(request) -> dict:
    today = timezone.localdate()
    books = list(
        Book.objects.for_user(request.user)
        .exclude(status=BookStatus.CLOSED)
        .select_related("summary")
        .annotate(deadline=_nearest_deadline())
        .order_by(F("deadline").asc(nulls_last=True), "number")[:MY_BOOKS]
    )
    for b in books:
        b.days_to_expiry = (b.valid_until - today).days if b.valid_until else None
        b.days_to_writeoff = (b.cycle_end - today).days if b.cycle_end else None
        b.light_expiry = queries.book_light(b.days_to_expiry)
        b.light_writeoff = queries.book_light(b.days_to_writeoff)
        summary = getattr(b, "summary", None)
        b.bonded_value = summary.bonded_value if summary else None
    return {"books": books, "more": len(books) == MY_BOOKS}


def _nearest_deadline():
    """The nearer of a book's validity and write-off cycle end (NULL when it has neither)."""
    return Case(
        When(
            Q(cycle_end__isnull=False) & (Q(valid_until__isnull=True) | Q(cycle_end__lt=F("valid_until"))),
            then=F("cycle_end"),
        ),
        default=F("valid_until"),
    )


def _red_q(today: dt.date) -> Q:
    red = today + dt.timedelta(days=queries.red_days())
    return Q(valid_until__lte=red) | Q(cycle_end__lte=red)


def red_books_count(user) -> int:
    """Open books whose validity or write-off cycle end is red (or past)."""
    return Book.objects.for_user(user).exclude(status=BookStatus.CLOSED).filter(_red_q(timezone.localdate())).count()


def writeoffs_submitted_count(user) -> int:
    """Write-offs formally reported (正式报核) and waiting for customs."""
    return WriteOff.objects.for_user(user).filter(state=WriteOffState.SUBMITTED).count()
