"""Set-based investment statistics (domain doc §2.6): one grouped query for the period and the same period
of the previous year, rates by ``calc``.

``project_statistics(projects, year, month, group)`` → rows per zone / city / industry / source region
plus a total row: newly signed projects (first signings that count), signed amount (counted amount,
万元 RMB), 履约 (registered, M3), 开工 (works started, M5) by the period end, contracted and in-place
funds, 履约率, 开工率, 资金到位率, the same period of the previous year and YoY; the total row also
the target completion and the schedule gap.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from zonebook.registry.names import code_name, region_name

from . import calc
from .models import EventKind, InvestmentEvent, InvestmentTarget, SourceRegion, Stage

GROUPS = {
    "zone": ("zone_id", "zone__name"),
    "city": ("zone__city_code", None),
    "industry": ("industry_id", None),
    "source_region": ("source_region", None),
}
GROUP_LABELS = {
    "zone": _("Zone"),
    "city": _("City"),
    "industry": _("Industry"),
    "source_region": _("Source region"),
}
MEASURES = ("signed_count", "signed_amount", "performing", "started", "contracted", "funds")
AMOUNTS = ("signed_amount", "contracted", "funds")
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=2))


def period(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _aggregate(projects, start: dt.date, end: dt.date, pstart: dt.date, pend: dt.date, keys: tuple[str, ...]):
    """The period's and the previous year's same period's measures per group: one grouped query (the
    index on ``signed_on`` picks the two date ranges; each measure filters its period)."""
    now = Q(signed_on__gte=start, signed_on__lte=end)
    prev = Q(signed_on__gte=pstart, signed_on__lte=pend)
    new = now & Q(counted=True)
    qs = projects.filter(now | prev).order_by()
    if keys:
        qs = qs.values(*keys)
    measures = {
        "signed_count": Count("id", filter=new),
        "signed_amount": Coalesce(Sum("counted_amount", filter=now), ZERO),
        "performing": Count("id", filter=new & Q(registered_on__lte=end)),
        "started": Count("id", filter=new & Q(started_on__lte=end)),
        "contracted": Coalesce(Sum("contracted_cny", filter=now & Q(counted_amount__gt=0)), ZERO),
        "funds": Coalesce(Sum("funds_in_place_cny", filter=now & Q(counted_amount__gt=0)), ZERO),
        "prev_count": Count("id", filter=prev & Q(counted=True)),
        "prev_amount": Coalesce(Sum("counted_amount", filter=prev), ZERO),
    }
    if keys:
        return list(qs.annotate(**measures))
    return [qs.aggregate(**measures)]


def _label(group: str, row: dict) -> str:
    if group == "zone":
        return row.get("zone__name") or ""
    if group == "city":
        return region_name(row.get("zone__city_code")) or ""
    if group == "industry":
        return code_name("industry", row.get("industry__code")) if row.get("industry__code") else "—"
    if group == "source_region":
        v = row.get("source_region")
        return str(SourceRegion(v).label) if v in SourceRegion.values else "—"
    return ""


def _rates(row: dict) -> dict:
    row["performing_rate"] = calc.pct(row["performing"], row["signed_count"])
    row["start_rate"] = calc.pct(row["started"], row["signed_count"])
    row["funds_rate"] = calc.pct(row["funds"], row["contracted"])
    row["yoy_amount"] = calc.yoy(row["signed_amount"], row.get("prev_amount"))
    row["yoy_count"] = calc.yoy(row["signed_count"], row.get("prev_count"))
    return row


def project_statistics(projects, year: int, month: int = 12, group: str = "zone") -> dict:
    """``projects``: a scoped Project queryset.  Returns ``{"rows": [...], "total": {...}}``."""
    if group not in GROUPS:
        group = "zone"
    key, extra = GROUPS[group]
    keys = (key,) + ((extra,) if extra else ())
    start, end = period(year, month)
    pstart, pend = period(year - 1, month)
    grouped = _aggregate(projects, start, end, pstart, pend, keys)
    if group == "industry":
        # grouped by the foreign key (no join to the code table); the codes of the groups in one query
        from zonebook.registry.models import Code

        codes = dict(Code.objects.filter(pk__in=[r[key] for r in grouped if r[key]]).values_list("pk", "code"))
        for r in grouped:
            r["industry__code"] = codes.get(r[key])
    rows = []
    for r in sorted(grouped, key=lambda r: (r[key] is None, str(r.get("industry__code") or r[key]))):
        row = dict(r)
        row["key"] = r.get("industry__code") if group == "industry" else r[key]
        row["label"] = _label(group, row)
        rows.append(_rates(row))
    # the groups partition the projects: the total row is the sum of the group rows (no second scan)
    total = {m: sum((r[m] for r in grouped), Decimal(0) if m in AMOUNTS else 0)
             for m in (*MEASURES, "prev_count", "prev_amount")}
    _rates(total)
    return {"rows": rows, "total": total, "year": year, "month": month, "group": group}


def target_for(user, year: int, zone=None):
    """The annual target of the user's office (or of ``zone``)."""
    qs = InvestmentTarget.objects.for_user(user).filter(year=year)
    if zone is not None:
        return qs.filter(zone=zone).first()
    level = getattr(user, "scope_level", "")
    if level == "zone":
        return qs.filter(zone_id=user.zone_id).first()
    if level == "city":
        return qs.filter(zone__isnull=True, city_code=user.city_code).first()
    if level == "province":
        return qs.filter(zone__isnull=True, city_code="", province_code=user.province_code).first()
    return None


def target_progress(total: dict, target, month: int) -> dict:
    """目标完成率 (funds in place ÷ the annual funds target) and 超/欠进度 against time progress; the
    signed count and amount against their targets."""
    if target is None:
        return {}
    completion = calc.pct(total["funds"], target.funds_in_place)
    return {
        "target": target,
        "funds_completion": completion,
        "time_progress": calc.time_progress(month),
        "gap": calc.schedule_gap(completion, month),
        "count_completion": calc.pct(total["signed_count"], target.signed_count),
        "amount_completion": calc.pct(total["signed_amount"], target.signed_amount),
    }


def pipeline(projects) -> list[dict]:
    """Projects per stage (pipeline order, terminal stages last)."""
    counts = dict(projects.order_by().values_list("stage").annotate(n=Count("id")))
    return [{"stage": s, "label": Stage(s).label, "count": counts.get(s, 0)} for s in Stage.values]


def event_counts(events, year: int) -> list[dict]:
    """The year's receptions, visits, trips and events per kind, counted by one query."""
    counts = dict(events.filter(date__year=year).order_by().values_list("kind").annotate(n=Count("id")))
    return [{"kind": k, "label": EventKind(k).label, "count": counts.get(k, 0)} for k in EventKind.values]


def events_in_scope(user):
    return InvestmentEvent.objects.for_user(user)
