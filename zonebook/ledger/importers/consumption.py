"""Import kind of consumption (单耗) rows."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import Column, register
from zonebook.core.imports.parsers import Choice, Date, DecimalNumber, Integer, Text

from .. import services
from ..choices import DeclarationStatus, ItemKind
from ..models import BookItem
from .base import (
    DECL_ALIASES,
    LedgerImport,
    book_col,
)


@register
class ConsumptionImport(LedgerImport):
    key = "ledger_consumption"
    label = gettext_lazy("Consumption table (单损耗)")
    description = gettext_lazy(
        "One row per (product, material, version). Unit consumption is computed, never imported."
    )
    field_columns = {"product": "product_seq_no", "material": "material_seq_no"}
    columns = [
        book_col(),
        Column(
            "product_seq_no",
            gettext_lazy("product sequence no."),
            Integer(min_value=1),
            required=True,
            aliases=("成品序号", "成品备案序号"),
            example="1",
        ),
        Column(
            "material_seq_no",
            gettext_lazy("material sequence no."),
            Integer(min_value=1),
            required=True,
            aliases=("料件序号", "料件备案序号"),
            example="1",
        ),
        Column(
            "version",
            gettext_lazy("consumption version"),
            Text(8),
            aliases=("单耗版本号", "版本号"),
            example="1",
        ),
        Column(
            "valid_from",
            gettext_lazy("valid from"),
            Date(),
            aliases=("开始有效日期", "生效日期"),
            example="2026-01-01",
        ),
        Column("valid_to", gettext_lazy("valid to"), Date(), aliases=("结束有效日期", "失效日期")),
        Column(
            "net",
            gettext_lazy("net consumption"),
            DecimalNumber(18, 9, min_value=0),
            required=True,
            aliases=("净耗",),
            example="0.9",
        ),
        Column(
            "tangible_rate",
            gettext_lazy("tangible loss rate %"),
            DecimalNumber(9, 5, min_value=0),
            aliases=("有形损耗率", "有形损耗率%"),
            example="4",
        ),
        Column(
            "intangible_rate",
            gettext_lazy("intangible loss rate %"),
            DecimalNumber(9, 5, min_value=0),
            aliases=("无形损耗率", "无形损耗率%"),
            example="1",
        ),
        Column(
            "bonded_share",
            gettext_lazy("bonded share %"),
            DecimalNumber(9, 5, min_value=0),
            aliases=("保税料件比例", "保税料件比例%"),
            example="100",
        ),
        Column(
            "declaration_status",
            gettext_lazy("declaration status"),
            Choice(DeclarationStatus, DECL_ALIASES),
            aliases=("单耗申报状态", "申报状态"),
            example="已申报",
        ),
    ]

    def apply(self, rows, by):
        errors: list[RowError] = []
        books = self.books(rows)
        items = {}
        if books:
            for it in BookItem.objects.filter(book__in=books.values()):
                items[(it.book_id, it.kind, it.seq_no)] = it
        groups: dict[str, list] = {}
        for row in rows:
            book = self.book_of(row, books, errors)
            if book is None:
                continue
            v = row.values
            product = items.get((book.pk, ItemKind.PRODUCT, v["product_seq_no"]))
            material = items.get((book.pk, ItemKind.MATERIAL, v["material_seq_no"]))
            if product is None:
                errors.append(
                    self.error(
                        row,
                        "product_seq_no",
                        _("No product with this sequence number on book %(b)s.") % {"b": book.number},
                    )
                )
            if material is None:
                errors.append(
                    self.error(
                        row,
                        "material_seq_no",
                        _("No material with this sequence number on book %(b)s.") % {"b": book.number},
                    )
                )
            if product is None or material is None:
                continue
            data = {
                k: v[k]
                for k in (
                    "version",
                    "valid_from",
                    "valid_to",
                    "net",
                    "tangible_rate",
                    "intangible_rate",
                    "bonded_share",
                    "declaration_status",
                )
                if v.get(k) not in (None, "")
            }
            groups.setdefault(book.number, []).append((row, (product, material, data)))
        # one set-based add_consumptions per book
        return errors + self.apply_groups(
            groups, lambda number, datas: services.add_consumptions(books[number], datas, by=by)
        )
