"""Read-only queries of the alert pages, API and panels (scoped, fixed number of queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone

from zonebook.ledger.models import Consumption
from zonebook.notify import lights

from . import calc
from .choices import AlertKind, AlertState, FlagState, Metric
from .deadlines import OPEN_BOOK_STATUSES
from .models import Alert, AlertSettings, PlausibilityFlag

TOP_ROWS = 10


def with_light(qs, today: dt.date, cfg: AlertSettings):
    """Annotate ``light`` (red / amber / green) from ``due_date`` and the kind's thresholds, in SQL
    (``notify.lights``: the same rule as ``lights.traffic_light(days left, amber=…, red=…)``)."""
    whens = []
    for kind in AlertKind.values:
        amber, red = cfg.lights(kind)
        whens += lights.date_light_whens("due_date", today, amber_days=amber, red_days=red, kind=kind)
    return qs.annotate(light=lights.date_light_case(whens))


def light_q(light: str, today: dt.date, cfg: AlertSettings) -> Q:
    """The same rule as a filter (usable without the annotation)."""
    q = Q(pk__in=[])
    for kind in AlertKind.values:
        amber, red = cfg.lights(kind)
        q |= Q(kind=kind) & lights.date_light_q(light, "due_date", today, amber_days=amber, red_days=red)
    return q


def alerts(user, today: dt.date | None = None, cfg: AlertSettings | None = None):
    today = today or timezone.localdate()
    cfg = cfg or AlertSettings.current()
    return with_light(
        Alert.objects.for_user(user).select_related("book", "book__enterprise", "book__zone"), today, cfg
    )


def flags(user):
    return PlausibilityFlag.objects.for_user(user).select_related(
        "book", "book__enterprise", "product", "material", "writeoff"
    )


def oversight_panel(user, today: dt.date | None = None) -> dict:
    """The alerts panel of the ledger oversight page: counts per kind × light, the nearest open alerts
    and the open flags per kind — three queries plus the settings row."""
    today = today or timezone.localdate()
    cfg = AlertSettings.current()
    open_alerts = Alert.objects.for_user(user).filter(state=AlertState.OPEN)
    agg = {}
    for kind in AlertKind.values:
        for light in ("red", "amber"):
            agg[f"{kind}_{light}"] = Count("id", filter=light_q(light, today, cfg) & Q(kind=kind))
    counts = open_alerts.aggregate(**agg)
    rows = [
        (kind, label, counts[f"{kind}_red"], counts[f"{kind}_amber"]) for kind, label in AlertKind.choices
    ]
    nearest = list(
        with_light(open_alerts.select_related("book", "book__enterprise"), today, cfg)
        .exclude(light="green")
        .order_by("due_date", "id")[:TOP_ROWS]
    )
    for a in nearest:
        a.days_left = (a.due_date - today).days
    flag_counts = dict(
        PlausibilityFlag.objects.for_user(user)
        .filter(state=FlagState.OPEN)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    return {
        "alert_rows": rows,
        "alert_nearest": nearest,
        "alert_today": today,
        "alert_settings": cfg,
        "flag_counts": flag_counts,
        "flag_total": sum(flag_counts.values()),
    }


# ------------------------------------------------------------------ evidence


def peer_values(flag: PlausibilityFlag) -> list[Decimal]:
    """The anonymous peer distribution of a consumption flag's metric: the latest version of every
    (product, material) pair with the same HS pair in the same province, of open books of *other*
    enterprises (one query; values only — never who they belong to)."""
    if not flag.consumption_id or flag.metric not in (
        Metric.UNIT_CONSUMPTION,
        Metric.TANGIBLE_RATE,
        Metric.INTANGIBLE_RATE,
    ):
        return []
    rows = (
        Consumption.objects.filter(
            book__status__in=OPEN_BOOK_STATUSES,
            book__zone__province_code=flag.province_code,
            product__hs_code=flag.product_hs,
            material__hs_code=flag.material_hs,
        )
        .exclude(book__enterprise_id=flag.book.enterprise_id)
        .order_by("product_id", "material_id", F("valid_from").asc(nulls_first=True), "id")
        .values_list("product_id", "material_id", flag.metric)
    )
    latest: dict[tuple, Decimal] = {}
    for product, material, value in rows:
        latest[(product, material)] = value  # ordered: the last one is the latest version
    return sorted(latest.values())


def distribution(values: list[Decimal]) -> dict:
    """n, min, quartiles (exact medians of the halves), median, max."""
    n = len(values)
    if not n:
        return {"n": 0}
    lower, upper = values[: n // 2], values[(n + 1) // 2 :]
    return {
        "n": n,
        "min": values[0],
        "q1": calc.median(lower) if lower else values[0],
        "median": calc.median(values),
        "q3": calc.median(upper) if upper else values[-1],
        "max": values[-1],
    }
