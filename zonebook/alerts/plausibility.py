"""Consumption plausibility (domain doc §11 R1/R2/R8), computed set-based in SQL.

Three checks, each over whole tables (no query per row):

1. **previous version** — every consumption row (product, material, version) of an open book against
   the same (product, material) pair's previous version in the same book (versions ordered by
   ``valid_from``, empty first, then id): a ``LAG(id)`` window over the pair;
2. **peer median** — against the median of the other enterprises' rows with the same (product HS,
   material HS) pair in the same province (``zone.province_code``).  A peer row is the *latest*
   version of each (product, material) pair of every other enterprise's open book (``ROW_NUMBER``
   over the pair, newest first).  The median is exact (Decimal): one SQL statement per metric joins
   every target to its peers, ranks the peer values per target (``ROW_NUMBER``, ``COUNT`` windows)
   and returns the id of the middle row (odd count) or of the two middle rows (even count); the
   mean of the two is taken on the rows' Decimal values, never on a float;
3. **write-off actual** — for every write-off material with a stocktake: actual consumption = filed
   consumption − 差异 (差异 = 实际剩余 − 应剩余), flagged when |差异| / filed > threshold: one ORM
   query.

The database pairs and ranks the rows; each pair's comparison with its threshold is done on the
rows' ``Decimal`` values, so it is exact on SQLite too, whose numeric columns are floating point.  No third-party data-frame library is needed: the running
product imports only its main dependencies.

Thresholds (``AlertSettings``): 单耗 relative % (previous version, peer median separately), loss
rates in absolute percentage points, a minimum number of peer rows, the write-off %.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Value, Window
from django.db.models.functions import Lag, RowNumber

from zonebook.ledger.choices import ItemKind
from zonebook.ledger.models import Consumption, WriteOffLine

from .choices import CONSUMPTION_METRICS, RELATIVE_METRICS, FlagKind, Metric
from .deadlines import OPEN_BOOK_STATUSES

PCT = Decimal("0.0001")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
METRICS = [str(m) for m in CONSUMPTION_METRICS]


def _base():
    """Consumption rows of open books with their keys, their predecessor in the (product, material)
    history (``prev_id``) and their place counted from the newest version (``newest`` = 1: latest).
    The same query feeds Python (``consumption_rows``) and the peer-median SQL (``peer_medians``)."""
    pair = [F("product_id"), F("material_id")]
    return (
        Consumption.objects.filter(book__status__in=OPEN_BOOK_STATUSES)
        .order_by()
        .values(
            "id",
            "book_id",
            "product_id",
            "material_id",
            "version",
            *METRICS,
            enterprise_id=F("book__enterprise_id"),
            province=F("book__zone__province_code"),
            product_hs=F("product__hs_code"),
            material_hs=F("material__hs_code"),
            prev_id=Window(
                Lag("id"), partition_by=pair, order_by=[F("valid_from").asc(nulls_first=True), F("id").asc()]
            ),
            newest=Window(
                RowNumber(),
                partition_by=pair,
                order_by=[F("valid_from").desc(nulls_last=True), F("id").desc()],
            ),
        )
    )


def consumption_rows() -> dict[int, dict]:
    """Every consumption row of an open book (one query), by id."""
    return {r["id"]: r for r in _base()}


def _threshold(metric: str, cfg, peer: bool) -> Decimal:
    if metric in RELATIVE_METRICS:
        return cfg.consumption_peer_pct if peer else cfg.consumption_previous_pct
    return cfg.loss_rate_points


def _compare(value: Decimal, reference: Decimal, metric: str, threshold: Decimal):
    """(deviation, flagged): relative metrics in % of the reference (a zero reference is never
    compared), loss rates in percentage points.  The unrounded deviation is compared."""
    if metric in RELATIVE_METRICS:
        if reference == ZERO:
            return None, False
        deviation = (value - reference) / reference * HUNDRED
    else:
        deviation = value - reference
    return deviation, abs(deviation) > threshold


def _row(kind, metric, r, value, reference, deviation, threshold, **extra) -> dict:
    prefix = {FlagKind.PREVIOUS_VERSION: "prev", FlagKind.PEER_MEDIAN: "peer"}[kind]
    return {
        "key": f"{prefix}:{metric}:{r['id']}",
        "kind": kind,
        "metric": metric,
        "book_id": r["book_id"],
        "consumption_id": r["id"],
        "product_id": r["product_id"],
        "material_id": r["material_id"],
        "version": r["version"],
        "province_code": r["province"] or "",
        "product_hs": r["product_hs"],
        "material_hs": r["material_hs"],
        "value": value,
        "reference": reference,
        "deviation": None if deviation is None else deviation.quantize(PCT, rounding=ROUND_HALF_UP),
        "threshold": threshold,
        "writeoff_id": None,
        "writeoff_line_id": None,
        **extra,
    }


def previous_version_flags(rows: dict[int, dict], cfg) -> list[dict]:
    """Every version compared with its predecessor (``prev_id`` from the LAG window)."""
    out = []
    for r in rows.values():
        prev = rows.get(r["prev_id"]) if r["prev_id"] is not None else None
        if prev is None:
            continue
        for metric in METRICS:
            threshold = _threshold(metric, cfg, peer=False)
            deviation, flagged = _compare(r[metric], prev[metric], metric, threshold)
            if flagged:
                out.append(
                    _row(
                        FlagKind.PREVIOUS_VERSION,
                        metric,
                        r,
                        r[metric],
                        prev[metric],
                        deviation,
                        threshold,
                        previous_id=prev["id"],
                    )
                )
    return out


# Per target row: its peers (latest rows of other enterprises with the same province and HS pair),
# ranked by value; only the middle row(s) are returned.  ``{base}`` is the compiled ``_base`` query.
PEER_MEDIAN_SQL = """
WITH base AS ({base}),
latest AS (SELECT id, enterprise_id, province, product_hs, material_hs, {metric} AS pv
           FROM base WHERE newest = 1),
pairs AS (
    SELECT t.id AS cid, p.id AS pid, p.pv AS pv
    FROM base t
    JOIN latest p ON p.province = t.province AND p.product_hs = t.product_hs
                 AND p.material_hs = t.material_hs AND p.enterprise_id <> t.enterprise_id
),
ranked AS (
    SELECT cid, pid,
           ROW_NUMBER() OVER (PARTITION BY cid ORDER BY pv, pid) - 1 AS rk,
           COUNT(*) OVER (PARTITION BY cid) AS n
    FROM pairs
)
SELECT cid, pid, n FROM ranked
WHERE n >= %s AND (rk = (n - 1) / 2 OR rk = n / 2)
"""


def peer_medians(rows: dict[int, dict], cfg) -> dict[tuple[int, str], tuple[Decimal, int]]:
    """(consumption id, metric) → (exact median of the peers' values, number of peers), for targets
    with at least ``cfg.peer_min_count`` peers.  One SQL statement per metric."""
    base_sql, base_params = _base().query.sql_with_params()
    out: dict[tuple[int, str], tuple[Decimal, int]] = {}
    for metric in METRICS:
        middle: dict[int, list] = {}
        with connection.cursor() as cur:
            cur.execute(
                PEER_MEDIAN_SQL.format(base=base_sql, metric=connection.ops.quote_name(metric)),
                [*base_params, cfg.peer_min_count],
            )
            for cid, pid, n in cur.fetchall():
                middle.setdefault(cid, [int(n)]).append(rows[pid][metric])
        for cid, (n, *values) in middle.items():
            # odd count: one middle row; even count: the two middle rows
            out[(cid, metric)] = (sum(values, ZERO) / len(values), n)
    return out


def peer_flags(rows: dict[int, dict], cfg) -> list[dict]:
    out = []
    for (cid, metric), (median, n) in peer_medians(rows, cfg).items():
        r = rows[cid]
        threshold = _threshold(metric, cfg, peer=True)
        deviation, flagged = _compare(r[metric], median, metric, threshold)
        if flagged:
            out.append(
                _row(FlagKind.PEER_MEDIAN, metric, r, r[metric], median, deviation, threshold, peer_count=n)
            )
    return out


def writeoff_flags(cfg) -> list[dict]:
    """Write-off materials whose actual consumption (filed − 差异) deviates from the filed consumption."""
    pct = cfg.writeoff_actual_pct
    limit = ExpressionWrapper(
        F("consumption") * Value(pct / HUNDRED), output_field=DecimalField(max_digits=24, decimal_places=9)
    )
    rows = (
        WriteOffLine.objects.filter(
            kind=ItemKind.MATERIAL,
            writeoff__has_stocktake=True,
            writeoff__book__status__in=OPEN_BOOK_STATUSES,
            difference_qty__isnull=False,
            consumption__gt=0,
        )
        .filter(Q(difference_qty__gt=limit) | Q(difference_qty__lt=-limit))
        .order_by()
        .values(
            "id",
            "writeoff_id",
            "item_id",
            "consumption",
            "difference_qty",
            book_id=F("writeoff__book_id"),
            province=F("writeoff__book__zone__province_code"),
            material_hs=F("item__hs_code"),
        )
    )
    out = []
    for r in rows:
        filed, diff = r["consumption"], r["difference_qty"]
        actual = filed - diff
        out.append(
            {
                "key": f"wo:{r['id']}",
                "kind": FlagKind.WRITEOFF_ACTUAL,
                "metric": Metric.CONSUMPTION,
                "book_id": r["book_id"],
                "consumption_id": None,
                "previous_id": None,
                "product_id": None,
                "material_id": r["item_id"],
                "version": "",
                "province_code": r["province"] or "",
                "product_hs": "",
                "material_hs": r["material_hs"],
                "value": actual,
                "reference": filed,
                "deviation": ((actual - filed) / filed * HUNDRED).quantize(PCT, rounding=ROUND_HALF_UP),
                "threshold": pct,
                "peer_count": None,
                "writeoff_id": r["writeoff_id"],
                "writeoff_line_id": r["id"],
            }
        )
    return out


def current_flags(cfg) -> list[dict]:
    """Every flag that holds now (previous version, peer median, write-off)."""
    rows = consumption_rows()
    out = []
    if rows:
        out += previous_version_flags(rows, cfg)
        out += peer_flags(rows, cfg)
    out += writeoff_flags(cfg)
    for r in out:
        r.setdefault("previous_id", None)
        r.setdefault("peer_count", None)
    return out
