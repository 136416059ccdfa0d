"""Consumption plausibility (domain doc §11 R1/R2/R8), computed set-based.

Three checks, each over whole tables (no query per row):

1. **previous version** — every consumption row (product, material, version) of an open book against
   the same (product, material) pair's previous version in the same book (versions ordered by
   ``valid_from``, then id): a pandas ``groupby().shift()``;
2. **peer median** — against the median of the other enterprises' rows with the same (product HS,
   material HS) pair in the same province (``zone.province_code``).  A peer row is the *latest*
   version of each (product, material) pair of every other enterprise's open book.  The median is
   exact (Decimal): the rows are ranked per target and the middle one (odd count) or the mean of the
   two middle ones (even count) is taken — pandas ``cumcount`` + two merges, no float;
3. **write-off actual** — for every write-off material with a stocktake: actual consumption = filed
   consumption − 差异 (差异 = 实际剩余 − 应剩余), flagged when |差异| / filed > threshold: one ORM
   query.

Thresholds (``AlertSettings``): 单耗 relative % (previous version, peer median separately), loss
rates in absolute percentage points, a minimum number of peer rows, the write-off %.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Value

from zonebook.ledger.choices import ItemKind
from zonebook.ledger.models import Consumption, WriteOffLine

from .choices import CONSUMPTION_METRICS, RELATIVE_METRICS, FlagKind, Metric
from .deadlines import OPEN_BOOK_STATUSES

PCT = Decimal("0.0001")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
KEYS = ["province", "product_hs", "material_hs"]
METRICS = [str(m) for m in CONSUMPTION_METRICS]


def consumption_rows() -> list[dict]:
    qs = Consumption.objects.filter(book__status__in=OPEN_BOOK_STATUSES)
    return list(
        qs.order_by().values(
            "id",
            "book_id",
            "product_id",
            "material_id",
            "version",
            "valid_from",
            *METRICS,
            enterprise_id=F("book__enterprise_id"),
            province=F("book__zone__province_code"),
            product_hs=F("product__hs_code"),
            material_hs=F("material__hs_code"),
        )
    )


def _frame(rows):
    import datetime as dt

    import pandas as pd

    df = pd.DataFrame.from_records(rows)
    df["order_date"] = df["valid_from"].map(lambda d: d or dt.date.min)
    return df.sort_values(["product_id", "material_id", "order_date", "id"], kind="stable").reset_index(
        drop=True
    )


def _threshold(metric: str, cfg, peer: bool) -> Decimal:
    if metric in RELATIVE_METRICS:
        return cfg.consumption_peer_pct if peer else cfg.consumption_previous_pct
    return cfg.loss_rate_points


def _compare(value, reference, metric: str, threshold: Decimal):
    """(deviation series, flag mask) for object series of Decimals (vectorised elementwise)."""
    if metric in RELATIVE_METRICS:
        nonzero = reference != ZERO
        safe_ref = reference.where(nonzero, Decimal(1))
        deviation = ((value - reference) / safe_ref * HUNDRED).where(nonzero, None)
        mask = nonzero & (deviation.where(nonzero, ZERO).abs() > threshold)
    else:
        deviation = value - reference
        mask = deviation.abs() > threshold
    return deviation, mask


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
        "deviation": None if deviation is None else Decimal(deviation).quantize(PCT, rounding=ROUND_HALF_UP),
        "threshold": threshold,
        "writeoff_id": None,
        "writeoff_line_id": None,
        **extra,
    }


def previous_version_flags(df, cfg) -> list[dict]:
    grouped = df.groupby(["product_id", "material_id"], sort=False)
    prev = grouped[["id", *METRICS]].shift(1)
    has_prev = prev["id"].notna()
    cur, prev = df[has_prev], prev[has_prev]
    out = []
    for metric in METRICS:
        threshold = _threshold(metric, cfg, peer=False)
        deviation, mask = _compare(cur[metric], prev[metric], metric, threshold)
        hit = cur[mask]
        for r, ref, dev, prev_id in zip(
            hit.to_dict("records"), prev[metric][mask], deviation[mask], prev["id"][mask], strict=True
        ):
            out.append(
                _row(
                    FlagKind.PREVIOUS_VERSION,
                    metric,
                    r,
                    r[metric],
                    ref,
                    dev,
                    threshold,
                    previous_id=int(prev_id),
                )
            )
    return out


def peer_medians(df):
    """Per (consumption id, metric): the exact median of the other enterprises' peer rows and their count.

    Returns a DataFrame with columns id, metric, median, n.
    """
    import pandas as pd

    latest = df.drop_duplicates(["product_id", "material_id"], keep="last")
    peers = latest.melt(
        id_vars=["enterprise_id", *KEYS], value_vars=METRICS, var_name="metric", value_name="pv"
    ).rename(columns={"enterprise_id": "peer_enterprise"})
    targets = df[["id", "enterprise_id", *KEYS]].merge(pd.DataFrame({"metric": METRICS}), how="cross")
    pairs = targets.merge(peers, on=[*KEYS, "metric"])
    pairs = pairs[pairs["enterprise_id"] != pairs["peer_enterprise"]]
    if pairs.empty:
        return pd.DataFrame(columns=["id", "metric", "median", "n"])
    pairs = pairs.sort_values(["id", "metric", "pv"], kind="stable")
    grouped = pairs.groupby(["id", "metric"], sort=False)
    pairs = pairs.assign(rank=grouped.cumcount(), n=grouped["pv"].transform("size"))
    lo = pairs[pairs["rank"] == (pairs["n"] - 1) // 2][["id", "metric", "pv", "n"]].rename(
        columns={"pv": "lo"}
    )
    hi = pairs[pairs["rank"] == pairs["n"] // 2][["id", "metric", "pv"]].rename(columns={"pv": "hi"})
    med = lo.merge(hi, on=["id", "metric"])
    med["median"] = (med["lo"] + med["hi"]) / 2
    return med[["id", "metric", "median", "n"]]


def peer_flags(df, cfg) -> list[dict]:
    med = peer_medians(df)
    if med.empty:
        return []
    med = med[med["n"] >= cfg.peer_min_count]
    records = df.set_index("id")
    out = []
    for metric in METRICS:
        part = med[med["metric"] == metric]
        if part.empty:
            continue
        value = records.loc[part["id"], metric].reset_index(drop=True)
        part = part.reset_index(drop=True)
        threshold = _threshold(metric, cfg, peer=True)
        deviation, mask = _compare(value, part["median"], metric, threshold)
        for cid, v, ref, dev, n in zip(
            part["id"][mask], value[mask], part["median"][mask], deviation[mask], part["n"][mask], strict=True
        ):
            r = records.loc[cid].to_dict()
            r["id"] = int(cid)
            out.append(_row(FlagKind.PEER_MEDIAN, metric, r, v, ref, dev, threshold, peer_count=int(n)))
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
        df = _frame(rows)
        out += previous_version_flags(df, cfg)
        out += peer_flags(df, cfg)
    out += writeoff_flags(cfg)
    for r in out:
        r.setdefault("previous_id", None)
        r.setdefault("peer_count", None)
    return out
