"""The full recompute five ways, and the exact comparison of their results.

* product: ``ledger.services.recompute`` (set-based SQL in the database), read back from the stored
  balances;
* DuckDB, exact 64-bit integers (``duckdb_int``): quantities scaled by 10⁵, each consumption factor
  (单耗 × rate, 16 dp) split in two 64-bit parts, the per-(line, material) rounding to 5 dp half away
  from zero reproduced with integer division — the fair anchor;
* pandas/numpy, exact int64 vectorised arithmetic (``pandas_int``), the same integer scheme;
* DuckDB with DECIMAL (``duckdb_decimal``) and pandas with Python ``Decimal`` objects
  (``pandas_decimal``): the earlier anchors, kept as extra rows.

The integer anchors run only when :func:`int_bound` proves from the data that no intermediate value
or sum can leave the int64 range; otherwise the DECIMAL computation runs in their place and the
result says so (``Anchor.fallback``).

Every anchor returns its result without converting anything to Python objects (an Arrow table, or
numpy int64 arrays); :func:`to_result` turns it — outside the timed section — into a
:class:`Result`: item ids and a matrix of values in units of 10⁻⁵ (Python integers where int64
would not hold them).  ``compare`` checks every item and column of every anchor against the product.
Exploded amounts are rounded per (line, material) to 5 dp, half away from zero, before summing
(docs/ledger.md).
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
from django.db import connection

from zonebook.ledger import calc
from zonebook.ledger.choices import RULE_COLUMNS
from zonebook.ledger.models import BALANCE_COLUMNS, Balance

Q5 = Decimal("0.00001")
EXPLODED = ("consumption", "tangible_loss", "intangible_loss")
MATERIAL_EQ = {c: s for c, s in calc.EQUATION.items() if c not in ("opening", "adjust_plus", "adjust_minus")}

# table → (SELECT list, {column: arrow type})
EXPORTS = {
    "lines": (
        "SELECT inventory_list_id, item_id, {qty} AS qty, resolved_version FROM ledger_inventorylistline",
        {
            "inventory_list_id": "int64",
            "item_id": "int64",
            "qty": ("decimal", 20, 5),
            "resolved_version": "string",
        },
    ),
    "lists": (
        "SELECT id, state, direction, rule_id FROM ledger_inventorylist",
        {"id": "int64", "state": "string", "direction": "int64", "rule_id": "int64"},
    ),
    "rules": (
        "SELECT id, target, sign, {explode} AS explode, {scrap} AS scrap FROM ledger_postingrule",
        {"id": "int64", "target": "string", "sign": "int64", "explode": "int64", "scrap": "int64"},
    ),
    "consumption": (
        "SELECT product_id, material_id, version, {uc} AS unit_consumption, {bs} AS bonded_share,"
        " {tr} AS tangible_rate, {ir} AS intangible_rate FROM ledger_consumption",
        {
            "product_id": "int64",
            "material_id": "int64",
            "version": "string",
            "unit_consumption": ("decimal", 18, 9),
            "bonded_share": ("decimal", 9, 5),
            "tangible_rate": ("decimal", 9, 5),
            "intangible_rate": ("decimal", 9, 5),
        },
    ),
    "items": (
        "SELECT id, book_id, kind, {opening} AS opening_qty FROM ledger_bookitem",
        {"id": "int64", "book_id": "int64", "kind": "string", "opening_qty": ("decimal", 20, 5)},
    ),
}


def _fmt(column: str, places: int) -> str:
    """Exact text of a DECIMAL column (SQLite stores floating point: print it rounded)."""
    if connection.vendor == "sqlite":
        return f"printf('%.{places}f', {column})"
    return column


def _bool(column: str) -> str:
    return f"CASE WHEN {column} THEN 1 ELSE 0 END"


# the integer columns added to the Parquet files: name → (decimal column, scale)
SCALED = {
    "lines": {"qty_i": ("qty", 5)},
    "consumption": {
        "uc_i": ("unit_consumption", 9),
        "bs_i": ("bonded_share", 5),
        "tr_i": ("tangible_rate", 5),
        "ir_i": ("intangible_rate", 5),
    },
    "items": {"opening_i": ("opening_qty", 5)},
}
SCALE = 10**5  # quantities and balances in units of 10⁻⁵
INT64_MAX = 2**63 - 1


def unscaled(arr) -> np.ndarray:
    """The unscaled integers of an Arrow decimal128 array as int64 (exact; raises if one does not fit)."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], arr.type)
    if arr.null_count:
        raise ValueError("unexpected NULL in a decimal column")
    words = np.frombuffer(arr.buffers()[1], dtype="<i8")[2 * arr.offset : 2 * (arr.offset + len(arr))]
    low, high = words[0::2], words[1::2]
    if not np.array_equal(high, np.where(low < 0, -1, 0)):
        raise OverflowError("a decimal value does not fit in 64 bits")
    return low.copy()


def export_parquet(directory: Path) -> dict:
    """Write the five tables to ``directory/<table>.parquet``; returns {table: rows}.

    Besides the DECIMAL columns (read by the DECIMAL anchors) each file holds the scaled int64
    twins of its quantities and factors (``SCALED``: the exact unscaled integers of the decimals)
    and the lines and consumption rows a ``version_code`` (int32, one code per distinct version
    string over both tables), so the integer anchors join and compute on integers only."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    fmt = {
        "qty": _fmt("qty", 5),
        "explode": _bool("explode"),
        "scrap": _bool("scrap"),
        "uc": _fmt("unit_consumption", 9),
        "bs": _fmt("bonded_share", 5),
        "tr": _fmt("tangible_rate", 5),
        "ir": _fmt("intangible_rate", 5),
        "opening": _fmt("opening_qty", 5),
    }
    import pyarrow.compute  # noqa: F401 (pa.compute)

    rows, tables = {}, {}
    for table, (select, types) in EXPORTS.items():
        sql = select.format(**fmt)
        path_csv = directory / f"{table}.csv"
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                raw = cur.cursor  # psycopg 3: COPY streams the exact numeric text
                with (
                    open(path_csv, "wb") as fh,
                    raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as cp,
                ):
                    for chunk in cp:
                        fh.write(chunk)
            else:
                cur.execute(sql)
                with open(path_csv, "w", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(list(types))
                    while batch := cur.fetchmany(100_000):
                        w.writerows(batch)
        arrow_types = {
            k: pa.decimal128(v[1], v[2]) if isinstance(v, tuple) else getattr(pa, v)()
            for k, v in types.items()
        }
        tbl = pacsv.read_csv(
            path_csv,
            convert_options=pacsv.ConvertOptions(
                column_types=arrow_types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
        path_csv.unlink()
        for name, (column, _scale) in SCALED.get(table, {}).items():
            tbl = tbl.append_column(name, pa.array(unscaled(tbl[column]), pa.int64()))
        tables[table] = tbl
        rows[table] = tbl.num_rows
    versions = sorted(
        set(tables["lines"]["resolved_version"].unique().to_pylist())
        | set(tables["consumption"]["version"].unique().to_pylist())
    )
    codes = pa.array(versions, pa.string())
    for table, column in (("lines", "resolved_version"), ("consumption", "version")):
        tables[table] = tables[table].append_column(
            "version_code", pa.compute.index_in(tables[table][column], value_set=codes).cast(pa.int32())
        )
    for table, tbl in tables.items():
        pq.write_table(tbl, directory / f"{table}.parquet")
    return rows


# ----------------------------------------------------------------------------- results


@dataclass
class Result:
    """Balances of every item: ``ids`` ascending, ``values[i, c]`` = the value of BALANCE_COLUMNS[c]
    for item ``ids[i]`` in units of 10⁻⁵ (int64, or Python integers where int64 would not hold)."""

    ids: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _matrix(columns: dict[str, list | np.ndarray], n: int) -> np.ndarray:
    """Columns by name (missing = 0) → (n, len(BALANCE_COLUMNS)) matrix, int64 when every value fits."""
    try:
        out = np.zeros((n, len(BALANCE_COLUMNS)), dtype=np.int64)
        for c, name in enumerate(BALANCE_COLUMNS):
            if name in columns:
                out[:, c] = np.asarray(columns[name], dtype=np.int64)
        return out
    except OverflowError:
        out = np.zeros((n, len(BALANCE_COLUMNS)), dtype=object)
        for c, name in enumerate(BALANCE_COLUMNS):
            if name in columns:
                out[:, c] = [int(v) for v in columns[name]]
        return out


def _sorted(ids, columns: dict, n: int) -> Result:
    ids = np.asarray(ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    m = _matrix(columns, n)
    return Result(ids[order], m[order])


def _scaled(v) -> int:
    """A Decimal (or None) with at most 5 dp → its integer count of 10⁻⁵ (exact; refuses more dp)."""
    if v is None:
        return 0
    if isinstance(v, float):  # SQLite
        v = Decimal(repr(v)).quantize(Q5, rounding=ROUND_HALF_UP)
    scaled = Decimal(v).scaleb(5)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{v} has more than 5 decimal places")
    return int(scaled)


def product_result() -> Result:
    """The stored balances (after ``recompute``) as a Result (read and converted untimed)."""
    rows = list(Balance.objects.values_list("item_id", *BALANCE_COLUMNS).iterator(chunk_size=20_000))
    columns = {name: [_scaled(r[c + 1]) for r in rows] for c, name in enumerate(BALANCE_COLUMNS)}
    return _sorted([r[0] for r in rows], columns, len(rows))


def product_balances() -> dict[int, tuple]:
    """The stored balances, one tuple of Decimals (5 dp) per item in BALANCE_COLUMNS order."""
    return {
        r[0]: tuple(_q(v) for v in r[1:])
        for r in Balance.objects.values_list("item_id", *BALANCE_COLUMNS).iterator(chunk_size=20_000)
    }


def _q(v) -> Decimal:
    if v is None:
        return Decimal(0).quantize(Q5)
    if isinstance(v, float):
        v = Decimal(repr(v))
    return Decimal(v).quantize(Q5, rounding=ROUND_HALF_UP)


def to_result(raw) -> Result:
    """An anchor's raw output → Result (untimed).  Accepts an Arrow table with an ``id`` column and
    decimal or integer value columns (DuckDB), a DataFrame of Decimal objects indexed by item id
    (pandas Decimal), or a Result (the integer pandas anchor builds it directly)."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(raw, Result):
        return raw
    if isinstance(raw, pa.Table):
        columns = {}
        for name in raw.column_names[1:]:
            col = raw[name]
            if pa.types.is_decimal(col.type):
                col = col.cast(pa.decimal128(38, 5))  # safe cast: refuses a value with more than 5 dp
                try:
                    columns[name] = unscaled(col)
                except OverflowError:
                    columns[name] = [_scaled(v) for v in col.to_pylist()]
            else:
                columns[name] = (
                    col.to_numpy() if col.type == pa.int64() else [int(v) for v in col.to_pylist()]
                )
        return _sorted(raw["id"].to_numpy(), columns, raw.num_rows)
    if isinstance(raw, pd.DataFrame):
        columns = {name: [_scaled(v) for v in raw[name]] for name in raw.columns if name in BALANCE_COLUMNS}
        return _sorted(raw.index.to_numpy(), columns, len(raw))
    raise TypeError(f"not an anchor result: {type(raw)}")


def compare(results: dict[str, Result], limit: int = 10) -> list[str]:
    """Differences between each result and the first (exact, every item and column); empty when equal."""
    names = list(results)
    ref_name, ref = names[0], results[names[0]]
    problems = []
    for name in names[1:]:
        other = results[name]
        if not np.array_equal(ref.ids, other.ids):
            missing = np.setdiff1d(ref.ids, other.ids)
            extra = np.setdiff1d(other.ids, ref.ids)
            problems.append(
                f"{name}: items differ from {ref_name} (missing {len(missing)}, extra {len(extra)})"
            )
            continue
        diff = ref.values != other.values
        for row in np.flatnonzero(diff.any(axis=1)):
            cols = [
                f"{BALANCE_COLUMNS[c]}: {ref_name}={Decimal(int(ref.values[row, c])).scaleb(-5)} "
                f"{name}={Decimal(int(other.values[row, c])).scaleb(-5)}"
                for c in np.flatnonzero(diff[row])
            ]
            problems.append(f"item {int(ref.ids[row])}: " + "; ".join(cols))
            if len(problems) >= limit:
                return problems
    return problems


# ----------------------------------------------------------------------------- overflow bound


@dataclass
class Bound:
    """What :func:`int_bound` found: ``ok`` when every intermediate value and sum of the integer
    anchors provably stays within ±``limit``; ``figures`` the maxima it was proven from."""

    ok: bool
    limit: int
    figures: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.ok:
            f = self.figures
            return (
                f"int64 bound holds: max |q·K_hi| = {f['max_a']:.3g}, max row sum {f['max_r']:.3g}, "
                f"sum bound {f['sum_bound']:.3g} < {self.limit:.3g}"
            )
        return "int64 bound does NOT hold (" + "; ".join(self.reasons) + "): the DECIMAL variant ran instead"


HALF = 5 * 10**15  # half of 10¹⁶ (K is in units of 10⁻¹⁶, the amount in 10⁻⁵ after ÷ 10¹⁶)
SPLIT = 10**8  # K = K_hi · 10⁸ + K_lo


def int_bound(directory: Path, limit: int = INT64_MAX) -> Bound:
    """Prove from the data (one DuckDB pass, before any timed run) that the integer scheme cannot
    overflow.  With q = |qty| × 10⁵ of an exploding line and K = 单耗 × rate in units of 10⁻¹⁶
    (= uc_i × rate_i), K = K_hi·10⁸ + K_lo, the amount in 10⁻⁵ is

        a1 + (a0·10⁸ + q·K_lo + 5·10¹⁵) // 10¹⁶   where q·K_hi = a1·10⁸ + a0

    so every intermediate is bounded by q·K_hi, q·10⁸ + 2·10¹⁶ and uc_i × rate_i; every sum (any
    column of any item, and any partial sum of the chunked pandas anchor) by
    Σ|opening| + Σ|qty| + 3 × (Σ q over exploding lines × max BOM rows × max K / 10¹⁶ + rows)."""
    import duckdb

    def p(name):
        return f"read_parquet('{directory / (name + '.parquet')}')"

    con = duckdb.connect()
    (q_max, q_sum, n_ex) = con.execute(
        f"""SELECT COALESCE(MAX(ABS(l.qty_i)), 0), COALESCE(SUM(ABS(l.qty_i)), 0), COUNT(*)
              FROM {p("lines")} l JOIN {p("lists")} lst ON lst.id = l.inventory_list_id
              JOIN {p("rules")} r ON r.id = lst.rule_id
             WHERE lst.state = 'posted' AND r.explode = 1"""
    ).fetchone()
    (all_q_sum,) = con.execute(f"SELECT COALESCE(SUM(ABS(qty_i)), 0) FROM {p('lines')}").fetchone()
    (opening_sum,) = con.execute(f"SELECT COALESCE(SUM(ABS(opening_i)), 0) FROM {p('items')}").fetchone()
    (uc_max, rate_max, bom_max) = con.execute(
        f"""SELECT COALESCE(MAX(ABS(uc_i)), 0), COALESCE(GREATEST(MAX(ABS(bs_i)), MAX(ABS(tr_i)), MAX(ABS(ir_i))), 0),
                   COALESCE((SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM {p("consumption")}
                                                  GROUP BY product_id, version_code)), 0)
              FROM {p("consumption")}"""
    ).fetchone()
    con.close()
    q_max, q_sum, n_ex, all_q_sum, opening_sum = map(int, (q_max, q_sum, n_ex, all_q_sum, opening_sum))
    uc_max, rate_max, bom_max = int(uc_max), int(rate_max), int(bom_max)
    k_max = uc_max * rate_max
    k_hi_max = k_max // SPLIT
    figures = {
        "max_q": q_max,
        "max_k": k_max,
        "max_a": q_max * k_hi_max,
        "max_r": q_max * SPLIT + 2 * 10**16,
        "sum_bound": opening_sum + all_q_sum + 3 * ((q_sum * bom_max * k_max) // 10**16 + n_ex * bom_max),
    }
    reasons = []
    if k_max > limit:
        reasons.append(f"max 单耗 × rate = {k_max:.3g} × 10⁻¹⁶ exceeds the limit")
    if figures["max_a"] > limit:
        reasons.append(f"max |q| × K_hi = {figures['max_a']:.3g} exceeds the limit")
    if figures["max_r"] > limit:
        reasons.append(f"max |q| × 10⁸ + 2·10¹⁶ = {figures['max_r']:.3g} exceeds the limit")
    if figures["sum_bound"] > limit:
        reasons.append(f"sum bound {figures['sum_bound']:.3g} exceeds the limit")
    return Bound(ok=not reasons, limit=limit, figures=figures, reasons=reasons)


# ----------------------------------------------------------------------------- DuckDB


def _p(directory: Path, name: str) -> str:
    return f"read_parquet('{directory / (name + '.parquet')}')"


def duckdb_sql(directory: Path) -> str:
    """The DECIMAL computation (exact numeric, rounded per exploded row with ROUND(…, 5))."""

    def p(name):
        return _p(directory, name)

    direct = ",\n".join(
        f"SUM(CASE WHEN target = '{c}' THEN qty * direction ELSE 0 END) AS {c}" for c in RULE_COLUMNS
    )
    er = " ".join(
        f"{'+' if s > 0 else '-'} COALESCE({'e' if c in EXPLODED else 'd'}.{c}, 0)"
        for c, s in MATERIAL_EQ.items()
    )
    cols = ",\n".join(f"COALESCE(d.{c}, 0) AS {c}" for c in RULE_COLUMNS)
    return f"""
        WITH lp AS (
            SELECT l.item_id, l.qty, l.resolved_version, lst.direction, r.target, r.sign, r.explode
              FROM {p("lines")} l
              JOIN {p("lists")} lst ON lst.id = l.inventory_list_id
              JOIN {p("rules")} r ON r.id = lst.rule_id
             WHERE lst.state = 'posted'
        ), direct AS (
            SELECT item_id, {direct} FROM lp WHERE target <> '' GROUP BY item_id
        ), expl AS (
            SELECT c.material_id AS item_id,
                   SUM(-g.sign * g.direction * ROUND(g.qty * c.unit_consumption * c.bonded_share * 0.01, 5)) AS consumption,
                   SUM(-g.sign * g.direction * ROUND(g.qty * c.unit_consumption * c.tangible_rate * 0.01, 5)) AS tangible_loss,
                   SUM(-g.sign * g.direction * ROUND(g.qty * c.unit_consumption * c.intangible_rate * 0.01, 5)) AS intangible_loss
              FROM lp g
              JOIN {p("consumption")} c ON c.product_id = g.item_id AND c.version = g.resolved_version
             WHERE g.explode = 1
             GROUP BY c.material_id
        )
        SELECT i.id,
               CASE WHEN i.kind = 'material' THEN i.opening_qty ELSE 0 END AS opening,
               {cols},
               COALESCE(e.consumption, 0) AS consumption,
               COALESCE(e.tangible_loss, 0) AS tangible_loss,
               COALESCE(e.intangible_loss, 0) AS intangible_loss,
               CASE WHEN i.kind = 'material' THEN i.opening_qty {er} ELSE 0 END AS expected_remaining,
               CASE WHEN i.kind = 'material' THEN COALESCE(e.tangible_loss, 0) - COALESCE(d.scrap_out, 0) ELSE 0 END
                   AS scrap_balance
          FROM {p("items")} i
          LEFT JOIN direct d ON d.item_id = i.id
          LEFT JOIN expl e ON e.item_id = i.id
    """


def _rounded_sql(q: str, hi: str, lo: str) -> str:
    """round_half_away(q × K / 10¹⁶) in integers, K = hi·10⁸ + lo ≥ 0 (see int_bound)."""
    a = f"(ABS({q}) * {hi})"
    return (
        f"SIGN({q}) * ({a} // {SPLIT} + (({a} % {SPLIT}) * {SPLIT} + ABS({q}) * {lo} + {HALF}) // {10**16})"
    )


def duckdb_int_sql(directory: Path) -> str:
    """The same computation on BIGINT: scaled quantities, split factors, integer rounding."""

    def p(name):
        return _p(directory, name)

    direct = ",\n".join(
        f"SUM(CASE WHEN target = '{c}' THEN qty_i * direction ELSE 0 END) AS {c}" for c in RULE_COLUMNS
    )
    er = " ".join(
        f"{'+' if s > 0 else '-'} COALESCE({'e' if c in EXPLODED else 'd'}.{c}, 0)"
        for c, s in MATERIAL_EQ.items()
    )
    cols = ",\n".join(f"COALESCE(d.{c}, 0)::BIGINT AS {c}" for c in RULE_COLUMNS)
    factors = ",\n".join(
        f"(uc_i * {r}) // {SPLIT} AS {k}_hi, (uc_i * {r}) % {SPLIT} AS {k}_lo"
        for k, r in (("kc", "bs_i"), ("kt", "tr_i"), ("ki", "ir_i"))
    )
    sums = ",\n".join(
        f"SUM(-g.sign * g.direction * {_rounded_sql('g.qty_i', f'c.{k}_hi', f'c.{k}_lo')}) AS {col}"
        for k, col in (("kc", "consumption"), ("kt", "tangible_loss"), ("ki", "intangible_loss"))
    )
    return f"""
        WITH lp AS (
            SELECT l.item_id, l.qty_i, l.version_code, lst.direction, r.target, r.sign, r.explode
              FROM {p("lines")} l
              JOIN {p("lists")} lst ON lst.id = l.inventory_list_id
              JOIN {p("rules")} r ON r.id = lst.rule_id
             WHERE lst.state = 'posted'
        ), direct AS (
            SELECT item_id, {direct} FROM lp WHERE target <> '' GROUP BY item_id
        ), k AS (
            SELECT product_id, material_id, version_code, {factors} FROM {p("consumption")}
        ), expl AS (
            SELECT c.material_id AS item_id, {sums}
              FROM lp g
              JOIN k c ON c.product_id = g.item_id AND c.version_code = g.version_code
             WHERE g.explode = 1
             GROUP BY c.material_id
        )
        SELECT i.id,
               CASE WHEN i.kind = 'material' THEN i.opening_i ELSE 0 END AS opening,
               {cols},
               COALESCE(e.consumption, 0)::BIGINT AS consumption,
               COALESCE(e.tangible_loss, 0)::BIGINT AS tangible_loss,
               COALESCE(e.intangible_loss, 0)::BIGINT AS intangible_loss,
               (CASE WHEN i.kind = 'material' THEN i.opening_i {er} ELSE 0 END)::BIGINT AS expected_remaining,
               (CASE WHEN i.kind = 'material' THEN COALESCE(e.tangible_loss, 0) - COALESCE(d.scrap_out, 0) ELSE 0 END)::BIGINT
                   AS scrap_balance
          FROM {p("items")} i
          LEFT JOIN direct d ON d.item_id = i.id
          LEFT JOIN expl e ON e.item_id = i.id
    """


def _duckdb(sql: str, threads: int | None):
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    table = con.sql(sql).to_arrow_table()  # columnar: no Python object per value
    con.close()
    return table


def duckdb_decimal(directory: Path, threads: int | None = None):
    """DECIMAL anchor: an Arrow table (id + decimal columns)."""
    return _duckdb(duckdb_sql(directory), threads)


def duckdb_int(directory: Path, threads: int | None = None):
    """Exact 64-bit integer anchor: an Arrow table (id + int64 columns in 10⁻⁵).  Only valid when
    :func:`int_bound` holds (DuckDB also refuses an INT64 overflow with an error)."""
    return _duckdb(duckdb_int_sql(directory), threads)


def duckdb_balances(directory: Path, threads: int | None = None) -> Result:
    return to_result(duckdb_decimal(directory, threads))


# ----------------------------------------------------------------------------- pandas


PANDAS_CHUNK_LINES = 1_000_000


def pandas_decimal(directory: Path, chunk_lines: int = PANDAS_CHUNK_LINES):
    """What an analyst would write: merge, filter, multiply, round, group, pivot (Decimal objects).

    The lines are read ``chunk_lines`` at a time (what an analyst does once the data no longer fits
    in memory: 10 M lines explode to ~39 M rows of Decimal objects, far beyond 24 GB) and the sums
    of the chunks are added up; the smaller tables are read whole.  Returns a DataFrame of Decimal
    objects indexed by item id (the objects are this anchor's arithmetic, not a conversion)."""
    import pandas as pd
    import pyarrow.parquet as pq

    lists = pd.read_parquet(directory / "lists.parquet")
    rules = pd.read_parquet(directory / "rules.parquet")
    cons = pd.read_parquet(directory / "consumption.parquet", columns=list(EXPORTS["consumption"][1]))
    items = pd.read_parquet(directory / "items.parquet", columns=list(EXPORTS["items"][1]))
    lr = lists.merge(rules, left_on="rule_id", right_on="id", suffixes=("", "_rule"))
    lr = lr[lr["state"] == "posted"].drop(columns=["id_rule"])
    hundredth = Decimal("0.01")

    def r5(s):
        return s.map(lambda d: d.quantize(Q5, rounding=ROUND_HALF_UP))

    direct_parts, exploded_parts = [], []
    line_columns = list(EXPORTS["lines"][1])
    for batch in pq.ParquetFile(directory / "lines.parquet").iter_batches(
        batch_size=chunk_lines, columns=line_columns
    ):
        lines = batch.to_pandas()
        lp = lines.merge(lr, left_on="inventory_list_id", right_on="id")
        direct = lp[lp["target"] != ""].copy()
        direct["value"] = direct["qty"] * direct["direction"]
        direct_parts.append(direct.groupby(["item_id", "target"])["value"].sum())

        ex = lp[lp["explode"] == 1].merge(
            cons, left_on=["item_id", "resolved_version"], right_on=["product_id", "version"]
        )
        n = -ex["sign"] * ex["direction"]
        gross = ex["qty"] * ex["unit_consumption"]
        ex["consumption"] = n * r5(gross * ex["bonded_share"] * hundredth)
        ex["tangible_loss"] = n * r5(gross * ex["tangible_rate"] * hundredth)
        ex["intangible_loss"] = n * r5(gross * ex["intangible_rate"] * hundredth)
        exploded_parts.append(ex.groupby("material_id")[list(EXPLODED)].sum())
        del lines, lp, direct, ex
    if direct_parts:
        direct = pd.concat(direct_parts).groupby(level=[0, 1]).sum().unstack("target")
        exploded = pd.concat(exploded_parts).groupby(level=0).sum()
    else:  # no lines at all
        direct, exploded = pd.DataFrame(), pd.DataFrame()

    zero = Decimal(0)
    out = items.set_index("id")
    out = out.join(direct).join(exploded)
    for c in [*RULE_COLUMNS, *EXPLODED]:
        if c not in out.columns:
            out[c] = zero
        out[c] = out[c].map(lambda v: zero if pd.isna(v) else v)
    material = out["kind"] == "material"
    out["opening"] = out["opening_qty"].where(material, zero)
    er = out["opening"].copy()
    for c, s in MATERIAL_EQ.items():
        er = er + out[c] if s > 0 else er - out[c]
    out["expected_remaining"] = er.where(material, zero)
    out["scrap_balance"] = (out["tangible_loss"] - out["scrap_out"]).where(material, zero)
    return out[_order()]


def pandas_balances(directory: Path, chunk_lines: int = PANDAS_CHUNK_LINES) -> Result:
    return to_result(pandas_decimal(directory, chunk_lines))


def _order() -> list[str]:
    return ["opening", *RULE_COLUMNS, *EXPLODED, "expected_remaining", "scrap_balance"]


def _round_scaled(q: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Vectorised round_half_away(q × K / 10¹⁶), K = hi·10⁸ + lo ≥ 0, all int64 (see int_bound)."""
    aq = np.abs(q)
    a = aq * hi
    return np.sign(q) * (a // SPLIT + ((a % SPLIT) * SPLIT + aq * lo + HALF) // 10**16)


def pandas_int(directory: Path, chunk_lines: int = 2_000_000) -> Result:
    """Exact int64 vectorised anchor (pandas/numpy): the integer scheme of :func:`duckdb_int_sql`.

    Lists and rules become dense numpy look-up arrays indexed by list id; each chunk of lines is
    filtered, joined with the consumption rows on one int64 key (product id × versions + version
    code), rounded with integer division and summed per item with int64 group sums.  Only valid
    when :func:`int_bound` holds (numpy wraps silently on overflow)."""
    import pandas as pd
    import pyarrow.parquet as pq

    lists = pq.read_table(directory / "lists.parquet").to_pandas(strings_to_categorical=True)
    rules = pq.read_table(directory / "rules.parquet").to_pandas(strings_to_categorical=True)
    cons = pq.read_table(
        directory / "consumption.parquet",
        columns=["product_id", "material_id", "version_code", "uc_i", "bs_i", "tr_i", "ir_i"],
    ).to_pandas()
    items = pq.read_table(directory / "items.parquet", columns=["id", "kind", "opening_i"]).to_pandas(
        strings_to_categorical=True
    )
    ncol = len(BALANCE_COLUMNS)
    col_of = {c: n for n, c in enumerate(BALANCE_COLUMNS)}
    # rule → target column index (-1: none), sign, explode
    rule_target = np.full(int(rules["id"].max()) + 1 if len(rules) else 1, -1, dtype=np.int64)
    rule_sign = np.zeros_like(rule_target)
    rule_explode = np.zeros_like(rule_target, dtype=bool)
    targets = rules["target"].astype(str).to_numpy()
    has = np.array([t != "" for t in targets], dtype=bool)  # a few dozen rules
    rule_target[rules["id"].to_numpy()[has]] = [col_of[t] for t in targets[has]]
    rule_sign[rules["id"].to_numpy()] = rules["sign"].to_numpy()
    rule_explode[rules["id"].to_numpy()] = rules["explode"].to_numpy() == 1
    # list → direction (0 = not posted), target, sign, explode
    size = int(lists["id"].max()) + 1 if len(lists) else 1
    posted = (lists["state"] == "posted").to_numpy()
    lid = lists["id"].to_numpy()[posted]
    lrule = lists["rule_id"].to_numpy()[posted]
    list_dir = np.zeros(size, dtype=np.int64)
    list_dir[lid] = lists["direction"].to_numpy()[posted]
    list_target = np.full(size, -1, dtype=np.int64)
    list_target[lid] = rule_target[lrule]
    list_factor = np.zeros(size, dtype=np.int64)  # -sign × direction of exploding lists, else 0
    list_factor[lid] = np.where(rule_explode[lrule], -rule_sign[lrule] * list_dir[lid], 0)

    nver = int(max(cons["version_code"].max() if len(cons) else 0, 0)) + 2
    cons["key"] = cons["product_id"].to_numpy(np.int64) * nver + cons["version_code"].to_numpy(np.int64)
    uc = cons["uc_i"].to_numpy()
    factors = {}
    for name, rate in (("consumption", "bs_i"), ("tangible_loss", "tr_i"), ("intangible_loss", "ir_i")):
        k = uc * cons[rate].to_numpy()
        factors[name] = (k // SPLIT, k % SPLIT)
    kframe = pd.DataFrame(
        {"key": cons["key"], "material_id": cons["material_id"]}
        | {f"{n}_{p}": v for n, (hi, lo) in factors.items() for p, v in (("hi", hi), ("lo", lo))}
    )

    item_ids = np.sort(items["id"].to_numpy(np.int64))
    totals = np.zeros((len(item_ids), ncol), dtype=np.int64)

    def add(ids: np.ndarray, col: np.ndarray, values: np.ndarray) -> None:
        """totals[ids, col] += values, grouped exactly in int64."""
        if not len(ids):
            return
        s = pd.Series(values).groupby([ids, col]).sum()
        rows = np.searchsorted(item_ids, s.index.get_level_values(0).to_numpy())
        totals[rows, s.index.get_level_values(1).to_numpy()] += s.to_numpy()

    for batch in pq.ParquetFile(directory / "lines.parquet").iter_batches(
        batch_size=chunk_lines, columns=["inventory_list_id", "item_id", "qty_i", "version_code"]
    ):
        list_id = batch.column(0).to_numpy()
        item = batch.column(1).to_numpy()
        q = batch.column(2).to_numpy()
        ver = batch.column(3).to_numpy().astype(np.int64)
        target = list_target[list_id]
        d = target >= 0
        add(item[d], target[d], q[d] * list_dir[list_id[d]])
        f = list_factor[list_id]
        e = f != 0
        lines = pd.DataFrame({"key": item[e] * nver + ver[e], "q": q[e], "f": f[e]})
        ex = lines.merge(kframe, on="key")
        mat = ex["material_id"].to_numpy(np.int64)
        qx, fx = ex["q"].to_numpy(), ex["f"].to_numpy()
        for name in EXPLODED:
            amount = fx * _round_scaled(qx, ex[f"{name}_hi"].to_numpy(), ex[f"{name}_lo"].to_numpy())
            add(mat, np.full(len(mat), col_of[name], dtype=np.int64), amount)

    rows = np.searchsorted(item_ids, items["id"].to_numpy(np.int64))
    material = np.zeros(len(item_ids), dtype=bool)
    material[rows] = (items["kind"] == "material").to_numpy()
    opening = np.zeros(len(item_ids), dtype=np.int64)
    opening[rows] = items["opening_i"].to_numpy()
    totals[:, col_of["opening"]] = np.where(material, opening, 0)
    er = totals[:, col_of["opening"]].copy()
    for c, s in MATERIAL_EQ.items():
        er += s * totals[:, col_of[c]]
    totals[:, col_of["expected_remaining"]] = np.where(material, er, 0)
    totals[:, col_of["scrap_balance"]] = np.where(
        material, totals[:, col_of["tangible_loss"]] - totals[:, col_of["scrap_out"]], 0
    )
    return Result(item_ids, totals)


# ----------------------------------------------------------------------------- the anchors together


@dataclass
class Anchor:
    name: str  # row label
    exact_int: bool  # True: the 64-bit integer scheme ran
    fallback: str = ""  # why the DECIMAL variant ran in its place


def run_anchor(name: str, directory: Path, bound: Bound):
    """Run one anchor by name; returns (raw output, seconds, Anchor).  The integer anchors run the
    DECIMAL variant instead when ``bound`` does not hold (and say so)."""
    fn = {
        "duckdb_int": duckdb_int,
        "pandas_int": pandas_int,
        "duckdb_decimal": duckdb_decimal,
        "pandas_decimal": pandas_decimal,
    }[name]
    info = Anchor(name, exact_int=name.endswith("_int"))
    if info.exact_int and not bound.ok:
        fn = duckdb_decimal if name.startswith("duckdb") else pandas_decimal
        info.exact_int = False
        info.fallback = bound.describe()
    raw, t = timed(fn, directory)
    return raw, t, info


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0
