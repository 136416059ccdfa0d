"""SQL of the month close (services.monthclose): build a month's snapshot from the previous one and
the month's lines, compare it with a full computation, and the everyday check (last verified snapshot
+ the lines of the open months, compared with the stored balances).

Every statement is set-based over the items of the books given; the movements come from the public
``pivot_sql(where, fold=False)`` (the one explosion of ledger.sql) with a ``where`` of this module on
the aliases l / lst / r, and the full computation from ``full_sql(book_ids, as_of)``.

Balance columns: the movement columns (``DELTA_COLUMNS``) are the previous snapshot's plus the
month's; opening is the item's opening quantity, the adjustments are zero (write-offs post none, as
in ``full_sql``) and expected remaining / scrap balance are the §6.3(c) equation over those columns —
the same definitions as ``full_sql``, so the two agree to the last decimal when the ledger is exact.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from zonebook.core.vector import SideReader

from .. import calc
from ..models import BALANCE_COLUMNS, BalanceSnapshot, MonthClose
from .balances import LAST_RUN, _full_work_mem, engine_enabled, full_sql
from .movements import DELTA_COLUMNS, T_BAL, T_ITEM, TOLERANCE, _dec, _in_clause, pivot_sql

T_SNAP = BalanceSnapshot._meta.db_table
T_CLOSE = MonthClose._meta.db_table
TEMP = "zb_month_snapshot"


def _opening() -> str:
    return "CASE WHEN i.kind = 'material' THEN i.opening_qty ELSE 0 END"


def _balance_select(prev: str, delta: str) -> str:
    """The select list of every balance column of item ``i`` from a previous snapshot row ``prev``
    and a delta row ``delta`` (both LEFT JOINed; missing = zero)."""
    cols = {c: f"ROUND(COALESCE({prev}.{c}, 0) + COALESCE(ROUND({delta}.{c}, 5), 0), 5)" for c in DELTA_COLUMNS}
    eq = [_opening()]
    for c, s in calc.EQUATION.items():
        if c in ("opening", "adjust_plus", "adjust_minus"):
            continue
        eq.append(f"{'+' if s > 0 else '-'} {cols[c]}")
    er = f"CASE WHEN i.kind = 'material' THEN ROUND({' '.join(eq)}, 5) ELSE 0 END"
    sb = f"CASE WHEN i.kind = 'material' THEN ROUND({cols['tangible_loss']} - {cols['scrap_out']}, 5) ELSE 0 END"
    out = {"opening": _opening(), "adjust_plus": "0", "adjust_minus": "0", **cols}
    out["expected_remaining"], out["scrap_balance"] = er, sb
    return ", ".join(f"{out[c]} AS {c}" for c in BALANCE_COLUMNS)


def _differs(a: str, b: str) -> str:
    return " OR ".join(f"ABS({a}.{c} - {b}.{c}) > {TOLERANCE}" for c in BALANCE_COLUMNS)


def _diff_rows(rows, with_missing: bool) -> list[dict]:
    """Rows of (item_id, book_id, marker, expected…, found…) → check_balances' dicts."""
    out = []
    for row in rows:
        item_id, book_id, marker = row[:3]
        vals = row[3:]
        missing = with_missing and marker is None
        diffs = {}
        for n, c in enumerate(BALANCE_COLUMNS):
            expected = _dec(vals[2 * n])
            found = None if missing else _dec(vals[2 * n + 1])
            if found is None or abs(expected - found) > Decimal(TOLERANCE):
                diffs[c] = {"stored": found, "recomputed": expected}
        out.append({"item_id": item_id, "book_id": book_id, "missing": missing, "columns": diffs})
    return out


# ---------------------------------------------------------------- closing a month


def build_month(book_ids, first, last, prev_month) -> int:
    """(``book_ids`` None: every book.)  Fill the temporary table ``zb_month_snapshot`` with every balance of every item of the books
    at the end of the month [first, last]: the closed snapshot of ``prev_month`` plus the month's
    posted lines.  Returns the number of items."""
    if book_ids is None:  # every book: no IN lists
        lst_in, pc_in, i_in, ids = "", "", "1 = 1", []
    else:
        marks, ids = _in_clause(book_ids)
        lst_in, pc_in, i_in = f" AND lst.book_id IN ({marks})", f" AND pc.book_id IN ({marks})", f"i.book_id IN ({marks})"
    where = f"lst.state = 'posted' AND lst.declaration_date >= %s AND lst.declaration_date <= %s{lst_in}"
    wparams = [first, last, *ids]
    sql = f"""
        SELECT i.id AS item_id, i.book_id AS book_id, {_balance_select("p", "d")}
          FROM {T_ITEM} i
          LEFT JOIN (
            SELECT s.* FROM {T_SNAP} s JOIN {T_CLOSE} pc ON pc.id = s.close_id
             WHERE pc.month = %s AND pc.status = 'closed'{pc_in}
          ) p ON p.item_id = i.id
          LEFT JOIN ({pivot_sql(where, fold=False)}) d ON d.item_id = i.id
         WHERE {i_in}
    """
    params = [prev_month, *ids, *wparams, *wparams, *ids]
    with connection.cursor() as cur:
        _full_work_mem(cur)
        cur.execute(f"DROP TABLE IF EXISTS {TEMP}")
        cur.execute(f"CREATE TEMPORARY TABLE {TEMP} AS {sql}", params)
        cur.execute(f"SELECT COUNT(*) FROM {TEMP}")
        return cur.fetchone()[0]


def verify_month(book_ids, last, limit: int = 1000) -> list[dict]:
    """The items whose built snapshot differs from a full computation of every posted line declared
    up to ``last`` (``full_sql``): check_balances' dicts, "stored" = the snapshot's value."""
    full, fparams = full_sql(None if book_ids is None else list(book_ids), as_of=last)
    sel = ", ".join(f"f.{c}, n.{c}" for c in BALANCE_COLUMNS)
    sql = f"""
        WITH f AS MATERIALIZED ({full})
        SELECT f.item_id, f.book_id, n.item_id, {sel}
          FROM f LEFT JOIN {TEMP} n ON n.item_id = f.item_id
         WHERE n.item_id IS NULL OR {_differs("f", "n")}
         ORDER BY f.book_id, f.item_id
         LIMIT {int(limit)}
    """
    with connection.cursor() as cur:
        _full_work_mem(cur)
        cur.execute(sql, fparams)
        return _diff_rows(cur.fetchall(), with_missing=True)


def store_month(month) -> int:
    """Insert the built snapshot rows with any non-zero column under the month's close rows (which
    exist); drop the temporary table.  Returns the number of rows stored."""
    cols = ", ".join(BALANCE_COLUMNS)
    nonzero = " OR ".join(f"n.{c} <> 0" for c in BALANCE_COLUMNS)
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {T_SNAP} (close_id, item_id, {cols})
                SELECT mc.id, n.item_id, {", ".join("n." + c for c in BALANCE_COLUMNS)}
                  FROM {TEMP} n JOIN {T_CLOSE} mc ON mc.book_id = n.book_id AND mc.month = %s
                 WHERE {nonzero}""",
            [month],
        )
        n = cur.rowcount
        cur.execute(f"DROP TABLE {TEMP}")
        return n


def drop_temp() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TEMP}")


# ---------------------------------------------------------------- the everyday check


def open_where(cut_bound, unclosed_books) -> tuple[str, list]:
    """Posted lines of the open months: declared after the last closed month of their book.

    ``cut_bound``: the earliest last day of a book's latest closed month (None: no bound) — a plain
    date parameter, so PostgreSQL estimates the open lines from its statistics and reads them by
    index; ``unclosed_books``: books with no closed month whose lines all count."""
    where = "lst.state = 'posted'"
    params: list = []
    if cut_bound is not None:
        if unclosed_books:
            marks, ids = _in_clause(unclosed_books)
            where += f" AND (lst.declaration_date > %s OR lst.book_id IN ({marks}))"
            params += [cut_bound, *ids]
        else:
            where += " AND lst.declaration_date > %s"
            params.append(cut_bound)
    where += (
        f" AND NOT EXISTS (SELECT 1 FROM {T_CLOSE} oc WHERE oc.book_id = lst.book_id"
        " AND oc.status = 'closed' AND oc.last_day >= lst.declaration_date)"
    )
    return where, params


def check_open(book_ids, cut_bound, unclosed_books, limit: int = 1000) -> list[dict]:
    """Stored balances vs (each book's last closed snapshot + the posted lines after it); the same
    dicts as ``check`` (``missing``: no stored balance row).

    On PostgreSQL the integer engine computes it (``engine.check``: a few reads in one
    REPEATABLE READ snapshot, exact int64 arithmetic, the comparison in numpy); past its bound, on
    SQLite or with ``LEDGER_RECOMPUTE_ENGINE = "sql"``, one numeric statement (``check_open_sql``).
    Inside a caller's READ COMMITTED transaction differences found by the engine are confirmed by the
    one statement (a posting committed between two reads could show as one)."""
    LAST_RUN.clear()
    if not engine_enabled():
        LAST_RUN["path"] = "sql"
        return check_open_sql(book_ids, cut_bound, unclosed_books, limit)
    from .. import engine

    where, wparams = open_where(cut_bound, unclosed_books)
    if book_ids is not None:
        marks, ids = _in_clause(book_ids)
        where += f" AND lst.book_id IN ({marks})"
        wparams = [*wparams, *ids]
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic(), connection.cursor() as cur:
            if not outermost:
                rows, info = engine.check(cur, book_ids, (where, wparams), from_snapshot=True, limit=limit)
            else:
                # a fresh REPEATABLE READ transaction without writes: the stored balances are read
                # by a second connection on the same snapshot while this one reads the rest
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                with SideReader.try_open(cur) as side:
                    rows, info = engine.check(
                        cur, book_ids, (where, wparams), from_snapshot=True, limit=limit, side=side
                    )
                info["parallel"] = side is not None
    except engine.Unsupported as exc:
        LAST_RUN.update(path="sql", reason=str(exc))
        return check_open_sql(book_ids, cut_bound, unclosed_books, limit)
    LAST_RUN.update(path="engine", **info)
    if rows and not outermost:
        LAST_RUN["confirmed_by_sql"] = True
        return check_open_sql(book_ids, cut_bound, unclosed_books, limit)
    return rows


def check_open_sql(book_ids, cut_bound, unclosed_books, limit: int = 1000) -> list[dict]:
    """``check_open`` as one numeric SQL statement."""
    where, wparams = open_where(cut_bound, unclosed_books)
    book_filter, bparams = "", []
    item_filter, iparams = "1 = 1", []
    if book_ids is not None:
        marks, ids = _in_clause(book_ids)
        book_filter, bparams = f" AND book_id IN ({marks})", ids
        item_filter, iparams = f"i.book_id IN ({marks})", ids
        where += f" AND lst.book_id IN ({marks})"
        wparams = [*wparams, *ids]
    sel = ", ".join(f"f.{c}, b.{c}" for c in BALANCE_COLUMNS)
    sql = f"""
        WITH d AS MATERIALIZED ({pivot_sql(where, fold=False)}),
        s AS (
            SELECT s.* FROM {T_SNAP} s
              JOIN {T_CLOSE} mc ON mc.id = s.close_id
              JOIN (SELECT book_id, MAX(month) AS month FROM {T_CLOSE}
                     WHERE status = 'closed'{book_filter} GROUP BY book_id) c
                ON c.book_id = mc.book_id AND c.month = mc.month
        ),
        f AS MATERIALIZED (
            SELECT i.id AS item_id, i.book_id AS book_id, {_balance_select("s", "d")}
              FROM {T_ITEM} i
              LEFT JOIN s ON s.item_id = i.id
              LEFT JOIN d ON d.item_id = i.id
             WHERE {item_filter}
        )
        SELECT f.item_id, f.book_id, b.id, {sel}
          FROM f LEFT JOIN {T_BAL} b ON b.item_id = f.item_id
         WHERE b.id IS NULL OR {_differs("f", "b")}
         ORDER BY f.book_id, f.item_id
         LIMIT {int(limit)}
    """
    params = [*wparams, *wparams, *bparams, *iparams]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return _diff_rows(cur.fetchall(), with_missing=True)
