"""Import kinds of the ledger (see ``core.imports``): books, items, consumption, inventory lists, opening balances.

Every row is written through the ledger services (which validate against the book and the code
tables and record audit entries).  To report every bad row before anything is written, ``validate``
runs the same writes inside a savepoint that is always rolled back (each row or list in its own
nested savepoint, so one bad row does not hide the next); ``write`` then repeats them for real inside
the pipeline's transaction.  A file is therefore imported completely or not at all, and every error
names the spreadsheet row, the column (as headed in the file) and the reason.

Inventory lists come in one sheet: the header fields are repeated on every line and the rows are
grouped by list number (the rows of one list need not be adjacent).  The lists of one book and
action go to the batch service ``services.create_inventory_lists`` (about ``CHUNK_LINES`` lines
per call, in declaration-date order): one COPY of their lines, and with "submit and post" one
set-based posting whose negative-balance check runs list by list in date order.

The list import is *staged* (``core/imports/staging.py``): when the file is written for real, its
lists go to the database in committed chunks of ``STAGE_LINES`` lines in the hidden state
``ListState.IMPORTING`` (no posting, no audit entry yet), so other writers are never locked out for
the length of the import; ``publish`` then makes them drafts, submitted or posted lists of every
book in one transaction (posting all lists of a book together, in declaration-date order), and
``discard`` deletes them when anything failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports import messages as msg
from zonebook.core.imports import staging
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import Choice, Date, DecimalNumber, Integer, Text
from zonebook.registry.importers import HsCode, audit_entries
from zonebook.registry.models import Code, Enterprise
from zonebook.registry.models.codes import HS_TABLE

from .. import services
from ..choices import BookStatus, DeclarationStatus, IEMark, ItemKind, WriteOffMethod
from ..models import Book, BookItem, TaxRate
from ..models.dutytax import TaxKind

logger = logging.getLogger(__name__)

ITEM_KIND_ALIASES = {
    "料件": ItemKind.MATERIAL,
    "成品": ItemKind.PRODUCT,
    "i": ItemKind.MATERIAL,
    "e": ItemKind.PRODUCT,
    "m": ItemKind.MATERIAL,
    "p": ItemKind.PRODUCT,
}
IE_ALIASES = {"进口": IEMark.IMPORT, "出口": IEMark.EXPORT, "进": IEMark.IMPORT, "出": IEMark.EXPORT}
STATUS_ALIASES = {
    "暂存": BookStatus.DRAFT,
    "备案": BookStatus.FILED,
    "已备案": BookStatus.FILED,
    "使用中": BookStatus.IN_USE,
    "正常": BookStatus.IN_USE,
    "正常执行": BookStatus.IN_USE,
}
DECL_ALIASES = {
    "1": DeclarationStatus.UNDECLARED,
    "2": DeclarationStatus.DECLARED,
    "3": DeclarationStatus.CONFIRMED,
    "未申报": DeclarationStatus.UNDECLARED,
    "已申报": DeclarationStatus.DECLARED,
    "已确定": DeclarationStatus.CONFIRMED,
}
WRITEOFF_ALIASES = {"单耗": WriteOffMethod.BOM, "bom": WriteOffMethod.BOM, "工单": WriteOffMethod.WORK_ORDER}


class ListAction:
    DRAFT, SUBMIT, POST = "draft", "submit", "post"
    choices = [
        (DRAFT, gettext_lazy("Save as draft")),
        (SUBMIT, gettext_lazy("Submit list")),
        (POST, gettext_lazy("Submit and post")),
    ]


ACTION_ALIASES = {
    "暂存": ListAction.DRAFT,
    "草稿": ListAction.DRAFT,
    "申报": ListAction.SUBMIT,
    "提交": ListAction.SUBMIT,
    "过账": ListAction.POST,
    "核扣": ListAction.POST,
    "审核通过": ListAction.POST,
}

# Book statuses an imported book is moved to, and the path from draft.
STATUS_PATH = {
    BookStatus.DRAFT: [],
    BookStatus.FILED: [BookStatus.FILED],
    BookStatus.IN_USE: [BookStatus.FILED, BookStatus.IN_USE],
}


class _DryRun(Exception):
    pass


# Lines per call of ``services.create_inventory_lists`` in the list import: big enough to share
# the lookups, the COPY and the posting statement; small enough to keep the built rows of one call
# well inside the import's memory budget (DESIGN.md §4: 1M-line import ≤ 500 MB).
CHUNK_LINES = 20_000
# Lines per committed transaction of a staged list import (core/imports/staging.py): the write
# lock is held for one such chunk at a time (about 0.2 s on SQLite), then released.
STAGE_LINES = 5_000


def _list_number(row) -> str:
    return str(row.values.get("number") or "").strip().upper()


def _chunks(items: list, limit: int):
    chunk, n = [], 0
    for it in items:
        chunk.append(it)
        n += len(it[2])
        if n >= limit:
            yield chunk
            chunk, n = [], 0
    if chunk:
        yield chunk


def book_col(required=True):
    return Column(
        "book",
        gettext_lazy("book number"),
        Text(12),
        required=required,
        aliases=("备案号", "账册号", "手册号", "账册编号"),
        example="H79086000001",
    )


class LedgerImport(ImportKind):
    write_area = "ledger"
    # DomainError.field → column key of this kind (when the names differ).
    field_columns: dict[str, str] = {}

    # -- the two passes ------------------------------------------------------------------------
    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        try:
            with transaction.atomic():
                errors = self.apply(rows, self.user)
                raise _DryRun
        except _DryRun:
            pass
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        rows = list(rows)
        errors = self.apply(rows, by)
        if errors:  # the data changed between validate and write: the pipeline rolls back and reports it
            raise IntegrityError(str(errors[0]))
        return len(rows)

    def write_checked(self, rows: list[Row], by) -> list[RowError]:
        # One pass instead of validate (writes rolled back) + write (the same writes again): the
        # pipeline's transaction is rolled back when any batch reports errors.
        return self.apply(list(rows), by)

    def apply(self, rows: list[Row], by) -> list[RowError]:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------
    def attempt(self, fn: Callable[[], object]) -> DomainError | None:
        """Run ``fn`` in a savepoint; a DomainError (or a database conflict) is returned, not raised."""
        try:
            with transaction.atomic():
                fn()
        except DomainError as exc:
            return exc
        except IntegrityError:
            return DomainError(_("The row conflicts with existing data."), code="conflict")
        return None

    def column_for(self, field: str | None) -> str | None:
        if not field:
            return None
        key = self.field_columns.get(field, field)
        return key if any(c.key == key for c in self.columns) else None

    def errors_for(self, row: Row, exc: DomainError) -> list[RowError]:
        details = [d for d in exc.details if isinstance(d, RowError)]
        if details:
            out = []
            for d in details:
                key = self.column_for(d.column)
                out.append(
                    self.error(row, key, d.reason) if key else RowError(row.number, "", d.value, d.reason)
                )
            return out
        key = self.column_for(exc.field)
        return [
            self.error(row, key, str(exc.message)) if key else RowError(row.number, "", "", str(exc.message))
        ]

    def apply_groups(self, groups: dict, call: Callable) -> list[RowError]:
        """Run ``call(key, [data, …])`` once per group of ``(row, data)`` pairs (a set-based bulk
        service); its ``RowError``s count positions in the group and are put back on the rows."""
        errors: list[RowError] = []
        for key, members in groups.items():
            exc = self.attempt(lambda key=key, members=members: call(key, [data for _row, data in members]))
            if exc is None:
                continue
            details = [d for d in exc.details if isinstance(d, RowError)]
            if not details:  # about the whole group (a closed book): every row gets it
                for row, _data in members:
                    errors += self.errors_for(row, exc)
            for d in details:
                errors += self.errors_for(members[d.row - 1][0], DomainError(d.reason, field=d.column))
        return errors

    def books(self, rows: list[Row], key: str = "book") -> dict[str, Book]:
        numbers = {str(r.values.get(key) or "").strip().upper() for r in rows}
        qs = Book.objects.filter(number__in=numbers).select_related("enterprise", "zone")
        if self.user is not None:
            qs = qs.for_user(self.user)
        return {b.number: b for b in qs}

    def book_of(self, row: Row, books: dict, errors: list, key: str = "book") -> Book | None:
        number = str(row.values.get(key) or "").strip().upper()
        book = books.get(number)
        if book is None:
            errors.append(self.error(row, key, _("No book %(n)s in your scope.") % {"n": number}))
        return book


@register
class BookImport(LedgerImport):
    key = "ledger_books"
    label = gettext_lazy("Bonded books (header)")
    description = gettext_lazy(
        "One row per book (账册/手册表头). The enterprise is found by customs code, credit code or name."
    )
    columns = [
        Column(
            "number",
            gettext_lazy("book number"),
            Text(12),
            required=True,
            aliases=("备案号", "账册号", "手册号", "账册编号"),
            example="H79086000001",
        ),
        Column(
            "enterprise",
            gettext_lazy("operating enterprise"),
            Text(200),
            required=True,
            aliases=("经营企业", "经营企业编码", "企业", "企业海关编码"),
            example="5101640001",
        ),
        Column("kind", gettext_lazy("book kind"), Text(1), aliases=("账册类型", "手册类型"), example="H"),
        Column(
            "customs_office",
            gettext_lazy("customs office"),
            Text(4),
            aliases=("主管关区", "主管海关"),
            example="7908",
        ),
        Column(
            "trade_mode", gettext_lazy("supervision mode"), Text(4), aliases=("监管方式",), example="5015"
        ),
        Column(
            "cycle_start",
            gettext_lazy("write-off cycle start"),
            Date(),
            aliases=("核销周期起", "核销周期开始"),
            example="2026-01-01",
        ),
        Column(
            "cycle_end",
            gettext_lazy("write-off cycle end"),
            Date(),
            aliases=("核销周期止", "核销周期结束"),
            example="2026-12-31",
        ),
        Column(
            "valid_until",
            gettext_lazy("valid until"),
            Date(),
            aliases=("有效期", "有效期至", "结束有效期"),
            example="2027-12-31",
        ),
        Column(
            "max_import_value",
            gettext_lazy("maximum import value"),
            DecimalNumber(18, 2, min_value=0),
            aliases=("最大周转金额",),
            example="5000000",
        ),
        Column("currency", gettext_lazy("currency"), Text(3), aliases=("币制",), example="USD"),
        Column(
            "writeoff_method",
            gettext_lazy("write-off method"),
            Choice(WriteOffMethod, WRITEOFF_ALIASES),
            aliases=("核销方式",),
            example="单耗",
        ),
        Column(
            "status",
            gettext_lazy("status"),
            Choice(BookStatus, STATUS_ALIASES),
            aliases=("状态", "账册状态"),
            example="使用中",
        ),
        Column("note", gettext_lazy("note"), Text(2000), aliases=("备注",)),
    ]

    def apply(self, rows, by):
        errors: list[RowError] = []
        keys = {str(r.values["enterprise"]).strip() for r in rows}
        ents = Enterprise.objects.filter(Q(customs_code__in=keys) | Q(uscc__in=keys) | Q(name__in=keys))
        if self.user is not None:
            ents = ents.for_user(self.user)
        lookup: dict[str, Enterprise] = {}
        for e in ents:
            for k in (e.name, e.uscc, e.customs_code):
                if k:
                    lookup.setdefault(k, e)
        for row in rows:
            v = row.values
            ent = lookup.get(str(v["enterprise"]).strip())
            if ent is None:
                errors.append(
                    self.error(
                        row, "enterprise", _("No enterprise “%(v)s” in your scope.") % {"v": v["enterprise"]}
                    )
                )
                continue
            if v["status"] and v["status"] not in STATUS_PATH:
                errors.append(self.error(row, "status", _("An imported book can be draft, filed or in use.")))
                continue
            data = {
                k: v[k]
                for k in (
                    "number",
                    "kind",
                    "customs_office",
                    "trade_mode",
                    "cycle_start",
                    "cycle_end",
                    "valid_until",
                    "max_import_value",
                    "currency",
                    "writeoff_method",
                    "note",
                )
                if v.get(k) not in (None, "")
            }
            data["enterprise"] = ent

            def create(data=data, status=v["status"]):
                book = services.create_book(data, by=by)
                for s in STATUS_PATH.get(status or BookStatus.DRAFT, []):
                    services.change_book_status(book, s, by=by, note=_("imported"))

            exc = self.attempt(create)
            if exc is not None:
                errors += self.errors_for(row, exc)
        return errors


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


LIST_HEADER = (
    "number",
    "internal_number",
    "book",
    "ie_mark",
    "supervision_mode",
    "item_kind",
    "declaration_date",
    "customs_declaration_no",
    "note",
    "action",
)
LIST_LINE = (
    "line_no",
    "item_seq_no",
    "part_no",
    "hs_code",
    "name",
    "qty",
    "legal_qty",
    "legal_qty2",
    "unit_price",
    "amount",
    "currency",
    "country",
    "consumption_version",
)


@register
class InventoryListImport(LedgerImport):
    key = "ledger_lists"
    label = gettext_lazy("Inventory lists (核注清单)")
    description = gettext_lazy(
        "Header and lines in one sheet: repeat the header fields on every line; rows are grouped by list number. "
        "The action column saves each list as a draft, submits it, or submits and posts it."
    )
    # A batch closes only between two lists (batch_key); the rows of a list that come back after
    # its batch was closed are refused with a clear message (``apply``).  50,000 rows keep a
    # 1 M-line import well under its 500 MB budget (DESIGN.md §4; ≈ 2 KB per parsed row).
    batch_size = 50_000
    field_columns = {"lines": "item_seq_no", "list": "number"}
    columns = [
        Column(
            "number",
            gettext_lazy("list number"),
            Text(18),
            required=True,
            aliases=("清单编号", "核注清单编号"),
            example="QD790826I000000001",
        ),
        Column(
            "internal_number",
            gettext_lazy("enterprise internal number"),
            Text(64),
            aliases=("企业内部编号", "清单预录入编号"),
        ),
        book_col(),
        Column(
            "ie_mark",
            gettext_lazy("I/E mark"),
            Choice(IEMark, IE_ALIASES),
            required=True,
            aliases=("进出口标记", "进出标志"),
            example="I",
        ),
        Column(
            "supervision_mode",
            gettext_lazy("supervision mode"),
            Text(4),
            required=True,
            aliases=("监管方式",),
            example="5000",
        ),
        Column(
            "item_kind",
            gettext_lazy("material/product mark"),
            Choice(ItemKind, ITEM_KIND_ALIASES),
            required=True,
            aliases=("料件成品标记", "料件/成品"),
            example="料件",
        ),
        Column(
            "declaration_date",
            gettext_lazy("declaration date"),
            Date(),
            required=True,
            aliases=("申报日期", "清单申报日期"),
            example="2026-03-01",
        ),
        Column(
            "customs_declaration_no",
            gettext_lazy("customs declaration no."),
            Text(18),
            aliases=("报关单号", "对应报关单编号"),
        ),
        Column("note", gettext_lazy("note"), Text(300), aliases=("备注",)),
        Column(
            "action",
            gettext_lazy("action"),
            Choice(ListAction.choices, ACTION_ALIASES),
            aliases=("处理方式", "操作"),
            example="过账",
        ),
        Column(
            "line_no",
            gettext_lazy("line no."),
            Integer(min_value=1),
            aliases=("商品序号", "表体序号"),
            example="1",
        ),
        Column(
            "item_seq_no",
            gettext_lazy("item sequence no."),
            Integer(min_value=1),
            required=True,
            aliases=("备案序号", "账册备案序号"),
            example="1",
        ),
        Column("part_no", gettext_lazy("part no."), Text(40), aliases=("料号", "商品料号")),
        Column("hs_code", gettext_lazy("HS code"), Text(10), aliases=("商品编码",)),
        Column("name", gettext_lazy("name"), Text(200), aliases=("商品名称",)),
        Column(
            "qty",
            gettext_lazy("declared quantity"),
            DecimalNumber(20, 5),
            required=True,
            aliases=("申报数量", "数量"),
            example="1000",
        ),
        Column("legal_qty", gettext_lazy("legal quantity"), DecimalNumber(20, 5), aliases=("法定数量",)),
        Column(
            "legal_qty2",
            gettext_lazy("second legal quantity"),
            DecimalNumber(20, 5),
            aliases=("第二法定数量",),
        ),
        Column(
            "unit_price",
            gettext_lazy("unit price"),
            DecimalNumber(18, 4, min_value=0),
            aliases=("申报单价", "单价"),
            example="1.25",
        ),
        Column(
            "amount", gettext_lazy("amount"), DecimalNumber(18, 2, min_value=0), aliases=("申报总价", "总价")
        ),
        Column("currency", gettext_lazy("currency"), Text(3), aliases=("币制",)),
        Column("country", gettext_lazy("country"), Text(3), aliases=("原产国", "最终目的国", "原产国(地区)")),
        Column("consumption_version", gettext_lazy("consumption version"), Text(8), aliases=("单耗版本号",)),
    ]

    # Staged (core/imports/staging.py): the lists are written in committed chunks of about
    # STAGE_LINES lines as hidden ``IMPORTING`` lists, then published (made draft / submitted /
    # posted, with their audit entries) in one transaction, or deleted when anything fails.
    staged = True

    def __init__(self, user=None):
        super().__init__(user)
        self.first_rows: dict[str, int] = {}  # list number → its first row, over the earlier batches
        self.staging = False  # set by begin_staging: writes go to hidden lists
        self.validating = False
        self.staged_ids: dict[tuple[int, str], list[int]] = {}  # (book pk, action) → staged list ids
        self.staged_books: dict[int, Book] = {}

    def batch_key(self, row):
        return _list_number(row)

    # -- staging ----------------------------------------------------------------------------------
    def begin_staging(self) -> None:
        self.staging = True
        hours = getattr(settings, "IMPORT_STAGED_MAX_AGE_HOURS", 24)
        purged = services.purge_stale_staged_lists(timezone.now() - dt.timedelta(hours=hours))
        if purged:
            logger.warning("removed %d staged inventory lists left behind by an interrupted import", purged)

    def validate(self, rows):
        self.validating = True
        try:
            return super().validate(rows)
        finally:
            self.validating = False

    def publish(self, by) -> list[RowError]:
        errors: list[RowError] = []
        try:
            with transaction.atomic():
                for (book_pk, action), ids in self.staged_ids.items():
                    book = self.staged_books[book_pk]
                    exc = self.attempt(
                        lambda book=book, ids=ids, action=action: services.publish_staged_lists(
                            book, ids, action=action, by=by
                        )
                    )
                    if exc is not None:
                        errors += self.publish_errors(exc)
                if errors:
                    raise _DryRun  # roll the whole publish back
        except _DryRun:
            pass
        return errors

    def publish_errors(self, exc: DomainError) -> list[RowError]:
        """A publish error names lists (posting): put it on the list's first spreadsheet row."""
        column = self.header("number")
        details = [d for d in exc.details if isinstance(d, RowError)]
        if not details:
            return [RowError(None, "", "", str(exc.message))]
        return [
            RowError(self.first_rows.get(str(d.value)), column, str(d.value or ""), d.reason) for d in details
        ]

    def discard(self) -> None:
        ids = [pk for pks in self.staged_ids.values() for pk in pks]
        self.staged_ids = {}
        if ids:
            services.discard_staged_lists(ids)

    def apply(self, rows, by):
        errors: list[RowError] = []
        books = self.books(rows)
        groups: dict[str, list[Row]] = {}
        batches: dict[tuple, tuple] = {}
        for row in rows:
            groups.setdefault(_list_number(row), []).append(row)
        done = self.first_rows
        for number, group in groups.items():
            first = group[0]
            if done.get(number, first.number) != first.number:
                errors.append(
                    self.error(
                        first,
                        "number",
                        _(
                            "More rows of list %(n)s, which ended %(b)d or more rows earlier: in a file this large the "
                            "rows of one list must follow each other."
                        )
                        % {"n": number, "b": self.batch_size},
                    )
                )
                continue
            done[number] = first.number
            bad = False
            for row in group[1:]:
                for key in LIST_HEADER:
                    if row.values.get(key) != first.values.get(key):
                        errors.append(
                            self.error(
                                row,
                                key,
                                _(
                                    "Differs from row %(r)d of the same list %(n)s: repeat the same header on every line."
                                )
                                % {"r": first.number, "n": number},
                            )
                        )
                        bad = True
            book = self.book_of(first, books, errors)
            if bad or book is None:
                continue
            header = {
                k: first.values[k]
                for k in LIST_HEADER
                if k not in ("book", "action") and first.values.get(k) not in (None, "")
            }
            header["number"] = number
            lines = [{k: r.values[k] for k in LIST_LINE if r.values.get(k) not in (None, "")} for r in group]
            action = first.values.get("action") or ListAction.DRAFT
            batches.setdefault((book.pk, action), (book, []))[1].append((group, header, lines))
        staged = self.staging and not self.validating
        for (_pk, action), (book, items) in batches.items():
            # posting order is the declaration date (stable: sheet order within a day), chunk by chunk
            items.sort(key=lambda it: it[1].get("declaration_date") or dt.date.min)
            for chunk in _chunks(items, STAGE_LINES if staged else CHUNK_LINES):
                created: list = []
                t0 = time.perf_counter()
                exc = self.attempt(
                    lambda book=book, chunk=chunk, action=action, created=created: created.append(
                        services.create_inventory_lists(
                            book, [(h, lines) for _g, h, lines in chunk], action=action, by=by, staged=staged
                        )
                    )
                )
                if exc is not None:
                    errors += self.batch_errors(chunk, exc)
                elif staged:
                    self.staged_books[book.pk] = book
                    self.staged_ids.setdefault((book.pk, action), []).extend(
                        inv.pk for inv in created[0].lists
                    )
                    staging.pause(time.perf_counter() - t0)  # committed: let queued writers in
        return errors

    def batch_errors(self, chunk: list[tuple], exc: DomainError) -> list[RowError]:
        """Put the errors of one batch back on the spreadsheet rows: a numbered detail counts the
        lines of the batch in order; a detail naming a list (posting) goes to the list's first row."""
        rows = [row for group, _h, _l in chunk for row in group]
        firsts = {h["number"]: group[0] for group, h, _l in chunk}
        details = [d for d in exc.details if isinstance(d, RowError)]
        if not details:
            return [e for group, _h, _l in chunk for e in self.errors_for(group[0], exc)]
        out = []
        for d in details:
            if d.row and 0 < d.row <= len(rows):
                row = rows[d.row - 1]
            else:
                row = firsts.get(str(d.value), chunk[0][0][0])
            key = self.column_for(d.column)
            out.append(self.error(row, key, d.reason) if key else RowError(row.number, "", d.value, d.reason))
        return out


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


TAX_KIND_ALIASES = {
    "关税": TaxKind.TARIFF,
    "进口关税": TaxKind.TARIFF,
    "最惠国税率": TaxKind.TARIFF,
    "增值税": TaxKind.VAT,
    "进口增值税": TaxKind.VAT,
    "进口环节增值税": TaxKind.VAT,
    "消费税": TaxKind.CONSUMPTION,
    "进口消费税": TaxKind.CONSUMPTION,
    "进口环节消费税": TaxKind.CONSUMPTION,
}


class Percent(DecimalNumber):
    """A rate in per cent: ``13``, ``13%`` or ``6.5％`` (write 13 for 13 %, not 0.13)."""

    def parse(self, raw):
        if isinstance(raw, str):
            raw = raw.strip().rstrip("%％").strip()
        return super().parse(raw)


@register
class TaxRateImport(ImportKind):
    """The dated tax rate table of the domestic-sale calculator (关税/增值税/消费税 per HS code).

    Installation-wide reference data: importing needs the ``reference`` write area (system
    administrators and the provincial commerce department).  An 8-digit tariff line (税则号列)
    applies to every 10-digit HS code of the HS table that begins with it.  By default rows only get
    added: the same HS code, tax and start date twice, or two periods of one tax and HS code that
    overlap (in the file or with the table), are errors; end a rate in force on the rate page before
    importing its successor.  In update mode a rate whose HS code, tax and start date exist takes
    the file's rate, end date and source (the key itself never changes); overlaps stay errors."""

    key = "tax_rates"
    label = TaxRate._meta.verbose_name_plural
    description = gettext_lazy(
        "One row per HS code, tax (关税, 增值税 or 消费税) and start date; the rate in per cent. "
        "An 8-digit tariff line (税则号列) applies to every HS code of the HS table that begins with it."
    )
    write_area = "reference"
    model = TaxRate
    update_mode = True
    key_fields = ("hs_code", "kind", "valid_from")
    update_fields = ("rate", "valid_to", "source")
    columns = [
        Column(
            "hs_code",
            gettext_lazy("HS code"),
            HsCode(),
            required=True,
            aliases=("商品编码", "税则号列", "税号", "HS编码"),
            example="8542319000",
        ),
        Column(
            "kind",
            TaxRate._meta.get_field("kind").verbose_name,
            Choice(TaxKind, TAX_KIND_ALIASES),
            required=True,
            aliases=("税种", "税目", "tax kind"),
            example="关税",
        ),
        Column(
            "rate",
            TaxRate._meta.get_field("rate").verbose_name,
            Percent(9, 4, min_value=0),
            required=True,
            aliases=("税率", "税率%", "税率(%)", "rate"),
            example="8",
        ),
        Column(
            "valid_from",
            TaxRate._meta.get_field("valid_from").verbose_name,
            Date(),
            required=True,
            aliases=("生效日期", "开始日期", "执行日期", "起始日期"),
            example="2024-01-01",
        ),
        Column(
            "valid_to",
            TaxRate._meta.get_field("valid_to").verbose_name,
            Date(),
            aliases=("失效日期", "结束日期", "截止日期"),
        ),
        Column(
            "source",
            TaxRate._meta.get_field("source").verbose_name,
            Text(200),
            aliases=("来源", "依据", "文件依据"),
            example="2024年关税调整方案",
        ),
    ]

    def prepare(self):
        super().prepare()
        self.hs_codes = set(Code.objects.filter(table__key=HS_TABLE).values_list("code", flat=True))
        self.by_line: dict[str, list[str]] = {}
        for code in sorted(self.hs_codes):
            self.by_line.setdefault(code[:8], []).append(code)
        # (hs, kind) → [(valid_from, valid_to, row)] of the rows accepted so far in this file
        self.periods: dict[tuple[str, str], list[tuple]] = {}

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        for row in rows:
            code = row.values["hs_code"]
            if len(code) == 8:
                row.codes = self.by_line.get(code, [])
                if not row.codes:
                    errors.append(
                        self.error(
                            row,
                            "hs_code",
                            _("No HS code of the HS code table begins with the tariff line %(code)s.")
                            % {"code": code},
                        )
                    )
            elif code in self.hs_codes:
                row.codes = [code]
            else:
                row.codes = []
                errors.append(
                    self.error(
                        row, "hs_code", _("HS code %(code)s is not in the HS code table.") % {"code": code}
                    )
                )
        stored: dict[tuple[str, str], list[tuple]] = {}
        wanted = {c for r in rows for c in r.codes}
        for hs, kind, start, end in TaxRate.objects.filter(hs_code__in=wanted).values_list(
            "hs_code", "kind", "valid_from", "valid_to"
        ):
            stored.setdefault((hs, kind), []).append((start, end, None))
        if self.updating:
            # a stored period that a row of this batch updates is checked with its new end date
            new_end = {
                (hs, r.values["kind"], r.values["valid_from"]): r.values.get("valid_to")
                for r in rows
                if r.codes
                for hs in r.codes
            }
            stored = {
                (hs, kind): [
                    (start, new_end.get((hs, kind, start), end), None)
                    if (hs, kind, start) in new_end
                    else (start, end, row)
                    for start, end, row in periods
                ]
                for (hs, kind), periods in stored.items()
            }
        for row in rows:
            if not row.codes:
                continue
            v = row.values
            kind, start, end = v["kind"], v["valid_from"], v.get("valid_to")
            tax = TaxKind(kind).label
            if v["rate"] >= 100:
                errors.append(
                    self.error(
                        row,
                        "rate",
                        _("A rate is a percentage from 0 to below 100 (write 13 for 13 per cent)."),
                    )
                )
                continue
            if end and end < start:
                errors.append(self.error(row, "valid_to", _("The rate ends before it starts.")))
                continue
            problem = None
            for hs in row.codes:
                for other_start, other_end, other_row in stored.get((hs, kind), []) + self.periods.get(
                    (hs, kind), []
                ):
                    if self.updating and other_row is None and other_start == start:
                        continue  # update mode: the stored rate this row updates
                    if other_start == start:
                        problem = (
                            _(
                                "Duplicate: row %(row)d of this file already sets the %(tax)s rate of HS %(hs)s from %(date)s."
                            )
                            % {"row": other_row, "tax": tax, "hs": hs, "date": start}
                            if other_row
                            else _("A %(tax)s rate of HS %(hs)s from %(date)s is already in the rate table.")
                            % {"tax": tax, "hs": hs, "date": start}
                        )
                    elif (other_end is None or other_end >= start) and (end is None or other_start <= end):
                        problem = (
                            _(
                                "Overlaps the %(tax)s rate of HS %(hs)s in row %(row)d (from %(start)s to %(end)s)."
                            )
                            if other_row
                            else _(
                                "Overlaps the %(tax)s rate of HS %(hs)s in the rate table (from %(start)s to %(end)s)."
                            )
                        ) % {
                            "tax": tax,
                            "hs": hs,
                            "row": other_row or 0,
                            "start": other_start,
                            "end": other_end or "…",
                        }
                    if problem:
                        break
                if problem:
                    break
            if problem:
                errors.append(self.error(row, "valid_from", problem))
                continue
            row.objs = [
                TaxRate(
                    hs_code=hs,
                    kind=kind,
                    rate=v["rate"],
                    valid_from=start,
                    valid_to=end,
                    source=v.get("source") or "",
                )
                for hs in row.codes
            ]
            for hs in row.codes:
                self.periods.setdefault((hs, kind), []).append((start, end, row.number))
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        rows = list(rows)
        created = TaxRate.objects.bulk_create([obj for r in rows for obj in r.objs])
        AuditEntry.objects.bulk_create(audit_entries(created, by=by, code="ledger.taxrate.imported"))
        return len(rows)  # file rows; an 8-digit tariff line may have created several rates

    # update mode: one row (an 8-digit tariff line) may stand for several rates
    def records(self, row: Row) -> list:
        return list(getattr(row, "objs", []))

    def keep_new(self, row: Row, objs: list) -> None:
        row.objs = objs

    def write_changes(self, changes, by) -> int:
        return audit.bulk_update(changes, by=by, code="ledger.taxrate.updated", message=str(msg.UPDATED_NOTE))


# carry-over applications (深加工结转申报表)
from . import carryover  # noqa: E402, F401
