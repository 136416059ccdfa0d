"""Rebuild and verify balances from the posted lines (set-based; see ledger.sql)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from zonebook.core.errors import DomainError
from zonebook.core.vector import SideReader

from .. import queries, sql
from ..models import BALANCE_COLUMNS, Balance, Book


def recompute(book_ids=None) -> int:
    """Overwrite the balances of the given books (all books when None) from the posted lines.

    Two statements: INSERT missing balance rows, UPDATE … FROM the recomputed aggregate — on
    PostgreSQL computed by the exact integer engine (``ledger.engine``) unless the data exceed its
    64-bit bound (then the numeric SQL; ``sql.LAST_RUN`` says which ran), which writes only the rows
    whose values change.  Locks the balance rows of the books first (pk order), so no posting commits
    between the engine's reads.  Returns the number of balance rows written.

    Called outside any transaction on PostgreSQL, the engine reads on two connections of one
    snapshot (``core.vector.SideReader``): the transaction is its own and holds no ledger writes
    when the snapshot is exported (only the row locks).
    """
    parallel = sql.engine_enabled() and not connection.in_atomic_block
    with transaction.atomic():
        qs = Balance.objects.select_for_update().order_by("pk")
        if book_ids is not None:
            book_ids = list(book_ids)
            qs = qs.filter(book_id__in=book_ids)
        list(qs.values_list("pk", flat=True))
        if parallel:
            with connection.cursor() as cur, SideReader.try_open(cur) as side:
                written = sql.recompute(book_ids, side=side)
            sql.LAST_RUN["parallel"] = side is not None
        else:
            written = sql.recompute(book_ids)
        queries.refresh_book_summaries(book_ids)
    return written


def check_balances(book_ids=None, limit: int = 1000) -> list[dict]:
    """Stored vs recomputed balances: a list of {item_id, book_id, missing, columns: {col: {stored, recomputed}}}.

    Empty means every stored balance equals the recompute.  Read-only; on PostgreSQL the recompute is
    the integer engine's (as ``recompute``).
    """
    return sql.check(None if book_ids is None else list(book_ids), limit=limit)


def balances_as_of(book: Book, as_of: dt.date | None = None) -> list[dict]:
    """One dict per item of the book (material first, by sequence number) with every balance column.

    Without ``as_of`` the stored balances are read; with it the balances are computed from the
    lists declared up to and including that date (set-based, nothing stored).
    """
    items = list(
        book.items.order_by("kind", "seq_no").values(
            "id", "kind", "seq_no", "part_no", "hs_code", "name", "unit"
        )
    )
    if as_of is None:
        stored = {
            r["item_id"]: r for r in Balance.objects.filter(book=book).values("item_id", *BALANCE_COLUMNS)
        }
        values = {k: {c: v[c] for c in BALANCE_COLUMNS} for k, v in stored.items()}
    else:
        if not isinstance(as_of, dt.date):
            raise DomainError("as_of must be a date", code="invalid", field="as_of")
        values = sql.as_of_rows(book.pk, as_of)
    out = []
    for it in items:
        row = dict(it)
        row.update(values.get(it["id"], dict.fromkeys(BALANCE_COLUMNS, 0)))
        out.append(row)
    return out
