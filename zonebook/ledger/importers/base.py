"""The base of the ledger's import kinds: ``LedgerImport`` (two passes: every write first in a
savepoint that is rolled back, then for real), the book column and the value aliases."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports.kinds import Column, ImportKind, Row
from zonebook.core.imports.parsers import Text

from ..choices import BookStatus, DeclarationStatus, IEMark, ItemKind, WriteOffMethod
from ..models import Book

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


# Book statuses an imported book is moved to, and the path from draft.
STATUS_PATH = {
    BookStatus.DRAFT: [],
    BookStatus.FILED: [BookStatus.FILED],
    BookStatus.IN_USE: [BookStatus.FILED, BookStatus.IN_USE],
}


class _DryRun(Exception):
    pass


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
