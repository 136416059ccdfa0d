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
