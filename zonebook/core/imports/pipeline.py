"""The import pipeline: read → find the header → parse cells → validate → (write all or nothing).

Both steps stream (memory does not grow with the file):

1. ``check()`` parses and validates every row, keeps the first ``PREVIEW_ROWS`` rows and up to
   ``MAX_ERRORS`` errors.  Nothing is written.  This is the preview.
2. ``run()`` parses again inside one transaction, validating each batch once more (the database may
   have changed since the preview) and writing it.  Any error rolls the whole transaction back, so
   a file is imported completely or not at all.  Kinds with ``staged = True`` (large files) write
   in short committed batches to a hidden state instead and publish at the end, or discard what
   they staged (``staging.py``): other writers are not locked out for the length of the import.

Duplicates inside the file are errors.  A key that exists in the database is an error in the
default mode (create only); kinds with ``update_mode`` also run in mode ``"update"``, where such a
row updates the stored record (only the fields that change, audited with before/after), a new key
creates one, unchanged rows write nothing and nothing is deleted (``updates.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError, RowError

from . import staging, updates
from .kinds import ImportKind, Row, normalize_header
from .parsers import CellError, display, is_blank
from .readers import (
    FORMULA_WITHOUT_VALUE,
    ImportRejected,
    SheetNotes,
    formula_without_value_reason,
    open_rows,
)

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 50
MAX_ERRORS = 1000
MAX_NOTICES = 50
HEADER_SCAN_ROWS = 10

ProgressFn = Callable[[int], None]


@dataclass
class ImportResult:
    kind: str
    rows: int = 0  # data rows read (blank rows not counted)
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    headers: list[str] = field(default_factory=list)  # mapped columns, in file order
    preview: list[list[str]] = field(default_factory=list)  # first rows, display values per header
    preview_numbers: list[int] = field(default_factory=list)
    header_row: int | None = None
    dry_run: bool = False
    notices: list[str] = field(default_factory=list)  # accepted, but worth a look (formula results)
    notice_count: int = 0
    mode: str = updates.CREATE
    # update mode: rows that create / change / leave unchanged their records, and the field
    # changes of the first changed rows ({"row", "key", "changes": [{"field", "before", "after"}]})
    new_rows: int = 0
    changed_rows: int = 0
    unchanged_rows: int = 0
    changes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def updating(self) -> bool:
        return self.mode == updates.UPDATE

    @property
    def to_write(self) -> int:
        """Rows that will write something (all rows, except unchanged rows in update mode)."""
        return self.new_rows + self.changed_rows if self.updating else self.rows

    def count_plans(self, kind: ImportKind, rows: list[Row], plans: dict) -> None:
        for row in rows:
            plan = plans.get(row.number)
            if plan is None:
                continue
            state = plan.state
            if state == "new":
                self.new_rows += 1
            elif state == "changed":
                self.changed_rows += 1
                if len(self.changes) < updates.MAX_CHANGES:
                    self.changes.append(updates.describe(kind, row, plan))
            else:
                self.unchanged_rows += 1

    def add_error(self, err: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(err)

    def add_notice(self, text: str) -> None:
        self.notice_count += 1
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(text)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "written": self.written,
            "errors": [e.__dict__ for e in self.errors],
            "error_count": self.error_count,
            "headers": self.headers,
            "preview": self.preview,
            "preview_numbers": self.preview_numbers,
            "header_row": self.header_row,
            "dry_run": self.dry_run,
            "notices": self.notices,
            "notice_count": self.notice_count,
            "mode": self.mode,
            "new_rows": self.new_rows,
            "changed_rows": self.changed_rows,
            "unchanged_rows": self.unchanged_rows,
            "changes": self.changes,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        data = dict(data)
        data["errors"] = [RowError(**e) for e in data.get("errors", [])]
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class _Rollback(Exception):
    pass


# -- header detection ---------------------------------------------------------------------------


def _forward_fill(cells: list[Any]) -> list[Any]:
    """Top row of a two-row header: a merged cell only has its value in the first column."""
    out, last = [], None
    for c in cells:
        if not is_blank(c):
            last = c
        out.append(last)
    return out


def _match_header(kind: ImportKind, top: list[Any] | None, cells: list[Any]) -> dict[int, tuple[str, str]]:
    """Column index → (column key, header text) for one candidate header row."""
    names = {col.key: col.header_names() for col in kind.columns}
    width = max(len(cells), len(top or []))
    top = list(top) + [None] * (width - len(top)) if top else None
    top_ff = _forward_fill(top) if top else []
    mapping: dict[int, tuple[str, str]] = {}
    used: set[str] = set()
    for j in range(width):
        lower = cells[j] if j < len(cells) else None
        upper = top_ff[j] if j < len(top_ff) else None
        candidates = []
        if not is_blank(lower):
            candidates.append((normalize_header(lower), str(lower).strip()))
            if not is_blank(upper):
                combined = f"{str(upper).strip()} {str(lower).strip()}"
                candidates.append((normalize_header(f"{upper}{lower}"), combined))
                candidates.append((normalize_header(f"{lower}{upper}"), combined))
        elif not is_blank(upper) and top is not None and j < len(top) and not is_blank(top[j]):
            # vertically merged: the label sits in the top row only
            candidates.append((normalize_header(upper), str(upper).strip()))
        for norm, text in candidates:
            key = next((k for k, n in names.items() if norm in n and k not in used), None)
            if key:
                mapping[j] = (key, text)
                used.add(key)
                break
    return mapping


def _find_header(kind: ImportKind, head: list[tuple[int, list[Any]]]):
    best = None  # (score, index, mapping)
    for i, (_number, cells) in enumerate(head):
        for top in [None, head[i - 1][1]] if i > 0 else [None]:
            mapping = _match_header(kind, top, cells)
            score = len(mapping)
            if score and (best is None or score > best[0]):
                best = (score, i, mapping)
    return best


# -- reading ----------------------------------------------------------------------------------


def _rows(kind: ImportKind, path: Path, filename: str, result: ImportResult) -> Iterator[Row | RowError]:
    """Yield parsed rows (or per-cell errors) in file order; sets the header info on ``result``."""
    own = kind.read_rows(path, filename, result)
    if own is not None:  # a kind with its own file format (e.g. customs XML messages)
        yield from own
        return
    notes = SheetNotes()
    source = open_rows(path, filename, notes)
    head: list[tuple[int, list[Any]]] = []
    for item in source:
        head.append(item)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    found = _find_header(kind, head)
    if found is None:
        expected = "、".join(col.template_header() for col in kind.columns if col.required)
        raise ImportRejected(
            _(
                "No header row found in the first %(n)d rows; the first row must hold the column names (%(names)s)."
            )
            % {"n": HEADER_SCAN_ROWS, "names": expected},
            code="no_header",
        )
    _score, index, mapping = found
    header_number = head[index][0]
    result.header_row = header_number
    kind.headers = {key: text for key, text in mapping.values()}
    result.headers = [text for _j, (_key, text) in sorted(mapping.items())]
    missing = [col for col in kind.columns if col.required and col.key not in kind.headers]
    if missing:
        details = [
            RowError(
                row=header_number,
                column=col.template_header(),
                value="",
                reason=_("This required column is missing from the header row."),
            )
            for col in missing
        ]
        raise ImportRejected(_("Required columns are missing."), code="missing_columns", details=details)

    columns = [(j, key, kind.column(key)) for j, (key, _text) in sorted(mapping.items())]
    all_keys = [col.key for col in kind.columns]  # columns absent from the file parse as blank
    max_rows = settings.IMPORT_MAX_ROWS
    count = 0

    def remaining():
        yield from head[index + 1 :]
        yield from source

    headers_by_index = {j: kind.headers[key] for j, key, _col in columns}
    for number, cells in remaining():
        if notes.formula_cells:
            for row_no, j in notes.formula_cells:
                if j in headers_by_index and row_no > header_number:
                    result.add_notice(
                        _("Row %(row)d, column %(column)s holds a formula; its computed value was used.")
                        % {"row": row_no, "column": headers_by_index[j]}
                    )
            notes.formula_cells.clear()
        if all(is_blank(c) for c in cells):
            continue  # blank rows (trailing or in between) are ignored
        count += 1
        if count > max_rows:
            raise ImportRejected(
                _("The file has more than %(n)d data rows; split it into smaller files.") % {"n": max_rows},
                code="too_many_rows",
            )
        values: dict[str, Any] = dict.fromkeys(all_keys)
        raw: dict[str, Any] = {}
        errors: list[RowError] = []
        for j, key, col in columns:
            cell = cells[j] if j < len(cells) else None
            if cell is FORMULA_WITHOUT_VALUE:
                raw[key] = None
                errors.append(
                    RowError(
                        row=number, column=kind.headers[key], value="", reason=formula_without_value_reason()
                    )
                )
                continue
            raw[key] = cell
            if is_blank(cell):
                values[key] = None
                if col.required:
                    errors.append(
                        RowError(
                            row=number, column=kind.headers[key], value="", reason=_("A value is required.")
                        )
                    )
                continue
            try:
                values[key] = col.parser(cell)
            except CellError as exc:
                errors.append(
                    RowError(row=number, column=kind.headers[key], value=display(cell), reason=exc.reason)
                )
        if errors:
            yield from errors
        else:
            yield Row(number=number, values=values, raw=raw)
    if count == 0:
        raise ImportRejected(
            _("The file has a header row (row %(row)d) but no data rows; there is nothing to import.")
            % {"row": header_number},
            code="no_rows",
        )


def _process(
    kind: ImportKind,
    path: Path,
    filename: str,
    result: ImportResult,
    *,
    on_batch: Callable[..., None] | None = None,
    progress: ProgressFn | None = None,
) -> None:
    kind.source_file = (path, filename)  # kinds that read more than the first sheet (operations' lines sheet)
    kind.prepare()
    batch: list[Row] = []
    weight = getattr(kind, "row_weight", None)  # a row standing for many records (a whole message)
    size = 0

    def flush():
        nonlocal size
        size = 0
        if not batch:
            return
        checked = None
        if on_batch is not None and not result.error_count:
            # single pass where the kind has one: validate and write together (rolled back on error)
            checked = kind.write_checked(batch, kind.user)
        if checked is not None:
            for e in checked:
                result.add_error(e)
            if not checked:
                on_batch(batch, True)
        else:
            errs = kind.validate(batch)
            for e in errs:
                result.add_error(e)
            plans = None
            if kind.updating:
                # compare the rows that passed with the stored records (one query per batch)
                bad = {e.row for e in errs}
                good = [r for r in batch if r.number not in bad]
                plans, plan_errors = updates.plan_batch(kind, good, lock=on_batch is not None)
                for e in plan_errors:
                    result.add_error(e)
                result.count_plans(kind, good, plans)
            if on_batch is not None and not result.error_count:
                on_batch(batch, False, plans)
        if progress is not None:
            progress(result.rows)
        batch.clear()

    try:
        for item in _rows(kind, path, filename, result):
            if isinstance(item, RowError):
                result.add_error(item)
                continue
            n = 1 if weight is None else weight(item)
            result.rows += n
            if len(result.preview) < PREVIEW_ROWS:
                result.preview.append([display(item.raw.get(k)) for k in kind.headers])
                result.preview_numbers.append(item.number)
            if size >= kind.batch_size:
                key = kind.batch_key(item)
                if key is None or key != kind.batch_key(batch[-1]):
                    flush()  # a full batch ends where the batch key changes (never inside one list)
            batch.append(item)
            size += n
        flush()
    except ImportRejected as exc:
        if exc.details:
            for d in exc.details:
                result.add_error(d)
        else:
            result.add_error(RowError(row=None, column="", value="", reason=str(exc.message)))


def check(
    kind_cls: type[ImportKind],
    path: Path | str,
    filename: str,
    user,
    progress: ProgressFn | None = None,
    *,
    mode: str = updates.CREATE,
) -> ImportResult:
    """Parse and validate the whole file; write nothing."""
    kind = kind_cls(user)
    kind.set_mode(mode)
    result = ImportResult(kind=kind_cls.key, dry_run=True, mode=mode)
    _process(kind, Path(path), filename, result, progress=progress)
    return result


def run(
    kind_cls: type[ImportKind],
    path: Path | str,
    filename: str,
    user,
    *,
    dry_run: bool = False,
    check_first: bool = False,
    progress: ProgressFn | None = None,
    mode: str = updates.CREATE,
) -> ImportResult:
    """Write every row of a clean file in one transaction; on any error write nothing.

    Batches are validated and written in one pass inside the transaction; after the first error no
    more rows are written but validation goes on so that every error is reported, then the
    transaction rolls back.  ``check_first`` runs a read-only ``check`` pass before (outside the
    transaction) — jobs use it so their progress is visible while the file is checked; the write
    pass then reports rows checked + rows written.
    """
    if dry_run:
        return check(kind_cls, path, filename, user, progress=progress, mode=mode)
    if check_first:
        first = check(kind_cls, path, filename, user, progress=progress, mode=mode)
        if not first.ok or first.rows == 0:
            first.dry_run = False
            return first
    kind = kind_cls(user)
    kind.set_mode(mode)
    result = ImportResult(kind=kind_cls.key, mode=mode)
    if staging.enabled(kind, path):
        if kind.updating:
            raise ValueError("staged import kinds have no update mode")
        # short committed batches in a hidden state + one short publish (see staging.py)
        return staging.run_staged(
            kind,
            result,
            lambda on_batch: _process(
                kind,
                Path(path),
                filename,
                result,
                on_batch=on_batch,
                progress=None if check_first else progress,
            ),
            user=user,
            refused=_refused_error,
        )
    written = 0
    write_progress = progress
    if check_first and progress is not None:
        # the write pass goes on from where the check ended (the job's total covers both passes)
        checked_rows = first.rows

        def write_progress(done: int) -> None:
            progress(checked_rows + done)

    def write(batch: list[Row], already_written: bool, plans: dict | None = None) -> None:
        nonlocal written
        if already_written:
            written += batch_weight(kind, batch)
        elif plans is None:
            written += kind.write(list(batch), user)
        else:
            # update mode: create what is new, update what changed, leave the rest untouched
            new_rows = []
            for row in batch:
                plan = plans[row.number]
                if plan.new:
                    kind.keep_new(row, plan.new)
                    new_rows.append(row)
            if new_rows:
                kind.write(new_rows, user)
            changes = [c for row in batch for c in plans[row.number].changes]
            deferred = updates.set_aside(kind, changes)  # the kind's after_update writes them
            changes = [c for c in changes if c.fields]
            if changes:
                kind.write_changes(changes, user)
            if deferred:
                kind.after_update(deferred, user)
            written += sum(1 for row in batch if plans[row.number].state != "unchanged")

    try:
        with transaction.atomic():
            _process(kind, Path(path), filename, result, on_batch=write, progress=write_progress)
            if result.ok:
                # what the kind does once every batch is written (receipts: apply them in time order)
                for err in kind.complete(user):
                    result.add_error(err)
            if not result.ok:
                raise _Rollback
    except _Rollback:
        result.written = 0
        return result
    except DomainError as exc:
        # a service called by the kind's write refused a row (e.g. a milestone out of order): the
        # whole file is rolled back and the refusal reported like any other row error
        result.written = 0
        details = [d for d in exc.details if isinstance(d, RowError)]
        for err in details or [RowError(row=None, column="", value="", reason=str(exc.message))]:
            result.add_error(err)
        return result
    except (IntegrityError, DataError):
        # A concurrent change slipped between validation and the insert (e.g. the same USCC).
        logger.warning("import %s: database refused the rows", kind_cls.key, exc_info=True)
        result.written = 0
        result.add_error(_refused_error())
        return result
    result.written = written
    return result


def batch_weight(kind: ImportKind, batch: list[Row]) -> int:
    """The records a batch stands for: its rows, or the sum of ``kind.row_weight(row)`` (a kind
    whose one row is a whole message of many lines counts and batches by lines)."""
    weight = getattr(kind, "row_weight", None)
    return len(batch) if weight is None else sum(weight(r) for r in batch)


def _refused_error() -> RowError:
    return RowError(
        row=None,
        column="",
        value="",
        reason=_(
            "The database refused the rows, probably because someone changed the same records at "
            "the same time; nothing was imported. Please check the file again."
        ),
    )


def raise_if_errors(result: ImportResult) -> None:
    if not result.ok:
        raise DomainError(
            _("The file has %(n)d errors; nothing was imported.") % {"n": result.error_count},
            code="import_errors",
            details=result.errors,
        )
