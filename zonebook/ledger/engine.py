"""The full recompute of the balances on PostgreSQL as exact 64-bit integer arithmetic (numpy).

The same figures as ``sql.full_sql`` (which SQLite runs, and PostgreSQL when the bound below does not
hold), to the last decimal, in three steps:

* **read** (one row of ``string_agg`` binary column aggregates each, ``core.vector.read_columns``): the
  books' items (id, book, kind, opening × 10⁵), the consumption rows (material, the three factors as
  exact scaled integers ``k·_hi``/``k·_lo``, their (product, version) group) and the posted lines
  (item, ``qty_i`` = qty × 10⁵, rule, direction, the (product, version) group of a product line);
* **compute**: the direct part — Σ qty × direction per (item, rule target); the explosion — every
  product line repeated over its group's consumption rows, each (line, material) amount
  qty × factor rounded to 5 dp half away from zero *exactly* (``exploded``), signed by −rule sign ×
  direction and summed per material; then expected remaining (§6.3(c), ``calc.EQUATION``) and the
  scrap balance;
* **write**: the rows (item, book, every balance column × 10⁵) binary-COPYed into a temporary table,
  then one ``UPDATE … FROM`` (recompute) or the check's comparison (check) against it.

Exact rounding with 64-bit integers: a factor f has 16 decimals (单耗 9 dp × rate 5 dp × 0.01), so
K = f × 10¹⁶ is an integer, stored split as K = hi × 10⁸ + lo (0 ≤ lo < 10⁸).  With Q = qty × 10⁵ =
Qh × 10⁸ + Ql (0 ≤ Ql < 10⁸) the exact amount × 10⁵ is Q × K / 10¹⁶ and

    Q × K = (Q × hi + Qh × lo) × 10⁸ + Ql × lo,    T = Q × hi + Qh × lo + ⌊Ql × lo / 10⁸⌋,

so Q × K / 10¹⁶ = (T × 10⁸ + r) / 10¹⁶ with 0 ≤ r < 10⁸, and ROUND(·, 5) half away from zero (the
amount is ≥ 0) is ⌊(T + 5 × 10⁷) / 10⁸⌋: the dropped r < 10⁸ never reaches the half (5 × 10¹⁵).

**Bound** (``bound``, from the arrays read, before any computation): every Q fits (qty < 9 × 10¹³:
``qty_i`` not NULL), every hi ≥ 0, and for every exploding line Q × (H + 1) < 2⁶² where H is the
largest hi of its (product, version) group — then T + 5 × 10⁷ ≤ Q × (H + 1) + 1.5 × 10⁸ < 2⁶³
(Qh × lo < Q and ⌊Ql × lo / 10⁸⌋ < 10⁸); the products are evaluated in float64 against 2⁶², a margin
far above float64's relative error.  The sums — Σ Q of the lines + Σ rows × the largest rounded
amount + the largest opening — must stay below 2⁶¹ (in float: < 2⁶² exactly).  When it does not hold (or a setting needs more decimals: the
bonded-share scrap rule), ``Unsupported`` is raised before anything is written and the caller runs
the numeric SQL.

Posting uses the same arithmetic and bound for the by-list pivot of a batch (``posting_stage``: the
rows of ``sql.pivot_sql(by_list=True)``, staged for the running-sum check and the ``UPDATE``).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future

import numpy as np
from django.db import connection

from zonebook.core.vector import BinaryCopy, copy_in, read_columns

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
from .models.consumption import FACTOR_SPLIT
from .models.inventory import QTY_SCALE

T_BAL = Balance._meta.db_table
T_ITEM = BookItem._meta.db_table
T_CONS = Consumption._meta.db_table
T_LIST = InventoryList._meta.db_table
T_LINE = InventoryListLine._meta.db_table
T_RULE = PostingRule._meta.db_table

INT64_MAX = 2**63 - 1
SUM_LIMIT = 2**62
HALF = FACTOR_SPLIT // 2
FACTORS = (("consumption", "kc"), ("tangible_loss", "kt"), ("intangible_loss", "ki"))
COL = {c: n for n, c in enumerate(BALANCE_COLUMNS)}
OPENING_LIMIT = 90_000_000_000_000  # |opening| < 9 × 10¹³: × 10⁵ fits
TEMP = "zb_engine"
CHUNK_ROWS = 1_000_000  # exploded rows per chunk
ENGINE_THREADS = min(2, os.cpu_count() or 1)
DENSE_KEYS = 16_000_000  # (product id × versions) below this: groups looked up in a dense int32 table (≤ 64 MB)
MAX_VERSIONS = 64  # distinct consumption version texts coded by the reads (array_position)
PACK_LIMIT = 2**62  # item ids << (bits of the list ids + 7) below this: the line read packs them in one bigint


class Unsupported(Exception):
    """The data exceed the exact int64 bound: the caller computes in SQL instead."""


def available() -> bool:
    return connection.vendor == "postgresql"


def exploded(q: np.ndarray, hi: np.ndarray, lo: np.ndarray, split=None) -> np.ndarray:
    """ROUND(qty × factor, 5) × 10⁵ for q = qty × 10⁵ ≥ 0 and factor × 10¹⁶ = hi × 10⁸ + lo (exact;
    see the module docstring; the caller has checked the bound).  ``split``: divmod(q, 10⁸) if known."""
    return _exploded(q, np.array(hi, np.int64), np.array(lo, np.int64), split)


def _exploded(q, hi, lo, split=None):
    """``exploded`` computed in the (fresh) arrays ``hi`` and ``lo``: one temporary array only."""
    qh, ql = np.divmod(q, FACTOR_SPLIT) if split is None else split
    t = np.multiply(q, hi, out=hi)
    t += qh * lo
    lo *= ql
    lo //= FACTOR_SPLIT
    t += lo
    t += HALF
    t //= FACTOR_SPLIT
    return t


LIMB = 21


def _collapse(table_: np.ndarray, r_list: np.ndarray, r_item: np.ndarray, er: int, sb: int):
    """``posting_stage(collapse=True)``: the rows of the items with no withdrawing row (``er`` and
    ``sb`` ≥ 0 on every row) summed per item, exactly, under the item's last list; the other items'
    rows kept as they are.  Returns (rows, list positions, items)."""
    withdraws = (table_[:, er] < 0) | (table_[:, sb] < 0)
    keep = np.isin(r_item, np.unique(r_item[withdraws]))
    if keep.all():
        return table_, r_list, r_item
    fold = np.flatnonzero(~keep)
    items, inv = np.unique(r_item[fold], return_inverse=True)
    inv = inv.reshape(-1)
    last = np.zeros(len(items), np.int64)
    np.maximum.at(last, inv, r_list[fold])
    summed = np.stack([_sum(inv, table_[fold, c], len(items)) for c in range(table_.shape[1])], axis=1)
    kept = np.flatnonzero(keep)
    return (
        np.concatenate([table_[kept], summed.reshape(len(items), table_.shape[1])]),
        np.concatenate([r_list[kept], last]),
        np.concatenate([r_item[kept], items]),
    )


def _sum(index: np.ndarray, values: np.ndarray, n: int, magnitude: int | None = None) -> np.ndarray:
    """Exact int64 sums of ``values`` per ``index`` (0 ≤ index < n) with float64 ``bincount``: one pass
    when Σ|values| < 2⁵² (every partial sum is then an integer float64 holds exactly), else one pass per
    21-bit limb of |value| (a limb's sums stay below 2⁵³ for fewer than 2³² values).  ``magnitude``:
    Σ|values| when the caller knows it."""
    out = np.zeros(n, np.int64)
    if not len(values):
        return out
    if magnitude is None:
        magnitude = float(np.abs(values).sum(dtype=np.float64))
    if magnitude < 2.0**52:
        return np.rint(np.bincount(index, weights=values, minlength=n)).astype(np.int64)
    sign = np.sign(values)
    mag = np.abs(values)
    for shift in (2 * LIMB, LIMB, 0):
        limb = ((mag >> shift) & (2**LIMB - 1)) * sign
        out += np.rint(np.bincount(index, weights=limb, minlength=n)).astype(np.int64) << shift
    return out


class Timer:
    """Wall-clock splits of the engine (and the CPU seconds of this process: on a loaded machine the
    wall clock also counts the time waiting for a core)."""

    def __init__(self):
        self.split: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._t, self._c = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.split[name] = self.split.get(name, 0.0) + t - self._t
        self.cpu[name] = self.cpu.get(name, 0.0) + c - self._c
        self._t, self._c = t, c


def _book_filter(alias: str, book_ids) -> tuple[str, list]:
    if book_ids is None:
        return "", []
    ids = [int(i) for i in book_ids]
    return f" AND {alias}.book_id = ANY(%s)", [ids]


def read(cur, book_ids=None, timer: Timer | None = None, lists: tuple[str, list] | None = None, side=None) -> dict:
    """Items, consumption rows and posted lines of the books as numpy arrays (a few ``string_agg``
    reads).  ``lists``: a condition on the lists (alias ``lst``, with its parameters) whose lines count
    instead of every posted list of the books (the everyday check: the open months' lists); it must
    hold the book filter itself.  ``side``: a ``core.vector.SideReader`` on the same snapshot that
    reads half of the lines meanwhile."""
    timer = timer or Timer()
    ibook, iparams = _book_filter("i", book_ids)
    items = read_columns(
        cur,
        f"FROM {T_ITEM} i WHERE TRUE{ibook}",
        [
            ("id", "i.id", ">i8"),
            ("book_id", "i.book_id", ">i8"),
            ("material", "(i.kind = 'material')::int4::int2", ">i2"),
            ("opening", f"(LEAST(GREATEST(i.opening_qty, -{OPENING_LIMIT}), {OPENING_LIMIT}) * {QTY_SCALE})::int8", ">i8"),
            ("opening_over", f"(ABS(i.opening_qty) >= {OPENING_LIMIT})::int4::int2", ">i2"),
        ],
        iparams,
    )
    timer.lap("read items")
    cur.execute(f"SELECT id, target, sign, explode, scrap FROM {T_RULE}")
    rules = cur.fetchall()
    # a version is text: each distinct version of the consumption rows gets a small code (1…k) that
    # the reads below compute with array_position — no join of the lines with the groups
    cbook, cparams = _book_filter("c", book_ids)
    cur.execute(f"SELECT DISTINCT c.version FROM {T_CONS} c WHERE TRUE{cbook} ORDER BY 1", cparams)
    versions = [r[0] for r in cur.fetchall()]
    if len(versions) > MAX_VERSIONS:
        raise Unsupported(f"{len(versions)} distinct consumption versions (the engine codes at most {MAX_VERSIONS})")
    width = len(versions) + 1
    lbook, lparams = _book_filter("lst", book_ids)
    lwhere, lparams = (f"lst.state = 'posted'{lbook}", lparams) if lists is None else lists
    # the lines: the line table alone (lists and rules are joined here, by dense lookups), with the
    # (product, version) group of each line — a parallel hash join with the small group table
    where, wparams = "TRUE", []
    if book_ids is not None or lists is not None:
        where = f"l.inventory_list_id IN (SELECT lst.id FROM {T_LIST} lst WHERE {lwhere})"
        wparams = lparams
    # item, list and version code packed into one bigint when the ids allow (each string_agg column
    # costs PostgreSQL a serial pass of send calls): item << (L + 7) | list << 7 | code, unpacked
    # with shifts and masks
    vcode = "COALESCE(array_position(%s::text[], l.resolved_version::text), 0)"
    cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {T_ITEM}")
    item_top = cur.fetchone()[0] + 1
    cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {T_LIST}")
    list_top = cur.fetchone()[0] + 1
    list_bits = max(int(list_top).bit_length(), 1)
    shift = list_bits + 7
    packed = (item_top << shift) < PACK_LIMIT

    def lines_part(cur_, page_from=None, page_to=None):
        """The lines on the pages [page_from, page_to) of the line table (None: open ends): a TID
        range scan, so two parts read on two connections at once."""
        rng, rparams = "", []
        if page_from is not None:
            rng, rparams = rng + " AND l.ctid >= %s::tid", [*rparams, f"({int(page_from)},0)"]
        if page_to is not None:
            rng, rparams = rng + " AND l.ctid < %s::tid", [*rparams, f"({int(page_to)},0)"]
        # lists created after list_top was read (READ COMMITTED) are not posted in ``posted``; left
        # out here, their ids cannot overflow the packed bits
        source = f"FROM {T_LINE} l WHERE {where}{rng} AND l.inventory_list_id < {int(list_top)}"
        params = [versions, *wparams, *rparams]
        if not packed:
            return read_columns(
                cur_,
                source,
                [
                    ("item_id", "l.item_id", ">i8"),
                    ("q", "COALESCE(l.qty_i, -1)", ">i8"),
                    ("list_id", "l.inventory_list_id", ">i8"),
                    ("v", vcode, ">i4"),
                ],
                params,
            )
        raw = read_columns(
            cur_,
            source,
            [
                ("packed", f"(l.item_id << {shift}) | (l.inventory_list_id << 7) | {vcode}", ">i8"),
                ("q", "COALESCE(l.qty_i, -1)", ">i8"),
            ],
            params,
        )
        word = raw.pop("packed")
        raw["v"] = word & 127
        raw["list_id"] = (word >> 7) & ((1 << list_bits) - 1)
        raw["item_id"] = word >> shift
        return raw

    def lines_of(cur_, page_from=None, page_to=None, timer_=None) -> dict:
        """The lines of a page range as the arrays ``compute`` takes (rule, direction, group looked up)."""
        timer_ = timer_ or Timer()
        raw = lines_part(cur_, page_from, page_to)
        timer_.lap("read lines: fetch")
        ready.wait()
        if not built:
            raise Unsupported("the reads were abandoned")  # the other connection failed first
        rule = list_rule[raw["list_id"]]
        direction = list_dir[raw["list_id"]]
        item_id, v, q = raw["item_id"], raw["v"], raw["q"]
        keep = rule >= 0
        if not keep.all():
            item_id, v, q, rule, direction = item_id[keep], v[keep], q[keep], rule[keep], direction[keep]
        g = np.full(len(v), -1, np.int64)
        found = np.flatnonzero((v > 0) & explode[rule])
        if len(keys) and len(found):
            key = item_id[found] * width + v[found]
            if group_of is not None:
                inside = key < len(group_of)  # a (product, version) without consumption rows: -1, none
                g[found[inside]] = group_of[key[inside]]
            else:
                idx = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
                hit = keys[idx] == key  # a product line of a (product, version) without consumption rows: none
                g[found[hit]] = idx[hit]
        timer_.lap("read lines: lookups")
        return {"item_id": item_id, "q": q, "rule_id": rule, "direction": direction, "g": g}

    # the side connection starts reading its half of the lines now; its lookups wait for the tables
    # below (``ready``), which this connection builds from the consumption rows and lists meanwhile
    ready, built = threading.Event(), {}
    pending = half = None
    if side is not None:
        cur.execute(f"SELECT pg_relation_size('{T_LINE}') / current_setting('block_size')::int8")
        half = max(int(cur.fetchone()[0]) // 2, 1)
        pending = side.submit(lines_of, half, None)
    try:
        raw = read_columns(
            cur,
            f"FROM {T_CONS} c WHERE TRUE{cbook}",
            [
                ("product_id", "c.product_id", ">i8"),
                ("v", "COALESCE(array_position(%s::text[], c.version::text), 0)", ">i4"),
                ("material_id", "c.material_id", ">i8"),
            ]
            + [(f"{p}_{part}", f"c.{p}_{part}", ">i8") for _c, p in FACTORS for part in ("hi", "lo")],
            [versions, *cparams],
        )
        # the (product, version) groups: their keys sorted; the rows of a group contiguous, groups in order
        keys, group = np.unique(raw.pop("product_id") * width + raw.pop("v"), return_inverse=True)
        order = np.argsort(group, kind="stable")
        cons = {name: a[order] for name, a in raw.items()}
        cons["g"] = group[order].astype(np.int64)
        timer.lap("read consumption")
        cur.execute(
            f"""SELECT lst.id, lst.rule_id, lst.direction FROM {T_LIST} lst JOIN {T_RULE} r ON r.id = lst.rule_id
                 WHERE {lwhere} AND (r.target <> '' OR r.explode)""",
            lparams,
        )
        posted = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 3)
        # per list id: its rule and direction (-1: not a posted list with a rule that moves a column)
        top = int(max(list_top, posted[:, 0].max() + 1 if len(posted) else 0))
        list_rule = np.full(top, -1, np.int64)
        list_rule[posted[:, 0]] = posted[:, 1]
        list_dir = np.zeros(top, np.int64)
        list_dir[posted[:, 0]] = posted[:, 2]
        explode = np.zeros(max((r[0] for r in rules), default=0) + 1, bool)
        for rid, _t, _s, exp, _sc in rules:
            explode[rid] = exp
        group_of = None
        if len(keys) and int(keys[-1]) < DENSE_KEYS:  # a dense lookup table of the group keys
            group_of = np.full(int(keys[-1]) + 1, -1, np.int32)
            group_of[keys] = np.arange(len(keys), dtype=np.int32)
        built["ok"] = True
    finally:
        ready.set()

    if side is None:
        parts = [lines_of(cur, timer_=timer)]
    else:
        # two halves of the table's pages: the second read (and looked up) on the side connection of
        # the same snapshot; ``compute`` takes the pending part as it is
        parts = [lines_of(cur, None, half, timer), pending]
    return {"items": items, "cons": cons, "parts": parts, "rules": rules}


def _resolved(data: dict) -> list[dict]:
    """The line parts of ``data``, waiting for a pending one (read on the side connection)."""
    data["parts"] = [p.result() if isinstance(p, Future) else p for p in data["parts"]]
    return data["parts"]


def n_lines(data: dict) -> int:
    return sum(len(p["q"]) for p in _resolved(data))


def bound(data: dict) -> dict:
    """The overflow bound of the integer path (module docstring) over every line part; raises
    ``Unsupported``."""
    from .sql import scrap_bonded

    if scrap_bonded():
        raise Unsupported("the bonded-share scrap rule needs factors with 23 decimals (past the 64-bit bound)")
    items, cons = data["items"], data["cons"]
    if items["opening_over"].any():
        raise Unsupported("an opening quantity exceeds the 64-bit bound")
    his = [cons[f"{p}_hi"] for _c, p in FACTORS]
    if any(len(h) and int(h.min()) < 0 for h in his):
        raise Unsupported("a negative consumption factor (the rounding bound assumes factors ≥ 0)")
    parts = _resolved(data) if "parts" in data else [data["lines"]]  # (the posting's pivot: one part)
    n_groups = int(max([p["g"].max() for p in parts if len(p["g"])] + [cons["g"].max() if len(cons["g"]) else -1, -1])) + 1
    sizes = np.bincount(cons["g"], minlength=n_groups).astype(np.int64)
    # per (product, version) group: its largest factor × 10⁸ (hi); per exploding line: Q × (hi + 1)
    g_hi = np.zeros(n_groups, np.int64)
    for h in his:
        np.maximum.at(g_hi, cons["g"], h)
    worst_max, q_max, n_rows = 0.0, 0, 0
    # every sum: Σ|Q| of the direct lines + Σ (rows × largest rounded amount) + the opening, < 2⁶¹
    # in float, i.e. < 2⁶² exactly (each sum and expected remaining are bounded by it)
    total = float(np.abs(items["opening"]).max() if len(items["opening"]) else 0)
    total += float(data.get("base_abs", 0.0))  # the everyday check: the largest Σ|snapshot column| of an item
    for part in parts:
        q, g = part["q"], part["g"]
        if len(q) and int(q.min()) < 0:
            raise Unsupported("a quantity exceeds the 64-bit bound")
        e = g >= 0
        q_e = q[e]
        worst = q_e.astype(np.float64) * (g_hi[g[e]] + 1).astype(np.float64)
        # float64 products are within a relative 2⁻⁵² of the exact ones: < 2⁶² in float proves
        # Q × hi + Qh × lo + ⌊Ql × lo / 10⁸⌋ + 5 × 10⁷ ≤ Q × (hi + 1) + 1.5 × 10⁸ < 2⁶³ exactly
        if len(worst) and float(worst.max()) >= float(SUM_LIMIT):
            i = int(np.argmax(worst))
            raise Unsupported(
                f"quantity × factor past the 64-bit bound (qty × 10⁵ {int(q_e[i])}, factor × 10⁸ {int(g_hi[g[e]][i])})"
            )
        worst_max = max(worst_max, float(worst.max()) if len(worst) else 0.0)
        q_max = max(q_max, int(q_e.max()) if len(q_e) else 0)
        n_rows += int(sizes[g[e]].sum())
        total += float(q.astype(np.float64).sum()) + float((sizes[g[e]] * (worst / FACTOR_SPLIT + 2)).sum())
    if total >= float(2**61):
        raise Unsupported("the sums may pass the 64-bit bound (2⁶²)")
    return {
        "q_max": q_max,
        "h_max": int(g_hi.max()) if n_groups else 0,
        "worst": worst_max,
        "exploded_rows": n_rows,
        "sum_bound": total,
    }


def _prepare(data: dict) -> dict:
    """The lookups every line part's computation shares: item id → row, rule → (column, sign,
    explode), each (product, version) group's first consumption row, the materials' rows, factors."""
    items, cons = data["items"], data["cons"]
    ids = items["id"]
    n_items = len(ids)
    # item id → row (dense lookup; ids of other books map to -1 and are dropped, as the SQL's join).
    # Line item ids past it (items created after the items were read) are clipped to "none".
    top = int(max(ids.max() if n_items else 0, cons["material_id"].max() if len(cons["material_id"]) else 0)) + 2
    pos = np.full(top, -1, np.int64)
    pos[ids] = np.arange(n_items)
    r_top = max((r[0] for r in data["rules"]), default=0) + 1
    r_col = np.full(r_top, -1, np.int64)
    r_sign = np.zeros(r_top, np.int64)
    r_explode = np.zeros(r_top, bool)
    for rid, target, sign, explode, _scrap in data["rules"]:
        r_col[rid] = COL[target] if target in RULE_COLUMNS else -1  # the SQL pivots these only
        r_sign[rid], r_explode[rid] = sign, explode
    n_groups = int(cons["g"].max()) + 1 if len(cons["g"]) else 1
    sizes = np.bincount(cons["g"], minlength=n_groups).astype(np.int64)
    return {
        "n_items": n_items,
        "pos": pos,
        "r_col": r_col,
        "r_sign": r_sign,
        "r_explode": r_explode,
        "sizes": sizes,
        "starts": np.cumsum(sizes) - sizes,
        "cons_mat": pos[cons["material_id"]],
        "factors": [(COL[column], cons[f"{p}_hi"], cons[f"{p}_lo"]) for column, p in FACTORS],
    }


def _movements(prep: dict, lines: dict, timer: Timer | None = None) -> np.ndarray:
    """The movement columns × 10⁵ of one part of the lines (a table items × balance columns)."""
    timer = timer or Timer()
    n_items, pos = prep["n_items"], prep["pos"]
    n_cols = len(BALANCE_COLUMNS)
    table = np.zeros((n_items, n_cols), np.int64)
    values = table.reshape(-1)  # a view: (item, column) → item × n_cols + column

    # direct: Σ qty × direction per (item, rule target)
    rule = lines["rule_id"]
    q = lines["q"]
    direction = lines["direction"]
    col = prep["r_col"][rule]
    row = pos[np.minimum(lines["item_id"], len(pos) - 1)]
    sel = (col >= 0) & (row >= 0)
    values += _sum(row[sel] * n_cols + col[sel], q[sel] * direction[sel], n_items * n_cols)  # in place: table
    timer.lap("direct")

    # explosion: every product line over its group's consumption rows, in chunks of about
    # CHUNK_ROWS exploded rows (bounded memory at any scale) computed by ENGINE_THREADS threads
    # (numpy releases the GIL in its array loops); each chunk returns its three summed columns
    g = lines["g"]
    sel = prep["r_explode"][rule] & (g >= 0)
    g_sel = g[sel].astype(np.int64)
    starts = prep["starts"]
    counts = prep["sizes"][g_sel]
    q_sel = q[sel]
    n_sel = -prep["r_sign"][rule[sel]] * direction[sel]
    cons_mat = prep["cons_mat"]
    ends = np.cumsum(counts)
    bounds = np.searchsorted(ends, np.arange(CHUNK_ROWS, int(ends[-1]) if len(ends) else 0, CHUNK_ROWS))
    pieces = [(a, b) for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(g_sel)], strict=True) if b > a]
    timer.lap("explode")

    def chunk(piece):
        lo_, hi_ = piece
        cnt = counts[lo_:hi_]
        end = np.cumsum(cnt)
        # the consumption rows of the chunk: each line's group start + 0, 1, … (rows of a group are
        # contiguous, groups in order)
        c_row = np.arange(int(end[-1])) + np.repeat(starts[g_sel[lo_:hi_]] - (end - cnt), cnt)
        qx = np.repeat(q_sel[lo_:hi_], cnt)
        n = np.repeat(n_sel[lo_:hi_], cnt)
        mat = cons_mat[c_row]
        if (mat < 0).any():
            keep = mat >= 0
            qx, n, mat, c_row = qx[keep], n[keep], mat[keep], c_row[keep]
        split = np.divmod(qx, FACTOR_SPLIT)
        out = []
        for col_, f_hi, f_lo in prep["factors"]:
            amount = _exploded(qx, f_hi[c_row], f_lo[c_row], split)
            magnitude = float(amount.sum())  # amounts ≥ 0 before their sign: Σ|±amount| (exact in int64)
            amount *= n
            out.append((col_, _sum(mat, amount, n_items, magnitude)))
        return out

    def add(columns):
        for col_, sums in columns:
            table[:, col_] += sums

    if len(pieces) > 1 and ENGINE_THREADS > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(ENGINE_THREADS) as pool:
            for columns in pool.map(chunk, pieces):
                add(columns)
    else:
        for piece in pieces:
            add(chunk(piece))
    timer.lap("amounts")
    return table


def compute(
    data: dict, timer: Timer | None = None, finish: bool = True, side=None, meanwhile=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item ids, book ids, values) with values[i, c] = balance column c of item i × 10⁵.  Without
    ``finish`` only the movement columns (the caller calls ``balances`` later).  A line part still
    being read on the side connection (``read(…, side)``) is computed there too; ``meanwhile`` (a
    callable) runs here after this connection's parts, before waiting for the side's."""
    timer = timer or Timer()
    items = data["items"]
    prep = _prepare(data)
    timer.lap("prepare")
    side_timer = Timer()
    pending = [side.submit(lambda _cur, part=p: _movements(prep, part.result(), side_timer))
               for p in data["parts"] if isinstance(p, Future)]
    table = None
    for part in data["parts"]:
        if not isinstance(part, Future):
            t = _movements(prep, part, timer)
            table = t if table is None else table + t
    if meanwhile is not None:
        meanwhile()
    for future in pending:
        t = future.result()
        table = t if table is None else table + t
    if table is None:
        table = np.zeros((len(items["id"]), len(BALANCE_COLUMNS)), np.int64)
    if pending:
        timer.lap("side part")
        for name, seconds in side_timer.split.items():
            timer.split[f"side: {name}"] = seconds
    _resolved(data)
    if finish:
        balances(table, items)
        timer.lap("balances")
    return items["id"], items["book_id"], table


def balances(values: np.ndarray, items: dict, base: np.ndarray | None = None) -> None:
    """In place: add ``base`` (the movement columns at the last closed snapshot, if any), then the
    opening, expected remaining (§6.3(c), ``calc.EQUATION``) and the scrap balance of every item."""
    if base is not None:
        values += base
    material = items["material"].astype(bool)
    values[:, COL["opening"]] = np.where(material, items["opening"], 0)
    er = np.zeros(len(values), np.int64)
    for c, s in calc.EQUATION.items():
        if c in ("adjust_plus", "adjust_minus"):
            continue  # adjustments come from write-offs (not posted by lists): zero
        er += s * values[:, COL[c]]
    values[:, COL["expected_remaining"]] = np.where(material, er, 0)
    sb = values[:, COL["tangible_loss"]] - values[:, COL["scrap_out"]]
    values[:, COL["scrap_balance"]] = np.where(material, sb, 0)


def stage(cur, book_ids=None, timer: Timer | None = None, side=None, changed_only: bool = False) -> dict:
    """Read, bound, compute and COPY the recomputed balances (× 10⁵) into the temporary table ``zb_engine``
    (item_id, book_id, one bigint per balance column).  Raises ``Unsupported`` before writing anything.

    ``changed_only``: only the rows that differ from the stored balances (or have none) are staged —
    the recompute then writes only those (an unchanged ledger: nothing).  ``side``: a
    ``core.vector.SideReader`` on the same snapshot that reads and computes half of the lines while
    this connection reads and computes the other half, then the stored balances."""
    timer = timer or Timer()
    data = read(cur, book_ids, timer, side=side)
    stored = {}

    def read_stored_here():
        stored.update(read_stored(cur, book_ids))
        timer.lap("read balances")

    ids, books, values = compute(data, timer, side=side, meanwhile=read_stored_here if changed_only else None)
    info = bound(data)  # before any result is used (int64 arithmetic wraps silently past it)
    info["items"] = len(ids)
    info["lines"] = n_lines(data)
    if changed_only:
        table, found = _table(ids, stored, BALANCE_COLUMNS)
        differs = ~found | (table != values).any(axis=1)
        ids, books, values = ids[differs], books[differs], values[differs]
        info["unchanged"] = int((~differs).sum())
        timer.lap("compare")
    enc = BinaryCopy(len(ids))
    enc.int8(ids)
    enc.int8(books)
    for n in range(values.shape[1]):
        enc.int8(values[:, n])
    cols = ", ".join(BALANCE_COLUMNS)
    cur.execute(f"DROP TABLE IF EXISTS {TEMP}")
    cur.execute(
        f"CREATE TEMPORARY TABLE {TEMP} (item_id int8, book_id int8, "
        + ", ".join(f"{c} int8" for c in BALANCE_COLUMNS)
        + ") ON COMMIT DROP"
    )
    copy_in(cur, TEMP, f"item_id, book_id, {cols}", enc.chunks())
    timer.lap("copy in")
    return info


def staged_select() -> str:
    """The staged rows with every balance column as numeric(·, 5) (the shape of ``sql.full_sql``)."""
    cols = ", ".join(f"e.{c} * 0.00001 AS {c}" for c in BALANCE_COLUMNS)
    return f"SELECT e.item_id, e.book_id, {cols} FROM {TEMP} e"


# ---------------------------------------------------------------- the checks (full, and the everyday one)

def _scaled(expr: str) -> str:
    """A numeric(·, 5) value × 10⁵ as int8: exact; a value of 9.2 × 10¹³ or more fails the cast, which
    ``_reading`` turns into ``Unsupported`` (a clamp in SQL cost a third of the read)."""
    return f"({expr} * {QTY_SCALE})::int8"


def _reading(fn, *args):
    """``fn(*args)``, with a value past int8 in a read (``_scaled``) raised as ``Unsupported``."""
    import psycopg
    from django.db import DataError

    try:
        return fn(*args)
    except (DataError, psycopg.DataError) as exc:
        raise Unsupported(f"a stored value exceeds the 64-bit bound ({exc})") from exc


def read_snapshot(cur, book_ids) -> dict[str, np.ndarray] | None:
    """The rows of each book's last closed snapshot: item ids and the movement columns × 10⁵ (None:
    no closed month).  Raises ``Unsupported`` for a value past int8."""
    from .models import BalanceSnapshot, MonthClose
    from .sql.movements import DELTA_COLUMNS

    t_snap, t_close = BalanceSnapshot._meta.db_table, MonthClose._meta.db_table
    cbook, cparams = _book_filter("mc", book_ids)
    # each book's latest closed month: one ordered pass over the closes, then index probes by close
    cur.execute(
        f"""SELECT DISTINCT ON (mc.book_id) mc.id FROM {t_close} mc
             WHERE mc.status = 'closed'{cbook} ORDER BY mc.book_id, mc.month DESC""",
        cparams,
    )
    closes = [r[0] for r in cur.fetchall()]
    if not closes:
        return None
    return _reading(
        read_columns,
        cur,
        f"FROM {t_snap} s WHERE s.close_id = ANY(%s)",
        [("item_id", "s.item_id", ">i8")] + [(c, _scaled(f"s.{c}"), ">i8") for c in DELTA_COLUMNS],
        [closes],
    )


def _rows_of(ids: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each id of ``other``: its row in ``ids`` (-1: not there)."""
    top = int(max(ids.max() if len(ids) else 0, other.max() if len(other) else 0)) + 1
    pos = np.full(top, -1, np.int64)
    pos[ids] = np.arange(len(ids))
    return pos[other]


def _table(ids: np.ndarray, rows: dict[str, np.ndarray] | None, columns) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` (item_id + columns) as a table in the order of ``ids`` (absent items: zero) and which
    items were present."""
    table = np.zeros((len(ids), len(BALANCE_COLUMNS)), np.int64)
    present = np.zeros(len(ids), bool)
    if rows is None:
        return table, present
    at = _rows_of(ids, rows["item_id"])
    keep = at >= 0
    at = at[keep]
    present[at] = True
    # the rows' columns side by side (contiguous rows), then scattered by whole rows: one fancy
    # assignment instead of one strided one per column
    block = np.zeros((len(at), len(BALANCE_COLUMNS)), np.int64)
    for c in columns:
        block[:, COL[c]] = rows[c][keep]
    table[at] = block
    return table, present


def _side_reads(cur, book_ids, from_snapshot: bool = True):
    """The reads of a check that may run on the second connection: the snapshot rows (None when not
    ``from_snapshot``) and the stored balances."""
    return (read_snapshot(cur, book_ids) if from_snapshot else None), read_stored(cur, book_ids)


def read_stored(cur, book_ids) -> dict[str, np.ndarray]:
    """The stored balances of the books: item ids and every column × 10⁵ (``Unsupported`` for a value
    past int8)."""
    bbook, bparams = _book_filter("b", book_ids)
    return _reading(
        read_columns,
        cur,
        f"FROM {T_BAL} b WHERE TRUE{bbook}",
        [("item_id", "b.item_id", ">i8")] + [(c, _scaled(f"b.{c}"), ">i8") for c in BALANCE_COLUMNS],
        bparams,
    )


def check(
    cur,
    book_ids=None,
    lists: tuple[str, list] | None = None,
    from_snapshot: bool = False,
    limit: int = 1000,
    timer: Timer | None = None,
    side=None,
) -> tuple[list[dict], dict]:
    """Stored balances vs a computation on the integer engine: from every posted line (the full
    check), or — ``from_snapshot`` — each book's last closed snapshot + the lines of the lists
    ``lists`` (the open months: the everyday check).  The same dicts as ``sql.check`` ({item_id,
    book_id, missing, columns: {column: {stored, recomputed}}}), ordered by (book, item), at most
    ``limit``, and the bound figures.  ``side``: a ``core.vector.SideReader`` on the same snapshot that
    reads meanwhile (the snapshot rows and the stored balances; in the full check half of the lines
    first).  Raises ``Unsupported`` (nothing written) past the bound."""
    from decimal import Decimal

    from .sql.movements import DELTA_COLUMNS, _dec

    timer = timer or Timer()
    if from_snapshot:
        # the everyday check reads few lines: the snapshot and the balances on the side meanwhile
        pending = side.submit(_side_reads, book_ids) if side is not None else None
        data = read(cur, book_ids, timer, lists=lists)
        ids, books, expected = compute(data, timer, finish=False)  # the open months' movements
        snap, stored = pending.result() if pending is not None else _side_reads(cur, book_ids)
    else:
        # the full check: half of the lines read and computed on the side; the balances read here
        data = read(cur, book_ids, timer, lists=lists, side=side)
        got = {}
        ids, books, expected = compute(
            data, timer, finish=False, side=side, meanwhile=lambda: got.update(stored=read_stored(cur, book_ids))
        )
        snap, stored = None, got["stored"]
    timer.lap("read snapshot and balances")
    base, _in_snapshot = _table(ids, snap, DELTA_COLUMNS)
    data["base_abs"] = float(np.abs(base).sum(axis=1).max()) if len(base) else 0.0
    info = bound(data)  # (before any result is used: int64 arithmetic wraps silently past it)
    balances(expected, data["items"], base)
    table, found = _table(ids, stored, BALANCE_COLUMNS)
    differs = ~found | (table != expected).any(axis=1)
    rows = np.flatnonzero(differs)
    rows = rows[np.lexsort((ids[rows], books[rows]))][: int(limit)]
    timer.lap("compare")
    info.update(items=len(ids), lines=n_lines(data), differences=int(differs.sum()))
    if not len(rows):
        return [], info
    # the differing rows' stored values as stored (exact Decimals for the report)
    cur.execute(
        f"SELECT item_id, {', '.join(BALANCE_COLUMNS)} FROM {T_BAL} WHERE item_id = ANY(%s)",
        [[int(i) for i in ids[rows]]],
    )
    exact = {r[0]: r[1:] for r in cur.fetchall()}
    scale = Decimal(1).scaleb(-5)
    out = []
    for r in rows:
        item_id = int(ids[r])
        missing = not found[r]
        diffs = {}
        for n, c in enumerate(BALANCE_COLUMNS):
            want = _dec(Decimal(int(expected[r, n])) * scale)
            have = None if missing else _dec(exact[item_id][n])
            if have is None or have != want:
                diffs[c] = {"stored": have, "recomputed": want}
        out.append({"item_id": item_id, "book_id": int(books[r]), "missing": missing, "columns": diffs})
    return out, info



# -- posting: the by-list pivot of a batch ----------------------------------------------------------------

def posting_stage(cur, list_ids, table: str, columns: list[str], *, collapse: bool = False) -> dict:
    """The by-list pivot of a posting batch — ``sql.pivot_sql(where, by_list=True)`` over the lists
    ``list_ids``, to the last decimal — computed with exact 64-bit integers and binary-COPYed into the
    new temporary table ``table`` (``list_id``, ``item_id``, then ``columns``: the rule columns, the
    three exploded columns, ``er`` and ``sb``, as numeric with 5 decimals; dropped at commit).

    The same (list, item) rows as the SQL: a row per item of a line whose rule has a target column
    (the direct part) and per material of the consumption rows of an exploding line's (product,
    resolved version) (the explosion, each (line, material) amount rounded on its own exactly as
    ``ROUND(qty × factor, 5)``: ``_exploded``); the sums are exact (``_sum``).  Three reads: the lists
    with their rules, the lines (one row of binary aggregates per distinct resolved version), the
    consumption rows of their products.  The bound is the recompute's (``bound``): ``Unsupported``
    is raised before anything is written and the caller runs the numeric SQL.

    ``collapse``: the rows of an item none of whose rows withdraws (``er`` and ``sb`` ≥ 0) are summed
    into one row, under the item's last list.  The running-sum check (``sql.posting._shortfalls``)
    flags only rows that withdraw, and the balance update sums per item, so both read the same
    figures; a batch of incoming lists (the customs receipts of imports) then stages a row per item
    instead of one per (list, item)."""
    import psycopg

    from .sql import scrap_bonded

    if scrap_bonded():
        raise Unsupported("the bonded-share scrap rule needs factors with 23 decimals (past the 64-bit bound)")
    ids = sorted({int(i) for i in list_ids})
    cur.execute(
        f"SELECT lst.id, lst.direction, r.target, r.sign, r.explode, r.scrap"
        f" FROM {T_LIST} lst JOIN {T_RULE} r ON r.id = lst.rule_id WHERE lst.id = ANY(%s) ORDER BY lst.id",
        [ids],
    )
    lists = cur.fetchall()
    cols = {c: n for n, c in enumerate(columns)}
    n_cols = len(columns)
    top_list = (max(r[0] for r in lists) + 1) if lists else 1
    l_pos = np.full(top_list, -1, np.int64)
    l_dir, l_col, l_sign = (np.zeros(len(lists), np.int64) for _ in range(3))
    l_explode, l_scrap = np.zeros(len(lists), bool), np.zeros(len(lists), bool)
    for k, (lid, direction, target, sign, explode, scrap) in enumerate(lists):
        l_pos[lid] = k
        l_dir[k], l_sign[k], l_explode[k], l_scrap[k] = direction, sign, explode, scrap
        l_col[k] = cols[target] if target else -1
    # the lines, one row per distinct resolved version: (version, list ids, item ids, qty × 10⁵)
    parts = []
    with psycopg.Cursor(cur.connection) as binary:
        binary.execute(
            f"""SELECT l.resolved_version, string_agg(int8send(l.inventory_list_id), ''::bytea),
                       string_agg(int8send(l.item_id), ''::bytea), string_agg(int8send(COALESCE(l.qty_i, -1)), ''::bytea)
                  FROM {T_LINE} l WHERE l.inventory_list_id = ANY(%s) GROUP BY l.resolved_version""",
            [ids],
            binary=True,
        )
        for version, *data in binary.fetchall():
            parts.append((version, *(np.frombuffer(d or b"", ">i8").astype(np.int64) for d in data)))
    versions = [p[0] for p in parts]
    lid = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    item = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
    q = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, np.int64)
    v = np.concatenate([np.full(len(p[1]), k, np.int64) for k, p in enumerate(parts)]) if parts else item
    at = l_pos[lid] if len(lid) else lid  # every line's list is in ``lists`` unless its rule is NULL
    keep = at >= 0
    if not keep.all():
        lid, item, q, v, at = lid[keep], item[keep], q[keep], v[keep], at[keep]
    exploding = l_explode[at]
    # the consumption rows of the exploding lines' products, grouped by (product, version code)
    products = np.unique(item[exploding]).tolist()
    width = len(versions) + 1
    cons_rows = []
    if products:
        cur.execute(
            f"SELECT product_id, version, material_id, kc_hi, kc_lo, kt_hi, kt_lo, ki_hi, ki_lo"
            f" FROM {T_CONS} WHERE product_id = ANY(%s) AND version = ANY(%s)",
            [products, versions],
        )
        code = {ver: k for k, ver in enumerate(versions)}
        cons_rows = [(pid * width + code[ver], *rest) for pid, ver, *rest in cur.fetchall()]
    raw = np.array(cons_rows, dtype=np.int64).reshape(-1, 8)
    keys, group = np.unique(raw[:, 0], return_inverse=True)
    order = np.argsort(group, kind="stable")
    cons = {"g": group.reshape(-1)[order].astype(np.int64), "material_id": raw[order, 1]}
    for n, (_c, p) in enumerate(FACTORS):
        cons[f"{p}_hi"], cons[f"{p}_lo"] = raw[order, 2 + 2 * n], raw[order, 3 + 2 * n]
    g = np.full(len(item), -1, np.int64)
    found = np.flatnonzero(exploding)
    if len(keys) and len(found):
        key = item[found] * width + v[found]
        idx = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        hit = keys[idx] == key  # a (product, version) without consumption rows explodes to nothing
        g[found[hit]] = idx[hit]
    info = bound(
        {
            "items": {"opening": np.zeros(0, np.int64), "opening_over": np.zeros(0, bool)},
            "cons": cons,
            "lines": {"q": q, "g": g},
        }
    )

    # the rows: direct (list, item) of lines with a target; exploded (list, material).  The
    # exploded rows are summed per (list, group row) "slot" first — few: the distinct (list,
    # product, version) of the lines × their consumption rows — so that only small key sets are
    # sorted, never the exploded rows
    direct = np.flatnonzero(l_col[at] >= 0)
    d_at, d_item, d_q = at[direct], item[direct], q[direct]
    n_groups = len(keys)
    e = np.flatnonzero(g >= 0)
    pairs, p_inv = np.unique(at[e] * max(n_groups, 1) + g[e], return_inverse=True)
    p_inv = p_inv.reshape(-1)
    p_at, p_g = np.divmod(pairs, max(n_groups, 1))
    sizes = np.bincount(cons["g"], minlength=n_groups).astype(np.int64)
    starts = np.cumsum(sizes) - sizes
    p_size = sizes[p_g]
    slot_start = np.cumsum(p_size) - p_size
    n_slots = int(p_size.sum())
    s_pair = np.repeat(np.arange(len(pairs)), p_size)
    s_row = np.arange(n_slots) - np.repeat(slot_start, p_size) + np.repeat(starts[p_g], p_size)  # cons row
    s_at, s_mat = p_at[s_pair], cons["material_id"][s_row]
    top_item = int(max(item.max() if len(item) else 0, s_mat.max() if n_slots else 0)) + 1
    if len(lists) * top_item >= INT64_MAX // 2:
        raise Unsupported("list × item keys past the 64-bit bound")
    k_at = d_at
    if collapse and len(d_at) and not (l_explode.any() or l_scrap.any()) and bool((l_sign * l_dir >= 0).all()):
        # no list of the batch withdraws (every row adds): one row per item from the start, under
        # the item's last list (what ``_collapse`` makes of the by-list rows, without making them)
        d_items, d_inv = np.unique(d_item, return_inverse=True)
        last = np.zeros(len(d_items), np.int64)
        np.maximum.at(last, d_inv.reshape(-1), d_at)
        k_at = last[d_inv.reshape(-1)]
    d_keys, d_row = np.unique(k_at * top_item + d_item, return_inverse=True)
    d_row = d_row.reshape(-1)
    row_keys, k_inv = np.unique(np.concatenate([d_keys, s_at * top_item + s_mat]), return_inverse=True)
    k_inv = k_inv.reshape(-1)
    d_out, s_out = k_inv[: len(d_keys)], k_inv[len(d_keys) :]  # direct key / slot → output row
    n_out = len(row_keys)
    flat = n_out * n_cols
    values = np.zeros(flat, np.int64)
    signed = d_q * l_dir[d_at]
    d_flat = d_out[d_row] * n_cols
    values += _sum(d_flat + l_col[d_at], signed, flat)
    plain = ~(l_explode[d_at] | l_scrap[d_at])
    er = l_sign[d_at] * signed
    values += _sum(d_flat[plain] + cols["er"], er[plain], flat)
    scrap = l_scrap[d_at]
    values += _sum(d_flat[scrap] + cols["sb"], er[scrap], flat)
    # the explosion: every exploding line over its group's consumption rows, summed per slot
    cnt = sizes[g[e]]
    end = np.cumsum(cnt)
    n_rows = int(end[-1]) if len(end) else 0
    offset = np.arange(n_rows) - np.repeat(end - cnt, cnt)  # the row's place in its group
    c_row = offset + np.repeat(starts[g[e]], cnt)
    x_slot = offset + np.repeat(slot_start[p_inv], cnt)
    x_q = np.repeat(q[e], cnt)
    x_n = np.repeat(-l_sign[at[e]] * l_dir[at[e]], cnt)
    split = np.divmod(x_q, FACTOR_SPLIT)
    for column, p in FACTORS:
        amount = _exploded(x_q, cons[f"{p}_hi"][c_row], cons[f"{p}_lo"][c_row], split)
        magnitude = float(amount.sum())
        amount *= x_n
        per_slot = _sum(x_slot, amount, n_slots, magnitude)
        values += _sum(s_out * n_cols + cols[column], per_slot, flat)
    table_ = values.reshape(n_out, n_cols)
    table_[:, cols["er"]] -= table_[:, cols["consumption"]]
    table_[:, cols["sb"]] += table_[:, cols["tangible_loss"]]

    r_list, r_item = np.divmod(row_keys, top_item)  # (list position, item) of each row
    if collapse and n_out:
        table_, r_list, r_item = _collapse(table_, r_list, r_item, cols["er"], cols["sb"])
        n_out = len(r_item)
    list_ids_out = np.array([r[0] for r in lists], np.int64)[r_list] if n_out else r_item
    enc = BinaryCopy(n_out)
    enc.int8(list_ids_out)
    enc.int8(r_item)
    for n in range(n_cols):
        enc.numeric(table_[:, n], 5)
    cur.execute(
        f"CREATE TEMPORARY TABLE {table} (list_id int8, item_id int8, "
        + ", ".join(f"{c} numeric" for c in columns)
        + ") ON COMMIT DROP"
    )
    copy_in(cur, table, "list_id, item_id, " + ", ".join(columns), enc.chunks())
    info.update(lines=len(q), rows=n_out)
    return info
