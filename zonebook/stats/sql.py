"""Set-based SQL twins of ``stats.calc`` (SQLite ≥ 3.35 and PostgreSQL ≥ 15).

``recompute()`` rebuilds every derived figure from the observations in a fixed number of statements,
whatever the number of entities, indicators or months:

1. drop the derived observations (official ones — submitted or imported — are never touched);
2. months of cumulative series: ``cum(N) − cum(N−1)`` (January = its cumulative), where no official
   month exists; then months missing in one currency converted from the other at that month's
   ``ExchangeRate`` (the rate and its source stored on the derived row);
3. cumulatives of monthly series: ``Σ months 1…N`` of the year, only while no month is missing,
   where no official cumulative exists;
4. computed indicators (``Indicator.formula``: ratio / sum / diff of other indicators), one
   statement per computed indicator;
5. the ``Figure`` table: value, prior year, YoY %, share of the parent entity and its change in pp,
   competition ranks (``RANK()``) within level × nation / region / province / zone type.

Percentages are ``ROUND(x, 4)`` (half away from zero on PostgreSQL's numeric, as ``calc.q``).  On
SQLite DECIMAL columns are floating point, so tests compare with a tolerance of ``TOLERANCE``.
Months are the integer ``ym`` = year × 12 + month − 1, so "the month before" is ``ym − 1`` and the
same month last year ``ym − 12`` on both databases.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from .models import Entity, ExchangeRate, Figure, Indicator, Observation

T_OBS = Observation._meta.db_table
T_FIG = Figure._meta.db_table
T_ENT = Entity._meta.db_table
T_IND = Indicator._meta.db_table
T_RATE = ExchangeRate._meta.db_table
TOLERANCE = Decimal("0.0001")


def _year_start(alias: str) -> str:
    return f"({alias}.ym - ({alias}.ym % 12))"


def _period_expr() -> str:
    """The first day of month ``ym`` as a date, from the observation's own ``period`` column."""
    return "o.period"


DELETE_DERIVED = f"DELETE FROM {T_OBS} WHERE provenance = 'derived'"

MONTHS_FROM_CUM = f"""
INSERT INTO {T_OBS} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_note, updated_at)
SELECT c.entity_id, c.indicator_id, c.period, c.ym, 'month',
       ROUND(CASE WHEN c.ym % 12 = 0 THEN c.value ELSE c.value - p.value END, 4), 'derived', 'cum(N) - cum(N-1)', '', CURRENT_TIMESTAMP
  FROM {T_OBS} c
  LEFT JOIN {T_OBS} p
    ON p.entity_id = c.entity_id AND p.indicator_id = c.indicator_id AND p.basis = 'cum' AND p.ym = c.ym - 1 AND c.ym % 12 <> 0
  JOIN {T_IND} i ON i.id = c.indicator_id
 WHERE c.basis = 'cum' AND i.additive
   AND (c.ym % 12 = 0 OR p.id IS NOT NULL)
   AND NOT EXISTS (SELECT 1 FROM {T_OBS} m WHERE m.entity_id = c.entity_id AND m.indicator_id = c.indicator_id
                     AND m.ym = c.ym AND m.basis = 'month')
"""

# A month value with no official figure in the other currency is converted at that month's published
# rate, stored as derived with the rate and its source (never silently: the value names its rate).
CONVERT_MONTHS = f"""
INSERT INTO {T_OBS} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_rate, fx_note,
                     updated_at)
SELECT o.entity_id, t.id, o.period, o.ym, 'month', ROUND(o.value * r.rate, 4), 'derived', 'converted',
       r.rate, r.source, CURRENT_TIMESTAMP
  FROM {T_OBS} o
  JOIN {T_IND} i ON i.id = o.indicator_id
  JOIN {T_IND} t ON t.id = i.currency_twin_id
  JOIN {T_RATE} r ON r.ym = o.ym AND r.from_currency = i.currency AND r.to_currency = t.currency
 WHERE o.basis = 'month' AND o.fx_rate IS NULL AND i.additive
   AND NOT EXISTS (SELECT 1 FROM {T_OBS} x WHERE x.entity_id = o.entity_id AND x.indicator_id = t.id
                     AND x.ym = o.ym AND x.basis = 'month')
"""

CUM_FROM_MONTHS = f"""
INSERT INTO {T_OBS} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_note, updated_at)
SELECT entity_id, indicator_id, period, ym, 'cum', ROUND(running, 4), 'derived', 'sum of months', '', CURRENT_TIMESTAMP
  FROM (
    SELECT m.entity_id, m.indicator_id, m.period, m.ym,
           SUM(m.value) OVER w AS running,
           COUNT(*) OVER w AS n
      FROM {T_OBS} m
      JOIN {T_IND} i ON i.id = m.indicator_id
     WHERE m.basis = 'month' AND i.additive AND NOT i.cumulative_only
    WINDOW w AS (PARTITION BY m.entity_id, m.indicator_id, {_year_start("m")} ORDER BY m.ym
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ) s
 WHERE s.n = s.ym % 12 + 1
   AND NOT EXISTS (SELECT 1 FROM {T_OBS} c WHERE c.entity_id = s.entity_id AND c.indicator_id = s.indicator_id
                     AND c.ym = s.ym AND c.basis = 'cum')
"""


def _formula_sql(target_id: int, formula: dict, ids: dict[str, int]) -> tuple[str, list]:
    op = formula["op"]
    args = [ids[c] for c in formula["args"]]
    scale = str(Decimal(str(formula.get("scale", "1"))))
    if op == "ratio":
        a, b = args
        expr = f"ROUND(a.value * {scale} / b.value, 4)"
        cond = "b.value <> 0"
    elif op in ("sum", "diff"):
        a, b = args[:2]
        expr = f"ROUND((a.value {'+' if op == 'sum' else '-'} b.value) * {scale}, 4)"
        cond = "1 = 1"
    else:
        raise ValueError(f"unknown formula op {op!r}")
    sql = f"""
INSERT INTO {T_OBS} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_note, updated_at)
SELECT a.entity_id, %s, a.period, a.ym, a.basis, {expr}, 'derived', %s, '', CURRENT_TIMESTAMP
  FROM {T_OBS} a
  JOIN {T_OBS} b ON b.entity_id = a.entity_id AND b.ym = a.ym AND b.basis = a.basis AND b.indicator_id = %s
 WHERE a.indicator_id = %s AND {cond}
   AND NOT EXISTS (SELECT 1 FROM {T_OBS} x WHERE x.entity_id = a.entity_id AND x.indicator_id = %s
                     AND x.ym = a.ym AND x.basis = a.basis)
"""
    note = f"{op}({', '.join(formula['args'])}) x {scale}"
    return sql, [target_id, note, b, a, target_id]


def _share(num: str, den: str) -> str:
    return f"CASE WHEN {den} <> 0 THEN ROUND({num} * 100.0 / {den}, 4) END"


def _rank(partition: str, extra_cond: str = "") -> str:
    order = "CASE WHEN i.higher_is_better THEN -ROUND(o.value, 4) ELSE ROUND(o.value, 4) END"
    base = f"PARTITION BY o.indicator_id, o.ym, o.basis, e.level{partition}"
    if extra_cond:
        return (f"CASE WHEN {extra_cond} THEN RANK() OVER (PARTITION BY o.indicator_id, o.ym, o.basis, e.level{partition}, "
                f"CASE WHEN {extra_cond} THEN 1 ELSE 0 END ORDER BY {order}) END"), (
                f"CASE WHEN {extra_cond} THEN COUNT(*) OVER (PARTITION BY o.indicator_id, o.ym, o.basis, e.level{partition}, "
                f"CASE WHEN {extra_cond} THEN 1 ELSE 0 END) END")
    return f"RANK() OVER ({base} ORDER BY {order})", f"COUNT(*) OVER ({base})"


def _figures_sql() -> str:
    rn, nn = _rank("")
    rr, nr = _rank(", e.region", "e.region <> ''")
    rp, np_ = _rank(", e.province_code", "e.province_code <> ''")
    rt, nt = _rank(", e.zone_type", "e.zone_type <> ''")
    return f"""
INSERT INTO {T_FIG} (entity_id, indicator_id, period, ym, basis, value, prior, yoy_pct, share_pct, share_pp,
                     rank_nation, n_nation, rank_region, n_region, rank_province, n_province, rank_type, n_type)
SELECT o.entity_id, o.indicator_id, o.period, o.ym, o.basis, o.value, p.value,
       CASE WHEN p.value > 0 THEN ROUND((o.value - p.value) * 100.0 / p.value, 4) END,
       {_share("o.value", "pa.value")},
       CASE WHEN pa.value <> 0 AND pp.value <> 0 AND p.value IS NOT NULL
            THEN {_share("o.value", "pa.value")} - {_share("p.value", "pp.value")} END,
       {rn}, {nn}, {rr}, {nr}, {rp}, {np_}, {rt}, {nt}
  FROM {T_OBS} o
  JOIN {T_ENT} e ON e.id = o.entity_id
  JOIN {T_IND} i ON i.id = o.indicator_id
  LEFT JOIN {T_OBS} p
    ON p.entity_id = o.entity_id AND p.indicator_id = o.indicator_id AND p.basis = o.basis AND p.ym = o.ym - 12
  LEFT JOIN {T_OBS} pa
    ON pa.entity_id = e.parent_id AND pa.indicator_id = o.indicator_id AND pa.basis = o.basis AND pa.ym = o.ym
  LEFT JOIN {T_OBS} pp
    ON pp.entity_id = e.parent_id AND pp.indicator_id = o.indicator_id AND pp.basis = o.basis AND pp.ym = o.ym - 12
"""


def computed_statements() -> list[tuple[str, list]]:
    ids = dict(Indicator.objects.values_list("code", "id"))
    out = []
    for ind in Indicator.objects.filter(formula__isnull=False).order_by("order", "code"):
        if ind.formula:
            out.append(_formula_sql(ind.id, ind.formula, ids))
    return out


def recompute() -> dict[str, int]:
    """Rebuild every derived observation and the ``Figure`` table (see the module docstring)."""
    counts = {}
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # one big statement each: JIT compilation costs more than it saves here
            cur.execute("SET LOCAL jit = off")
        cur.execute(DELETE_DERIVED)
        cur.execute(MONTHS_FROM_CUM)
        counts["months"] = cur.rowcount
        cur.execute(CONVERT_MONTHS)
        counts["converted"] = cur.rowcount
        cur.execute(CUM_FROM_MONTHS)
        counts["cumulatives"] = cur.rowcount
        n = 0
        for sql, params in computed_statements():
            cur.execute(sql, params)
            n += cur.rowcount
        counts["computed"] = n
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {T_OBS}")  # fresh statistics after the derived rows were written
            cur.execute(f"TRUNCATE {T_FIG}")
        else:
            cur.execute(f"DELETE FROM {T_FIG}")
        cur.execute(_figures_sql())
        counts["figures"] = cur.rowcount
    return counts
