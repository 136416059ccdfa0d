"""Contexts of the stats dashboard, entity page and home panels (fixed number of queries each)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Sum, Value, When
from django.utils.translation import gettext as _

from zonebook.documents.charts import chart

from . import calc, freshness, services
from .models import (
    Basis,
    Entity,
    Figure,
    Indicator,
    IndicatorDefinition,
    Level,
    Observation,
    Target,
    period_of,
    ym_of,
)

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


def _totals(entity_ids: list[int], indicators, yms, basis: str = Basis.CUM) -> dict[tuple, Decimal]:
    """``{(None, indicator id, ym): total}`` of the entities' values (one grouped query); a total only
    where every entity has a value (a partial sum would understate the figure)."""
    rows = (Observation.objects.filter(entity_id__in=entity_ids, indicator__in=indicators, basis=basis, ym__in=yms)
            .values("indicator_id", "ym").annotate(total=Sum("value"), n=Count("id")))
    return {(None, r["indicator_id"], r["ym"]): r["total"] for r in rows if r["n"] == len(entity_ids)}


def _month_table(subject: list[int], indicator: Indicator, ym: int) -> list[dict]:
    """This year's and last year's month values (month basis) up to ``ym`` with YoY, of one entity or
    the total of several (``_totals``)."""
    year_start = ym - ym % 12
    rows = {y: v for (_s, _i, y), v in _totals(subject, [indicator], range(year_start - 12, year_start + 12),
                                                 Basis.MONTH).items()}
    out = []
    for m in range(12):
        cur, prior = rows.get(year_start + m), rows.get(year_start - 12 + m)
        if cur is None and prior is None:
            continue
        growth = calc.yoy(cur, prior)
        out.append(dict(month=m + 1, value=cur, prior=prior, yoy=growth, reason=services.reason_text(growth.reason)))
    return out


def overview(request) -> dict:
    user = request.user
    home = home_entity(user)
    indicators = list(Indicator.objects.filter(active=True, formula__isnull=True))
    by_code = {i.code: i for i in indicators}
    code = request.GET.get("indicator") or "TRADE_USD"
    indicator = by_code.get(code) or by_code.get("TRADE_USD")
    ctx = {"title": "", "home": home, "indicators": indicators, "indicator": indicator,
           "freshness": freshness.status(user)}
    if home is None or indicator is None:
        return ctx
    # the figures' subject: the home entity, or — for a city whose own totals are not reported — the
    # total of its zones (additive indicators only, and only where every zone has a value)
    subject, label = [home.pk], home.name
    ym = latest_ym(home, indicator)
    if ym is None and home.level == Level.CITY and indicator.additive:
        zone_ids = list(Entity.objects.for_user(user).filter(level=Level.ZONE).values_list("pk", flat=True))
        ym = (Observation.objects.filter(entity_id__in=zone_ids, indicator=indicator, basis=Basis.CUM)
              .order_by("-ym").values_list("ym", flat=True).first())
        if zone_ids and ym is not None:
            # the zones reporting that month (a zone closed years ago does not void the city's total)
            zone_ids = list(Observation.objects.filter(entity_id__in=zone_ids, indicator=indicator, basis=Basis.CUM,
                                                       ym=ym).values_list("entity_id", flat=True))
            subject, label = zone_ids, _("%(city)s, total of its zones") % {"city": home.name}
    ctx["subject_label"] = label
    if request.GET.get("period"):
        try:
            ym = ym_of(services.parse_period(request.GET["period"]))
        except Exception:  # noqa: BLE001 - a bad period falls back to the latest month
            pass
    if ym is None:
        return ctx
    period = period_of(ym)
    # headline figures of the subject (one query for its values, one for the parent's)
    head_inds = [by_code[c] for c in HEADLINE if c in by_code]
    vals = _totals(subject, head_inds, [ym, ym - 12])
    if home.parent_id:
        vals.update({(home.parent_id, i, y): v for (_s, i, y), v in
                     _totals([home.parent_id], head_inds, [ym, ym - 12]).items()})
    headline = []
    for ind in head_inds:
        v, p = vals.get((None, ind.pk, ym)), vals.get((None, ind.pk, ym - 12))
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
        home_value = _totals(subject, [indicator], [ym]).get((None, indicator.pk, ym))
    zone_rows = []
    for f in zones:
        growth = calc.yoy(f.value, f.prior)
        zone_rows.append(dict(figure=f, share_of_home=calc.share(f.value, home_value) if home.level != "zone" else None,
                              yoy=growth, reason=services.reason_text(growth.reason)))
    targets = list(
        Target.objects.for_user(user).filter(start_year__lte=period.year, end_year__gte=period.year)
        .select_related("entity", "indicator").order_by("entity__level", "entity__name", "indicator__order")[:50]
    )
    months = _month_table(subject, indicator, ym)
    # a growth rate across a definition break (口径调整, e.g. actual FDI from 2021) is flagged
    breaks = calc.crosses_break(
        dt.date(period.year - 1, period.month, 1), period,
        IndicatorDefinition.objects.filter(indicator=indicator, is_break=True).values_list("valid_from", flat=True))
    progress = targets_progress(targets, period)
    ctx.update(
        period=period, headline=headline, months=months, zones=zone_rows, targets=progress, breaks=breaks,
        charts=overview_charts(home, indicator, period, months, zone_rows, progress),
    )
    return ctx


def month_label(m: int) -> str:
    return _("%(month)s月") % {"month": m}


def overview_charts(home, indicator, period, months, zone_rows, progress) -> dict:
    """The overview's charts (``{% chart %}``): trade by month this year against last year, YoY by
    month, the zones' share of the home entity (or their values) and target progress."""
    out = {}
    if months:
        cats = [month_label(r["month"]) for r in months]
        out["months"] = chart(
            "bar", _("%(name)s by month") % {"name": indicator.name}, cats,
            {str(period.year): [r["value"] for r in months], str(period.year - 1): [r["prior"] for r in months]},
            unit=indicator.unit,
        )
        out["yoy"] = chart("line", _("Growth on the same month of last year"), cats,
                           {_("YoY (%)"): [r["yoy"].value for r in months]}, unit="%")
    shares = [(z["figure"].entity.name, z["share_of_home"].value) for z in zone_rows
              if z["share_of_home"] is not None and z["share_of_home"].value is not None]
    if shares and home.level != "zone":
        # a ranked bar rather than a pie: a province's small zones would be unreadable slivers
        rest = Decimal(100) - sum(v for _n, v in shares)
        names, values = [n for n, _v in shares], [v for _n, v in shares]
        if rest > Decimal("0.05"):
            names.append(_("Outside the zones"))
            values.append(rest)
        out["shares"] = chart("ranked_bar", _("Share of %(home)s by zone") % {"home": home.name}, names,
                              {_("Share (%)"): values}, unit="%")
    elif zone_rows:
        out["shares"] = chart("ranked_bar", indicator.name, [z["figure"].entity.name for z in zone_rows],
                              {indicator.name: [z["figure"].value for z in zone_rows]}, unit=indicator.unit)
    if progress:
        one_indicator = len({t["target"].indicator_id for t in progress[:12]}) == 1
        cats = [t["target"].entity.name if one_indicator else f"{t['target'].entity.name} · {t['target'].indicator.name}"
                for t in progress[:12]]
        out["targets"] = chart(
            "bar", _("Target completion against time progress"), cats,
            {_("Completion (%)"): [t["completion"].value for t in progress[:12]],
             _("Time progress (%)"): [t["progress"] for t in progress[:12]]}, unit="%",
        )
    return out


def entity_context(request, entity: Entity) -> dict:
    """The entity page: key indicators over the last 24 months, target progress, rank history."""
    indicators = list(Indicator.objects.filter(active=True).order_by("order", "code"))
    obs = list(
        Observation.objects.filter(entity=entity, basis=Basis.CUM).order_by("-ym").values_list("ym", "indicator_id", "value")
    )
    if not obs:
        return {"entity": entity, "title": entity.name, "rows": [], "indicators": [], "charts": {},
                "freshness": freshness.status(request.user)}
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
    progress = targets_progress(targets, period)
    charts = {}
    history = list(reversed(ranks))
    if history:
        cats = [f"{r['period']:%Y-%m}" for r in history]
        # year to date by month, one line per year (a single line would drop every January)
        years = sorted({r["period"].year for r in history})[-2:]
        by_year = {(r["period"].year, r["period"].month): r["value"] for r in history}
        charts["value"] = chart("line", _("%(name)s, year to date") % {"name": trade.name},
                                [month_label(m) for m in range(1, 13)],
                                {str(y): [by_year.get((y, m)) for m in range(1, 13)] for y in years}, unit=trade.unit)
        charts["ranks"] = chart("line", _("Rank history"), cats, {
            _("National rank"): [r["rank_nation"] for r in history],
            _("Rank in region"): [r["rank_region"] for r in history]})
    if progress:
        charts["targets"] = chart(
            "bar", _("Target completion against time progress"),
            [f"{t['target'].indicator.name} {t['target'].end_year}" for t in progress],
            {_("Completion (%)"): [t["completion"].value for t in progress],
             _("Time progress (%)"): [t["progress"] for t in progress]}, unit="%",
        )
    return {"entity": entity, "title": entity.name, "columns": cols, "rows": rows, "ranks": ranks,
            "targets": progress, "period": period, "charts": charts, "freshness": freshness.status(request.user)}


# --- home panels (registration) -------------------------------------------------------------------------


def headline_panel(request) -> dict:
    """Home dashboard card of the province, city and zone roles: the headline trade figures."""
    home = home_entity(request.user)
    trade = Indicator.objects.filter(code="TRADE_USD").first()
    if home is None or trade is None:
        return {"home": None}
    ym = latest_ym(home, trade)
    if ym is None and home.level == Level.CITY:
        # a city without its own totals: the total of its zones (as on the overview)
        zone_ids = list(Entity.objects.for_user(request.user).filter(level=Level.ZONE).values_list("pk", flat=True))
        ym = (Observation.objects.filter(entity_id__in=zone_ids, indicator=trade, basis=Basis.CUM)
              .order_by("-ym").values_list("ym", flat=True).first())
        if ym is not None:
            zone_ids = list(Observation.objects.filter(entity_id__in=zone_ids, indicator=trade, basis=Basis.CUM,
                                                       ym=ym).values_list("entity_id", flat=True))
            vals = _totals(zone_ids, [trade], [ym, ym - 12])
            v, p = vals.get((None, trade.pk, ym)), vals.get((None, trade.pk, ym - 12))
            growth = calc.yoy(v, p)
            return {"home": home, "figures": None, "freshness": freshness.status(request.user), "total": {
                "label": _("%(city)s, total of its zones") % {"city": home.name}, "indicator": trade,
                "period": period_of(ym), "value": v, "yoy": growth, "reason": services.reason_text(growth.reason)}}
    if ym is None:
        return {"home": home, "figures": None}
    from zonebook.notify.lights import light_info

    f = services.figures(home, trade, period_of(ym))
    targets = [{**t, "light_info": light_info(t["light"]) if t["light"] else None} for t in f.targets]
    return {"home": home, "figures": f, "reason": services.reason_text(f.yoy.reason), "targets": targets,
            "freshness": freshness.status(request.user)}


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


# --- xlsx exports of the dashboard's and entity page's tables ---------------------------------------------


def _pct_cell(p):
    return p.value if p.value is not None else f"— ({services.reason_text(p.reason)})"


def export_rows(ctx: dict, which: str) -> tuple[list[list], str] | None:
    """The rows (header first) and the file name of one table of the overview or entity page."""
    if which == "months" and ctx.get("months") is not None and ctx.get("period"):
        ind, year = ctx["indicator"], ctx["period"].year
        header = [_("Month"), f"{year} ({ind.unit})", f"{year - 1} ({ind.unit})", _("YoY (%)")]
        return [header, *[[r["month"], r["value"], r["prior"], _pct_cell(r["yoy"])] for r in ctx["months"]]], \
            _("%(name)s by month") % {"name": ind.name}
    if which == "targets" and ctx.get("targets") is not None:
        header = [_("Entity"), _("Indicator"), _("Target year"), _("Target"), _("Unit"), _("Completion (%)"),
                  _("Time progress (%)"), _("Ahead of schedule (pp)"), _("Light"), _("Source document")]
        rows = [[t["target"].entity.name, t["target"].indicator.name,
                 f"{t['target'].start_year}–{t['target'].end_year}" if t["target"].is_multi_year else t["target"].end_year,
                 t["target"].value, t["target"].indicator.unit, _pct_cell(t["completion"]), t["progress"],
                 _pct_cell(t["ahead"]), str(t["light"].label) if t["light"] else "", t["target"].doc]
                for t in ctx["targets"]]
        return [header, *rows], _("target progress")
    if which == "ranks" and ctx.get("ranks") is not None:
        header = [_("Month"), _("Value"), _("YoY (%)"), _("Share of parent (%)"), _("National rank"), _("Ranked entities"),
                  _("Rank in region"), _("Ranked entities")]
        rows = [[f"{r['period']:%Y-%m}", r["value"], r["yoy_pct"], r["share_pct"], r["rank_nation"], r["n_nation"],
                 r["rank_region"], r["n_region"]] for r in ctx["ranks"]]
        return [header, *rows], _("rank history")
    return None
