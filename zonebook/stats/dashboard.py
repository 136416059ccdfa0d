"""Contexts of the stats dashboard, entity page and home panels (fixed number of queries each)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, IntegerField, Value, When

from . import calc, services
from .models import Basis, Entity, Figure, Indicator, Observation, Target, period_of, ym_of

HEADLINE = ("TRADE_USD", "EXPORT_USD", "IMPORT_USD", "TRADE_CNY")
LEVEL_ORDER = Case(
    When(level="nation", then=Value(0)), When(level="province", then=Value(1)), When(level="city", then=Value(2)),
    When(level="zone", then=Value(3)), default=Value(4), output_field=IntegerField(),
)


def home_entity(user) -> Entity | None:
    """The broadest entity the user sees: the province for the province, the city (or its first zone)
    for a city, the zone for a zone office."""
    return Entity.objects.for_user(user).exclude(level="nation").order_by(LEVEL_ORDER, "name").first()


def latest_ym(entity: Entity, indicator: Indicator, basis: str = Basis.CUM) -> int | None:
    return (
        Observation.objects.filter(entity=entity, indicator=indicator, basis=basis)
        .order_by("-ym").values_list("ym", flat=True).first()
    )


def targets_progress(targets: list[Target], period: dt.date) -> list[dict]:
    """Progress of many targets in two queries (values of every target's entity and indicator)."""
    if not targets:
        return []
    from zonebook.notify.lights import light_info, traffic_light

    ym = ym_of(period)
    pairs = {(t.entity_id, t.indicator_id) for t in targets}
    values = {
        (e, i, b): v
        for e, i, b, v in Observation.objects.filter(
            entity_id__in={p[0] for p in pairs}, indicator_id__in={p[1] for p in pairs}, ym=ym
        ).values_list("entity_id", "indicator_id", "basis", "value")
    }
    out = []
    for t in targets:
        basis = Basis.CUM if t.indicator.additive else Basis.MONTH
        done = calc.completion(values.get((t.entity_id, t.indicator_id, basis)), t.value)
        total = (t.end_year - t.start_year + 1) * 12
        progress = calc.schedule_progress(calc.months_elapsed((t.start_year, 1), (period.year, period.month)), total)
        ahead = calc.ahead_pp(done, progress)
        light = traffic_light(ahead.value, amber=t.amber_pp, red=t.red_pp) if ahead else ""
        out.append(dict(target=t, completion=done, progress=progress, ahead=ahead,
                        light=light_info(light) if light else None,
                        reason=services.reason_text(done.reason)))
    return out


def _month_table(entity: Entity, indicator: Indicator, ym: int) -> list[dict]:
    """This year's and last year's month values (month basis) up to ``ym`` with YoY."""
    year_start = ym - ym % 12
    rows = dict(
        Observation.objects.filter(entity=entity, indicator=indicator, basis=Basis.MONTH,
                                   ym__gte=year_start - 12, ym__lte=year_start + 11)
        .values_list("ym", "value")
    )
    out = []
    for m in range(12):
        cur, prior = rows.get(year_start + m), rows.get(year_start - 12 + m)
        if cur is None and prior is None:
            continue
        out.append(dict(month=m + 1, value=cur, prior=prior, yoy=calc.yoy(cur, prior)))
    return out


def overview(request) -> dict:
    user = request.user
    home = home_entity(user)
    indicators = list(Indicator.objects.filter(active=True, formula__isnull=True))
    by_code = {i.code: i for i in indicators}
    code = request.GET.get("indicator") or "TRADE_USD"
    indicator = by_code.get(code) or by_code.get("TRADE_USD")
    ctx = {"title": "", "home": home, "indicators": indicators, "indicator": indicator}
    if home is None or indicator is None:
        return ctx
    ym = latest_ym(home, indicator)
    if request.GET.get("period"):
        try:
            ym = ym_of(services.parse_period(request.GET["period"]))
        except Exception:  # noqa: BLE001 - a bad period falls back to the latest month
            pass
    if ym is None:
        return ctx
    period = period_of(ym)
    # headline figures of the home entity (one query for values, one for parents)
    head_inds = [by_code[c] for c in HEADLINE if c in by_code]
    vals = {
        (e, i, y): v
        for e, i, y, v in Observation.objects.filter(
            entity_id__in=[home.pk] + ([home.parent_id] if home.parent_id else []),
            indicator__in=head_inds, basis=Basis.CUM, ym__in=[ym, ym - 12],
        ).values_list("entity_id", "indicator_id", "ym", "value")
    }
    headline = []
    for ind in head_inds:
        v, p = vals.get((home.pk, ind.pk, ym)), vals.get((home.pk, ind.pk, ym - 12))
        share = calc.share(v, vals.get((home.parent_id, ind.pk, ym))) if home.parent_id else None
        headline.append(dict(indicator=ind, value=v, yoy=calc.yoy(v, p), share=share,
                             reason=services.reason_text(calc.yoy(v, p).reason)))
    # zones in scope: value, share of the home entity, YoY and national rank (from Figure)
    zones = list(
        Figure.objects.for_user(user).filter(indicator=indicator, ym=ym, basis=Basis.CUM, entity__level="zone")
        .select_related("entity").order_by("rank_nation", "entity__name")
    )
    home_value = next((h["value"] for h in headline if h["indicator"].pk == indicator.pk), None)
    if home_value is None:
        home_value = Observation.objects.filter(entity=home, indicator=indicator, basis=Basis.CUM, ym=ym).values_list(
            "value", flat=True).first()
    zone_rows = [dict(figure=f, share_of_home=calc.share(f.value, home_value) if home.level != "zone" else None)
                 for f in zones]
    targets = list(
        Target.objects.for_user(user).filter(start_year__lte=period.year, end_year__gte=period.year)
        .select_related("entity", "indicator").order_by("entity__level", "entity__name", "indicator__order")[:50]
    )
    months = _month_table(home, indicator, ym)
    ctx.update(
        period=period, headline=headline, months=months, zones=zone_rows, targets=targets_progress(targets, period),
        max_month=max([r["value"] or Decimal(0) for r in months] + [r["prior"] or Decimal(0) for r in months] + [Decimal(1)]),
    )
    return ctx


def entity_context(request, entity: Entity) -> dict:
    """The entity page: key indicators over the last 24 months, target progress, rank history."""
    indicators = list(Indicator.objects.filter(active=True).order_by("order", "code"))
    obs = list(
        Observation.objects.filter(entity=entity, basis=Basis.CUM).order_by("-ym").values_list("ym", "indicator_id", "value")
    )
    if not obs:
        return {"entity": entity, "title": entity.name, "rows": [], "indicators": []}
    last = obs[0][0]
    table: dict[int, dict[int, Decimal]] = defaultdict(dict)
    used = set()
    for ym, ind, v in obs:
        if ym > last - 24:
            table[ym][ind] = v
            used.add(ind)
    cols = [i for i in indicators if i.pk in used]
    rows = [dict(period=period_of(ym), values=[table[ym].get(i.pk) for i in cols]) for ym in sorted(table, reverse=True)]
    trade = next((i for i in indicators if i.code == "TRADE_USD"), None)
    ranks = list(
        Figure.objects.filter(entity=entity, indicator=trade, basis=Basis.CUM).order_by("-ym")
        .values("ym", "value", "yoy_pct", "share_pct", "rank_nation", "n_nation", "rank_region", "n_region")[:24]
    ) if trade else []
    for r in ranks:
        r["period"] = period_of(r["ym"])
    period = period_of(last)
    targets = list(Target.objects.filter(entity=entity, start_year__lte=period.year, end_year__gte=period.year)
                   .select_related("entity", "indicator"))
    return {"entity": entity, "title": entity.name, "columns": cols, "rows": rows, "ranks": ranks,
            "targets": targets_progress(targets, period), "period": period}


# --- home panels (registration) -------------------------------------------------------------------------


def headline_panel(request) -> dict:
    """Home dashboard card of the province, city and zone roles: the headline trade figures."""
    home = home_entity(request.user)
    trade = Indicator.objects.filter(code="TRADE_USD").first()
    if home is None or trade is None:
        return {"home": None}
    ym = latest_ym(home, trade)
    if ym is None:
        return {"home": home, "figures": None}
    f = services.figures(home, trade, period_of(ym))
    return {"home": home, "figures": f, "reason": services.reason_text(f.yoy.reason)}


def returns_waiting(user) -> int:
    """To-do counter: returns waiting for this user's review (city: submitted; province: city-approved)."""
    from zonebook.core.permissions import has_role

    from .models import Submission, SubmissionStatus

    if has_role(user, *services.PROVINCE_ROLES):
        status = SubmissionStatus.CITY_APPROVED
    elif has_role(user, *services.CITY_ROLES):
        status = SubmissionStatus.SUBMITTED
    else:
        return Submission.objects.for_user(user).filter(status=SubmissionStatus.RETURNED).count()
    return Submission.objects.for_user(user).filter(status=status).count()
