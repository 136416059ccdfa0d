"""Request statistics, set-based (one grouped query per table): 办结率, 按时办结率, 满意率 and the
average handling time per unit, category, month or year; common problems across enterprises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, CharField, Count, DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncYear
from django.utils.translation import gettext_lazy as _

from . import calc
from .models import Satisfaction, Status

GROUPS = {
    "unit": _("Lead unit"),
    "category": _("Category"),
    "month": _("Month"),
    "year": _("Year"),
    "zone": _("Zone"),
}


@dataclass
class Row:
    key: str
    received: int
    closed: int
    on_time: int
    revisited: int
    satisfied: int
    reopened: int
    avg_days: Decimal | None

    @property
    def closure_rate(self):
        return calc.rate(self.closed, self.received)

    @property
    def on_time_rate(self):
        return calc.rate(self.on_time, self.closed)

    @property
    def satisfaction_rate(self):
        return calc.rate(self.satisfied, self.revisited)

    @property
    def open(self) -> int:
        return self.received - self.closed


def _key(group: str):
    if group == "unit":
        return Coalesce(F("lead_unit__name"), Value("—"), output_field=CharField())
    if group == "category":
        return Coalesce(F("category__parent__name"), F("category__name"), output_field=CharField())
    if group == "month":
        return TruncMonth("received_at")
    if group == "year":
        return TruncYear("received_at")
    if group == "zone":
        return F("zone__name")
    raise ValueError(group)


def _label(group: str, value) -> str:
    if value is None:
        return "—"
    if group == "month" and isinstance(value, dt.date | dt.datetime):
        return f"{value:%Y-%m}"
    if group == "year" and isinstance(value, dt.date | dt.datetime):
        return f"{value:%Y}"
    return str(value)


def request_figures(qs, group: str) -> list[Row]:
    """One row per value of ``group`` over the (scoped, filtered) requests ``qs``; one query."""
    closed = Q(status=Status.CLOSED)
    rows = (
        qs.order_by()
        .annotate(k=_key(group))
        .values("k")
        .annotate(
            received=Count("id"),
            closed=Count("id", filter=closed),
            on_time=Count("id", filter=closed & Q(closed_on_time=True)),
            revisited=Count("id", filter=~Q(satisfaction="")),
            satisfied=Count("id", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
            avg=Avg(ExpressionWrapper(F("closed_at") - F("received_at"), output_field=DurationField()), filter=closed),
        )
        .order_by("k")
    )
    out = []
    for r in rows:
        avg = r["avg"]
        seconds = avg.total_seconds() if isinstance(avg, dt.timedelta) else (avg / 1_000_000 if avg is not None else None)
        out.append(Row(_label(group, r["k"]), r["received"], r["closed"], r["on_time"], r["revisited"],
                       r["satisfied"], r["reopened"], calc.days(seconds)))
    if group in ("unit", "category", "zone"):
        out.sort(key=lambda row: (-row.received, row.key))
    return out


def total(rows: list[Row]) -> Row | None:
    if not rows:
        return None
    closed = sum(r.closed for r in rows)
    weighted = [(r.avg_days, r.closed) for r in rows if r.avg_days is not None]
    avg = (sum(d * n for d, n in weighted) / closed).quantize(Decimal("0.1")) if weighted and closed else None
    return Row(str(_("Total")), sum(r.received for r in rows), closed, sum(r.on_time for r in rows),
               sum(r.revisited for r in rows), sum(r.satisfied for r in rows), sum(r.reopened for r in rows), avg)


def top_enterprises(qs, limit: int = 10):
    """Enterprises with the most requests (and how many are still open)."""
    return list(
        qs.order_by().values("enterprise__name")
        .annotate(n=Count("id"), open=Count("id", filter=~Q(status=Status.CLOSED)))
        .order_by("-n", "enterprise__name")[:limit]
    )


def repeated_problems(qs, limit: int = 20):
    """The same enterprise raising the same category more than once (重复诉求)."""
    return list(
        qs.order_by().values("enterprise__name", "category__name")
        .annotate(n=Count("id")).filter(n__gt=1)
        .order_by("-n", "enterprise__name")[:limit]
    )
