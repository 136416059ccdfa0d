"""Set-based SQL twins of ``stats.calc`` (SQLite ≥ 3.35 and PostgreSQL ≥ 15).

``recompute()`` rebuilds every derived figure from the observations in a fixed number of statements,
whatever the number of entities, indicators or months:

1. copy the official observations (submitted or imported; never touched) into a temporary working
   table, where steps 2–4 write;
2. months of cumulative series: ``cum(N) − cum(N−1)`` (January = its cumulative), where no official
   month exists; then months missing in one currency converted from the other at that month's
   ``ExchangeRate`` (the rate and its source stored on the derived row);
3. cumulatives of monthly series: ``Σ months 1…N`` of the year, only while no month is missing,
   where no official cumulative exists;
4. computed indicators (``Indicator.formula``: ratio / sum / diff of other indicators), one
   statement per computed indicator;
5. write back the difference: derived observations no longer produced (or produced with another
   value) are deleted, new ones inserted, unchanged ones left alone;
6. the ``Figure`` table, from the working table: value, prior year, YoY %, share of the parent entity
   and its change in pp, competition ranks (``RANK()``) within level × nation / region / province /
   zone type.

On PostgreSQL ``recompute`` runs the same computation in ``engine`` (exact int64 numpy, binary COPY
in and out); these statements are SQLite's path, and PostgreSQL's when the values exceed the engine's
exact bound.  ``tests/test_sql_twins.py`` checks both against ``reference`` and against each other.
The engine stores a digest per block of figures (``FigureBlock``: one indicator × one month) and
rewrites only the blocks whose digest changed; these statements rewrite the figure table and empty
``FigureBlock`` (SQLite never uses the digests).

Percentages are ``ROUND(x, 4)`` (half away from zero on PostgreSQL's numeric, as ``calc.q``).  On
SQLite DECIMAL columns are floating point, so tests compare with a tolerance of ``TOLERANCE``.
Months are the integer ``ym`` = year × 12 + month − 1, so "the month before" is ``ym − 1`` and the
same month last year ``ym − 12`` on both databases.
"""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from django.db import connection, transaction

from . import engine
from .models import Entity, ExchangeRate, Figure, FigureBlock, Indicator, Observation

T_OBS = Observation._meta.db_table
T_FIG = Figure._meta.db_table
T_BLOCK = FigureBlock._meta.db_table
T_ENT = Entity._meta.db_table
T_IND = Indicator._meta.db_table
T_RATE = ExchangeRate._meta.db_table
TOLERANCE = Decimal("0.0001")


def _year_start(alias: str) -> str:
    return f"({alias}.ym - ({alias}.ym % 12))"



# The working set: the official observations copied into a temporary table without foreign keys or
# dead tuples, where every derivation step writes and the ``Figure`` statement reads.  Only the
# difference is then written back to the observation table (``SYNC_*``): a derived value that did not
# change is neither deleted nor re-inserted, so a recomputation over mostly unchanged data writes (and
# checks the foreign keys of) only what changed.
W = "stats_work"
WORK_COLUMNS = "entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_rate, fx_note"
CREATE_WORK = [
    f"""CREATE TEMPORARY TABLE {W} (
    entity_id bigint NOT NULL, indicator_id bigint NOT NULL, period date NOT NULL, ym integer NOT NULL,
    basis varchar(5) NOT NULL, value decimal(20, 4) NOT NULL, provenance varchar(10) NOT NULL,
    source_ref varchar(200) NOT NULL, fx_rate decimal(12, 6), fx_note varchar(200) NOT NULL)""",
    f"""INSERT INTO {W} ({WORK_COLUMNS})
SELECT {WORK_COLUMNS} FROM {T_OBS} WHERE provenance <> 'derived'""",
    f"CREATE UNIQUE INDEX {W}_key ON {W} (entity_id, indicator_id, ym, basis)",
]

# same key, same value and same note: the stored derived row stands
_SAME = """s.entity_id = {o}.entity_id AND s.indicator_id = {o}.indicator_id AND s.ym = {o}.ym AND s.basis = {o}.basis
                     AND s.provenance = 'derived' AND s.value = {o}.value AND s.source_ref = {o}.source_ref
                     AND s.fx_note = {o}.fx_note AND s.period = {o}.period
                     AND (s.fx_rate = {o}.fx_rate OR (s.fx_rate IS NULL AND {o}.fx_rate IS NULL))"""
SYNC_DELETE = f"""
DELETE FROM {T_OBS}
 WHERE provenance = 'derived'
   AND NOT EXISTS (SELECT 1 FROM {W} s WHERE {_SAME.format(o=T_OBS)})
"""
SYNC_INSERT = f"""
INSERT INTO {T_OBS} ({WORK_COLUMNS}, updated_at)
SELECT {WORK_COLUMNS}, CURRENT_TIMESTAMP FROM {W} w
 WHERE w.provenance = 'derived'
   AND NOT EXISTS (SELECT 1 FROM {T_OBS} s WHERE s.entity_id = w.entity_id AND s.indicator_id = w.indicator_id
                     AND s.ym = w.ym AND s.basis = w.basis)
"""

MONTHS_FROM_CUM = f"""
INSERT INTO {W} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_note)
SELECT c.entity_id, c.indicator_id, c.period, c.ym, 'month',
       ROUND(CASE WHEN c.ym % 12 = 0 THEN c.value ELSE c.value - p.value END, 4), 'derived', 'cum(N) - cum(N-1)', ''
  FROM {W} c
  LEFT JOIN {W} p
    ON p.entity_id = c.entity_id AND p.indicator_id = c.indicator_id AND p.basis = 'cum' AND p.ym = c.ym - 1 AND c.ym % 12 <> 0
  JOIN {T_IND} i ON i.id = c.indicator_id
 WHERE c.basis = 'cum' AND i.additive
   AND (c.ym % 12 = 0 OR p.ym IS NOT NULL)
   AND NOT EXISTS (SELECT 1 FROM {W} m WHERE m.entity_id = c.entity_id AND m.indicator_id = c.indicator_id
                     AND m.ym = c.ym AND m.basis = 'month')
"""

# A month value with no official figure in the other currency is converted at that month's published
# rate, stored as derived with the rate and its source (never silently: the value names its rate).
CONVERT_MONTHS = f"""
INSERT INTO {W} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_rate, fx_note)
SELECT o.entity_id, t.id, o.period, o.ym, 'month', ROUND(o.value * r.rate, 4), 'derived', 'converted',
       r.rate, r.source
  FROM {W} o
  JOIN {T_IND} i ON i.id = o.indicator_id
  JOIN {T_IND} t ON t.id = i.currency_twin_id
  JOIN {T_RATE} r ON r.ym = o.ym AND r.from_currency = i.currency AND r.to_currency = t.currency
 WHERE o.basis = 'month' AND o.fx_rate IS NULL AND i.additive
   AND NOT EXISTS (SELECT 1 FROM {W} x WHERE x.entity_id = o.entity_id AND x.indicator_id = t.id
                     AND x.ym = o.ym AND x.basis = 'month')
"""

CUM_FROM_MONTHS = f"""
INSERT INTO {W} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_note)
SELECT entity_id, indicator_id, period, ym, 'cum', ROUND(running, 4), 'derived', 'sum of months', ''
  FROM (
    SELECT m.entity_id, m.indicator_id, m.period, m.ym,
           SUM(m.value) OVER w AS running,
           COUNT(*) OVER w AS n
      FROM {W} m
      JOIN {T_IND} i ON i.id = m.indicator_id
     WHERE m.basis = 'month' AND i.additive AND NOT i.cumulative_only
    WINDOW w AS (PARTITION BY m.entity_id, m.indicator_id, {_year_start("m")} ORDER BY m.ym
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ) s
 WHERE s.n = s.ym % 12 + 1
   AND NOT EXISTS (SELECT 1 FROM {W} c WHERE c.entity_id = s.entity_id AND c.indicator_id = s.indicator_id
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
INSERT INTO {W} (entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_note)
SELECT a.entity_id, %s, a.period, a.ym, a.basis, {expr}, 'derived', %s, ''
  FROM {W} a
  JOIN {W} b ON b.entity_id = a.entity_id AND b.ym = a.ym AND b.basis = a.basis AND b.indicator_id = %s
 WHERE a.indicator_id = %s AND {cond}
   AND NOT EXISTS (SELECT 1 FROM {W} x WHERE x.entity_id = a.entity_id AND x.indicator_id = %s
                     AND x.ym = a.ym AND x.basis = a.basis)
"""
    note = f"{op}({', '.join(formula['args'])}) x {scale}"
    return sql, [target_id, note, b, a, target_id]


def _share(num: str, den: str) -> str:
    return f"CASE WHEN {den} <> 0 THEN ROUND({num} * 100.0 / {den}, 4) END"


# Ranks and group sizes: one named window per peer group, RANK() and COUNT(*) over the same window so the
# database evaluates both in one pass (one sort) per group.  The frame is the whole partition: COUNT(*)
# is the group size, RANK() ignores frames.  Rows without a region / province / zone type form their own
# partition and get no rank (the outer CASE).
RANK_GROUPS = (("nation", "", ""), ("region", ", e.region", "e.region <> ''"),
               ("province", ", e.province_code", "e.province_code <> ''"), ("type", ", e.zone_type", "e.zone_type <> ''"))


def _rank_columns() -> tuple[str, str]:
    cols, windows = [], []
    for name, partition, cond in RANK_GROUPS:
        r, n = f"RANK() OVER w_{name}", f"COUNT(*) OVER w_{name}"
        if cond:
            r, n = f"CASE WHEN {cond} THEN {r} END", f"CASE WHEN {cond} THEN {n} END"
        cols += [r, n]
        windows.append(f"w_{name} AS (PARTITION BY o.indicator_id, o.ym, o.basis, e.level{partition} ORDER BY o.rank_key "
                       "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)")
    return ", ".join(cols), "WINDOW " + ", ".join(windows)


def _years(alias: str, years) -> str:
    """``alias``'s month lies in one of ``years`` (integer division on both databases)."""
    return f"{alias}.ym / 12 IN ({', '.join(str(int(y)) for y in sorted(years))})"


def _figures_sql(years=None) -> str:
    """One INSERT … SELECT: ``v`` = every value with its prior-year value (one self-join), joined once
    to its parent's row of ``v`` for the share now and a year ago (the parent's prior), four rank
    windows.  Values are stored with 4 decimals, so ``ROUND(value, 4)`` is the value itself on
    PostgreSQL; it stays as the sort key for SQLite, whose DECIMAL is floating point."""
    ranks, windows = _rank_columns()
    value = "v.value" if connection.vendor == "postgresql" else "ROUND(v.value, 4)"
    return f"""
INSERT INTO {T_FIG} (entity_id, indicator_id, period, ym, basis, value, prior, yoy_pct, share_pct, share_pp,
                     rank_nation, n_nation, rank_region, n_region, rank_province, n_province, rank_type, n_type)
WITH v AS (
  SELECT o.entity_id, o.indicator_id, o.period, o.ym, o.basis, o.value, p.value AS prior
    FROM {W} o
    LEFT JOIN {W} p
      ON p.entity_id = o.entity_id AND p.indicator_id = o.indicator_id AND p.basis = o.basis AND p.ym = o.ym - 12
)
SELECT o.entity_id, o.indicator_id, o.period, o.ym, o.basis, o.value, o.prior,
       CASE WHEN o.prior > 0 THEN ROUND((o.value - o.prior) * 100.0 / o.prior, 4) END,
       {_share("o.value", "pa.value")},
       CASE WHEN pa.value <> 0 AND pa.prior <> 0 AND o.prior IS NOT NULL
            THEN {_share("o.value", "pa.value")} - {_share("o.prior", "pa.prior")} END,
       {ranks}
  FROM (SELECT v.*, CASE WHEN i.higher_is_better THEN -{value} ELSE {value} END AS rank_key
          FROM v JOIN {T_IND} i ON i.id = v.indicator_id
         WHERE {_years("v", years) if years else "1 = 1"}) o
  JOIN {T_ENT} e ON e.id = o.entity_id
  LEFT JOIN v pa ON pa.entity_id = e.parent_id AND pa.indicator_id = o.indicator_id AND pa.basis = o.basis AND pa.ym = o.ym
{windows}
"""


def computed_statements() -> list[tuple[str, list]]:
    ids = dict(Indicator.objects.values_list("code", "id"))
    out = []
    for ind in Indicator.objects.filter(formula__isnull=False).order_by("order", "code"):
        if ind.formula:
            out.append(_formula_sql(ind.id, ind.formula, ids))
    return out


def recompute(years=None, timings: dict | None = None) -> dict[str, int]:
    """Rebuild every derived observation and the ``Figure`` table (see the module docstring).

    ``years``: only the derived values of these years (every derivation stays within a year) and the
    figures of these years and the next ones (whose YoY and pp change look a year back), from the
    observations of these years and of the years either side as they are stored — for a return or an
    import that touched a few months.  The result is the full recomputation's.

    On PostgreSQL the computation runs in ``engine`` (exact int64 numpy, COPY in and out) unless the
    values exceed its exact bound; SQLite (and PostgreSQL beyond the bound) runs the statements above.
    ``timings``, if given, receives the engine's time split in seconds (read, compute, write, and
    figures: the part of write spent computing the figures while the database loads); empty on the
    SQL path."""
    years = sorted({int(y) for y in years}) if years else None
    pg = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cur:
        if pg:
            # one recomputation at a time (a second waits here, then reads what the first committed);
            # readers of the figures are blocked only while the table is rebuilt at the end
            cur.execute(f"LOCK TABLE {T_FIG} IN EXCLUSIVE MODE")
            for name, value in PG_SETTINGS:
                cur.execute(f"SET LOCAL {name} = {value}")
            try:
                with transaction.atomic():  # a savepoint: what the engine wrote is undone if it gives up
                    counts, split = engine.recompute_pg(
                        cur.cursor, years, {"obs": T_OBS, "fig": T_FIG, "blocks": T_BLOCK,
                                     "write_figures": _figure_writer(years)})
            except engine.Unsupported:
                counts, split = _recompute_sql(cur, years, pg), {}
        else:
            counts, split = _recompute_sql(cur, years, pg), {}
        if pg:  # back to the session's settings for the rest of a caller's transaction
            for name, _value in PG_SETTINGS:
                cur.execute(f"SET LOCAL {name} TO DEFAULT")
    if timings is not None:
        timings.update(split)
    return counts


def _figure_writer(years):
    """Writes the engine's ``Figure`` rows (binary COPY data): the whole table truncated and loaded
    without its indexes, or the shown years replaced."""

    def write(cur, chunks, n: int, whole: bool):
        """``chunks(with_ids)``: the COPY stream, with ids 1…``n`` in front when asked; ``whole``: the
        stream holds every figure (the table is rebuilt), else those of ``years`` and the next ones."""
        if not whole:
            shown = sorted(set(years) | {y + 1 for y in years})
            cur.execute(f"DELETE FROM {T_FIG} WHERE {_years(T_FIG, shown)}")
            engine.copy_in(cur, T_FIG, engine.FIGURE_COLUMNS, chunks(False))
            return
        cur.execute("SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = %s)", [T_FIG])
        has_statistics = cur.fetchone()[0]
        # the rows get ids 1…n (nothing refers to a figure's id: the table is rebuilt wholesale) rather
        # than one nextval() each; the sequence then continues after n
        cur.execute(f"TRUNCATE {T_FIG} RESTART IDENTITY")
        with _figure_indexes_rebuilt():
            # FREEZE: the table was truncated in this (sub)transaction, so the rows are written frozen
            # (no hint-bit pass or anti-wraparound vacuum over them later)
            engine.copy_in(cur, T_FIG, "id, " + engine.FIGURE_COLUMNS, chunks(True), ", FREEZE")
        cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [T_FIG, max(n, 1), n > 0])
        if not has_statistics:
            # the first load: statistics for the planner.  Later loads replace the rows with rows of
            # the same shape: the column statistics stay valid (TRUNCATE keeps them; the row count is
            # read from the table's size) and autovacuum re-analyses after the load
            cur.execute(f"ANALYZE {T_FIG}")

    return write


def _recompute_sql(cur, years, pg: bool) -> dict[str, int]:
    counts = {}
    # the figures written here have no block digests: the next engine run rebuilds the table and them
    cur.execute(f"DELETE FROM {T_BLOCK}")
    # left over by an earlier failed run in this session; schema-qualified so that only a temporary
    # table is ever dropped
    cur.execute(f"DROP TABLE IF EXISTS {'pg_temp' if pg else 'temp'}.{W}")
    if years:
        around = sorted({y + d for y in years for d in (-1, 1)} - set(years))
        cur.execute(CREATE_WORK[0])
        cur.execute(f"{CREATE_WORK[1]} AND {_years(T_OBS, years)}")
        if around:
            cur.execute(f"INSERT INTO {W} ({WORK_COLUMNS}) SELECT {WORK_COLUMNS} FROM {T_OBS} "
                        f"WHERE {_years(T_OBS, around)}")
        cur.execute(CREATE_WORK[2])
    else:
        for statement in CREATE_WORK:
            cur.execute(statement)
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
    scope = f" AND {_years(T_OBS, years)}" if years else ""
    cur.execute(SYNC_DELETE + scope)
    counts["removed"] = cur.rowcount
    cur.execute(SYNC_INSERT + (f" AND {_years('w', years)}" if years else ""))
    counts["written"] = cur.rowcount
    if years:
        shown = sorted(set(years) | {y + 1 for y in years})
        cur.execute(f"DELETE FROM {T_FIG} WHERE {_years(T_FIG, shown)}")
        cur.execute(_figures_sql(shown))
        counts["figures"] = cur.rowcount
    elif pg:
        cur.execute(f"ANALYZE {W}")  # a temporary table has no statistics until analysed
        cur.execute(f"TRUNCATE {T_FIG}")
        with _figure_indexes_rebuilt():
            cur.execute(_figures_sql())
            counts["figures"] = cur.rowcount
        cur.execute(f"ANALYZE {T_FIG}")
    else:
        cur.execute(f"DELETE FROM {T_FIG}")
        cur.execute(_figures_sql())
        counts["figures"] = cur.rowcount
    cur.execute(f"DROP TABLE {W}")
    return counts


# PostgreSQL settings for the recomputation's transaction: JIT compilation costs more than it saves on
# these few big statements; the hash joins and rank sorts of ~600k rows fit in memory instead of spilling
# to temporary files; and the parent join of the ``Figure`` statement reads a CTE the planner has no
# statistics for, where it picks a merge join (two extra sorts of 600k rows) over the cheaper hash join.
PG_SETTINGS = (("jit", "off"), ("work_mem", "'256MB'"), ("enable_mergejoin", "off"),
               ("maintenance_work_mem", "'256MB'"))


@contextmanager
def _figure_indexes_rebuilt():
    """Bulk load into the (just truncated) ``Figure`` table without its indexes — the secondary ones
    and the primary key's — then build them once, sorted: cheaper than maintaining three B-trees row by
    row during a 600k-row insert (the primary key's alone costs a third of the load).  The names and
    definitions are the model's and the migrations', so the schema stays what the migrations made."""
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, T_FIG)
    pkey = next(name for name, c in constraints.items() if c["primary_key"])
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {T_FIG} DROP CONSTRAINT {connection.ops.quote_name(pkey)}")
    with connection.schema_editor(atomic=False) as se:
        for c in Figure._meta.constraints:
            se.remove_constraint(Figure, c)
        for i in Figure._meta.indexes:
            se.remove_index(Figure, i)
    yield
    with connection.schema_editor(atomic=False) as se:
        for i in Figure._meta.indexes:
            se.add_index(Figure, i)
        for c in Figure._meta.constraints:
            se.add_constraint(Figure, c)
    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {T_FIG} ADD CONSTRAINT {connection.ops.quote_name(pkey)} PRIMARY KEY (id)")
