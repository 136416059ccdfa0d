"""The data of a run: each entity's value of each scheme indicator for the data year, read from the
statistics module in one query, with the land-use indicators derived from registry areas.

* a year's value is the December year-to-date value (basis ``cum``) or, for a stock such as
  employees at period end, the December month value;
* a growth rate (``measure = yoy``) is ``stats.calc.yoy`` of the data year against the year before —
  against a zero, negative or missing base there is no value and the reason is kept;
* land use (when the statistics hold no official value): investment intensity (万元/亩) =
  fixed-asset investment × 10⁴ / developed area in 亩; output per land area (万元/亩) = operating
  revenue (else gross industrial output) × 10⁴ / developed 亩; land utilisation (%) = developed /
  fenced area (else planned) × 100; acceptance rate (%) = accepted / planned × 100; trade per km² =
  RMB trade / fenced (else planned) km².  Areas come from the registry zone (planned and fenced area,
  else the sum of its bonded parks) and, for entities without a registry zone or a missing area, from
  the area indicators the zone reports.  1 km² = 1,500 亩.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.db.models import Sum

from zonebook.stats import calc as stats_calc
from zonebook.stats.models import Entity, Observation

MU_PER_KM2 = Decimal(1500)
WAN_PER_YI = Decimal(10000)
DERIVED = {
    "LAND_INVEST_INTENSITY": ("FAI_CNY",),
    "LAND_OUTPUT_PER_MU": ("REVENUE_CNY", "OUTPUT_CNY"),
    "LAND_UTILISATION": (),
    "ACCEPTANCE_RATE": (),
    "TRADE_PER_KM2": ("TRADE_CNY",),
}
AREA_CODES = ("LAND_PLANNED_KM2", "LAND_ACCEPTED_KM2", "LAND_DEVELOPED_KM2")
Q4 = Decimal("0.0001")

# why a value is missing (shown next to "—")
NO_VALUE = "no_value"
NO_AREA = "no_area"


def _q(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(Q4)


def _ratio(num, den, scale=Decimal(1)) -> tuple[Decimal | None, str]:
    if num is None:
        return None, NO_VALUE
    if den is None or den <= 0:
        return None, NO_AREA
    return _q(num * scale / den), ""


def year_values(entity_ids: list[int], codes: set[str], year: int) -> dict[tuple[int, str, int], Decimal]:
    """``{(entity_id, code, year): value}`` for ``year`` and the year before (one query)."""
    dec = year * 12 + 11
    rows = (Observation.objects.filter(entity_id__in=entity_ids, indicator__code__in=codes, ym__in=(dec, dec - 12))
            .values_list("entity_id", "indicator__code", "ym", "basis", "value"))
    out: dict = {}
    for eid, code, ym, basis, value in rows:
        key = (eid, code, ym // 12)
        if basis == "cum" or key not in out:
            out[key] = value
    return out


def areas(entities: list[Entity], vals: dict, year: int) -> dict[int, dict[str, Decimal | None]]:
    """Planned, fenced, accepted and developed km² per entity (registry first, then reported)."""
    from zonebook.registry.models import Park

    zone_ids = [e.zone_id for e in entities if e.zone_id]
    parks = dict(Park.objects.filter(zone_id__in=zone_ids, bonded=True).values("zone_id")
                 .annotate(s=Sum("area_km2")).values_list("zone_id", "s"))
    out = {}
    for e in entities:
        z = e.zone if e.zone_id else None
        planned = (z.planned_area_km2 if z else None) or vals.get((e.pk, "LAND_PLANNED_KM2", year))
        fenced = (z.fenced_area_km2 if z else None) or (parks.get(e.zone_id) if z else None)
        developed = vals.get((e.pk, "LAND_DEVELOPED_KM2", year)) or fenced
        accepted = vals.get((e.pk, "LAND_ACCEPTED_KM2", year))
        out[e.pk] = {"planned": planned, "fenced": fenced or planned, "developed": developed, "accepted": accepted}
    return out


def derived_value(code: str, eid: int, vals: dict, area: dict, year: int) -> tuple[Decimal | None, str]:
    dev_mu = area["developed"] * MU_PER_KM2 if area["developed"] else None
    if code == "LAND_INVEST_INTENSITY":
        return _ratio(vals.get((eid, "FAI_CNY", year)), dev_mu, WAN_PER_YI)
    if code == "LAND_OUTPUT_PER_MU":
        num = vals.get((eid, "REVENUE_CNY", year))
        if num is None:
            num = vals.get((eid, "OUTPUT_CNY", year))
        return _ratio(num, dev_mu, WAN_PER_YI)
    if code == "LAND_UTILISATION":
        if area["developed"] is None:
            return None, NO_AREA
        return _ratio(area["developed"], area["fenced"], Decimal(100))
    if code == "ACCEPTANCE_RATE":
        if area["accepted"] is None:
            return None, NO_AREA
        return _ratio(area["accepted"], area["planned"], Decimal(100))
    if code == "TRADE_PER_KM2":
        return _ratio(vals.get((eid, "TRADE_CNY", year)), area["fenced"])
    raise KeyError(code)


def collect(columns: list[tuple[str, str]], entities: list[Entity], year: int) -> tuple[list, dict]:
    """Values for ``columns`` ((indicator code, measure) pairs) of ``entities``: a matrix of Decimal
    strings or None, and ``{"i,j": reason}`` for the missing ones."""
    codes = {c for c, _m in columns}
    for c in list(codes):
        codes.update(DERIVED.get(c, ()))
    codes.update(AREA_CODES)
    ids = [e.pk for e in entities]
    vals = year_values(ids, codes, year)
    need_area = any(c in DERIVED for c, _m in columns)
    area_of = areas(entities, vals, year) if need_area else {}
    prior_area = areas(entities, vals, year - 1) if need_area and any(m == "yoy" for _c, m in columns) else {}

    def value(eid, code, y):
        v = vals.get((eid, code, y))
        if v is not None or code not in DERIVED:
            return (v, "" if v is not None else NO_VALUE)
        return derived_value(code, eid, vals, (area_of if y == year else prior_area)[eid], y)

    matrix, reasons = [], {}
    for i, e in enumerate(entities):
        row = []
        for j, (code, measure) in enumerate(columns):
            if measure == "yoy":
                cur, _r = value(e.pk, code, year)
                prior, _r2 = value(e.pk, code, year - 1)
                pct = stats_calc.yoy(cur, prior)
                v, why = pct.value, pct.reason or ""
            else:
                v, why = value(e.pk, code, year)
            row.append(None if v is None else str(v))
            if v is None:
                reasons[f"{i},{j}"] = why or NO_VALUE
        matrix.append(row)
    return matrix, reasons


def fingerprint(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
