"""SQL of posting: check and apply a batch's effect (``post_lists``: ONE running-sum negative-balance
check), apply one list (the preview), consumption versions."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .movements import (
    DELTA_COLUMNS,
    T_BAL,
    T_CONS,
    T_ITEM,
    T_LINE,
    T_LIST,
    TOLERANCE,
    _date,
    _dec,
    _in_clause,
    pivot_sql,
)


def _list_where() -> str:
    return "lst.id = %s"


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
    it is below zero.  This is the ONE negative-balance check of posting (a one-list posting is a
    batch of one).  Returns dicts (list_id, seq_no, part_no, expected_remaining_after,
    scrap_balance_after, material_shortfall, scrap_shortfall).
    """
    marks, ids = _in_clause(list_ids)
    return _shortfalls(f"({pivot_sql(f'lst.id IN ({marks})', by_list=True)})", ids * 2, limit)


def _shortfalls(source: str, params: list, limit: int = 200) -> list[dict]:
    """The running-sum check over ``source``: a subquery (or table) of by-list pivot rows."""
    sql = f"""
        WITH d AS (SELECT * FROM {source} d0),
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
        cur.execute(sql, params)
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


def check_and_apply(
    list_ids, line_count: int = 0, *, refuse: bool = True, limit: int = 200
) -> tuple[int, list[dict]]:
    """Check and apply the lists of one batch (in (declaration date, id) order): the running-sum
    negative-balance check of ``batch_shortfalls``, then — unless ``refuse`` and a shortfall was
    found — their effect added to the stored balances.  Returns (balance rows changed, shortfalls);
    nothing is applied when refused.

    PostgreSQL: the by-list pivot is computed ONCE into a temporary table (dropped again), which both the
    check and the ``UPDATE`` read (per item, the sum of the lists' exact numeric deltas equals the
    pivot over all lines at once; the stored balance is rounded as in ``apply_lists``).  This also
    keeps the planner from re-running the pivot per balance row when the statistics of freshly
    written items and consumption rows are stale (a nested loop: 100 s instead of 1 s).  SQLite:
    ``batch_shortfalls`` + ``apply_lists``."""
    ids = [int(i) for i in list_ids]
    if connection.vendor != "postgresql":
        found = batch_shortfalls(ids, limit)
        if found and refuse:
            return 0, found
        return apply_lists(ids, line_count), found
    if not _stage_by_engine(ids):
        marks, _ids = _in_clause(ids)
        large = line_count >= LARGE_LIST_LINES and connection.in_atomic_block
        with connection.cursor() as cur:
            if large:
                cur.execute(f"SET LOCAL work_mem = '{LARGE_LIST_WORK_MEM}'")
            cur.execute(
                f"CREATE TEMPORARY TABLE {T_STAGE} ON COMMIT DROP AS {pivot_sql(f'lst.id IN ({marks})', by_list=True)}",
                ids * 2,
            )
            if large:
                cur.execute("SET LOCAL work_mem TO DEFAULT")
    found = _shortfalls(T_STAGE, [], limit)
    if found and refuse:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE {T_STAGE}")
        return 0, found
    sums = ", ".join(f"SUM({c}) AS {c}" for c in (*DELTA_COLUMNS, "er", "sb"))
    sets = [f"{c} = ROUND({T_BAL}.{c} + d.{c}, 5)" for c in DELTA_COLUMNS]
    sets.append(f"expected_remaining = ROUND({T_BAL}.expected_remaining + d.er, 5)")
    sets.append(f"scrap_balance = ROUND({T_BAL}.scrap_balance + d.sb, 5)")
    sets.append("updated_at = %s")
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {T_BAL} SET {', '.join(sets)}"
            f" FROM (SELECT item_id, {sums} FROM {T_STAGE} GROUP BY item_id) d WHERE {T_BAL}.item_id = d.item_id",
            [timezone.now()],
        )
        changed = cur.rowcount
        cur.execute(f"DROP TABLE {T_STAGE}")
    return changed, found


# The temporary table of one batch's by-list pivot (PostgreSQL; dropped at once, and at commit).
T_STAGE = "zb_posting_delta"
STAGE_COLUMNS = [*DELTA_COLUMNS, "er", "sb"]
# what the last posting's pivot ran on ("engine" or "sql", and why) — the tests and the timing report
LAST_STAGE: dict = {}


def _stage_by_engine(ids: list[int]) -> bool:
    """Stage the by-list pivot of ``ids`` in ``T_STAGE`` with the exact integer engine
    (``engine.posting_stage``: the same figures as ``pivot_sql(by_list=True)`` to the last decimal, in a
    fraction of the time: the numeric SQL spends ~5 µs per exploded row; the items no list of the
    batch withdraws from are staged as one row each: ``collapse``).  False — nothing written —
    when the engine is switched off (``LEDGER_RECOMPUTE_ENGINE =
    "sql"``) or the data exceed its 64-bit bound: the caller runs the numeric SQL."""
    from .. import engine
    from .balances import engine_enabled

    LAST_STAGE.clear()
    if not engine_enabled():
        LAST_STAGE["path"] = "sql"
        return False
    try:
        with connection.cursor() as cur:  # (``Unsupported`` comes before anything is written)
            info = engine.posting_stage(cur, ids, T_STAGE, STAGE_COLUMNS, collapse=True)
    except engine.Unsupported as exc:
        LAST_STAGE.update(path="sql", reason=str(exc))
        return False
    LAST_STAGE.update(path="engine", **info)
    return True


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


def check_versions_many(list_ids, resolve: bool = True, limit: int = 50) -> list[dict]:
    """Make the lines' ``resolved_version`` current (``resolve_versions`` for the lists of one batch,
    each at its own declaration date; skipped with ``resolve=False``) and return the product lines
    whose version cannot be used (``version_problems``, with ``list_id``).

    One scan of the lines: their distinct (product, date, stored version, named version), and one
    query of the products' version spans; the resolution and the check are computed from these —
    lines are rewritten only where the resolution changed (one UPDATE for stale named versions, one
    per (new version, date) otherwise), and only when a (product, version) pair is bad are its
    lines read back, for the report.  (One statement joining the lines to the bad pairs was planned
    as a nested loop over the lines when the table's statistics were stale: minutes for a
    50,000-line list.)"""
    marks, ids = _in_clause(list_ids)
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT DISTINCT l.item_id, o.declaration_date, l.resolved_version, l.consumption_version
                  FROM {T_LINE} l JOIN {T_LIST} o ON o.id = l.inventory_list_id
                 WHERE l.inventory_list_id IN ({marks})""",
            ids,
        )
        stored = [(pid, _date(on), rv, cv) for pid, on, rv, cv in cur.fetchall()]
        if not stored:
            return []
        pmarks, pids = _in_clause({pid for pid, _d, _rv, _cv in stored})
        cur.execute(
            f"SELECT DISTINCT product_id, version, valid_from, valid_to FROM {T_CONS} WHERE product_id IN ({pmarks})",
            pids,
        )
        spans: dict[int, list] = {}
        for pid, version, start, end in cur.fetchall():
            spans.setdefault(pid, []).append((version, start, end))
        pairs = set()
        if resolve:
            if any(cv and rv != cv for _p, _d, rv, cv in stored):
                cur.execute(
                    f"UPDATE {T_LINE} SET resolved_version = consumption_version"
                    f" WHERE inventory_list_id IN ({marks}) AND consumption_version <> ''"
                    f" AND resolved_version <> consumption_version",
                    ids,
                )
            stale: dict[tuple, set[int]] = {}
            for pid, on, version, named in stored:
                if named:
                    pairs.add((pid, named))
                    continue
                now = {
                    v
                    for v, start, end in spans.get(pid, ())
                    if (start is None or start <= on) and (end is None or end >= on)
                }
                current = next(iter(now)) if len(now) == 1 else ""
                pairs.add((pid, current))
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
        else:
            pairs = {(pid, version) for pid, _d, version, _named in stored}
        known = {(pid, v) for pid, rows in spans.items() for v, _s, _e in rows}
        bad = sorted(p for p in pairs if p[1] == "" or p not in known)
        if not bad:
            return []
        values = ", ".join(["(%s, %s)"] * len(bad))
        sql = f"""
            WITH bad(item_id, version) AS (VALUES {values})
            SELECT l.inventory_list_id, l.line_no, l.item_seq_no, l.part_no, l.consumption_version,
                   (SELECT COUNT(DISTINCT c.version) FROM {T_CONS} c
                     WHERE c.product_id = l.item_id
                       AND (c.valid_from IS NULL OR c.valid_from <= o.declaration_date)
                       AND (c.valid_to IS NULL OR c.valid_to >= o.declaration_date)) AS n
              FROM {T_LINE} l
              JOIN {T_LIST} o ON o.id = l.inventory_list_id
              JOIN bad b ON b.item_id = l.item_id AND b.version = l.resolved_version
             WHERE l.inventory_list_id IN ({marks})
             ORDER BY o.declaration_date, l.inventory_list_id, l.line_no
             LIMIT {int(limit)}
        """
        cur.execute(sql, [x for pair in bad for x in pair] + ids)
        return [
            dict(zip(("list_id", "line_no", "item_seq_no", "part_no", "named", "in_force"), r, strict=True))
            for r in cur.fetchall()
        ]
