"""The full recompute three ways, and the exact comparison of their results.

* product: ``ledger.services.recompute`` (set-based SQL in the database), read back from the stored
  balances;
* DuckDB: the same computation written directly in DuckDB SQL over Parquet exports of the tables;
* pandas: a straightforward pandas implementation (Decimal object columns: float64 would not give
  the exact 5-dp results the comparison demands).

All three return ``{item_id: (value per BALANCE_COLUMNS …)}`` with Decimals quantised to 5 dp;
``compare`` says where they differ.  Exploded amounts are rounded per (line, material) to 5 dp,
half away from zero, before summing (docs/ledger.md).
"""

from __future__ import annotations

import csv
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

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


def export_parquet(directory: Path) -> dict:
    """Write the five tables to ``directory/<table>.parquet``; returns {table: rows}."""
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
    rows = {}
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
        pq.write_table(tbl, directory / f"{table}.parquet")
        path_csv.unlink()
        rows[table] = tbl.num_rows
    return rows


# ----------------------------------------------------------------------------- product


def product_balances() -> dict[int, tuple]:
    """The stored balances (after ``recompute``), one tuple per item in BALANCE_COLUMNS order."""
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


# ----------------------------------------------------------------------------- DuckDB


def duckdb_sql(directory: Path) -> str:
    def p(name):
        return f"read_parquet('{directory / (name + '.parquet')}')"

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


def duckdb_balances(directory: Path, threads: int | None = None) -> dict[int, tuple]:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    rows = con.execute(duckdb_sql(directory)).fetchall()
    con.close()
    return _from_named_rows(rows, _duckdb_order())


def _duckdb_order() -> list[str]:
    return ["opening", *RULE_COLUMNS, *EXPLODED, "expected_remaining", "scrap_balance"]


def _from_named_rows(rows, order: list[str]) -> dict[int, tuple]:
    """Rows (id, *values in ``order``) → {id: tuple in BALANCE_COLUMNS order} (adjustments are zero)."""
    pos = {c: n for n, c in enumerate(order)}
    zero = Decimal(0).quantize(Q5)
    out = {}
    for r in rows:
        vals = r[1:]
        out[int(r[0])] = tuple(_q(vals[pos[c]]) if c in pos else zero for c in BALANCE_COLUMNS)
    return out


# ----------------------------------------------------------------------------- pandas


PANDAS_CHUNK_LINES = 1_000_000


def pandas_balances(directory: Path, chunk_lines: int = PANDAS_CHUNK_LINES) -> dict[int, tuple]:
    """What an analyst would write: merge, filter, multiply, round, group, pivot (Decimal objects).

    The lines are read ``chunk_lines`` at a time (what an analyst does once the data no longer fits
    in memory: 10 M lines explode to ~39 M rows of Decimal objects, far beyond 24 GB) and the sums
    of the chunks are added up; the smaller tables are read whole."""
    import pandas as pd
    import pyarrow.parquet as pq

    lists = pd.read_parquet(directory / "lists.parquet")
    rules = pd.read_parquet(directory / "rules.parquet")
    cons = pd.read_parquet(directory / "consumption.parquet")
    items = pd.read_parquet(directory / "items.parquet")
    lr = lists.merge(rules, left_on="rule_id", right_on="id", suffixes=("", "_rule"))
    lr = lr[lr["state"] == "posted"].drop(columns=["id_rule"])
    hundredth = Decimal("0.01")

    def r5(s):
        return s.map(lambda d: d.quantize(Q5, rounding=ROUND_HALF_UP))

    direct_parts, exploded_parts = [], []
    for batch in pq.ParquetFile(directory / "lines.parquet").iter_batches(batch_size=chunk_lines):
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
    order = _duckdb_order()
    return _from_named_rows(out.reset_index()[["id", *order]].itertuples(index=False), order)


# ----------------------------------------------------------------------------- comparison


def compare(results: dict[str, dict[int, tuple]], limit: int = 10) -> list[str]:
    """Differences between the named results (exact, after rounding to 5 dp); empty when all agree."""
    names = list(results)
    ref_name, ref = names[0], results[names[0]]
    problems = []
    for name in names[1:]:
        other = results[name]
        if set(other) != set(ref):
            problems.append(
                f"{name}: items differ from {ref_name} "
                f"(missing {len(set(ref) - set(other))}, extra {len(set(other) - set(ref))})"
            )
            continue
        for item_id in sorted(ref):
            if ref[item_id] != other[item_id]:
                cols = [
                    f"{c}: {ref_name}={a} {name}={b}"
                    for c, a, b in zip(BALANCE_COLUMNS, ref[item_id], other[item_id], strict=True)
                    if a != b
                ]
                problems.append(f"item {item_id}: " + "; ".join(cols))
                if len(problems) >= limit:
                    return problems
    return problems


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0
