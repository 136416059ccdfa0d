"""Streaming readers for xlsx, xls and csv, with the safety checks done before parsing.

``open_rows(path, filename)`` yields ``(row_number, [cells…])`` with row numbers as the spreadsheet
shows them (first row = 1).  It raises ``ImportRejected`` for files that must not be parsed at
all: too big, an xlsx whose uncompressed size is absurd (zip bomb), not a workbook, an unknown
text encoding.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
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


def check_xlsx_container(path: Path) -> None:
    """Refuse non-zip files and zip bombs before any XML is parsed."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _reject(
            _(
                "The file is not a valid Excel workbook (.xlsx): it is not a zip archive or it is damaged. "
                "Open it in Excel and save it again as .xlsx, or save it as CSV."
            ),
            "xlsx_malformed",
        )
    uncompressed = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    max_bytes = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    ratio = uncompressed / compressed
    if uncompressed > max_bytes or (
        uncompressed > RATIO_CHECK_FLOOR and ratio > settings.IMPORT_MAX_UNCOMPRESSED_RATIO
    ):
        raise _reject(
            _(
                "The workbook expands to %(size)s (%(ratio)d times its file size); this is refused as unsafe "
                "(limit %(limit)s or %(max_ratio)d times)."
            )
            % {
                "size": filesizeformat(uncompressed),
                "ratio": int(ratio),
                "limit": filesizeformat(max_bytes),
                "max_ratio": settings.IMPORT_MAX_UNCOMPRESSED_RATIO,
            },
            "xlsx_bomb",
        )
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
        raise _reject(
            _("The file is a zip archive but not an Excel workbook (.xlsx)."),
            "xlsx_malformed",
        )


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[Any]]]:
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
        ws.reset_dimensions()
        try:
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                yield number, list(row)
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


def open_rows(path: Path | str, filename: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """Check the file and stream its first sheet's rows."""
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
        return _read_xlsx(path)
    if ext in XLS_EXTENSIONS:
        return _read_xls(path)
    return _read_csv(path, detect_encoding(path))
