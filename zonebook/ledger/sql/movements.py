"""The movements query: direct lines and product lines exploded through their consumption version,
folded by a pivot into one row per item (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection

from .. import calc
from ..choices import RULE_COLUMNS
from ..models import (
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
    # FILTER instead of CASE … ELSE 0: a line adds to its own column only, not a numeric 0 to the 13
    # others (~20 % of the direct part)
    direct_cols = ",\n".join(
        f"COALESCE(SUM(l.qty * lst.direction) FILTER (WHERE r.target = '{c}'), 0) AS {c}"
        for c in RULE_COLUMNS
    )
    zero_rule_cols = ", ".join(f"0 AS {c}" for c in RULE_COLUMNS)
    outer_cols = ", ".join(f"SUM(x.{c}) AS {c}" for c in RULE_COLUMNS)
    lid, lgrp, xsel, xgrp = ("",) * 4
    if by_list:
        lid, lgrp = "lst.id AS list_id, ", "lst.id, "
        xsel, xgrp = "x.list_id AS list_id, ", "x.list_id, "
    exploded = explosion_sql(
        where, group="fold" if fold else "line", by_list=by_list, pad_before=f"{zero_rule_cols}, ", pad_after=", 0, 0"
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


# ---------------------------------------------------------------- the explosion builder

# How product lines are grouped before they meet their consumption rows (``explosion_sql``):
#   "line": none — every line joins its consumption rows (n = its sign): the full recompute and
#           the as-of report (one parallel pipeline of hash joins, docs/performance.md);
#   "fold": identical (product, version, qty) lines folded into a signed count n (posting; the
#           write-off's "line" rounding) — each (line, material) amount is still rounded on its own;
#   "sum":  the signed quantities of a (product, version) summed first, one rounding per
#           (product, version, material) — the write-off's default "product" rounding (§6.3).
GROUPS = ("line", "fold", "sum")


def factor_exprs(order: str = "gross") -> tuple[str, str, str]:
    """The exploded amounts of one grouped product quantity ``g.qty`` and one consumption row ``c``
    before rounding: consumption, tangible loss, intangible loss.

    PostgreSQL: numeric multiplication is exact, so q × (单耗 × s × 0.01) = q × 单耗 × s × 0.01 and
    the stored per-row factors (generated columns k_cons, k_tang, k_intang) are used instead of
    multiplying three columns again for every exploded row (docs/performance.md).  SQLite's DECIMAL
    is a float: each caller keeps its order of operations — ``"gross"`` (posting, recompute: the
    quantity × 单耗 first) or ``"factor"`` (the write-off: the factor first).
    """
    loss = " * c.bonded_share * 0.01" if scrap_bonded() else ""
    if connection.vendor == "postgresql":
        return "g.qty * c.k_cons", f"g.qty * c.k_tang{loss}", f"g.qty * c.k_intang{loss}"
    if order == "factor":
        return (
            "g.qty * (c.unit_consumption * c.bonded_share * 0.01)",
            f"g.qty * (c.unit_consumption * c.tangible_rate * 0.01{loss})",
            f"g.qty * (c.unit_consumption * c.intangible_rate * 0.01{loss})",
        )
    gross = "g.qty * c.unit_consumption"
    return (
        f"{gross} * c.bonded_share * 0.01",
        f"{gross} * c.tangible_rate * 0.01{loss}",
        f"{gross} * c.intangible_rate * 0.01{loss}",
    )


def explosion_sql(
    where: str,
    *,
    group: str = "line",
    by_list: bool = False,
    order: str = "gross",
    pad_before: str = "",
    pad_after: str = "",
    book_id: int | None = None,
) -> str:
    """THE explosion of product lines through the consumption rows of their resolved version (单损耗),
    used by posting and the recompute (``pivot_sql``), the as-of report (``full_sql``) and the
    write-off (``writeoff.bom_consumption``).

    One row per material (per (list, material) with ``by_list``, after a leading ``list_id``):
    ``item_id`` (the material), ``consumption``, ``tangible_loss``, ``intangible_loss`` — each
    (grouped line, material) amount rounded to 5 dp (ROUND: half away from zero) and signed by
    −rule sign × list direction (exports add, product returns subtract).  ``where`` selects the lines
    (aliases l = line, lst = list, r = rule); ``group`` is one of ``GROUPS``; ``order`` the SQLite
    order of multiplication (``factor_exprs``); ``pad_before`` / ``pad_after`` are constant columns
    placed around the three amounts (the pivot's UNION ALL branch); ``book_id`` reads only that
    book's consumption rows (an index scan of its rows instead of hash-joining the province's table —
    the write-off of one book).
    """
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}, not {group!r}")
    k = "-r.sign * lst.direction"
    lid = glid = lgrp = ggrp = ""
    if by_list:
        lid, glid, lgrp, ggrp = "lst.id AS list_id, ", "g.list_id, ", "lst.id, ", "g.list_id, "
    exprs = factor_exprs(order)
    if group == "line":
        # n = ±1: two filtered sums instead of a multiplication per row
        grouped = f"""SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, l.qty AS qty, {k} AS n
                  {_from()}
                 WHERE r.explode AND ({where})"""
        sums = [_signed_sum(f"ROUND({e}, 5)") for e in exprs]
    elif group == "fold":
        # identical (product, version, qty) lines explode to identical rounded amounts: fold them
        # first into a signed count n (a reversal cancels its original)
        grouped = f"""SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, l.qty AS qty, SUM({k}) AS n
                  {_from()}
                 WHERE r.explode AND ({where})
                 GROUP BY {lgrp}l.item_id, l.resolved_version, l.qty
                HAVING SUM({k}) <> 0"""
        sums = [f"SUM(g.n * ROUND({e}, 5))" for e in exprs]
    else:
        grouped = f"""SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, SUM({k} * l.qty) AS qty, 1 AS n
                  {_from()}
                 WHERE r.explode AND ({where})
                 GROUP BY {lgrp}l.item_id, l.resolved_version
                HAVING SUM({k} * l.qty) <> 0"""
        sums = [f"SUM(g.n * ROUND({e}, 5))" for e in exprs]
    cons, tang, intang = sums
    book = "" if book_id is None else f" AND c.book_id = {int(book_id)}"
    return f"""            SELECT {glid}c.material_id AS item_id, {pad_before}{cons} AS consumption,
                   {tang} AS tangible_loss,
                   {intang} AS intangible_loss{pad_after}
              FROM (
                {grouped}
              ) g
              JOIN {T_CONS} c ON c.product_id = g.item_id AND c.version = g.version{book}
             GROUP BY {ggrp}c.material_id
"""


def _signed_sum(expr: str) -> str:
    """SUM(g.n * expr) for n = ±1 without a multiplication per row (two filtered sums)."""
    return (
        f"(COALESCE(SUM({expr}) FILTER (WHERE g.n > 0), 0) - COALESCE(SUM({expr}) FILTER (WHERE g.n < 0), 0))"
    )


DELTA_COLUMNS = list(RULE_COLUMNS) + list(EXPLODED)


def _in_clause(ids) -> tuple[str, list]:
    ids = [int(i) for i in ids]
    return ", ".join(["%s"] * len(ids)), ids


# ---------------------------------------------------------------- posting one list


def _date(value):
    """SQLite returns dates of raw queries as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _dec(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return calc.q5(Decimal(repr(value)))
    return calc.q5(value)
