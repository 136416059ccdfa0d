"""The derived-figure recomputation on PostgreSQL as exact vectorised integer arithmetic (numpy).

The same computation as the SQL statements of ``sql`` (which SQLite runs, and PostgreSQL when the
values do not fit the bound below), in three steps:

* **read** the observations once: one query of ``string_agg`` column aggregates of the values' binary
  send form (values × 10⁴ as ``int8``, exact because the column has four decimals), received in
  binary and viewed as numpy arrays — neither side handles rows one by one;
* **compute** with numpy on scaled 64-bit integers: months from cumulatives, conversions at the
  month's rate, cumulatives from months, computed indicators (the SQL's order and "only where no
  value exists" rules), then the write-back diff against the stored derived observations.  Every
  ``ROUND(x, 4)`` of the SQL is an integer division rounded half away from zero (``round_div``); no
  floating point anywhere;
* **write**: the changed derived observations deleted by id and the new ones inserted with
  ``COPY … FROM STDIN (FORMAT binary)``, the rows encoded column-wise by numpy (``BinaryCopy``); then
  the ``Figure`` rows — prior year, YoY, share of the parent and its change, four competition ranks
  (one integer sort per peer group) — computed chunk by chunk of indicators.  Each block of figures
  (one indicator × one month) is hashed (``block_digests``) and compared with the digest stored in
  ``FigureBlock``: only the blocks that changed are deleted and loaded again (``write_figures``); the
  first run (no digests) or a mass change rebuilds the table, streaming the figures into it while the
  database loads the previous chunk (``figure_chunks``).

Overflow: every intermediate product must fit a signed 64-bit integer.  ``check`` bounds the values
(``LIMIT``: 4.6 × 10¹² scaled, i.e. 460 million units of any indicator) and the products of the
conversions and formulas; when a bound does not hold, ``Unsupported`` is raised (before the writes but
for the rank-group bound; ``sql.recompute`` runs the engine in a savepoint, so nothing it wrote stays)
and ``sql.recompute`` takes its SQL path.
"""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal

import numpy as np

from zonebook.core.vector import (  # noqa: F401  (moved there; engine.X kept for callers)
    HEADER,
    PG_EPOCH_DAYS,
    TRAILER,
    BinaryCopy,
    copy_in,
    read_columns,
    round_div,
)

SCALE = 10_000  # four decimals
RATE_SCALE = 1_000_000  # exchange rates have six
LIMIT = 4_600_000_000_000  # |value × 10⁴| bound: (v − prior) × 10⁶ and the cumulative sums fit int64
INT64_MAX = 2**63 - 1
MONTH, CUM = 0, 1
BASIS = ("month", "cum")
# provenance of a working row: official (submitted / imported, or any stored row of a year around
# the recomputed ones), or the derivation step that produced it
OFFICIAL, FROM_CUM, CONVERTED, FROM_MONTHS, FORMULA = 0, 1, 2, 3, 4


class Unsupported(Exception):
    """The data exceed the exact int64 bound: the caller computes in SQL instead."""



# -- the computation -----------------------------------------------------------------------------------------


class Work:
    """The working set: one row per (entity, indicator, month, basis), as parallel numpy arrays, with a
    sorted integer key for lookups (``find``)."""

    def __init__(self, ent_ids, ind_ids, ym_base, ym_span):
        self.ent_ids, self.ind_ids = ent_ids, ind_ids
        self.ym_base, self.ym_span = ym_base, ym_span
        self.cols: dict[str, np.ndarray] = {}

    def key(self, e, i, ym, b):
        return ((e.astype(np.int64) * len(self.ind_ids) + i) * self.ym_span + (ym - self.ym_base)) * 2 + b

    def set(self, **cols):
        self.cols = cols
        self._index()

    def _index(self):
        c = self.cols
        k = self.key(c["e"], c["i"], c["ym"], c["b"])
        order = np.argsort(k, kind="stable")
        for name in c:
            c[name] = c[name][order]
        self.keys = k[order]
        if len(self.keys) > 1 and (np.diff(self.keys) == 0).any():
            raise ValueError("duplicate (entity, indicator, month, basis) in the working set")

    def add(self, **cols):
        if not len(cols["e"]):
            return 0
        for name in self.cols:
            self.cols[name] = np.concatenate([self.cols[name], cols[name]])
        self._index()
        return len(cols["e"])

    def find(self, e, i, ym, b):
        """Row index of each (e, i, ym, b), −1 where absent (``ym`` below the base is absent)."""
        q = self.key(e, i, ym, b)
        pos = np.searchsorted(self.keys, q)
        pos = np.minimum(pos, len(self.keys) - 1)
        hit = (self.keys[pos] == q) & (ym >= self.ym_base) if len(self.keys) else np.zeros(len(q), bool)
        return np.where(hit, pos, -1)


def check(values: np.ndarray) -> None:
    if len(values) and int(np.abs(values).max()) > LIMIT:
        raise Unsupported("a value exceeds the exact int64 bound")
    if len(values) and int(np.abs(values).sum(dtype=np.float64)) > INT64_MAX // 4:
        raise Unsupported("the cumulative sums could exceed int64")


def derive(w: Work, ind: dict, rates: dict, formulas: list) -> dict[str, int]:
    """Steps 2–4 of ``sql`` on the working set, in the same order and with the same "only where no value
    exists" rules.  ``ind``: arrays per indicator index (additive, cumulative_only, twin, currency);
    ``rates``: (from, to) -> (ym array, rate × 10⁶ array, source index array); ``formulas``: (target,
    op, a, b, scale numerator, scale denominator, note index) in the SQL's order."""
    counts = {}
    c = w.cols
    # months of cumulative series (cum(N) − cum(N−1), January = its cumulative)
    sel = np.flatnonzero((c["b"] == CUM) & ind["additive"][c["i"]])
    e, i, ym, v = c["e"][sel], c["i"][sel], c["ym"][sel], c["v"][sel]
    january = ym % 12 == 0
    prev = w.find(e, i, ym - 1, np.full(len(sel), CUM))
    ok = (january | (prev >= 0)) & (w.find(e, i, ym, np.zeros(len(sel), np.int64)) < 0)
    value = np.where(january, v, v - c["v"][np.maximum(prev, 0)])
    counts["months"] = w.add(e=e[ok], i=i[ok], ym=ym[ok], b=np.zeros(ok.sum(), np.int64), v=value[ok],
                             kind=np.full(ok.sum(), FROM_CUM), fx=np.zeros(ok.sum(), np.int64),
                             rate=np.zeros(ok.sum(), np.int64), note=np.full(ok.sum(), -1))
    # a month missing in one currency converted from the other at that month's rate
    c = w.cols
    parts = []
    sel_all = (c["b"] == MONTH) & (c["fx"] == 0) & ind["additive"][c["i"]] & (ind["twin"][c["i"]] >= 0)
    for (cur_from, cur_to), (r_ym, r_rate, r_src) in rates.items():
        sel = np.flatnonzero(sel_all & (ind["currency"][c["i"]] == cur_from)
                             & (ind["currency"][np.maximum(ind["twin"][c["i"]], 0)] == cur_to))
        if not len(sel):
            continue
        ym = c["ym"][sel]
        pos = np.searchsorted(r_ym, ym)
        pos = np.minimum(pos, len(r_ym) - 1)
        has = r_ym[pos] == ym
        sel, pos = sel[has], pos[has]
        e, t = c["e"][sel], ind["twin"][c["i"][sel]]
        ym = c["ym"][sel]
        missing = w.find(e, t, ym, np.zeros(len(sel), np.int64)) < 0
        sel, pos, e, t, ym = sel[missing], pos[missing], e[missing], t[missing], ym[missing]
        v = c["v"][sel]
        if len(v) and int(np.abs(v).max()) * int(np.abs(r_rate[pos]).max()) > INT64_MAX:
            raise Unsupported("a conversion exceeds the exact int64 bound")
        parts.append(dict(e=e, i=t, ym=ym, b=np.zeros(len(sel), np.int64), v=round_div(v * r_rate[pos], RATE_SCALE),
                          kind=np.full(len(sel), CONVERTED), fx=np.ones(len(sel), np.int64), rate=r_rate[pos],
                          note=r_src[pos]))
    counts["converted"] = w.add(**{k: np.concatenate([p[k] for p in parts]) for k in parts[0]}) if parts else 0
    check(w.cols["v"])
    # cumulatives of monthly series, while no month of the year is missing
    c = w.cols
    sel = np.flatnonzero((c["b"] == MONTH) & ind["additive"][c["i"]] & ~ind["cumulative_only"][c["i"]])
    e, i, ym, v = c["e"][sel], c["i"][sel], c["ym"][sel], c["v"][sel]  # sorted by entity, indicator, month
    group = (e * len(w.ind_ids) + i) * 10_000 + ym // 12
    start = np.ones(len(sel), bool)
    start[1:] = group[1:] != group[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(sel)), 0))
    running = np.cumsum(v)
    before = np.concatenate([[0], running[:-1]])
    running = running - before[first]
    n = np.arange(len(sel)) - first + 1
    ok = (n == ym % 12 + 1) & (w.find(e, i, ym, np.ones(len(sel), np.int64)) < 0)
    counts["cumulatives"] = w.add(e=e[ok], i=i[ok], ym=ym[ok], b=np.ones(ok.sum(), np.int64), v=running[ok],
                                  kind=np.full(ok.sum(), FROM_MONTHS), fx=np.zeros(ok.sum(), np.int64),
                                  rate=np.zeros(ok.sum(), np.int64), note=np.full(ok.sum(), -1))
    check(w.cols["v"])
    # computed indicators, one after the other (a later formula sees the earlier ones' values)
    total = 0
    for target, op, a, b, s_num, s_den, note in formulas:
        c = w.cols
        sel = np.flatnonzero(c["i"] == a)
        e, ym, basis, va = c["e"][sel], c["ym"][sel], c["b"][sel], c["v"][sel]
        pos = w.find(e, np.full(len(sel), b), ym, basis)
        ok = (pos >= 0) & (w.find(e, np.full(len(sel), target), ym, basis) < 0)
        vb = c["v"][np.maximum(pos, 0)]
        if op == "ratio":
            ok &= vb != 0
        e, ym, basis, va, vb = e[ok], ym[ok], basis[ok], va[ok], vb[ok]
        if len(va):
            big = max(int(np.abs(va).max()), int(np.abs(vb).max()))
            if op == "ratio" and (big * abs(s_num) * SCALE > INT64_MAX or big * s_den > INT64_MAX):
                raise Unsupported("a ratio exceeds the exact int64 bound")
            if op != "ratio" and 2 * big * abs(s_num) > INT64_MAX:
                raise Unsupported("a sum exceeds the exact int64 bound")
        if op == "ratio":
            value = round_div(va * s_num * SCALE, np.where(vb == 0, 1, vb) * s_den)
        elif op == "sum":
            value = round_div((va + vb) * s_num, np.full(len(va), s_den))
        elif op == "diff":
            value = round_div((va - vb) * s_num, np.full(len(va), s_den))
        else:
            raise ValueError(f"unknown formula op {op!r}")
        k = len(va)
        total += w.add(e=e, i=np.full(k, target), ym=ym, b=basis, v=value, kind=np.full(k, FORMULA),
                       fx=np.zeros(k, np.int64), rate=np.zeros(k, np.int64), note=np.full(k, note))
        check(w.cols["v"])
    counts["computed"] = total
    return counts


def ranks(group: np.ndarray, key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Competition rank (``RANK()``: 1 + the number of smaller keys in the group) and group size, per
    row, for integer group ids and dense sort keys (0 ≤ key < ``n_keys``): one sort of one integer."""
    return peer_ranks(np.asarray(group, np.int64), np.asarray(key, np.int64), n_keys, {})["nation"]


def _ranks_sorted(order: np.ndarray, new_group: np.ndarray, new_run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Competition ranks and group sizes of rows sorted (``order``) by group then key, given where a
    group and where a run of equal keys starts in that order."""
    n = len(order)
    idx = np.arange(n)
    g_start = np.maximum.accumulate(np.where(new_group, idx, 0))
    r_start = np.maximum.accumulate(np.where(new_run, idx, 0))
    size = np.diff(np.append(np.flatnonzero(new_group), n))
    rank = np.empty(n, np.int64)
    count = np.empty(n, np.int64)
    rank[order] = r_start - g_start + 1
    count[order] = np.repeat(size, size)
    return rank, count


def peer_ranks(base: np.ndarray, key: np.ndarray, n_keys: int, subs: dict[str, np.ndarray]) -> dict:
    """Competition ranks and group sizes within ``base`` ("nation") and within ``base`` × each of
    ``subs`` (small non-negative integer codes: region, province, zone type), for dense sort keys
    0 ≤ ``key`` < ``n_keys``: one sort of one integer by (base, key), then per sub-group one stable
    sort of the small codes (a radix sort) of that order — rows of a code stay sorted by (base, key)."""
    n = len(base)
    if n and int(base.max()) * n_keys + n_keys > INT64_MAX:
        raise Unsupported("too many rank groups")
    order0 = np.argsort(base * n_keys + key)
    b0, k0 = base[order0], key[order0]
    first = np.ones(n, bool)
    new_group = first.copy()
    new_group[1:] = b0[1:] != b0[:-1]
    new_key = first.copy()
    new_key[1:] = k0[1:] != k0[:-1]
    out = {"nation": _ranks_sorted(order0, new_group, new_group | new_key)}
    for name, codes in subs.items():
        c0 = codes[order0]
        small = c0.astype(np.int16) if n and int(c0.max()) < 2**15 and int(c0.min()) >= 0 else c0
        o2 = np.argsort(small, kind="stable")
        order, c, b_, k = order0[o2], c0[o2], b0[o2], k0[o2]
        ng = first.copy()
        ng[1:] = (c[1:] != c[:-1]) | (b_[1:] != b_[:-1])
        nr = ng.copy()
        nr[1:] |= k[1:] != k[:-1]
        out[name] = _ranks_sorted(order, ng, nr)
    return out


def figures(w: Work, ent: dict, higher: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The ``Figure`` rows of the working rows ``rows`` (indices; every row of an indicator's month is
    needed for its ranks), all columns as arrays, NULLs as masks ``<name>_null``."""
    c = w.cols
    e, i, ym, b, v = c["e"][rows], c["i"][rows], c["ym"][rows], c["b"][rows], c["v"][rows]
    p = w.find(e, i, ym - 12, b)
    parent = ent["parent"][e]
    has_parent = parent >= 0
    pa = np.where(has_parent, w.find(np.maximum(parent, 0), i, ym, b), -1)
    pap = np.where(has_parent, w.find(np.maximum(parent, 0), i, ym - 12, b), -1)
    prior = np.where(p >= 0, c["v"][np.maximum(p, 0)], 0)
    pa_v = np.where(pa >= 0, c["v"][np.maximum(pa, 0)], 0)
    pap_v = np.where(pap >= 0, c["v"][np.maximum(pap, 0)], 0)
    out = {"e": e, "i": i, "ym": ym, "b": b, "v": v, "prior": prior, "prior_null": p < 0}
    yoy_ok = (p >= 0) & (prior > 0)
    out["yoy"] = round_div((v - prior) * 100 * SCALE, np.where(yoy_ok, prior, 1))
    out["yoy_null"] = ~yoy_ok
    share_ok = (pa >= 0) & (pa_v != 0)
    share = round_div(v * 100 * SCALE, np.where(share_ok, pa_v, 1))
    out["share"], out["share_null"] = share, ~share_ok
    pp_ok = share_ok & (pap >= 0) & (pap_v != 0) & (p >= 0)
    share0 = round_div(prior * 100 * SCALE, np.where(pp_ok, pap_v, 1))
    out["pp"], out["pp_null"] = share - share0, ~pp_ok
    rank_values, rank_key = np.unique(np.where(higher[i], -v, v), return_inverse=True)
    base = ((i * w.ym_span + (ym - w.ym_base)) * 2 + b) * 16 + ent["level"][e]
    subs = {name: ent[attr][e] for name, attr in (("region", "region"), ("province", "province"), ("type", "zone_type"))}
    for name, (r, n) in peer_ranks(base, rank_key, len(rank_values), subs).items():
        out[f"rank_{name}"], out[f"n_{name}"] = r, n
        if name != "nation":
            codes = subs[name]
            out[f"rank_{name}_null"] = codes == 0  # '' has code 0: no rank
    return out


def indicator_chunks(c: dict, shown: np.ndarray, n_ind: int, rows_per_block: int = 60_000) -> list[list[int]]:
    """The figures' indicators grouped into chunks of about ``rows_per_block`` shown rows (whole
    indicators: everything a figure looks at — prior year, parent, peers — is the same indicator's)."""
    per_indicator = np.bincount(c["i"][shown], minlength=n_ind)
    blocks, size, block = [], 0, []
    for k in np.flatnonzero(per_indicator):
        block.append(int(k))
        size += per_indicator[k]
        if size >= rows_per_block:
            blocks.append(block)
            size, block = 0, []
    if block:
        blocks.append(block)
    return blocks


def chunk_rows(w: Work, shown: np.ndarray, chunk: list[int]) -> np.ndarray:
    """The shown working rows of the indicators ``chunk``, ordered by block (indicator, month) and within
    a block in the working set's order (entity, basis), the order in which blocks are hashed."""
    c = w.cols
    rows = np.flatnonzero(shown & np.isin(c["i"], chunk))
    key = c["i"][rows] * w.ym_span + (c["ym"][rows] - w.ym_base)
    return rows[np.argsort(key, kind="stable")]


def figure_chunks(w: Work, ent: dict, higher: np.ndarray, shown: np.ndarray, ent_ids, ind_ids, timer: Timer,
                  with_ids: bool, digests: dict | None = None):
    """The ``Figure`` COPY stream, computed chunk by chunk of whole indicators (``indicator_chunks``), so
    that the database loads one chunk while the next is computed.  The Python time spent here is
    ``timer``'s "figures".  With ``with_ids``, the rows are numbered 1…n in a first column (``id``).
    ``digests``, if given, receives every block's digest (``block_digests``) as the rows are computed."""
    c = w.cols
    yield HEADER
    numbered = 0
    for block in indicator_chunks(c, shown, len(ind_ids)):
        t = time.perf_counter()
        rows = chunk_rows(w, shown, block)
        ids = np.arange(numbered + 1, numbered + len(rows) + 1) if with_ids else None
        numbered += len(rows)
        f = figures(w, ent, higher, rows)
        if digests is not None:
            digests.update(block_digests(f, ent_ids, ind_ids).as_dict())
        pieces = encode_figures(f, ent_ids, ind_ids, ids).chunks(framed=False)
        while True:
            chunk = next(pieces, None)
            timer.split["figures"] = timer.split.get("figures", 0.0) + time.perf_counter() - t
            if chunk is None:
                break
            yield chunk
            t = time.perf_counter()
    yield TRAILER


# -- block digests ---------------------------------------------------------------------------------------------
#
# A block is every figure of one indicator and month (both bases).  Its digest covers every column the
# engine writes for its rows (entity and indicator ids, month, basis, value, prior, YoY, share, pp
# change, the four ranks and group sizes, which of them are NULL), so two blocks with the same digest
# write the same rows.  The rows of a block are hashed in the working set's order (entity, basis), which
# is the same whichever years were read.

RANK_GROUPS = ("nation", "region", "province", "type")
RECORD = np.dtype([("entity", "<i8"), ("indicator", "<i8"), ("ym", "<i4"), ("basis", "u1"), ("nulls", "u1"),
                   ("value", "<i8"), ("prior", "<i8"), ("yoy", "<i8"), ("share", "<i8"), ("pp", "<i8")]
                  + [(f"{kind}_{g}", "<i4") for g in RANK_GROUPS for kind in ("rank", "n")])
DIGEST_PERSON = b"zonebook.fig/1"  # the record layout's version: a new layout changes every digest


def figure_record(f: dict, ent_ids, ind_ids) -> np.ndarray:
    """Every written column of the figures ``f`` as one fixed-width record per row (NULLs as bits of
    ``nulls`` with a zero value, so that the bytes depend only on what is written)."""
    n = len(f["e"])
    rec = np.empty(n, RECORD)  # every byte is assigned below (a packed dtype)
    rec["entity"] = ent_ids[f["e"]]
    rec["indicator"] = ind_ids[f["i"]]
    rec["ym"] = f["ym"]
    rec["basis"] = f["b"]
    rec["value"] = f["v"]
    nulls = np.zeros(n, np.uint8)
    no = np.zeros(n, bool)
    for bit, name in enumerate(("prior", "yoy", "share", "pp")):
        null = f[f"{name}_null"]
        nulls |= null.astype(np.uint8) << bit
        rec[name] = np.where(null, 0, f[name])
    for bit, g in enumerate(RANK_GROUPS, start=4):
        null = f.get(f"rank_{g}_null", no)
        nulls |= null.astype(np.uint8) << bit
        rec[f"rank_{g}"] = np.where(null, 0, f[f"rank_{g}"])
        rec[f"n_{g}"] = np.where(null, 0, f[f"n_{g}"])
    rec["nulls"] = nulls
    return rec


class Blocks:
    """The blocks of a set of figures: indicator id, month, row count and digest per block, and the
    figures' row indices of each block (``members(k)``)."""

    def __init__(self, indicator, ym, rows, digests, order, starts):
        self.indicator, self.ym, self.rows, self.digests = indicator, ym, rows, digests
        self.order, self.starts = order, starts

    def __len__(self):
        return len(self.digests)

    def keys(self):
        return zip(self.indicator.tolist(), self.ym.tolist(), strict=True)

    def as_dict(self) -> dict[tuple[int, int], tuple[int, bytes]]:
        return {key: (int(n), d) for key, n, d in zip(self.keys(), self.rows, self.digests, strict=True)}

    def members(self, selected: np.ndarray) -> np.ndarray:
        """Row indices (into the figures) of the blocks ``selected`` (a boolean mask over the blocks)."""
        ends = self.starts + self.rows
        return np.concatenate([self.order[a:b] for a, b in zip(self.starts[selected], ends[selected], strict=True)]
                              or [np.zeros(0, np.int64)])


def block_digests(f: dict, ent_ids, ind_ids) -> Blocks:
    """The blocks (indicator, month) of the figures ``f`` with their BLAKE2b-128 digests: the figures'
    records sorted by block (stably: within a block, the working set's order), hashed block by block
    over the record array's bytes — one ``blake2b`` call per block, none per row."""
    key = f["i"] * (2**31) + f["ym"]
    if len(key) > 1 and (key[1:] < key[:-1]).any():
        order = np.argsort(key, kind="stable")  # rows of a block keep their order
        f = {name: col[order] for name, col in f.items()}
        key = key[order]
    else:  # already by block (``chunk_rows``)
        order = np.arange(len(key))
    rec = figure_record(f, ent_ids, ind_ids)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.zeros(0, np.int64)
    rows = np.diff(np.append(starts, len(key)))
    data = memoryview(rec).cast("B")
    size = RECORD.itemsize
    digests = [hashlib.blake2b(data[a * size:(a + n) * size], digest_size=16, person=DIGEST_PERSON).digest()
               for a, n in zip(starts.tolist(), rows.tolist(), strict=True)]
    return Blocks(ind_ids[f["i"][starts]], f["ym"][starts].astype(np.int64), rows, digests, order, starts)


def stored_blocks(cur, t_fig: str, t_block: str) -> dict[tuple[int, int], tuple[int, bytes]] | None:
    """The stored digests, or None when they do not describe the figure table (none stored, or their row
    counts do not add up to the table's: figures written by the SQL path or deleted by hand)."""
    cur.execute(f"SELECT indicator_id, ym, rows, digest FROM {t_block}")
    stored = {(i, ym): (n, bytes(d)) for i, ym, n, d in cur.fetchall()}
    if not stored:
        return None
    cur.execute(f"SELECT count(*) FROM {t_fig}")
    if cur.fetchone()[0] != sum(n for n, _d in stored.values()):
        return None
    return stored


def save_blocks(cur, t_block: str, blocks: dict, removed=(), replace_all: bool = False) -> None:
    """Store the digests ``blocks`` ({(indicator id, ym): (rows, digest)}), after deleting those of the
    blocks ``removed`` (or every stored one)."""
    if replace_all:
        cur.execute(f"TRUNCATE {t_block}")
    else:
        gone = sorted(set(removed) | set(blocks))
        if gone:
            cur.execute(f"DELETE FROM {t_block} b USING unnest(%s::bigint[], %s::int[]) AS g(i, ym) "
                        "WHERE b.indicator_id = g.i AND b.ym = g.ym", [[k[0] for k in gone], [k[1] for k in gone]])
    if blocks:
        keys = sorted(blocks)
        cur.execute(f"INSERT INTO {t_block} (indicator_id, ym, rows, digest, computed_at) "
                    "SELECT i, ym, n, d, now() FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::bytea[]) AS b(i, ym, n, d)",
                    [[k[0] for k in keys], [k[1] for k in keys], [blocks[k][0] for k in keys],
                     [blocks[k][1] for k in keys]])


def write_figures(cur, w: Work, ent: dict, higher: np.ndarray, shown: np.ndarray, ent_ids, ind_ids, timer: Timer,
                  whole: bool, shown_years, tables: dict, counts: dict) -> None:
    """Write the figures of the ``shown`` working rows (every figure when ``whole``, else those of
    ``shown_years``), rewriting only the blocks whose digest changed.

    With valid stored digests (``stored_blocks``), every block's figures are computed and hashed; the
    blocks whose digest differs from the stored one, and the stored blocks no longer produced, are
    deleted (one DELETE by block keys) and the changed ones loaded with one binary COPY; unchanged blocks
    keep their rows.  Without them (the first run, or after the SQL path), or when more than
    1/``REBUILD_SHARE`` of a whole recomputation's figures changed, the table is rebuilt
    (``tables["write_figures"]``: truncate, COPY FREEZE, indexes built once) and every digest stored; a
    per-year recomputation without valid digests replaces its years' figures and drops the digests
    (the next whole recomputation rebuilds them)."""
    t_fig, t_block = tables["fig"], tables["blocks"]
    n = int(shown.sum())
    c = w.cols
    stored = stored_blocks(cur, t_fig, t_block)
    counts["figures_written"], counts["blocks_written"], counts["blocks_removed"] = n, 0, 0
    if stored is not None:
        t = time.perf_counter()
        changed_parts, produced, new_digests = [], set(), {}
        changed_rows = 0
        for chunk in indicator_chunks(c, shown, len(ind_ids)):
            f = figures(w, ent, higher, chunk_rows(w, shown, chunk))
            blocks = block_digests(f, ent_ids, ind_ids)
            digests = blocks.as_dict()
            produced.update(digests)
            differ = np.array([stored.get(k) != v for k, v in digests.items()], bool)
            if differ.any():
                rows = np.sort(blocks.members(differ))
                changed_parts.append({name: col[rows] for name, col in f.items()})
                changed_rows += len(rows)
                new_digests.update({k: v for k, v in digests.items() if stored.get(k) != v})
        in_scope = (lambda key: True) if whole else (lambda key: key[1] // 12 in shown_years)
        vanished = [k for k in stored if in_scope(k) and k not in produced]
        timer.split["figures"] = timer.split.get("figures", 0.0) + time.perf_counter() - t
        if not (whole and changed_rows * REBUILD_SHARE > n):
            gone = sorted(set(vanished) | set(new_digests))
            if gone:
                cur.execute(f"DELETE FROM {t_fig} f USING unnest(%s::bigint[], %s::int[]) AS g(i, ym) "
                            "WHERE f.indicator_id = g.i AND f.ym = g.ym", [[k[0] for k in gone], [k[1] for k in gone]])
            if changed_parts:
                def stream():
                    yield HEADER
                    for part in changed_parts:
                        yield from encode_figures(part, ent_ids, ind_ids).chunks(framed=False)
                    yield TRAILER

                copy_in(cur, t_fig, FIGURE_COLUMNS, stream())
            save_blocks(cur, t_block, new_digests, vanished)
            counts["figures_written"] = changed_rows
            counts["blocks_written"], counts["blocks_removed"] = len(new_digests), len(vanished)
            return
    digests = {} if whole else None
    tables["write_figures"](
        cur, lambda with_ids: figure_chunks(w, ent, higher, shown, ent_ids, ind_ids, timer, with_ids, digests), n, whole)
    if whole:
        save_blocks(cur, t_block, digests, replace_all=True)
        counts["blocks_written"] = len(digests)
    else:
        cur.execute(f"DELETE FROM {t_block}")


REBUILD_SHARE = 3  # beyond a third of the figures changed, rebuilding the table is cheaper than replacing rows


def encode_figures(f: dict, ent_ids, ind_ids, ids=None) -> BinaryCopy:
    n = len(f["e"])
    enc = BinaryCopy(n)
    if ids is not None:
        enc.int8(ids)
    enc.int8(ent_ids[f["e"]])
    enc.int8(ind_ids[f["i"]])
    enc.date_of_ym(f["ym"])
    enc.int4(f["ym"])
    enc.text(f["b"], list(BASIS))
    enc.numeric(f["v"], 4)
    enc.numeric(f["prior"], 4, f["prior_null"])
    enc.numeric(f["yoy"], 4, f["yoy_null"])
    enc.numeric(f["share"], 4, f["share_null"])
    enc.numeric(f["pp"], 4, f["pp_null"])
    for name in ("nation", "region", "province", "type"):
        null = f.get(f"rank_{name}_null")
        enc.int4(f[f"rank_{name}"], null)
        enc.int4(f[f"n_{name}"], null)
    return enc


FIGURE_COLUMNS = ("entity_id, indicator_id, period, ym, basis, value, prior, yoy_pct, share_pct, share_pp, "
                  "rank_nation, n_nation, rank_region, n_region, rank_province, n_province, rank_type, n_type")


class Timer:
    def __init__(self):
        self.split: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str):
        t = time.perf_counter()
        self.split[name] = self.split.get(name, 0.0) + t - self._t
        self._t = t


def scale_parts(scale: str) -> tuple[int, int]:
    """A formula's decimal scale as integer numerator and power-of-ten denominator."""
    sign, digits, exp = Decimal(scale).as_tuple()
    num = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exp >= 0:
        return num * 10**exp, 1
    return num, 10**-exp


# -- the PostgreSQL recomputation ----------------------------------------------------------------------------

PG_TS_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


def _codes(values: list[str]) -> tuple[dict[str, int], list[str]]:
    """Small integer codes for strings, '' (none) always 0."""
    names = [""] + sorted({v for v in values if v})
    return {n: k for k, n in enumerate(names)}, names


def recompute_pg(cur, years, tables: dict) -> tuple[dict[str, int], dict[str, float]]:
    """The whole recomputation (see the module docstring) inside the caller's transaction; returns the
    counts of ``sql.recompute`` and the time split (read, compute, write, and "figures": the part of
    write spent computing the figures) in seconds.  Raises ``Unsupported`` when the data exceed the
    exact bound (the caller's savepoint undoes any write)."""
    from .models import Entity, ExchangeRate, Indicator

    timer = Timer()
    T_OBS = tables["obs"]
    # catalogue and entities (small)
    ents = list(Entity.objects.values_list("id", "parent_id", "level", "region", "province_code", "zone_type"))
    ent_ids = np.array(sorted(e[0] for e in ents), dtype=np.int64)
    ent_pos = {int(x): k for k, x in enumerate(ent_ids)}
    level_code, _ = _codes([e[2] for e in ents])
    region_code, _ = _codes([e[3] for e in ents])
    prov_code, _ = _codes([e[4] for e in ents])
    type_code, _ = _codes([e[5] for e in ents])
    ent = {name: np.zeros(len(ent_ids), np.int64) for name in ("parent", "level", "region", "province", "zone_type")}
    for pk, parent, level, region, province, ztype in ents:
        k = ent_pos[pk]
        ent["parent"][k] = ent_pos[parent] if parent is not None else -1
        ent["level"][k] = level_code[level]
        ent["region"][k] = region_code[region]
        ent["province"][k] = prov_code[province]
        ent["zone_type"][k] = type_code[ztype]
    if len(level_code) > 16:
        raise Unsupported("more than 15 entity levels")
    inds = list(Indicator.objects.values_list("id", "code", "additive", "cumulative_only", "higher_is_better",
                                              "currency", "currency_twin_id", "formula", "order"))
    ind_ids = np.array(sorted(x[0] for x in inds), dtype=np.int64)
    ind_pos = {int(x): k for k, x in enumerate(ind_ids)}
    by_code = {x[1]: ind_pos[x[0]] for x in inds}
    cur_code, _ = _codes([x[5] for x in inds])
    ind = {"additive": np.zeros(len(ind_ids), bool), "cumulative_only": np.zeros(len(ind_ids), bool),
           "twin": np.full(len(ind_ids), -1), "currency": np.zeros(len(ind_ids), np.int64)}
    higher = np.zeros(len(ind_ids), bool)
    for pk, _code, additive, cum_only, hib, currency, twin, _f, _o in inds:
        k = ind_pos[pk]
        ind["additive"][k], ind["cumulative_only"][k], higher[k] = additive, cum_only, hib
        ind["twin"][k] = ind_pos[twin] if twin is not None else -1
        ind["currency"][k] = cur_code[currency]
    formulas, notes = [], []
    for pk, _code, *_rest, formula, _order in sorted(inds, key=lambda x: (x[8], x[1])):  # the SQL's order
        if not formula:
            continue
        op, args = formula["op"], formula["args"]
        scale = str(Decimal(str(formula.get("scale", "1"))))
        s_num, s_den = scale_parts(scale)
        notes.append(f"{op}({', '.join(args)}) x {scale}")
        formulas.append((ind_pos[pk], op, by_code[args[0]], by_code[args[1]], s_num, s_den, len(notes) - 1))
    rate_rows = list(ExchangeRate.objects.order_by("ym").values_list("ym", "from_currency", "to_currency", "rate", "source"))
    _, sources = _codes([r[4] for r in rate_rows])
    sources = sources[1:]
    src_pos = {s: k for k, s in enumerate(sources)}
    rates: dict = {}
    for ym, cf, ct, rate, source in rate_rows:
        if cf in cur_code and ct in cur_code:
            rates.setdefault((cur_code[cf], cur_code[ct]), []).append(
                (ym, int(rate.scaleb(6).to_integral_value()), src_pos.get(source, -1)))
    rates = {k: tuple(np.array(col, dtype=np.int64) for col in zip(*v, strict=True)) for k, v in rates.items()}
    # the observations, once
    fixed = ["cum(N) - cum(N-1)", "converted", "sum of months"]
    scope = ""
    whole = not years or _rebuild_cheaper(cur, tables["fig"], years)
    if not whole:
        around = sorted({y + d for y in years for d in (-1, 1)} - set(years))
        in_years = f"ym / 12 IN ({', '.join(str(y) for y in years)})"
        scope = f" WHERE {in_years}" + (f" OR ym / 12 IN ({', '.join(str(y) for y in around)})" if around else "")
    rows = read_columns(cur, f"FROM {T_OBS}{scope}", [
        ("id", "id", ">i8"), ("e", "entity_id", ">i8"), ("i", "indicator_id", ">i8"), ("ym", "ym", ">i4"),
        ("v", f"CASE WHEN abs(value) <= {LIMIT // SCALE} THEN (value * {SCALE})::int8 ELSE {-INT64_MAX} END", ">i8"),
        ("rate", f"COALESCE((fx_rate * {RATE_SCALE})::int8, -1)", ">i8"),
        # basis, provenance and, for a derived row, period on the month's first day, source and rate
        # source (positions in the lists of the texts the engine writes; 0 = another text) packed into
        # one integer (in SQL, | and << have the same precedence: every shift in parentheses)
        ("flags", "(basis = 'cum')::int::int8 | CASE WHEN provenance = 'derived' THEN 2"
                  " | ((period = make_date(ym / 12, ym %% 12 + 1, 1))::int::int8 << 2)"
                  " | (COALESCE(array_position(%s::text[], source_ref::text), 0)::int8 << 3)"
                  " | (COALESCE(array_position(%s::text[], fx_note::text), 0)::int8 << 32) ELSE 0 END", ">i8"),
    ], [fixed + notes, sources])
    flags = rows.pop("flags")
    rows["b"] = flags & 1
    rows["derived"] = (flags >> 1) & 1
    rows["pok"] = (flags >> 2) & 1
    rows["ref"] = (flags >> 3) & 0x1FFFFFFF
    rows["note"] = flags >> 32
    timer.lap("read")
    if (rows["v"] == -INT64_MAX).any():
        raise Unsupported("a value exceeds the exact int64 bound")
    e = np.searchsorted(ent_ids, rows["e"])
    i = np.searchsorted(ind_ids, rows["i"])
    ym = rows["ym"].astype(np.int64)
    b = rows["b"].astype(np.int64)
    derived = rows["derived"] == 1
    in_scope = np.isin(ym // 12, years) if years else np.ones(len(ym), bool)
    work_rows = ~derived | ~in_scope  # official rows, and every stored row of the years around
    stored = derived & in_scope  # what the write-back compares with
    ym_lo = int(ym.min()) if len(ym) else 0
    ym_hi = int(ym.max()) if len(ym) else 0
    w = Work(ent_ids, ind_ids, ym_lo - 12, ym_hi - ym_lo + 14)
    k = int(work_rows.sum())
    w.set(e=e[work_rows], i=i[work_rows], ym=ym[work_rows], b=b[work_rows], v=rows["v"][work_rows],
          kind=np.zeros(k, np.int64), fx=(rows["rate"][work_rows] >= 0).astype(np.int64),
          rate=np.zeros(k, np.int64), note=np.full(k, -1))
    check(w.cols["v"])
    counts = derive(w, ind, rates, formulas)
    c = w.cols
    # write-back: a stored derived row stays when the recomputation produced the same row (value, note,
    # rate and its source, period); the others are deleted, the new ones inserted
    new = np.flatnonzero(c["kind"] != OFFICIAL)
    if years:
        new = new[np.isin(c["ym"][new] // 12, years)]
    s_idx = np.flatnonzero(stored)
    s_key = w.key(e[s_idx], i[s_idx], ym[s_idx], b[s_idx])
    n_key = w.keys[new]
    pos = np.minimum(np.searchsorted(n_key, s_key), max(len(n_key) - 1, 0))
    kind, note = c["kind"][new], c["note"][new]
    want_ref = np.where(kind == FORMULA, 4 + np.maximum(note, 0), kind)  # array_position is 1-based
    want_rate = np.where(kind == CONVERTED, c["rate"][new], -1)
    want_note = np.where(kind == CONVERTED, note + 1, 0)  # a source '' is no position (0) either way
    if len(n_key):
        same = ((n_key[pos] == s_key) & (c["v"][new][pos] == rows["v"][s_idx]) & (want_ref[pos] == rows["ref"][s_idx])
                & (want_rate[pos] == rows["rate"][s_idx]) & (want_note[pos] == rows["note"][s_idx])
                & (rows["pok"][s_idx] == 1))
    else:
        same = np.zeros(len(s_idx), bool)
    kept = np.zeros(len(new), bool)
    kept[pos[same]] = True
    delete_ids = rows["id"][s_idx[~same]]
    insert = new[~kept]
    shown = (np.isin(c["ym"] // 12, sorted(set(years) | {y + 1 for y in years})) if not whole
             else np.ones(len(c["e"]), bool))
    obs_bytes = encode_observations(c, insert, ent_ids, ind_ids, fixed + notes, sources)
    timer.lap("compute")
    counts["removed"] = len(delete_ids)
    if len(delete_ids):
        cur.execute(f"DELETE FROM {T_OBS} WHERE id = ANY(%s)", [delete_ids.tolist()])
    counts["written"] = len(insert)
    if len(insert):
        copy_in(cur, T_OBS, OBS_COLUMNS, obs_bytes.chunks())
    counts["figures"] = int(shown.sum())
    shown_years = None if whole else set(years) | {y + 1 for y in years}
    write_figures(cur, w, ent, higher, shown, ent_ids, ind_ids, timer, whole, shown_years, tables, counts)
    timer.lap("write")
    return counts, timer.split


def _rebuild_cheaper(cur, table: str, years) -> bool:
    """Whether the figures of ``years`` and the next ones are better rewritten by rebuilding the whole
    table: replacing rows one by one (DELETE, then COPY maintaining three B-trees) costs ≈ 3–4× a bulk
    load per row, so beyond a third of a large table the rebuild is cheaper (then every observation is
    read, and the figures of the other years are recomputed from their stored values — what they were
    computed from)."""
    shown = sorted(set(years) | {y + 1 for y in years})
    cur.execute(f"SELECT count(*) FILTER (WHERE ym / 12 IN ({', '.join(str(y) for y in shown)})), count(*) FROM {table}")
    n_shown, n_all = cur.fetchone()
    return n_shown > REBUILD_ROWS and 3 * n_shown > n_all


REBUILD_ROWS = 50_000


OBS_COLUMNS = "entity_id, indicator_id, period, ym, basis, value, provenance, source_ref, fx_rate, fx_note, updated_at"


def encode_observations(c: dict, sel: np.ndarray, ent_ids, ind_ids, refs: list[str], sources: list[str]) -> BinaryCopy:
    """New derived observations, for ``COPY stats_observation (OBS_COLUMNS) FROM STDIN (FORMAT binary)``."""
    n = len(sel)
    kind, note = c["kind"][sel], c["note"][sel]
    enc = BinaryCopy(n)
    enc.int8(ent_ids[c["e"][sel]])
    enc.int8(ind_ids[c["i"][sel]])
    enc.date_of_ym(c["ym"][sel])
    enc.int4(c["ym"][sel])
    enc.text(c["b"][sel], list(BASIS))
    enc.numeric(c["v"][sel], 4)
    enc.text(np.zeros(n, np.int64), ["derived"])
    enc.text(np.where(kind == FORMULA, 3 + np.maximum(note, 0), kind - 1), refs)
    converted = kind == CONVERTED
    enc.numeric(c["rate"][sel], 6, ~converted)
    enc.text(np.where(converted, note + 1, 0), [""] + sources)
    now = (np.datetime64("now", "us") - PG_TS_EPOCH).astype(np.int64)
    enc.int8(np.full(n, now))
    return enc
