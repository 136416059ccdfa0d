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
    loss = " * c.bonded_share * 0.01" if scrap_bonded() else ""
    k = "-r.sign * lst.direction"
    if connection.vendor == "postgresql":
        # numeric multiplication is exact, so q x (u x s x 0.01) = q x u x s x 0.01: the factors of
        # every consumption row are stored (generated columns k_cons, k_tang, k_intang) instead of
        # being multiplied again for every exploded row (docs/performance.md).  SQLite's DECIMAL is
        # a float: keep its order of operations.
        cons = T_CONS
        f_cons, f_tang, f_intang = "g.qty * c.k_cons", f"g.qty * c.k_tang{loss}", f"g.qty * c.k_intang{loss}"
    else:
        cons = T_CONS
        gross = "g.qty * c.unit_consumption"
        f_cons = f"{gross} * c.bonded_share * 0.01"
        f_tang = f"{gross} * c.tangible_rate * 0.01{loss}"
        f_intang = f"{gross} * c.intangible_rate * 0.01{loss}"
    # FILTER instead of CASE … ELSE 0: a line adds to its own column only, not a numeric 0 to the 13
    # others (~20 % of the direct part)
    direct_cols = ",\n".join(
        f"COALESCE(SUM(l.qty * lst.direction) FILTER (WHERE r.target = '{c}'), 0) AS {c}"
        for c in RULE_COLUMNS
    )
    zero_rule_cols = ", ".join(f"0 AS {c}" for c in RULE_COLUMNS)
    outer_cols = ", ".join(f"SUM(x.{c}) AS {c}" for c in RULE_COLUMNS)
    lid, glid, lgrp, ggrp, xsel, xgrp = ("",) * 6
    if by_list:
        lid, glid, lgrp, ggrp = "lst.id AS list_id, ", "g.list_id, ", "lst.id, ", "g.list_id, "
        xsel, xgrp = "x.list_id AS list_id, ", "x.list_id, "
    template, extra = _EXPLODED_BRANCH, {}
    if not fold:
        template = _UNFOLDED_BRANCH
        extra = {
            f"u_{name}": _signed_sum(f"ROUND({expr}, 5)")
            for name, expr in zip(EXPLODED.values(), (f_cons, f_tang, f_intang), strict=True)
        }
    exploded = template.format(
        **extra,
        zero_rule_cols=zero_rule_cols,
        f_cons=f_cons,
        f_tang=f_tang,
        f_intang=f_intang,
        k=k,
        frm=_from(),
        where=where,
        cons=cons,
        lid=lid,
        glid=glid,
        lgrp=lgrp,
        ggrp=ggrp,
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


_EXPLODED_BRANCH = """            SELECT {glid}c.material_id, {zero_rule_cols},
                   SUM(g.n * ROUND({f_cons}, 5)),
                   SUM(g.n * ROUND({f_tang}, 5)),
                   SUM(g.n * ROUND({f_intang}, 5)),
                   0, 0
              FROM (
                -- identical (product, version, qty) lines explode to identical rounded amounts:
                -- fold them first into a signed count n (a reversal cancels its original)
                SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, l.qty AS qty, SUM({k}) AS n
                  {frm}
                 WHERE r.explode AND ({where})
                 GROUP BY {lgrp}l.item_id, l.resolved_version, l.qty
                HAVING SUM({k}) <> 0
              ) g
              JOIN {cons} c ON c.product_id = g.item_id AND c.version = g.version
             GROUP BY {ggrp}c.material_id
"""


def _signed_sum(expr: str) -> str:
    """SUM(g.n * expr) for n = ±1 without a multiplication per row (two filtered sums)."""
    return (
        f"(COALESCE(SUM({expr}) FILTER (WHERE g.n > 0), 0) - COALESCE(SUM({expr}) FILTER (WHERE g.n < 0), 0))"
    )


# Without the fold: every product line joins its consumption rows directly (g = the line itself,
# n = its sign).  One pipeline of hash joins into one hash aggregate, which PostgreSQL runs in
# parallel; used by the full recompute, where the fold's sort of every line costs more than it saves
# (docs/performance.md, "fourth session").
_UNFOLDED_BRANCH = """            SELECT {glid}c.material_id, {zero_rule_cols},
                   {u_cons},
                   {u_tang},
                   {u_intang},
                   0, 0
              FROM (
                SELECT {lid}l.item_id AS item_id, l.resolved_version AS version, l.qty AS qty, {k} AS n
                  {frm}
                 WHERE r.explode AND ({where})
              ) g
              JOIN {cons} c ON c.product_id = g.item_id AND c.version = g.version
             GROUP BY {ggrp}c.material_id
"""


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
