"""Set-based SQL of the ledger (runs on SQLite ≥ 3.35 and PostgreSQL ≥ 15).

Every posting effect is derived from one *movements* query (a UNION ALL of the direct lines and of
the product lines exploded through their consumption version) which a *pivot* folds into one row
per item with one value per balance column.  The same pivot serves:

* ``post``: ``UPDATE ledger_balance … FROM (pivot of one list)`` — one statement per list;
* ``recompute``: ``UPDATE ledger_balance … FROM (items LEFT JOIN pivot of all posted lines)``;
* ``check``: the same "full" query LEFT JOINed with the stored balances;
* the as-of report: the full query restricted by declaration date.

Quantities: each exploded (line, material) amount is rounded to 5 dp (ROUND half away from zero,
= ROUND_HALF_UP) before summing, exactly like ``calc.explode``.  On SQLite DECIMAL columns are
floating point: results are rounded to 5 dp when written and compared with a 0.000005 tolerance.
See docs/ledger.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import calc
from .choices import RULE_COLUMNS
from .models import BALANCE_COLUMNS, Balance, BookItem, Consumption, InventoryList, InventoryListLine, PostingRule

T_BAL = Balance._meta.db_table
T_ITEM = BookItem._meta.db_table
T_CONS = Consumption._meta.db_table
T_LIST = InventoryList._meta.db_table
T_LINE = InventoryListLine._meta.db_table
T_RULE = PostingRule._meta.db_table

TOLERANCE = "0.000005"
# Columns derived from the explosion, and the two balances.
EXPLODED = {"consumption": "cons", "tangible_loss": "tang", "intangible_loss": "intang"}


def scrap_bonded() -> bool:
    return bool(settings.ZONEBOOK.get("LEDGER_SCRAP_BONDED_SHARE", False))


def movements_sql(where: str) -> str:
    """Movements of the lines selected by ``where`` (on aliases l = line, lst = list, r = rule).

    Columns: item_id, col (target column or ''), q (quantity added to col), cons / tang / intang
    (exploded material consumption and losses), er (Δ expected remaining), sb (Δ scrap balance).
    The ``where`` text appears twice: pass its parameters twice.
    """
    loss = " * c.bonded_share * 0.01" if scrap_bonded() else ""
    gross = "l.qty * c.unit_consumption"
    cons = f"ROUND({gross} * c.bonded_share * 0.01, 5)"
    tang = f"ROUND({gross} * c.tangible_rate * 0.01{loss}, 5)"
    intang = f"ROUND({gross} * c.intangible_rate * 0.01{loss}, 5)"
    return f"""
        SELECT l.item_id AS item_id, r.target AS col, l.qty * lst.direction AS q,
               0 AS cons, 0 AS tang, 0 AS intang,
               CASE WHEN r.explode OR r.scrap THEN 0 ELSE r.sign * lst.direction * l.qty END AS er,
               CASE WHEN r.scrap THEN r.sign * lst.direction * l.qty ELSE 0 END AS sb
          FROM {T_LINE} l
          JOIN {T_LIST} lst ON lst.id = l.inventory_list_id
          JOIN {T_RULE} r ON r.id = lst.rule_id
         WHERE r.target <> '' AND ({where})
        UNION ALL
        SELECT c.material_id, '', 0,
               -r.sign * lst.direction * {cons},
               -r.sign * lst.direction * {tang},
               -r.sign * lst.direction * {intang},
               r.sign * lst.direction * {cons},
               -r.sign * lst.direction * {tang}
          FROM {T_LINE} l
          JOIN {T_LIST} lst ON lst.id = l.inventory_list_id
          JOIN {T_RULE} r ON r.id = lst.rule_id
          JOIN {T_CONS} c ON c.product_id = l.item_id AND c.version = l.resolved_version
         WHERE r.explode AND ({where})
    """


def pivot_sql(where: str) -> str:
    """One row per item: the sum of every movement column (Δ of the balance)."""
    cols = ",\n".join(f"SUM(CASE WHEN m.col = '{c}' THEN m.q ELSE 0 END) AS {c}" for c in RULE_COLUMNS)
    return f"""
        SELECT m.item_id AS item_id, {cols},
               SUM(m.cons) AS consumption, SUM(m.tang) AS tangible_loss, SUM(m.intang) AS intangible_loss,
               SUM(m.er) AS er, SUM(m.sb) AS sb
          FROM ({movements_sql(where)}) m
         GROUP BY m.item_id
    """


DELTA_COLUMNS = list(RULE_COLUMNS) + list(EXPLODED)


def _in_clause(ids) -> tuple[str, list]:
    ids = [int(i) for i in ids]
    return ", ".join(["%s"] * len(ids)), ids


# ---------------------------------------------------------------- posting one list


def _list_where() -> str:
    return "lst.id = %s"


def shortfalls(list_id: int, book_id: int, limit: int = 50) -> list[dict]:
    """Material items whose expected remaining or scrap balance the list would take below zero."""
    sql = f"""
        SELECT i.seq_no, i.part_no, i.name, b.expected_remaining + d.er, b.scrap_balance + d.sb, d.er, d.sb
          FROM {T_BAL} b
          JOIN ({pivot_sql(_list_where())}) d ON d.item_id = b.item_id
          JOIN {T_ITEM} i ON i.id = b.item_id
         WHERE b.book_id = %s AND i.kind = 'material'
           AND ((d.er < 0 AND b.expected_remaining + d.er < -{TOLERANCE})
             OR (d.sb < 0 AND b.scrap_balance + d.sb < -{TOLERANCE}))
         ORDER BY i.seq_no
         LIMIT {int(limit)}
    """
    with connection.cursor() as cur:
        cur.execute(sql, [list_id, list_id, book_id])
        rows = cur.fetchall()
    out = []
    for seq, part, name, er_after, sb_after, der, dsb in rows:
        er_after, sb_after = _dec(er_after), _dec(sb_after)
        out.append(
            {
                "seq_no": seq,
                "part_no": part,
                "name": name,
                "expected_remaining_after": er_after,
                "scrap_balance_after": sb_after,
                "material_shortfall": -er_after if er_after < 0 and _dec(der) < 0 else Decimal(0),
                "scrap_shortfall": -sb_after if sb_after < 0 and _dec(dsb) < 0 else Decimal(0),
            }
        )
    return out


def apply_list(list_id: int) -> int:
    """Add the effect of one list to the stored balances: ONE ``UPDATE … FROM`` statement.

    Returns the number of balance rows changed.
    """
    sets = [f"{c} = ROUND({T_BAL}.{c} + d.{c}, 5)" for c in DELTA_COLUMNS]
    sets.append(f"expected_remaining = ROUND({T_BAL}.expected_remaining + d.er, 5)")
    sets.append(f"scrap_balance = ROUND({T_BAL}.scrap_balance + d.sb, 5)")
    sets.append("updated_at = %s")
    sql = f"UPDATE {T_BAL} SET {', '.join(sets)} FROM ({pivot_sql(_list_where())}) d WHERE {T_BAL}.item_id = d.item_id"
    with connection.cursor() as cur:
        cur.execute(sql, [timezone.now(), list_id, list_id])
        return cur.rowcount


def resolve_versions(list_id: int, on) -> None:
    """Set ``resolved_version`` of every line of a product list in one UPDATE: the version named on
    the line, else the only version in force on ``on``, else '' (reported by ``version_problems``)."""
    sql = f"""
        UPDATE {T_LINE} SET resolved_version = CASE WHEN consumption_version <> '' THEN consumption_version ELSE COALESCE((
            SELECT MIN(c.version) FROM {T_CONS} c
             WHERE c.product_id = {T_LINE}.item_id
               AND (c.valid_from IS NULL OR c.valid_from <= %s) AND (c.valid_to IS NULL OR c.valid_to >= %s)
            HAVING COUNT(DISTINCT c.version) = 1), '') END
         WHERE inventory_list_id = %s
    """
    with connection.cursor() as cur:
        cur.execute(sql, [on, on, list_id])


def version_problems(list_id: int, on, limit: int = 50) -> list[dict]:
    """Product lines whose consumption version cannot be used, with the number of versions in force."""
    sql = f"""
        SELECT l.line_no, l.item_seq_no, l.part_no, l.consumption_version,
               (SELECT COUNT(DISTINCT c.version) FROM {T_CONS} c
                 WHERE c.product_id = l.item_id
                   AND (c.valid_from IS NULL OR c.valid_from <= %s) AND (c.valid_to IS NULL OR c.valid_to >= %s)) AS n
          FROM {T_LINE} l
         WHERE l.inventory_list_id = %s
           AND (l.resolved_version = '' OR NOT EXISTS (
                SELECT 1 FROM {T_CONS} c WHERE c.product_id = l.item_id AND c.version = l.resolved_version))
         ORDER BY l.line_no
         LIMIT {int(limit)}
    """
    with connection.cursor() as cur:
        cur.execute(sql, [on, on, list_id])
        return [dict(zip(("line_no", "item_seq_no", "part_no", "named", "in_force"), r, strict=True)) for r in cur.fetchall()]


# ---------------------------------------------------------------- recompute, check, as-of


def _posted_where(book_ids, as_of) -> tuple[str, list]:
    where, params = "lst.state = 'posted'", []
    if book_ids is not None:
        marks, ids = _in_clause(book_ids)
        where += f" AND lst.book_id IN ({marks})"
        params += ids
    if as_of is not None:
        where += " AND lst.declaration_date <= %s"
        params.append(as_of)
    return where, params


def full_sql(book_ids=None, as_of=None) -> tuple[str, list]:
    """Every balance column of every item of the books, recomputed from the posted lines.

    Expected remaining is the §6.3(c) equation over the recomputed columns (not the incremental
    sign sum): the two paths agree only if the rule table is consistent, which the check verifies.
    """
    where, wparams = _posted_where(book_ids, as_of)
    cols = []
    for c in DELTA_COLUMNS:
        cols.append(f"COALESCE(ROUND(d.{c}, 5), 0) AS {c}")
    opening = "CASE WHEN i.kind = 'material' THEN i.opening_qty ELSE 0 END"
    eq = [f"{opening}"]
    for c, s in calc.EQUATION.items():
        if c in ("opening", "adjust_plus", "adjust_minus"):
            continue  # adjustments come from write-offs (not yet posted by lists): zero
        eq.append(f"{'+' if s > 0 else '-'} COALESCE(ROUND(d.{c}, 5), 0)")
    er = f"CASE WHEN i.kind = 'material' THEN ROUND({' '.join(eq)}, 5) ELSE 0 END"
    sb = "CASE WHEN i.kind = 'material' THEN ROUND(COALESCE(ROUND(d.tangible_loss, 5), 0) - COALESCE(ROUND(d.scrap_out, 5), 0), 5) ELSE 0 END"
    item_where, iparams = "1 = 1", []
    if book_ids is not None:
        marks, ids = _in_clause(book_ids)
        item_where, iparams = f"i.book_id IN ({marks})", ids
    sql = f"""
        SELECT i.id AS item_id, i.book_id AS book_id, {opening} AS opening, 0 AS adjust_plus, 0 AS adjust_minus,
               {", ".join(cols)}, {er} AS expected_remaining, {sb} AS scrap_balance
          FROM {T_ITEM} i
          LEFT JOIN ({pivot_sql(where)}) d ON d.item_id = i.id
         WHERE {item_where}
    """
    return sql, wparams + wparams + iparams


def recompute(book_ids=None) -> int:
    """Insert missing balance rows, then overwrite every column from the posted lines (2 statements)."""
    now = timezone.now()
    item_where, iparams = "1 = 1", []
    if book_ids is not None:
        marks, ids = _in_clause(book_ids)
        item_where, iparams = f"i.book_id IN ({marks})", ids
    zero_cols = ", ".join(BALANCE_COLUMNS)
    zeros = ", ".join("0" for _ in BALANCE_COLUMNS)
    insert = f"""
        INSERT INTO {T_BAL} (book_id, item_id, updated_at, {zero_cols})
        SELECT i.book_id, i.id, %s, {zeros} FROM {T_ITEM} i
         WHERE {item_where} AND NOT EXISTS (SELECT 1 FROM {T_BAL} b WHERE b.item_id = i.id)
    """
    full, fparams = full_sql(book_ids)
    sets = ", ".join(f"{c} = f.{c}" for c in BALANCE_COLUMNS)
    update = f"UPDATE {T_BAL} SET {sets}, updated_at = %s FROM ({full}) f WHERE {T_BAL}.item_id = f.item_id"
    with connection.cursor() as cur:
        cur.execute(insert, [now, *iparams])
        cur.execute(update, [now, *fparams])
        return cur.rowcount


def check(book_ids=None, limit: int = 1000) -> list[dict]:
    """Differences between stored balances and a recompute (missing rows included), set-based."""
    full, fparams = full_sql(book_ids)
    cond = " OR ".join(f"ABS(f.{c} - b.{c}) > {TOLERANCE}" for c in BALANCE_COLUMNS)
    sel = ", ".join(f"f.{c}, b.{c}" for c in BALANCE_COLUMNS)
    sql = f"""
        SELECT f.item_id, f.book_id, b.id, {sel}
          FROM ({full}) f LEFT JOIN {T_BAL} b ON b.item_id = f.item_id
         WHERE b.id IS NULL OR {cond}
         ORDER BY f.book_id, f.item_id
         LIMIT {int(limit)}
    """
    with connection.cursor() as cur:
        cur.execute(sql, fparams)
        rows = cur.fetchall()
    out = []
    for row in rows:
        item_id, book_id, bal_id = row[:3]
        diffs = {}
        vals = row[3:]
        for n, c in enumerate(BALANCE_COLUMNS):
            expected, stored = _dec(vals[2 * n]), (None if bal_id is None else _dec(vals[2 * n + 1]))
            if stored is None or abs(expected - stored) > Decimal(TOLERANCE):
                diffs[c] = {"stored": stored, "recomputed": expected}
        out.append({"item_id": item_id, "book_id": book_id, "missing": bal_id is None, "columns": diffs})
    return out


def as_of_rows(book_id: int, as_of) -> dict[int, dict]:
    """{item_id: {column: Decimal}} computed from the lists declared up to ``as_of`` (inclusive)."""
    full, fparams = full_sql([book_id], as_of)
    with connection.cursor() as cur:
        cur.execute(f"SELECT f.item_id, {', '.join('f.' + c for c in BALANCE_COLUMNS)} FROM ({full}) f", fparams)
        return {r[0]: {c: _dec(v) for c, v in zip(BALANCE_COLUMNS, r[1:], strict=True)} for r in cur.fetchall()}


def _dec(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return calc.q5(Decimal(repr(value)))
    return calc.q5(value)
