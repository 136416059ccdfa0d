"""Import kind of inventory lists (核注清单): header and lines in one sheet, staged (see the package
docstring).  The line columns come from the one line specification (``ledger/lines.py``)."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports import staging
from zonebook.core.imports.kinds import Column, Row, register
from zonebook.core.imports.parsers import Choice, Date, Text

from .. import services
from ..choices import IEMark, ItemKind
from ..lines import IMPORT_LINE, import_columns
from ..models import Book
from .base import (
    IE_ALIASES,
    ITEM_KIND_ALIASES,
    LedgerImport,
    _DryRun,
    book_col,
    logger,
)


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
# The line columns: from the one line specification (ledger/lines.py).
LIST_LINE = IMPORT_LINE


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
        *import_columns(),
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
