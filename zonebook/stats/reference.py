"""The whole derived-figure recomputation in plain Python over ``calc`` — the reference the SQL twin
(``sql.recompute``) is tested against, row for row.  No Django.

Input rows: ``(entity, indicator, ym, basis, value, provenance)``; entities: ``{id: dict(level,
parent, region, province, zone_type)}``; indicators: ``{id: dict(additive, cumulative_only,
higher_is_better, formula=(op, a_id, b_id, scale) | None)}``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from . import calc

Key = tuple[int, int, int, str]  # entity, indicator, ym, basis


def derive(obs: dict[Key, Decimal], indicators: dict[int, dict], rates: dict | None = None) -> dict[Key, Decimal]:
    """Official observations -> official + derived (months from cumulatives, conversions at the month's
    rate ``rates[(ym, from, to)]``, cumulatives from months, computed indicators), official values never
    replaced."""
    out = dict(obs)
    rates = rates or {}
    series: dict[tuple[int, int, int, str], dict[int, Decimal]] = defaultdict(dict)
    for (e, i, ym, basis), v in obs.items():
        series[(e, i, ym // 12, basis)][ym % 12 + 1] = v
    for (e, i, year, basis), months in series.items():
        ind = indicators[i]
        if not ind["additive"]:
            continue
        if basis == "cum":
            for m, v in calc.months_from_cumulative(months).items():
                out.setdefault((e, i, year * 12 + m - 1, "month"), v)
    converted = {}
    for (e, i, ym, basis), v in out.items():
        ind = indicators[i]
        twin = ind.get("twin")
        if basis != "month" or not twin or not ind["additive"]:
            continue
        rate = rates.get((ym, ind["currency"], indicators[twin]["currency"]))
        if rate is not None and (e, twin, ym, "month") not in out:
            converted[(e, twin, ym, "month")] = calc.q(v * rate)
    out.update(converted)
    derived_months: dict[tuple[int, int, int], dict[int, Decimal]] = defaultdict(dict)
    for (e, i, ym, basis), v in out.items():
        if basis == "month":
            derived_months[(e, i, ym // 12)][ym % 12 + 1] = v
    for (e, i, year), months in derived_months.items():
        ind = indicators[i]
        if not ind["additive"] or ind["cumulative_only"]:
            continue
        # only months that were official (months derived from cumulatives exist where the cum does)
        for m, v in calc.cumulative_from_months(months).items():
            out.setdefault((e, i, year * 12 + m - 1, "cum"), v)
    for i, ind in indicators.items():
        f = ind.get("formula")
        if not f:
            continue
        op, a, b, scale = f
        for (e, ii, ym, basis), av in list(out.items()):
            if ii != a or (e, i, ym, basis) in out:
                continue
            bv = out.get((e, b, ym, basis))
            if bv is None:
                continue
            if op == "ratio":
                if bv == 0:
                    continue
                out[(e, i, ym, basis)] = calc.q(av * scale / bv)
            elif op == "sum":
                out[(e, i, ym, basis)] = (av + bv) * scale
            else:
                out[(e, i, ym, basis)] = (av - bv) * scale
    return out


def figures(values: dict[Key, Decimal], entities: dict[int, dict], indicators: dict[int, dict]) -> dict[Key, dict]:
    """Per value: prior, yoy, share of the parent and its pp change, ranks (nation/region/province/type)."""
    out = {}
    groups: dict[str, list] = defaultdict(list)
    for key, v in values.items():
        e, i, ym, basis = key
        ent = entities[e]
        prior = values.get((e, i, ym - 12, basis))
        parent = ent["parent"]
        share = share_pp = None
        if parent is not None:
            s = calc.share(v, values.get((parent, i, ym, basis)))
            share = s.value
            s0 = calc.share(prior, values.get((parent, i, ym - 12, basis)))
            if s and s0:
                share_pp = calc.pp_change(s, s0).value
        yoy = calc.yoy(v, prior).value
        out[key] = dict(prior=prior, yoy_pct=yoy, share_pct=share, share_pp=share_pp)
        base = (i, ym, basis, ent["level"])
        groups[("nation", base)].append((key, v))
        for name, attr in (("region", "region"), ("province", "province"), ("type", "zone_type")):
            if ent[attr]:
                groups[(name, base + (ent[attr],))].append((key, v))
    for (name, base), members in groups.items():
        higher = indicators[base[0]]["higher_is_better"]
        ranks = calc.rank(dict(members), descending=higher)
        for key, r in ranks.items():
            out[key][f"rank_{name}"] = r
            out[key][f"n_{name}"] = len(ranks)
    for d in out.values():
        for name in ("nation", "region", "province", "type"):
            d.setdefault(f"rank_{name}", None)
            d.setdefault(f"n_{name}", None)
    return out
