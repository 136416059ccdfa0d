"""The numpy engine's exact integer pieces: rounding, ranks, the binary COPY encoder."""

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import pytest
from django.db import connection

from zonebook.stats import calc, engine


def test_round_div_is_half_away_from_zero_for_every_sign():
    rnd = random.Random(20)
    nums = [rnd.randint(-10**12, 10**12) for _ in range(3000)] + [5, -5, 15, -15, 25, -25, 0, 1, -1]
    dens = [rnd.choice([-1, 1]) * rnd.randint(1, 10**7) for _ in range(3000)] + [10, 10, 10, 10, 10, 10, 7, 2, 2]
    got = engine.round_div(np.array(nums), np.array(dens))
    with localcontext() as ctx:
        ctx.prec = 60
        want = [int((Decimal(n) / Decimal(d)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for n, d in zip(nums, dens,
                                                                                                       strict=True)]
    assert got.tolist() == want
    assert engine.round_div(np.array([5, -5, 15, -15, 1, -1]), np.array([10, 10, 10, -10, 2, 2])).tolist() == \
        [1, -1, 2, 2, 1, -1]


def test_ranks_are_competition_ranks_per_group():
    group = np.array([0, 0, 0, 0, 1, 1, 0])
    values = np.array([30, 20, 20, 10, 5, 5, 40])
    _, dense = np.unique(-values, return_inverse=True)  # higher is better
    rank, n = engine.ranks(group, dense, int(dense.max()) + 1)
    assert rank.tolist() == [2, 3, 3, 5, 1, 1, 1]
    assert n.tolist() == [5, 5, 5, 5, 2, 2, 5]
    assert rank.tolist() == [calc.rank({k: v for k, v in enumerate(values) if group[k] == group[j]})[j] for j in range(7)]


def test_scale_parts():
    assert engine.scale_parts("100") == (100, 1)
    assert engine.scale_parts("0.5") == (5, 10)
    assert engine.scale_parts("1E+2") == (100, 1)
    assert engine.scale_parts("-0.25") == (-25, 100)


@pytest.mark.django_db
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_binary_copy_round_trip():
    """Numerics of both signs and every magnitude up to the int64 bound, NULLs, texts, dates and
    integers written by ``BinaryCopy`` read back as written."""
    values = [0, 1, -1, 9999, 10000, -10001, 123456789, -987654321012, engine.LIMIT, -engine.LIMIT, 2**62]
    n = len(values)
    null = np.array([k % 4 == 3 for k in range(n)])
    rates = [6812345, 1, 999999999999, 0, 7000000, 123, 5, 6, 7, 8, 9]
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE engine_copy (a numeric(24, 4), b numeric(12, 6), c int4, d varchar(10), "
                    "e date, f int8)")
        enc = engine.BinaryCopy(n)
        enc.numeric(np.array(values), 4)
        enc.numeric(np.array(rates), 6, null)
        enc.int4(np.arange(n), null)
        enc.text(np.arange(n) % 3, ["", "month", "cum"])
        enc.date_of_ym(np.array([2008 * 12 + k for k in range(n)]))
        enc.int8(np.arange(n) * 10**12)
        engine.copy_in(cur.cursor, "engine_copy", "a, b, c, d, e, f", enc.chunks(rows_per_chunk=4))
        cur.execute("SELECT a, b, c, d, e, f FROM engine_copy ORDER BY f")
        got = cur.fetchall()
        cur.execute("DROP TABLE engine_copy")
    want = sorted(((Decimal(v).scaleb(-4), None if null[k] else Decimal(rates[k]).scaleb(-6), None if null[k] else k,
                    ["", "month", "cum"][k % 3], dt.date(2008 + k // 12, k % 12 + 1, 1), k * 10**12)
                   for k, v in enumerate(values)), key=lambda r: r[5])
    assert got == want


@pytest.mark.django_db
def test_recompute_of_nothing():
    """No observation at all: nothing derived, an empty figure table, no error on either path."""
    from zonebook.stats import sql
    from zonebook.stats.models import Figure, Observation

    counts = sql.recompute()
    assert counts["figures"] == counts["written"] == counts["removed"] == 0
    assert not Figure.objects.exists() and not Observation.objects.exists()
    assert sql.recompute(years=[2024])["figures"] == 0


def _figs(n=6):
    """Figures of two indicators (positions 0, 1) over two months, as ``engine.figures`` returns them."""
    rng = np.random.default_rng(5)
    f = {"e": np.arange(n) % 3, "i": np.array([0, 0, 1, 1, 0, 1][:n]), "ym": np.array([100, 101, 100, 100, 100, 101][:n]),
         "b": np.arange(n) % 2, "v": rng.integers(-10**9, 10**9, n)}
    for name in ("prior", "yoy", "share", "pp"):
        f[name], f[f"{name}_null"] = rng.integers(-10**6, 10**6, n), np.zeros(n, bool)
    for g in engine.RANK_GROUPS:
        f[f"rank_{g}"], f[f"n_{g}"] = rng.integers(1, 9, n), rng.integers(9, 20, n)
        if g != "nation":
            f[f"rank_{g}_null"] = np.zeros(n, bool)
    return f


def test_block_digests_cover_every_written_column():
    """One digest per (indicator, month); changing any column of one row — a value, a rank, a group
    size, a NULL (whose stored value is zero either way) — changes that block's digest only; the same
    rows computed in another chunk or order of blocks give the same digests."""
    ent_ids, ind_ids = np.array([11, 12, 13]), np.array([7, 8])
    f = _figs()
    base = engine.block_digests(f, ent_ids, ind_ids).as_dict()
    assert sorted(base) == [(7, 100), (7, 101), (8, 100), (8, 101)]
    assert [base[k][0] for k in sorted(base)] == [2, 1, 2, 1]
    row = 3  # indicator 8, month 100
    changes = [("v", 1), ("prior", 1), ("yoy", 1), ("share", 1), ("pp", 1), ("rank_type", 1), ("n_province", 1),
               ("rank_nation", 1), ("ym", 0), ("b", 0), ("e", 0)]
    for name, _ in changes:
        g = {k: v.copy() for k, v in f.items()}
        g[name][row] += 1 if name not in ("b", "e") else 0
        if name == "b":
            g["b"][row] = 1 - g["b"][row]
        if name == "e":
            g["e"][row] = (g["e"][row] + 1) % 3
        if name == "ym":
            continue  # moves the row to another block (below)
        got = engine.block_digests(g, ent_ids, ind_ids).as_dict()
        assert got[(8, 100)] != base[(8, 100)], name
        assert {k: v for k, v in got.items() if k != (8, 100)} == {k: v for k, v in base.items() if k != (8, 100)}
    g = {k: v.copy() for k, v in f.items()}
    g["yoy"][row] = 0
    zero = engine.block_digests(g, ent_ids, ind_ids).as_dict()
    g["yoy_null"][row] = True  # NULL and 0 differ
    assert engine.block_digests(g, ent_ids, ind_ids).as_dict()[(8, 100)] != zero[(8, 100)]
    g["yoy"][row] = 12345  # whatever the engine left under a NULL does not count
    assert engine.block_digests(g, ent_ids, ind_ids).as_dict()[(8, 100)] == \
        engine.block_digests({**g, "yoy": np.where(g["yoy_null"], 0, g["yoy"])}, ent_ids, ind_ids).as_dict()[(8, 100)]
    # the blocks of indicator 8 alone (another chunking) digest as in the whole set
    sel = np.flatnonzero(f["i"] == 1)
    part = engine.block_digests({k: v[sel] for k, v in f.items()}, ent_ids, ind_ids).as_dict()
    assert part == {k: v for k, v in base.items() if k[0] == 8}
    blocks = engine.block_digests(f, ent_ids, ind_ids)
    mask = np.array([k == (8, 100) for k in blocks.keys()])
    assert sorted(blocks.members(mask).tolist()) == [2, 3]


def test_peer_ranks_equal_ranks_within_each_sub_group():
    """The ranks within base × region (one sort, then a radix sort of the small codes) are those of a
    separate sort by the combined group, ties and rows without a code (0) included."""
    rng = np.random.default_rng(9)
    n = 5000
    base = rng.integers(0, 40, n)
    key = rng.integers(0, 30, n)  # many ties
    subs = {"region": rng.integers(0, 5, n), "province": rng.integers(0, 33, n)}
    got = engine.peer_ranks(base, key, 30, subs)
    assert [r.tolist() for r in got["nation"]] == [r.tolist() for r in engine.ranks(base, key, 30)]
    for name, codes in subs.items():
        want = engine.ranks(base * 100 + codes, key, 30)
        assert [r.tolist() for r in got[name]] == [r.tolist() for r in want], name
    empty = engine.peer_ranks(np.zeros(0, np.int64), np.zeros(0, np.int64), 1, {"region": np.zeros(0, np.int64)})
    assert [len(x) for pair in empty.values() for x in pair] == [0, 0, 0, 0]
