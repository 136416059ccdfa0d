"""Streaming readers for xlsx, xls and csv, with the safety checks done before parsing.

``open_rows(path, filename)`` yields ``(row_number, [cells…])`` with row numbers as the spreadsheet
shows them (first row = 1).  It raises ``ImportRejected`` for files that must not be parsed at
all: too big, an xlsx whose uncompressed size is absurd (zip bomb), not a workbook, an unknown
text encoding.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
XLS_EXTENSIONS = {".xls"}
CSV_EXTENSIONS = {".csv", ".txt"}
ALLOWED_EXTENSIONS = XLSX_EXTENSIONS | XLS_EXTENSIONS | CSV_EXTENSIONS

# The zip-bomb ratio check only applies above this uncompressed size (small files compress well
# legitimately: a one-row workbook's styles.xml may shrink 10×).
RATIO_CHECK_FLOOR = 1024 * 1024
ENCODING_SAMPLE_CHARS = 200_000
CHUNK = 1024 * 1024


class ImportRejected(DomainError):
    """The file as a whole is refused (nothing was parsed)."""


def _reject(message: str, code: str) -> ImportRejected:
    return ImportRejected(message, code=code)


def extension(filename: str) -> str:
    return Path(filename).suffix.lower()


def check_size(path: Path) -> None:
    size = path.stat().st_size
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise _reject(
            _("The file is %(size)s; files larger than %(limit)s are not accepted.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            "file_too_large",
        )
    if size == 0:
        raise _reject(_("The file is empty."), "file_empty")


def _limits() -> dict[str, int]:
    return {
        "total": settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
        "ratio": settings.IMPORT_MAX_UNCOMPRESSED_RATIO,
        "member": getattr(settings, "IMPORT_MAX_MEMBER_BYTES", 64 * 1024 * 1024),
        "shared_strings_bytes": getattr(settings, "IMPORT_MAX_SHARED_STRINGS_BYTES", 256 * 1024 * 1024),
        "shared_strings": getattr(settings, "IMPORT_MAX_SHARED_STRINGS", 2_000_000),
        "cells": getattr(settings, "IMPORT_MAX_CELLS", 60_000_000),
    }


def _unsafe(message: str) -> ImportRejected:
    return _reject(message, "xlsx_bomb")


def _member_limit(name: str, limits: dict[str, int]) -> int:
    """Worksheets are streamed (their limit is the archive's); the shared strings are loaded whole, so
    they have their own limit; every other part (styles, workbook, themes…) is small in real files."""
    if _is_sheet(name):
        return limits["total"]
    if _is_shared_strings(name):
        return limits["shared_strings_bytes"]
    return limits["member"]


def _is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _is_shared_strings(name: str) -> bool:
    return name.lower() == "xl/sharedstrings.xml"


def check_xlsx_container(path: Path) -> None:
    """Refuse non-zip files and zip bombs before any XML is parsed.

    Every member is checked on its own (a well-compressible bomb cannot hide behind an
    incompressible padding member): its uncompressed size against its limit and its compression
    ratio.  The shared-string table (loaded into memory whole by the parser) and the worksheets'
    cell counts are capped before parsing: ``uniqueCount`` and ``<dimension>`` are read from the
    first bytes, and the shared strings are counted by streaming when the count is missing or lies.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_members(infos)
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
                raise _reject(
                    _("The file is a zip archive but not an Excel workbook (.xlsx)."),
                    "xlsx_malformed",
                )
            limits = _limits()
            for info in infos:
                if _is_shared_strings(info.filename):
                    _check_shared_strings(zf, info, limits["shared_strings"])
                elif _is_sheet(info.filename):
                    _check_dimension(zf, info, limits["cells"])
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error):
        raise _reject(
            _(
                "The file is not a valid Excel workbook (.xlsx): it is not a zip archive or it is damaged. "
                "Open it in Excel and save it again as .xlsx, or save it as CSV."
            ),
            "xlsx_malformed",
        )


def _check_members(infos: list[zipfile.ZipInfo]) -> None:
    limits = _limits()
    uncompressed = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if uncompressed > limits["total"]:
        raise _unsafe(
            _(
                "The workbook expands to %(size)s (%(ratio)d times its file size); this is refused as unsafe "
                "(limit %(limit)s or %(max_ratio)d times)."
            )
            % {
                "size": filesizeformat(uncompressed),
                "ratio": int(uncompressed / compressed),
                "limit": filesizeformat(limits["total"]),
                "max_ratio": limits["ratio"],
            }
        )
    for info in infos:
        ratio = info.file_size / (info.compress_size or 1)
        limit = _member_limit(info.filename, limits)
        if info.file_size > limit or (info.file_size > RATIO_CHECK_FLOOR and ratio > limits["ratio"]):
            raise _unsafe(
                _(
                    "The part “%(name)s” of the workbook expands to %(size)s (%(ratio)d times its compressed "
                    "size); this is refused as unsafe (limit %(limit)s or %(max_ratio)d times)."
                )
                % {
                    "name": info.filename,
                    "size": filesizeformat(info.file_size),
                    "ratio": int(ratio),
                    "limit": filesizeformat(limit),
                    "max_ratio": limits["ratio"],
                }
            )


_SST_COUNT = re.compile(rb"<(?:\w+:)?sst\b[^>]*?\buniqueCount=[\"'](\d+)[\"']")
_SI_TAG = re.compile(rb"<(?:\w+:)?si[\s>/]")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\bref=[\"']\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?"
)
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")
HEAD_BYTES = 64 * 1024


def _too_many_strings(limit: int) -> ImportRejected:
    return _unsafe(
        _(
            "The workbook holds more than %(limit)s distinct texts; this is refused as unsafe. "
            "Split the file or save it as CSV."
        )
        % {"limit": f"{limit:,}"}
    )


def _check_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> None:
    """Refuse a shared-string table with more than ``limit`` entries, without parsing it.

    The declared ``uniqueCount`` refuses at once; the ``<si>`` elements are then counted in a stream
    of bounded memory (the attribute is optional and may lie), stopping as soon as the cap is passed.
    """
    with zf.open(info) as fh:
        head = fh.read(4096)
        m = _SST_COUNT.search(head)
        if m and int(m.group(1)) > limit:
            raise _too_many_strings(limit)
        count, tail = 0, b""
        chunk = head
        while chunk:
            data = tail + chunk
            count += sum(1 for _m in _SI_TAG.finditer(data))
            if count > limit:
                raise _too_many_strings(limit)
            # keep a few bytes so that a tag cut by the chunk boundary is counted in the next round;
            # a tag entirely inside the kept tail was counted already, so only keep what cannot hold one
            tail = data[-64:]
            count -= sum(1 for _m in _SI_TAG.finditer(tail))
            chunk = fh.read(CHUNK)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _check_dimension(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> None:
    """Refuse a worksheet whose declared used range (``<dimension ref="A1:Z100">``) has more than
    ``limit`` cells.  The reader counts the cells it actually meets as well (the range is optional)."""
    with zf.open(info) as fh:
        head = fh.read(HEAD_BYTES)
    data_at = _SHEET_DATA.search(head)
    m = _DIMENSION.search(head, 0, data_at.start() if data_at else len(head))
    if not m or not m.group(3):
        return
    rows = int(m.group(4)) - int(m.group(2)) + 1
    cols = _column_number(m.group(3)) - _column_number(m.group(1)) + 1
    cells = abs(rows) * abs(cols)
    if cells > limit:
        raise _too_many_cells(limit)


def _too_many_cells(limit: int) -> ImportRejected:
    return _unsafe(
        _("The worksheet has more than %(limit)s cells; this is refused as unsafe. Split the file.")
        % {"limit": f"{limit:,}"}
    )


class FormulaWithoutValue:
    """A formula cell saved without its computed result (written by a program, never opened in
    Excel/WPS): there is no value to import."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FormulaWithoutValue"

    def __str__(self) -> str:
        return ""


FORMULA_WITHOUT_VALUE = FormulaWithoutValue()


def formula_without_value_reason() -> str:
    return _(
        "The cell holds a formula without a computed value; open the file in Excel or WPS, save it, and import "
        "it again."
    )


class SheetNotes:
    """What a reader noticed while streaming: the (row, column index) of formula cells whose cached
    result was used (the preview says so), in reading order."""

    def __init__(self) -> None:
        self.formula_cells: list[tuple[int, int]] = []


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _read_xlsx(path: Path, notes: SheetNotes | None = None) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parser failure is a damaged file for the user
        raise _reject(
            _("The Excel workbook could not be read; it may be damaged. Open it in Excel and save it again."),
            "xlsx_malformed",
        )
    try:
        ws = wb.worksheets[0]
        try:
            yield from _sheet_rows(wb, ws, notes)
        except ImportRejected:
            raise
        except Exception:  # noqa: BLE001
            raise _reject(
                _(
                    "The Excel workbook could not be read; it may be damaged. Open it in Excel and save it again."
                ),
                "xlsx_malformed",
            )
    finally:
        wb.close()


def _sheet_rows(wb, ws, notes: SheetNotes | None) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows, streamed by openpyxl's own sheet parser with two additions: formula
    cells are told apart (cached result used / no cached result), and the cells met are counted
    against ``IMPORT_MAX_CELLS``.  Missing rows come as empty rows (row numbers stay the sheet's)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            # <f> is the first child of a formula cell (the schema's order: f, v, is)
            if len(element) and element[0].tag == FORMULA_TAG:
                cached = element.find(VALUE_TAG)
                # an empty cached value is a real result only for a text formula (t="str": the
                # formula gave ""); a program writing formulas leaves <v/> or no <v> at all
                if cached is None or (not cached.text and element.get("t", "n") not in ("str", "s")):
                    cell["value"] = FORMULA_WITHOUT_VALUE
                else:
                    cell["formula"] = True
            return cell

    if not isinstance(ws, ReadOnlyWorksheet):
        raise _reject(_("The first sheet of the workbook is a chart, not a table."), "xlsx_malformed")
    limit = _limits()["cells"]
    cells_seen = 0
    expected = 1
    with ws._get_source() as src:
        parser = Parser(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for number, cells in parser.parse():
            cells_seen += len(cells)
            if cells_seen > limit:
                raise _too_many_cells(limit)
            while expected < number:
                yield expected, []
                expected += 1
            width = max((c["column"] for c in cells), default=0)
            values: list[Any] = [None] * width
            for c in cells:
                value = c["value"]
                if value is FORMULA_WITHOUT_VALUE and notes is None:
                    raise _reject(
                        _("Row %(row)d, column %(col)s: %(reason)s")
                        % {
                            "row": number,
                            "col": column_letter(c["column"] - 1),
                            "reason": formula_without_value_reason(),
                        },
                        "formula_without_value",
                    )
                if c.get("formula") and notes is not None:
                    notes.formula_cells.append((number, c["column"] - 1))
                values[c["column"] - 1] = value
            expected = number + 1
            yield number, values


def _read_xls(path: Path) -> Iterator[tuple[int, list[Any]]]:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception:  # noqa: BLE001
        raise _reject(
            _(
                "The Excel 97-2003 workbook (.xls) could not be read; it may be damaged. Save it as .xlsx and try again."
            ),
            "xls_malformed",
        )
    start = getattr(sheet, "start", None)
    first = (start[0] + 1) if start else 1
    for number, row in enumerate(rows, start=first):
        yield number, [None if v == "" else v for v in row]


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' (with or without BOM) or 'gb18030'; anything else is refused."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _reject(
                _("The file is in UTF-16; save it as CSV UTF-8 (or as .xlsx) and try again."), "encoding"
            )
        fh.seek(0)
        if _decodes(fh, "utf-8"):
            return "utf-8-sig"
        fh.seek(0)
        if _decodes(fh, "gb18030") and _plausible_gb(path):
            return "gb18030"
    raise _reject(
        _(
            "The file's text encoding is neither UTF-8 nor GB18030 (GBK); save it as CSV UTF-8 or as .xlsx and try again."
        ),
        "encoding",
    )


def _decodes(fh, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := fh.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _plausible_gb(path: Path) -> bool:
    """GB18030 decodes most byte soups; accept it only if the text looks like Chinese.

    Real Chinese files use (almost only) characters of the GB2312 set; text in another encoding
    (Shift-JIS, Big5, Latin-1) read as GB18030 gives mostly rare ideographs or symbols.
    """
    with open(path, encoding="gb18030") as fh:
        sample = fh.read(ENCODING_SAMPLE_CHARS)
    non_ascii = [c for c in sample if ord(c) > 127]
    if not non_ascii:
        return True
    common = 0
    for c in non_ascii:
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t")
    return common / len(non_ascii) >= 0.9 and controls == 0


def _read_csv(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(8192)
        fh.seek(0)
        delimiter = ","
        first_line = sample.splitlines()[0] if sample else ""
        if first_line.count("\t") > first_line.count(","):
            delimiter = "\t"
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for number, row in enumerate(reader, start=1):
                yield number, [v if v != "" else None for v in row]
        except csv.Error as exc:
            raise _reject(_("The CSV file is malformed: %(error)s") % {"error": exc}, "csv_malformed")


def open_rows(
    path: Path | str, filename: str | None = None, notes: SheetNotes | None = None
) -> Iterator[tuple[int, list[Any]]]:
    """Check the file and stream its first sheet's rows.

    With ``notes`` (the import pipeline), an xlsx formula cell without a cached result is given as
    ``FORMULA_WITHOUT_VALUE`` (the pipeline reports it on its row and column) and the formula cells
    whose cached result is used are listed in ``notes``; without it such a cell refuses the file.
    """
    path = Path(path)
    ext = extension(filename or path.name)
    if ext not in ALLOWED_EXTENSIONS:
        raise _reject(
            _("Unsupported file type “%(ext)s”; upload an .xlsx, .xls or .csv file.") % {"ext": ext or "?"},
            "file_type",
        )
    check_size(path)
    if ext in XLSX_EXTENSIONS:
        check_xlsx_container(path)
        return _read_xlsx(path, notes)
    if ext in XLS_EXTENSIONS:
        return _read_xls(path)
    return _read_csv(path, detect_encoding(path))
