"""Import kind of book items (料件/成品备案)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import Column, Row, register
from zonebook.core.imports.parsers import Choice, DecimalNumber, Integer, Text

from .. import services
from ..choices import ItemKind
from .base import (
    ITEM_KIND_ALIASES,
    LedgerImport,
    book_col,
)

ITEM_COLUMNS = [
    book_col(),
    Column(
        "kind",
        gettext_lazy("material/product mark"),
        Choice(ItemKind, ITEM_KIND_ALIASES),
        required=True,
        aliases=("料件成品标记", "料件/成品", "类型"),
        example="料件",
    ),
    Column(
        "seq_no",
        gettext_lazy("sequence no."),
        Integer(min_value=1),
        required=True,
        aliases=("备案序号", "序号"),
        example="1",
    ),
    Column(
        "part_no",
        gettext_lazy("part no."),
        Text(40),
        required=True,
        aliases=("料号", "企业料号", "商品料号"),
        example="IC-0001",
    ),
    Column(
        "hs_code",
        gettext_lazy("HS code"),
        Text(10),
        required=True,
        aliases=("商品编码", "HS编码"),
        example="8542319000",
    ),
    Column(
        "name",
        gettext_lazy("name"),
        Text(200),
        required=True,
        aliases=("商品名称", "品名"),
        example="集成电路",
    ),
    Column(
        "spec", gettext_lazy("specification / model"), Text(300), aliases=("规格型号",), example="BGA-256"
    ),
    Column(
        "unit",
        gettext_lazy("declared unit"),
        Text(3),
        required=True,
        aliases=("申报计量单位", "计量单位", "申报单位"),
        example="007",
    ),
    Column(
        "legal_unit1",
        gettext_lazy("legal unit 1"),
        Text(3),
        aliases=("法定计量单位", "法定单位"),
        example="007",
    ),
    Column(
        "legal_unit2", gettext_lazy("legal unit 2"), Text(3), aliases=("第二法定计量单位", "第二法定单位")
    ),
    Column(
        "unit_price",
        gettext_lazy("unit price"),
        DecimalNumber(18, 4, min_value=0),
        aliases=("申报单价", "单价"),
        example="1.25",
    ),
    Column("currency", gettext_lazy("currency"), Text(3), aliases=("币制",), example="USD"),
    Column(
        "country",
        gettext_lazy("country of origin"),
        Text(3),
        aliases=("原产国", "原产国(地区)", "产销国"),
        example="KOR",
    ),
    Column(
        "filed_qty",
        gettext_lazy("filed quantity"),
        DecimalNumber(20, 5, min_value=0),
        aliases=("备案数量", "申报数量"),
        example="100000",
    ),
]


@register
class BookItemImport(LedgerImport):
    key = "ledger_items"
    label = gettext_lazy("Book items (materials and products)")
    description = gettext_lazy(
        "One row per material (料件) or product (成品) of a book; the HS code must be in the HS table."
    )
    columns = ITEM_COLUMNS

    def apply(self, rows, by):
        errors: list[RowError] = []
        books = self.books(rows)
        groups: dict[tuple[str, str], list[tuple[Row, dict]]] = {}
        for row in rows:
            book = self.book_of(row, books, errors)
            if book is None:
                continue
            v = row.values
            data = {
                k: v[k]
                for k in (
                    "seq_no",
                    "part_no",
                    "hs_code",
                    "name",
                    "spec",
                    "unit",
                    "legal_unit1",
                    "legal_unit2",
                    "unit_price",
                    "currency",
                    "country",
                    "filed_qty",
                )
                if v.get(k) not in (None, "")
            }
            groups.setdefault((book.number, v["kind"]), []).append((row, data))
        # one set-based add_items per (book, kind)
        return errors + self.apply_groups(
            groups, lambda key, datas: services.add_items(books[key[0]], key[1], datas, by=by)
        )
