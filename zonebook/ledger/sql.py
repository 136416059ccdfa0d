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

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import calc
from .choices import RULE_COLUMNS
from .models import (
    BALANCE_COLUMNS,
    Balance,
    BookItem,
    Consumption,
    InventoryList,
    InventoryListLine,
    PostingRule,
)

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


def _from() -> str:
    return f"""
          FROM {T_LINE} l
          JOIN {T_LIST} lst ON lst.id = l.inventory_list_id
          JOIN {T_RULE} r ON r.id = lst.rule_id
    """


def pivot_sql(where: str, by_list: bool = False, fold: bool = True) -> str:
    """One row per item: the delta of every balance column caused by the lines selected by ``where``
    (on aliases l = line, lst = list, r = rule).  The ``where`` text appears twice: pass its
    parameters twice.

    Two aggregates are combined: the *direct* one (each line's own item: the rule's target column
    gets qty x direction; er / sb get the signed quantity for material / scrap rules) and the
    *exploded* one (product lines through the consumption rows of their resolved version, each
    (line, material) amount rounded to 5 dp: consumption, tangible and intangible loss; the
    material's expected remaining moves by -consumption and its scrap balance by +tangible loss).

    ``by_list``: one row per (list, item) with a leading ``list_id`` column instead of one per item
    (the running-balance check of a batch posting, ``batch_shortfalls``).

    ``fold`` (posting): identical (product, version, qty) lines are folded into a signed count before
    the explosion — a list's lines are few and the fold is cheap.  Without it (the full recompute and
    the as-of report) every product line joins its consumption rows directly: one pipeline of hash
    joins into one hash aggregate that PostgreSQL runs on every core, where the fold's sort of all
    lines costs more than it saves (10 M lines: docs/performance.md, "fourth session").  The sums
    are the same: each (line, material) amount is rounded on its own either way.
    """
    loss = " * c.bonded_share * 0.01" if scrap_bonded() else ""
    k = "-r.sign * lst.direction"
    if connection.vendor == "postgresql":
        # numeric multiplication is exact, so q x (u x s x 0.01) = q x u x s x 0.01: the factors of
        # every consumption row are stored (generated columns k_cons, k_tang, k_intang) instead of
        # being multiplied again for every exploded row (docs/performance.md).  SQLite's DECIMAL is
        # a float: keep its order of operations.
        cons = T_CONS
        f_cons, f_tang, f_intang = "g.qty * c.k_cons", f"g.qty * c.k_tang{loss}", f"g.qty * c.k_intang{loss}"
    else:
        cons = T_CONS
        gross = "g.qty * c.unit_consumption"
        f_cons = f"{gross} * c.bonded_share * 0.01"
        f_tang = f"{gross} * c.tangible_rate * 0.01{loss}"
        f_intang = f"{gross} * c.intangible_rate * 0.01{loss}"
    # FILTER instead of CASE … ELSE 0: a line adds to its own column only, not a numeric 0 to the 13
    # others (~20 % of the direct part)
    direct_cols = ",\n".join(
        f"COALESCE(SUM(l.qty * lst.direction) FILTER (WHERE r.target = '{c}'), 0) AS {c}"
        for c in RULE_COLUMNS
    )
    zero_rule_cols = ", ".join(f"0 AS {c}" for c in RULE_COLUMNS)
    outer_cols = ", ".join(f"SUM(x.{c}) AS {c}" for c in RULE_COLUMNS)
    lid, glid, lgrp, ggrp, xsel, xgrp = ("",) * 6
    if by_list:
        lid, glid, lgrp, ggrp = "lst.id AS list_id, ", "g.list_id, ", "lst.id, ", "g.list_id, "
        xsel, xgrp = "x.list_id AS list_id, ", "x.list_id, "
    template, extra = _EXPLODED_BRANCH, {}
    if not fold:
        template = _UNFOLDED_BRANCH
        extra = {
            f"u_{name}": _signed_sum(f"ROUND({expr}, 5)")
            for name, expr in zip(EXPLODED.values(), (f_cons, f_tang, f_intang), strict=True)
        }
    exploded = template.format(
        **extra,
        zero_rule_cols=zero_rule_cols,
        f_cons=f_cons,
        f_tang=f_tang,
        f_intang=f_intang,
        k=k,
        frm=_from(),
        where=where,
        cons=cons,
        lid=lid,
        glid=glid,
        lgrp=lgrp,
        ggrp=ggrp,
    )
    return f"""
        SELECT {xsel}x.item_id AS item_id, {outer_cols},
               SUM(x.consumption) AS consumption, SUM(x.tangible_loss) AS tangible_loss,
               SUM(x.intangible_loss) AS intangible_loss,
               SUM(x.er) - SUM(x.consumption) AS er, SUM(x.sb) + SUM(x.tangible_loss) AS sb
          FROM (
            SELECT {lid}l.item_id AS item_id, {direct_cols},
                   0 AS consumption, 0 AS tangible_loss, 0 AS intangible_loss,
                   COALESCE(SUM(r.sign * lst.direction * l.qty) FILTER (WHERE NOT (r.explode OR r.scrap)), 0) AS er,
                   COALESCE(SUM(r.sign * lst.direction * l.qty) FILTER (WHERE r.scrap), 0) AS sb
              {_from()}
             WHERE r.target <> '' AND ({where})
             GROUP BY {lgrp}l.item_id
            UNION ALL
{exploded}          ) x
         GROUP BY {xgrp}x.item_id
    """


_EXPLODED_BRANCH = """            SELECT {glid}c.material_id, {zero_rule_cols},
                   SUM(g.n * ROUND({f_cons}, 5)),
                   SUM(g.n * ROUND({f_tang}, 5)),
                   SUM(g.n * ROUND({f_intang}, 5)),
                   0, 0
              FROM (
                -- identical (product, version, qty) lines explode to identical rounded amounts:
                -- fold them first into a signed count n (a reversal cancels its original)
                SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, l.qty AS qty, SUM({k}) AS n
                  {frm}
                 WHERE r.explode AND ({where})
                 GROUP BY {lgrp}l.item_id, l.resolved_version, l.qty
                HAVING SUM({k}) <> 0
              ) g
              JOIN {cons} c ON c.product_id = g.item_id AND c.version = g.version
             GROUP BY {ggrp}c.material_id
"""


def _signed_sum(expr: str) -> str:
    """SUM(g.n * expr) for n = ±1 without a multiplication per row (two filtered sums)."""
    return (
        f"(COALESCE(SUM({expr}) FILTER (WHERE g.n > 0), 0) - COALESCE(SUM({expr}) FILTER (WHERE g.n < 0), 0))"
    )


# Without the fold: every product line joins its consumption rows directly (g = the line itself,
# n = its sign).  One pipeline of hash joins into one hash aggregate, which PostgreSQL runs in
# parallel; used by the full recompute, where the fold's sort of every line costs more than it saves
# (docs/performance.md, "fourth session").
_UNFOLDED_BRANCH = """            SELECT {glid}c.material_id, {zero_rule_cols},
                   {u_cons},
                   {u_tang},
                   {u_intang},
                   0, 0
              FROM (
                SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, l.qty AS qty, {k} AS n
                  {frm}
                 WHERE r.explode AND ({where})
              ) g
              JOIN {cons} c ON c.product_id = g.item_id AND c.version = g.version
             GROUP BY {ggrp}c.material_id
"""


DELTA_COLUMNS = list(RULE_COLUMNS) + list(EXPLODED)


def _in_clause(ids) -> tuple[str, list]:
    ids = [int(i) for i in ids]
    return ", ".join(["%s"] * len(ids)), ids


# ---------------------------------------------------------------- posting one list


def _list_where() -> str:
    return "lst.id = %s"


def negatives(book_id: int) -> dict[int, tuple]:
    """{item_id: (seq_no, part_no, expected_remaining, scrap_balance)} of the book's materials whose
    material or scrap balance is below zero (one indexed SELECT; normally empty)."""
    sql = f"""
        SELECT b.item_id, i.seq_no, i.part_no, b.expected_remaining, b.scrap_balance
          FROM {T_BAL} b JOIN {T_ITEM} i ON i.id = b.item_id
         WHERE b.book_id = %s AND i.kind = 'material'
           AND (b.expected_remaining < -{TOLERANCE} OR b.scrap_balance < -{TOLERANCE})
    """
    with connection.cursor() as cur:
        cur.execute(sql, [book_id])
        return {r[0]: (r[1], r[2], _dec(r[3]), _dec(r[4])) for r in cur.fetchall()}


def shortfalls(before: dict[int, tuple], after: dict[int, tuple]) -> list[dict]:
    """Items a posting took (further) below zero, from ``negatives()`` taken before and after it."""
    out = []
    tol = Decimal(TOLERANCE)
    for item_id, (seq, part, er, sb) in sorted(after.items(), key=lambda kv: kv[1][0]):
        er0, sb0 = (before[item_id][2], before[item_id][3]) if item_id in before else (Decimal(0), Decimal(0))
        material = -er if er < -tol and er < er0 - tol else Decimal(0)
        scrap = -sb if sb < -tol and sb < sb0 - tol else Decimal(0)
        if material or scrap:
            out.append(
                {
                    "seq_no": seq,
                    "part_no": part,
                    "expected_remaining_after": er,
                    "scrap_balance_after": sb,
                    "material_shortfall": material,
                    "scrap_shortfall": scrap,
                }
            )
    return out


# A list at least this long gets LARGE_LIST_WORK_MEM for its posting statement (PostgreSQL): the
# planner sizes the statement by the average list (~100 lines), and a 50,000-line list's ~150,000
# exploded rows are then sorted on disk at the default 4 MB (docs/performance.md, "posting").
LARGE_LIST_LINES = 20_000
LARGE_LIST_WORK_MEM = "64MB"


def apply_list(list_id: int, line_count: int = 0) -> int:
    """Add the effect of one list to the stored balances: ONE ``UPDATE … FROM`` statement.

    Returns the number of balance rows changed.
    """
    return _apply(_list_where(), [list_id], line_count)


def apply_lists(list_ids, line_count: int = 0) -> int:
    """Add the effect of several lists (one batch) to the stored balances: ONE statement."""
    marks, ids = _in_clause(list_ids)
    return _apply(f"lst.id IN ({marks})", ids, line_count)


def _apply(where: str, wparams: list, line_count: int) -> int:
    sets = [f"{c} = ROUND({T_BAL}.{c} + d.{c}, 5)" for c in DELTA_COLUMNS]
    sets.append(f"expected_remaining = ROUND({T_BAL}.expected_remaining + d.er, 5)")
    sets.append(f"scrap_balance = ROUND({T_BAL}.scrap_balance + d.sb, 5)")
    sets.append("updated_at = %s")
    sql = (
        f"UPDATE {T_BAL} SET {', '.join(sets)} FROM ({pivot_sql(where)}) d WHERE {T_BAL}.item_id = d.item_id"
    )
    large = (
        connection.vendor == "postgresql" and line_count >= LARGE_LIST_LINES and connection.in_atomic_block
    )
    with connection.cursor() as cur:
        if large:
            cur.execute(f"SET LOCAL work_mem = '{LARGE_LIST_WORK_MEM}'")
        cur.execute(sql, [timezone.now(), *wparams, *wparams])
        changed = cur.rowcount
        if large:
            cur.execute("SET LOCAL work_mem TO DEFAULT")
        return changed


def batch_shortfalls(list_ids, limit: int = 200) -> list[dict]:
    """The shortfalls a batch posting would cause, list by list, as if the lists were posted one
    after the other in (declaration date, id) order — ONE statement, before anything is applied.

    The material and scrap deltas per (list, item) come from the by-list pivot; a running SUM per
    item over the batch order added to the stored balance gives the balance after each list.  A
    list causes a shortfall of an item when it lowers the balance (delta < 0) and the balance after
    it is below zero: exactly ``shortfalls(negatives() before, negatives() after)`` of a one-list
    posting (after < before ⇔ delta < 0).  Returns dicts like ``shortfalls()`` plus ``list_id``.
    """
    marks, ids = _in_clause(list_ids)
    where = f"lst.id IN ({marks})"
    sql = f"""
        WITH d AS ({pivot_sql(where, by_list=True)}),
        s AS (
            SELECT d.list_id, d.item_id, d.er, d.sb,
                   SUM(d.er) OVER w AS cer, SUM(d.sb) OVER w AS csb, o.declaration_date AS on_date
              FROM d JOIN {T_LIST} o ON o.id = d.list_id
            WINDOW w AS (PARTITION BY d.item_id ORDER BY o.declaration_date, o.id ROWS UNBOUNDED PRECEDING)
        )
        SELECT s.list_id, i.seq_no, i.part_no,
               b.expected_remaining + s.cer AS er_after, b.scrap_balance + s.csb AS sb_after, s.er, s.sb
          FROM s
          JOIN {T_BAL} b ON b.item_id = s.item_id
          JOIN {T_ITEM} i ON i.id = s.item_id
         WHERE i.kind = 'material'
           AND ((s.er < -{TOLERANCE} AND b.expected_remaining + s.cer < -{TOLERANCE})
             OR (s.sb < -{TOLERANCE} AND b.scrap_balance + s.csb < -{TOLERANCE}))
         ORDER BY s.on_date, s.list_id, i.seq_no
         LIMIT {int(limit)}
    """
    tol = Decimal(TOLERANCE)
    out = []
    with connection.cursor() as cur:
        cur.execute(sql, ids * 2)
        for list_id, seq, part, er_after, sb_after, er, sb in cur.fetchall():
            er_after, sb_after = _dec(er_after), _dec(sb_after)
            material = -er_after if _dec(er) < -tol and er_after < -tol else Decimal(0)
            scrap = -sb_after if _dec(sb) < -tol and sb_after < -tol else Decimal(0)
            out.append(
                {
                    "list_id": list_id,
                    "seq_no": seq,
                    "part_no": part,
                    "expected_remaining_after": er_after,
                    "scrap_balance_after": sb_after,
                    "material_shortfall": material,
                    "scrap_shortfall": scrap,
                }
            )
    return out


def resolve_versions(list_id: int, on) -> int:
    """Make ``resolved_version`` of every line of a product list current: the version named on the
    line, else the only version in force on ``on``, else '' (reported by ``version_problems``).

    ``create_inventory_list`` already stores the resolution of the creation time, so this normally
    only verifies: one UPDATE for stale named versions, one DISTINCT scan of (product, stored
    version), one query of the versions in force for those products; lines are rewritten only for
    products whose resolution changed (one UPDATE per distinct new version).  Returns lines rewritten.
    """
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {T_LINE} SET resolved_version = consumption_version"
            f" WHERE inventory_list_id = %s AND consumption_version <> '' AND resolved_version <> consumption_version",
            [list_id],
        )
        n = cur.rowcount
        cur.execute(
            f"SELECT DISTINCT item_id, resolved_version FROM {T_LINE} WHERE inventory_list_id = %s AND consumption_version = ''",
            [list_id],
        )
        stored = cur.fetchall()
        if not stored:
            return n
        marks, ids = _in_clause({pid for pid, _ in stored})
        cur.execute(
            f"""SELECT c.product_id, MIN(c.version) FROM {T_CONS} c
                 WHERE c.product_id IN ({marks})
                   AND (c.valid_from IS NULL OR c.valid_from <= %s) AND (c.valid_to IS NULL OR c.valid_to >= %s)
                 GROUP BY c.product_id HAVING COUNT(DISTINCT c.version) = 1""",
            [*ids, on, on],
        )
        current = dict(cur.fetchall())
        stale: dict[str, set[int]] = {}
        for pid, version in stored:
            if current.get(pid, "") != version:
                stale.setdefault(current.get(pid, ""), set()).add(pid)
        for version, pids in stale.items():
            marks, ids = _in_clause(pids)
            cur.execute(
                f"UPDATE {T_LINE} SET resolved_version = %s"
                f" WHERE inventory_list_id = %s AND consumption_version = '' AND item_id IN ({marks})",
                [version, list_id, *ids],
            )
            n += cur.rowcount
        return n


def version_problems(list_id: int, on, limit: int = 50) -> list[dict]:
    """Product lines whose consumption version cannot be used, with the number of versions in force.

    The check runs once per distinct (product, resolved version) of the list, not once per line (a
    50,000-line list has ~25 products: 140 ms → ~30 ms); only the lines of bad pairs are read back.
    """
    sql = f"""
        WITH pairs AS (
            SELECT DISTINCT item_id, resolved_version FROM {T_LINE} WHERE inventory_list_id = %s
        ), bad AS (
            SELECT p.item_id, p.resolved_version FROM pairs p
             WHERE p.resolved_version = '' OR NOT EXISTS (
                   SELECT 1 FROM {T_CONS} c WHERE c.product_id = p.item_id AND c.version = p.resolved_version)
        )
        SELECT l.line_no, l.item_seq_no, l.part_no, l.consumption_version,
               (SELECT COUNT(DISTINCT c.version) FROM {T_CONS} c
                 WHERE c.product_id = l.item_id
                   AND (c.valid_from IS NULL OR c.valid_from <= %s) AND (c.valid_to IS NULL OR c.valid_to >= %s)) AS n
          FROM {T_LINE} l
          JOIN bad b ON b.item_id = l.item_id AND b.resolved_version = l.resolved_version
         WHERE l.inventory_list_id = %s
         ORDER BY l.line_no
         LIMIT {int(limit)}
    """
    with connection.cursor() as cur:
        cur.execute(sql, [list_id, on, on, list_id])
        return [
            dict(zip(("line_no", "item_seq_no", "part_no", "named", "in_force"), r, strict=True))
            for r in cur.fetchall()
        ]


def resolve_versions_many(list_ids) -> int:
    """``resolve_versions`` for the lists of one batch, each at its own declaration date: the same
    statements once for the batch (one UPDATE of stale named versions, one DISTINCT scan of
    (product, date, stored version), one query of the products' version spans; lines rewritten only
    where the resolution changed, one UPDATE per (new version, date))."""
    marks, ids = _in_clause(list_ids)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {T_LINE} SET resolved_version = consumption_version"
            f" WHERE inventory_list_id IN ({marks}) AND consumption_version <> ''"
            f" AND resolved_version <> consumption_version",
            ids,
        )
        n = cur.rowcount
        cur.execute(
            f"""SELECT DISTINCT l.item_id, o.declaration_date, l.resolved_version
                  FROM {T_LINE} l JOIN {T_LIST} o ON o.id = l.inventory_list_id
                 WHERE l.inventory_list_id IN ({marks}) AND l.consumption_version = ''""",
            ids,
        )
        stored = cur.fetchall()
        if not stored:
            return n
        pmarks, pids = _in_clause({pid for pid, _d, _v in stored})
        cur.execute(
            f"SELECT DISTINCT product_id, version, valid_from, valid_to FROM {T_CONS} WHERE product_id IN ({pmarks})",
            pids,
        )
        spans: dict[int, list] = {}
        for pid, version, start, end in cur.fetchall():
            spans.setdefault(pid, []).append((version, start, end))
        stale: dict[tuple, set[int]] = {}
        for pid, on, version in stored:
            on = _date(on)
            now = {
                v
                for v, start, end in spans.get(pid, ())
                if (start is None or start <= on) and (end is None or end >= on)
            }
            current = next(iter(now)) if len(now) == 1 else ""
            if current != version:
                stale.setdefault((current, on), set()).add(pid)
        for (version, on), products in stale.items():
            pmarks, pids = _in_clause(products)
            cur.execute(
                f"""UPDATE {T_LINE} SET resolved_version = %s
                     WHERE inventory_list_id IN (SELECT id FROM {T_LIST} WHERE id IN ({marks}) AND declaration_date = %s)
                       AND consumption_version = '' AND item_id IN ({pmarks})""",
                [version, *ids, on, *pids],
            )
            n += cur.rowcount
        return n


def version_problems_many(list_ids, limit: int = 50) -> list[dict]:
    """``version_problems`` for the lists of one batch (each at its own date), with ``list_id``."""
    marks, ids = _in_clause(list_ids)
    sql = f"""
        WITH pairs AS (
            SELECT DISTINCT item_id, resolved_version FROM {T_LINE} WHERE inventory_list_id IN ({marks})
        ), bad AS (
            SELECT p.item_id, p.resolved_version FROM pairs p
             WHERE p.resolved_version = '' OR NOT EXISTS (
                   SELECT 1 FROM {T_CONS} c WHERE c.product_id = p.item_id AND c.version = p.resolved_version)
        )
        SELECT l.inventory_list_id, l.line_no, l.item_seq_no, l.part_no, l.consumption_version,
               (SELECT COUNT(DISTINCT c.version) FROM {T_CONS} c
                 WHERE c.product_id = l.item_id
                   AND (c.valid_from IS NULL OR c.valid_from <= o.declaration_date)
                   AND (c.valid_to IS NULL OR c.valid_to >= o.declaration_date)) AS n
          FROM {T_LINE} l
          JOIN {T_LIST} o ON o.id = l.inventory_list_id
          JOIN bad b ON b.item_id = l.item_id AND b.resolved_version = l.resolved_version
         WHERE l.inventory_list_id IN ({marks})
         ORDER BY o.declaration_date, l.inventory_list_id, l.line_no
         LIMIT {int(limit)}
    """
    with connection.cursor() as cur:
        cur.execute(sql, ids * 2)
        return [
            dict(zip(("list_id", "line_no", "item_seq_no", "part_no", "named", "in_force"), r, strict=True))
            for r in cur.fetchall()
        ]


def _date(value):
    """SQLite returns dates of raw queries as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


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


# The full statements (recompute, check) hash-aggregate every item of the province in each parallel
# worker; at the default 4 MB they spill to disk in batches (docs/performance.md, "fourth session").
# ZONEBOOK["LEDGER_RECOMPUTE_WORK_MEM"] (default 256MB, per worker and hash node) may lower it.
FULL_WORK_MEM = "256MB"
_WORK_MEM_RE = re.compile(r"^\d{1,6}(kB|MB|GB)$")


def _full_work_mem(cur) -> None:
    value = str(settings.ZONEBOOK.get("LEDGER_RECOMPUTE_WORK_MEM") or FULL_WORK_MEM)
    if not _WORK_MEM_RE.match(value):
        raise ValueError(f"LEDGER_RECOMPUTE_WORK_MEM must look like 256MB, not {value!r}")
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        cur.execute(f"SET LOCAL work_mem = '{value}'")


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
          LEFT JOIN ({pivot_sql(where, fold=False)}) d ON d.item_id = i.id
         WHERE {item_where}
    """
    return sql, wparams * 2 + iparams


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
    with transaction.atomic(), connection.cursor() as cur:
        _full_work_mem(cur)
        cur.execute(insert, [now, *iparams])
        if connection.vendor == "postgresql":
            # PostgreSQL never runs any part of an UPDATE in parallel; CREATE TABLE AS may.  The
            # recomputed rows are built by a parallel plan (both parts of the pivot on every core)
            # into a temporary table, then joined once with the balances (docs/performance.md).
            cur.execute("DROP TABLE IF EXISTS zb_recomputed")
            cur.execute(f"CREATE TEMPORARY TABLE zb_recomputed ON COMMIT DROP AS {full}", fparams)
            cur.execute(
                f"UPDATE {T_BAL} SET {sets}, updated_at = %s FROM zb_recomputed f WHERE {T_BAL}.item_id = f.item_id",
                [now],
            )
            n = cur.rowcount
            cur.execute("DROP TABLE zb_recomputed")
            return n
        update = (
            f"UPDATE {T_BAL} SET {sets}, updated_at = %s FROM ({full}) f WHERE {T_BAL}.item_id = f.item_id"
        )
        cur.execute(update, [now, *fparams])
        return cur.rowcount


def check(book_ids=None, limit: int = 1000) -> list[dict]:
    """Differences between stored balances and a recompute (missing rows included), set-based."""
    full, fparams = full_sql(book_ids)
    cond = " OR ".join(f"ABS(f.{c} - b.{c}) > {TOLERANCE}" for c in BALANCE_COLUMNS)
    sel = ", ".join(f"f.{c}, b.{c}" for c in BALANCE_COLUMNS)
    # MATERIALIZED: the recomputed rows are built once, with the plan of ``recompute``.  Inlined,
    # PostgreSQL estimated the pivot at 200 rows and nested-loop joined it with the items
    # (20,000 x 10,000 comparisons at 1 M lines: 34 s instead of 9 s; docs/performance.md).
    sql = f"""
        WITH f AS MATERIALIZED ({full})
        SELECT f.item_id, f.book_id, b.id, {sel}
          FROM f LEFT JOIN {T_BAL} b ON b.item_id = f.item_id
         WHERE b.id IS NULL OR {cond}
         ORDER BY f.book_id, f.item_id
         LIMIT {int(limit)}
    """
    with transaction.atomic(), connection.cursor() as cur:
        _full_work_mem(cur)
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
        cur.execute(
            f"SELECT f.item_id, {', '.join('f.' + c for c in BALANCE_COLUMNS)} FROM ({full}) f", fparams
        )
        return {
            r[0]: {c: _dec(v) for c, v in zip(BALANCE_COLUMNS, r[1:], strict=True)} for r in cur.fetchall()
        }


def _dec(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return calc.q5(Decimal(repr(value)))
    return calc.q5(value)
