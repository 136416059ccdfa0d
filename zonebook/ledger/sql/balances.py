"""Recompute, check and as-of balances from every posted line (the full movements query)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .. import calc
from ..models import (
    BALANCE_COLUMNS,
)
from .movements import (
    DELTA_COLUMNS,
    T_BAL,
    T_ITEM,
    TOLERANCE,
    _dec,
    _in_clause,
    pivot_sql,
)


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


def engine_enabled() -> bool:
    """Whether the full recompute and check run on the exact integer engine (``ledger.engine``:
    PostgreSQL only; ``ZONEBOOK["LEDGER_RECOMPUTE_ENGINE"]`` = ``"numpy"`` (default) or ``"sql"``)."""
    choice = str(settings.ZONEBOOK.get("LEDGER_RECOMPUTE_ENGINE", "numpy"))
    if choice not in ("numpy", "sql"):
        raise ValueError(f"LEDGER_RECOMPUTE_ENGINE must be numpy or sql, not {choice!r}")
    return choice == "numpy" and connection.vendor == "postgresql"


# what the last recompute / check ran on ("engine" or "sql") and the engine's bound figures (the
# ledger_recompute --timing report and the tests)
LAST_RUN: dict = {}


def _staged(cur, book_ids, side=None) -> str | None:
    """The engine's recomputed rows that differ from the stored balances (a SELECT over its temporary
    table), or None when the data exceed its 64-bit bound (nothing written: the engine runs in a
    savepoint) — then the SQL path runs.  ``side``: ``engine.stage``'s second reader."""
    LAST_RUN.clear()
    if not engine_enabled():
        LAST_RUN["path"] = "sql"
        return None
    from .. import engine

    try:
        with transaction.atomic():
            info = engine.stage(cur, book_ids, side=side, changed_only=True)
    except engine.Unsupported as exc:
        LAST_RUN.update(path="sql", reason=str(exc))
        return None
    LAST_RUN.update(path="engine", **info)
    return engine.staged_select()


def recompute(book_ids=None, side=None) -> int:
    """Insert missing balance rows, then overwrite every column from the posted lines (2 statements;
    on PostgreSQL computed by the integer engine unless the data exceed its bound).  Only the rows
    whose values change are written; returns their number.  ``side``: a
    ``core.vector.SideReader`` for the engine (the caller's transaction holds no ledger writes)."""
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
    # only the rows whose values change are written (the engine stages only those)
    changed = " OR ".join(f"ABS({T_BAL}.{c} - f.{c}) > {TOLERANCE}" for c in BALANCE_COLUMNS)
    with transaction.atomic(), connection.cursor() as cur:
        _full_work_mem(cur)
        cur.execute(insert, [now, *iparams])
        staged = _staged(cur, book_ids, side)
        if staged is not None:
            cur.execute(
                f"UPDATE {T_BAL} SET {sets}, updated_at = %s FROM ({staged}) f WHERE {T_BAL}.item_id = f.item_id",
                [now],
            )
            return cur.rowcount
        if connection.vendor == "postgresql":
            # PostgreSQL never runs any part of an UPDATE in parallel; CREATE TABLE AS may.  The
            # recomputed rows are built by a parallel plan (both parts of the pivot on every core)
            # into a temporary table, then joined once with the balances (docs/performance.md).
            cur.execute("DROP TABLE IF EXISTS zb_recomputed")
            cur.execute(f"CREATE TEMPORARY TABLE zb_recomputed ON COMMIT DROP AS {full}", fparams)
            cur.execute(
                f"UPDATE {T_BAL} SET {sets}, updated_at = %s FROM zb_recomputed f "
                f"WHERE {T_BAL}.item_id = f.item_id AND ({changed})",
                [now],
            )
            n = cur.rowcount
            cur.execute("DROP TABLE zb_recomputed")
            return n
        update = (
            f"UPDATE {T_BAL} SET {sets}, updated_at = %s FROM ({full}) f "
            f"WHERE {T_BAL}.item_id = f.item_id AND ({changed})"
        )
        cur.execute(update, [now, *fparams])
        return cur.rowcount


def check(book_ids=None, limit: int = 1000) -> list[dict]:
    """Differences between stored balances and a recompute (missing rows included), set-based."""
    cond = " OR ".join(f"ABS(f.{c} - b.{c}) > {TOLERANCE}" for c in BALANCE_COLUMNS)
    sel = ", ".join(f"f.{c}, b.{c}" for c in BALANCE_COLUMNS)
    # MATERIALIZED: the recomputed rows are built once, with the plan of ``recompute``.  Inlined,
    # PostgreSQL estimated the pivot at 200 rows and nested-loop joined it with the items
    # (20,000 x 10,000 comparisons at 1 M lines: 34 s instead of 9 s; docs/performance.md).
    template = """
        WITH f AS MATERIALIZED ({full})
        SELECT f.item_id, f.book_id, b.id, {sel}
          FROM f LEFT JOIN {T_BAL} b ON b.item_id = f.item_id
         WHERE b.id IS NULL OR {cond}
         ORDER BY f.book_id, f.item_id
         LIMIT {limit}
    """
    outermost = not connection.in_atomic_block
    LAST_RUN.clear()
    if engine_enabled():
        from zonebook.core.vector import SideReader

        from .. import engine

        try:
            with transaction.atomic(), connection.cursor() as cur:
                if outermost:
                    # the engine reads in several statements: one snapshot for all of them, read on
                    # two connections (a fresh transaction without writes of its own)
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    with SideReader.try_open(cur) as side:
                        found, info = engine.check(cur, book_ids, limit=limit, side=side)
                    info["parallel"] = side is not None
                else:
                    found, info = engine.check(cur, book_ids, limit=limit)
        except engine.Unsupported as exc:
            LAST_RUN.update(path="sql", reason=str(exc))
        else:
            LAST_RUN.update(path="engine", **info)
            if not found or outermost:
                return found
            # inside a caller's READ COMMITTED transaction a posting committed between the engine's
            # reads could show as a difference: differences are confirmed by the one-statement SQL
            LAST_RUN["confirmed_by_sql"] = True
    else:
        LAST_RUN["path"] = "sql"
    with transaction.atomic(), connection.cursor() as cur:
        _full_work_mem(cur)
        full, fparams = full_sql(book_ids)
        cur.execute(template.format(full=full, sel=sel, cond=cond, limit=int(limit), T_BAL=T_BAL), fparams)
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
