"""Import kind of opening balances (期初)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import Column, register
from zonebook.core.imports.parsers import DecimalNumber, Integer

from .. import services
from ..choices import ItemKind
from ..models import BookItem
from .base import (
    LedgerImport,
    book_col,
)


@register
class OpeningBalanceImport(LedgerImport):
    key = "ledger_opening"
    label = gettext_lazy("Opening balances (期初)")
    description = gettext_lazy(
        "One row per material: the quantity (and amount) at the start of the write-off cycle."
    )
    field_columns = {"opening_qty": "qty"}
    columns = [
        book_col(),
        Column(
            "seq_no",
            gettext_lazy("material sequence no."),
            Integer(min_value=1),
            required=True,
            aliases=("料件序号", "备案序号"),
            example="1",
        ),
        Column(
            "qty",
            gettext_lazy("opening quantity"),
            DecimalNumber(20, 5),
            required=True,
            aliases=("期初数量", "核销周期初始数量"),
            example="1000",
        ),
        Column(
            "amount",
            gettext_lazy("opening amount"),
            DecimalNumber(18, 2),
            aliases=("期初金额",),
            example="12500",
        ),
    ]

    def apply(self, rows, by):
        errors: list[RowError] = []
        books = self.books(rows)
        items = {}
        if books:
            for it in BookItem.objects.filter(book__in=books.values(), kind=ItemKind.MATERIAL):
                items[(it.book_id, it.seq_no)] = it
        seen: dict = {}
        for row in rows:
            book = self.book_of(row, books, errors)
            if book is None:
                continue
            v = row.values
            item = items.get((book.pk, v["seq_no"]))
            if item is None:
                errors.append(
                    self.error(
                        row,
                        "seq_no",
                        _("No material with this sequence number on book %(b)s.") % {"b": book.number},
                    )
                )
                continue
            if item.pk in seen:
                errors.append(
                    self.error(
                        row,
                        "seq_no",
                        _("Duplicate: the same material is already in row %(row)d of this file.")
                        % {"row": seen[item.pk]},
                    )
                )
                continue
            seen[item.pk] = row.number
            exc = self.attempt(
                lambda item=item, q=v["qty"], a=v["amount"] or 0: services.set_opening_balance(
                    item, q, a, by=by
                )
            )
            if exc is not None:
                errors += self.errors_for(row, exc)
        return errors
