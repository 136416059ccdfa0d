"""Set-based SQL of the write-off (报核) report: one SELECT per book and cycle, both databases.

``report_sql`` yields one row per book item (materials and products) with every §6.3(c) column:

* a *direct* aggregate of the cycle's list lines per item (rule target columns, inflow qty/amount
  for the average price, product outflow amount) — the same CASE pivot as ``ledger.sql``;
* the *consumption term* (消耗, 有形/无形损耗) from ONE pluggable function chosen by the book's
  ``writeoff_method``: ``bom_consumption`` explodes product lines through their resolved consumption
  version exactly like posting does (identical lines folded, each (line, material) amount 5 dp);
* the opening (期初) = the previous write-off's closing (本期结余), else the item's 核销周期初始数量;
* the stocktake: material stock + in transit, and products' WIP/finished/defectives converted to
  materials (折料) through the version stored on the stocktake row, each term 5 dp;
* expected remaining, actual remaining, difference (qty, rate %, amount at the average unit price),
  scrap balance and closing, computed in an outer SELECT.

Python twin: ``ledger.calc_settlement`` (tested against this on the same data).  Every sign comes from
the one sign table ``calc.SIGN`` (the §6.3(c) equation, the product outflow, the scrap balance).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

from ..calc import EQUATION, PRODUCT_OUTFLOW, Q2, Q5, SIGN, signed_sql
from ..calc_settlement import Q4
from ..choices import PRODUCT_COLUMNS, RULE_COLUMNS
from ..models import (
    WRITEOFF_LINE_COLUMNS,
    BookItem,
    Consumption,
    InventoryList,
    InventoryListLine,
    PostingRule,
    StocktakeRow,
    WriteOffLine,
    WriteOffList,
)
from ..sql import _dec
from .movements import explosion_sql

T_ITEM = BookItem._meta.db_table
T_CONS = Consumption._meta.db_table
T_LIST = InventoryList._meta.db_table
T_LINE = InventoryListLine._meta.db_table
T_RULE = PostingRule._meta.db_table
T_WOL = WriteOffList._meta.db_table
T_WOLINE = WriteOffLine._meta.db_table
T_STOCK = StocktakeRow._meta.db_table

INFLOW = ("imports", "carry_in", "leftover_in", "returns_in")
FROM = f"""
      FROM {T_LINE} l
      JOIN {T_LIST} lst ON lst.id = l.inventory_list_id
      JOIN {T_RULE} r ON r.id = lst.rule_id
"""


def frozen_lists(writeoff_id: int) -> tuple[str, list]:
    """The lists frozen in a write-off (``ledger_writeofflist``)."""
    return f"lst.id IN (SELECT w.inventory_list_id FROM {T_WOL} w WHERE w.writeoff_id = %s)", [writeoff_id]


def posted_in_window(book_id: int, start, end) -> tuple[str, list]:
    """Posted lists of a book declared in [start, end] (for a report computed on the fly)."""
    return (
        "lst.book_id = %s AND lst.state = 'posted' AND lst.declaration_date >= %s AND lst.declaration_date <= %s",
        [book_id, start, end],
    )


def _in(cols) -> str:
    return ", ".join(f"'{c}'" for c in cols)


def direct_sql(where: str) -> str:
    """Per item: the rule target columns, inflow qty/amount and product outflow amount of the lines.

    Three steps, each on fewer rows: the lines are summed per (item, list rule, list direction) —
    plain sums of the stored values, no arithmetic per line: a reversal's direction multiplies the
    few sums afterwards —, those rows are summed per (item, rule target), and only these few rows are
    pivoted into columns (much cheaper than many CASE sums over every line)."""
    cols = ",\n".join(f"SUM(CASE WHEN t.target = '{c}' THEN t.qty ELSE 0 END) AS {c}" for c in RULE_COLUMNS)
    # (SQLite stores whole DECIMAL values as integers: every division below starts with 1.0 or 100.0)
    # outflow sign of a product column: −(its sign in the table) — a product return in counts back
    back = [c for c, sign in PRODUCT_OUTFLOW.items() if sign > 0]
    out_sign = f"CASE WHEN t.target IN ({_in(back)}) THEN -1 ELSE 1 END"
    # declared amount; a line without one is valued at the item's filed unit price.  The price is
    # applied by the caller, which has the book's items at hand (``priced()``): joining the item
    # table here, after the aggregate, let the planner misjudge the aggregate at province scale
    # (44,785 groups estimated for 157) and merge-join it with all 200,000 items (357-409 ms for
    # a 50,000-line report).  Exact: price x SUM(unpriced qty) = SUM(price x qty) in numeric.
    return f"""
        SELECT t.item_id AS item_id, {cols},
               SUM(CASE WHEN t.target IN ({_in(INFLOW)}) THEN t.qty ELSE 0 END) AS in_qty,
               SUM(CASE WHEN t.target IN ({_in(INFLOW)}) THEN t.amount ELSE 0 END) AS in_amount,
               SUM(CASE WHEN t.target IN ({_in(INFLOW)}) THEN t.unpriced ELSE 0 END) AS in_unpriced,
               SUM(CASE WHEN t.target IN ({_in(PRODUCT_COLUMNS)}) THEN t.amount * {out_sign} ELSE 0 END) AS out_amount,
               SUM(CASE WHEN t.target IN ({_in(PRODUCT_COLUMNS)}) THEN t.unpriced * {out_sign} ELSE 0 END) AS out_unpriced
          FROM (
            SELECT a.item_id AS item_id, r.target AS target, SUM(a.qty * a.direction) AS qty,
                   SUM(a.amount * a.direction) AS amount, SUM(a.unpriced * a.direction) AS unpriced
              FROM (
                SELECT l.item_id AS item_id, lst.rule_id AS rule_id, lst.direction AS direction,
                       SUM(l.qty) AS qty,
                       COALESCE(SUM(l.amount) FILTER (WHERE l.amount > 0), 0) AS amount,
                       COALESCE(SUM(l.qty) FILTER (WHERE l.amount <= 0), 0) AS unpriced
                  FROM {T_LINE} l
                  JOIN {T_LIST} lst ON lst.id = l.inventory_list_id
                 WHERE ({where})
                 GROUP BY l.item_id, lst.rule_id, lst.direction
              ) a
              JOIN {T_RULE} r ON r.id = a.rule_id
             WHERE r.target <> ''
             GROUP BY a.item_id, r.target
          ) t
         GROUP BY t.item_id
    """


def priced(d: str, price: str, column: str) -> str:
    """The declared amount of ``column`` (``in`` / ``out``) of a ``direct_sql`` row ``d`` plus its
    unpriced quantity at the item's filed ``price``."""
    return f"({d}.{column}_amount + {d}.{column}_unpriced * {price})"


def rounding_mode() -> str:
    """Where the write-off rounds the consumption term (``settings.ZONEBOOK["LEDGER_WRITEOFF_ROUNDING"]``):

    * ``"product"`` (default): the §6.3 write-off formula — 消耗 = Σ(p, version) 成品出口总数量 × 单耗 ×
      保税比例, each (product, version, material) term rounded to 5 dp (Example C's scrap 435.78947);
    * ``"line"``: every (list line, material) amount rounded to 5 dp, exactly as posting does (the
      write-off then equals the balances' cycle delta to the last digit, at ~5× the cost).
    """
    return str(settings.ZONEBOOK.get("LEDGER_WRITEOFF_ROUNDING", "product"))


def bom_consumption(where: str, book_id: int | None = None) -> str:
    """消耗 from the consumption table (单耗): product lines exploded through their resolved version by
    the ledger's one explosion builder (``movements.explosion_sql``).

    The product lines are first summed per (product, version) — signed: exports and carry-overs
    out add, product returns in subtract — (``"line"`` rounding: folded per (product, version,
    qty)); the per-unit factors (单耗 × 保税比例, × loss rates) are the stored exact products, equal to
    posting's ROUND(qty × 单耗 × …, 5) per unit.  ``book_id``: read only that book's consumption rows.
    """
    group = "fold" if rounding_mode() == "line" else "sum"
    return explosion_sql(where, group=group, order="factor", book_id=book_id)


# The consumption term is pluggable (domain doc §6.5): book.writeoff_method → function(where, book_id)
# → SQL with columns (item_id, consumption, tangible_loss, intangible_loss).  Work-order consumption (工单核销)
# plugs in here when work orders exist.
CONSUMPTION_SOURCES = {"bom": bom_consumption}


def consumption_source(method: str):
    try:
        return CONSUMPTION_SOURCES[method]
    except KeyError:
        raise DomainError(
            _(
                "The write-off method “%(m)s” has no consumption source yet; only the consumption table (单耗) is available."
            )
            % {"m": method},
            code="writeoff_method",
            field="writeoff_method",
        ) from None


def converted_sql() -> str:
    """折料: products' stocktake units × 单耗 × 保税比例 through the version stored on the row."""
    k = "c.unit_consumption * c.bonded_share * 0.01"
    return f"""
        SELECT c.material_id AS item_id,
               SUM(ROUND(s.wip * {k}, 5) + ROUND(s.finished * {k}, 5) + ROUND(s.defective * {k}, 5)) AS converted
          FROM {T_STOCK} s
          JOIN {T_CONS} c ON c.product_id = s.item_id AND c.version = s.version
         WHERE s.writeoff_id = %s
         GROUP BY c.material_id
    """


MATERIAL_TERMS = [c for c in EQUATION if c not in ("opening", "adjust_plus", "adjust_minus")]


def report_sql(
    book_id: int,
    lists: tuple[str, list],
    *,
    method: str = "bom",
    previous_id: int | None = None,
    stocktake_id: int | None = None,
) -> tuple[str, list]:
    """(sql, params) of the write-off report: one row per item of the book, columns
    ``item_id, kind, seq_no, closing_amount`` + ``WRITEOFF_LINE_COLUMNS``, materials then products."""
    where, wparams = lists
    cons = consumption_source(method)(where, book_id)
    mat = "i.kind = 'material'"
    z = lambda c: f"COALESCE(ROUND(d.{c}, 5), 0)"  # noqa: E731
    opening_qty = f"CASE WHEN {mat} THEN COALESCE(p.closing, i.opening_qty) ELSE 0 END"
    opening_amt = f"CASE WHEN {mat} THEN COALESCE(p.closing_amount, i.opening_amount) ELSE 0 END"
    # inner: every column of §6.3(c) for the cycle
    inner_cols = [
        "i.id AS item_id",
        "i.kind AS kind",
        "i.seq_no AS seq_no",
        "i.unit_price AS unit_price",
        f"{opening_qty} AS opening",
        f"{opening_amt} AS opening_amount",
        *(f"{z(c)} AS {c}" for c in RULE_COLUMNS),
        "0 AS adjust_plus",
        "0 AS adjust_minus",
        "COALESCE(ROUND(c.consumption, 5), 0) AS consumption",
        "COALESCE(ROUND(c.tangible_loss, 5), 0) AS tangible_loss",
        "COALESCE(ROUND(c.intangible_loss, 5), 0) AS intangible_loss",
        "COALESCE(d.in_qty, 0) AS in_qty",
        f"COALESCE(ROUND({priced('d', 'i.unit_price', 'in')}, 2), 0) AS in_amount",
        f"COALESCE(ROUND({priced('d', 'i.unit_price', 'out')}, 2), 0) AS out_amount",
        f"CASE WHEN {mat} THEN COALESCE(p.scrap_balance, 0) ELSE 0 END AS scrap_opening",
        "COALESCE(s.stock, 0) AS stock",
        "COALESCE(s.in_transit, 0) AS in_transit",
        "COALESCE(s.wip, 0) AS wip",
        "COALESCE(s.finished, 0) AS finished",
        "COALESCE(s.defective, 0) AS defective",
        "COALESCE(ROUND(k.converted, 5), 0) AS converted",
    ]
    eq = signed_sql({c: EQUATION[c] for c in MATERIAL_TERMS}, lambda c: f"b.{c}")
    er = f"ROUND(b.opening {eq}, 5)"
    has_stock = "1 = 1" if stocktake_id else "1 = 0"
    # PostgreSQL inlines the layers and would evaluate each of their expressions (应剩余, 实际剩余, the
    # price, …) once per use in the layer above; OFFSET 0 computes each layer's columns once per row
    # (0.9× for a 2,000-item book).  SQLite evaluates them as they are.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    actual = f"CASE WHEN b.kind = 'material' AND {has_stock} THEN ROUND(b.stock + b.in_transit + b.converted, 5) END"
    pos_open = "CASE WHEN b.opening < 0 THEN 0 ELSE b.opening END"
    pos_amt = "CASE WHEN b.opening < 0 THEN 0 ELSE b.opening_amount END"
    price = (
        f"CASE WHEN b.kind <> 'material' THEN NULL WHEN {pos_open} + b.in_qty > 0"
        f" THEN ROUND(1.0 * ({pos_amt} + b.in_amount) / ({pos_open} + b.in_qty), 4) ELSE ROUND(b.unit_price, 4) END"
    )
    mid = f"""
        SELECT b.*, CASE WHEN b.kind = 'material' THEN {er} ELSE 0 END AS expected_remaining,
               {actual} AS actual_remaining, {price} AS avg_price
          FROM (
            SELECT {", ".join(inner_cols)}
              FROM {T_ITEM} i
              LEFT JOIN ({direct_sql(where)}) d ON d.item_id = i.id
              LEFT JOIN ({cons}) c ON c.item_id = i.id
              LEFT JOIN {T_WOLINE} p ON p.writeoff_id = %s AND p.item_id = i.id
              LEFT JOIN {T_STOCK} s ON s.writeoff_id = %s AND s.item_id = i.id
              LEFT JOIN ({converted_sql()}) k ON k.item_id = i.id
             WHERE i.book_id = %s{fence}
          ) b{fence}
    """
    diff = "ROUND(m.actual_remaining - m.expected_remaining, 5)"
    # 出口总数量 = −Σ sign × quantity over the product columns
    scrap_out = signed_sql({"scrap_out": SIGN["scrap_out"]}, lambda c: f"m.{c}")
    outflow = "0 " + signed_sql({c: -sign for c, sign in PRODUCT_OUTFLOW.items()}, lambda c: f"m.{c}")
    outer = {
        "difference_qty": diff,
        "difference_rate": f"CASE WHEN m.expected_remaining <> 0 THEN ROUND(100.0 * {diff} / m.expected_remaining, 4) END",
        "difference_amount": f"ROUND({diff} * m.avg_price, 2)",
        "scrap_balance": f"CASE WHEN m.kind = 'material' THEN ROUND(m.scrap_opening + m.tangible_loss {scrap_out}, 5) ELSE 0 END",
        "closing": "CASE WHEN m.kind = 'material' THEN COALESCE(m.actual_remaining, m.expected_remaining) ELSE 0 END",
        "outflow": f"CASE WHEN m.kind = 'product' THEN ROUND({outflow}, 5) ELSE 0 END",
        "wip": "m.wip",
        "finished": "m.finished",
        "defective": "m.defective",
    }
    select = []
    for c in WRITEOFF_LINE_COLUMNS:
        select.append(f"{outer[c]} AS {c}" if c in outer else f"m.{c} AS {c}")
    closing_amount = (
        "CASE WHEN m.kind = 'material' THEN"
        " ROUND(COALESCE(m.actual_remaining, m.expected_remaining) * COALESCE(m.avg_price, 0), 2) ELSE 0 END"
    )
    sql = f"""
        SELECT m.item_id AS item_id, m.kind AS kind, m.seq_no AS seq_no, {closing_amount} AS closing_amount,
               m.in_amount AS in_amount, m.out_amount AS out_amount, {", ".join(select)}
          FROM ({mid}) m
    """
    params = [*wparams, *wparams, previous_id or 0, stocktake_id or 0, stocktake_id or 0, book_id]
    return sql, params


OUT_COLUMNS = [
    "item_id",
    "kind",
    "seq_no",
    "closing_amount",
    "in_amount",
    "out_amount",
    *WRITEOFF_LINE_COLUMNS,
]
NULLABLE = {"actual_remaining", "difference_qty", "difference_rate", "difference_amount", "avg_price"}
MONEY_COLUMNS = {"closing_amount", "in_amount", "out_amount", "difference_amount"}


def _value(col, v):
    """PostgreSQL returns exact numerics already rounded by the SQL: kept as they are.  SQLite returns
    floats (and integers for whole values): converted to Decimal at the column's precision."""
    if v is None or isinstance(v, Decimal) or col in ("item_id", "kind", "seq_no"):
        return v
    if isinstance(v, float):
        v = Decimal(repr(v))
    if col in MONEY_COLUMNS:
        return Decimal(v).quantize(Q2, rounding=ROUND_HALF_UP)
    if col in ("difference_rate", "avg_price"):
        return Decimal(v).quantize(Q4, rounding=ROUND_HALF_UP)
    return Decimal(v).quantize(Q5, rounding=ROUND_HALF_UP)


# The per-(item, rule, direction) aggregate of a book's lines is estimated at tens of thousands of
# groups (157 for the 50,000-line bench book): at the default 4 MB work_mem PostgreSQL sorts the
# book's lines on disk for it (an external merge, a third of the report).  One statement's sort or
# hash needs far less than this; SET LOCAL ends with the statement's transaction.
REPORT_WORK_MEM = "32MB"


def _report_work_mem(cur) -> None:
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        cur.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")


def report_rows(book_id: int, lists, **kw) -> list[dict]:
    """The report as dicts (materials then products, by sequence number)."""
    sql, params = report_sql(book_id, lists, **kw)
    with transaction.atomic(), connection.cursor() as cur:
        _report_work_mem(cur)
        cur.execute(
            f"SELECT * FROM ({sql}) x ORDER BY CASE WHEN x.kind = 'material' THEN 0 ELSE 1 END, x.seq_no",
            params,
        )
        names = [c[0] for c in cur.description]
        # PostgreSQL's numerics arrive as Decimal already rounded: kept without a call per cell
        return [
            {
                n: v if v is None or type(v) is Decimal else _value(n, v)
                for n, v in zip(names, row, strict=True)
            }
            for row in cur.fetchall()
        ]


def store(writeoff_id: int, book_id: int, lists, **kw) -> int:
    """Replace the write-off's lines by the report: one DELETE and one INSERT … SELECT."""
    sql, params = report_sql(book_id, lists, **kw)
    cols = ["item_id", "kind", "seq_no", "closing_amount", *WRITEOFF_LINE_COLUMNS]
    insert = f"""
        INSERT INTO {T_WOLINE} (writeoff_id, {", ".join(cols)})
        SELECT %s, {", ".join("x." + c for c in cols)} FROM ({sql}) x
    """
    with transaction.atomic(), connection.cursor() as cur:
        _report_work_mem(cur)
        cur.execute(f"DELETE FROM {T_WOLINE} WHERE writeoff_id = %s", [writeoff_id])
        cur.execute(insert, [writeoff_id, *params])
        return cur.rowcount


def totals(writeoff_id: int, lists) -> dict:
    """Header totals: lists, lines, inflow/outflow amounts, shortage/surplus amounts (one query each)."""
    where, wparams = lists
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(DISTINCT lst.id), COUNT(l.id) FROM {T_LIST} lst"
            f" LEFT JOIN {T_LINE} l ON l.inventory_list_id = lst.id WHERE {where}",
            wparams,
        )
        n_lists, n_lines = cur.fetchone()
        cur.execute(
            f"""SELECT SUM(CASE WHEN kind = 'material' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN kind = 'product' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN difference_amount < 0 THEN difference_amount ELSE 0 END),
                       SUM(CASE WHEN difference_amount > 0 THEN difference_amount ELSE 0 END)
                  FROM {T_WOLINE} WHERE writeoff_id = %s""",
            [writeoff_id],
        )
        n_mat, n_prod, short, surplus = cur.fetchone()
    return {
        "list_count": n_lists or 0,
        "line_count": n_lines or 0,
        "material_count": n_mat or 0,
        "product_count": n_prod or 0,
        "shortage_amount": _dec(short or 0).quantize(Q2),
        "surplus_amount": _dec(surplus or 0).quantize(Q2),
    }


def amounts(lists) -> tuple:
    """(material inflow amount, product outflow amount) of the lists, 0.01."""
    where, wparams = lists
    sql = (
        f"SELECT SUM({priced('x', 'it.unit_price', 'in')}), SUM({priced('x', 'it.unit_price', 'out')})"
        f" FROM ({direct_sql(where)}) x JOIN {T_ITEM} it ON it.id = x.item_id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, wparams)
        a, b = cur.fetchone()
    return _dec(a or 0).quantize(Q2), _dec(b or 0).quantize(Q2)
