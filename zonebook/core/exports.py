"""Spreadsheet exports (xlsx/csv): the one place that turns values into safe, plain cells.

Every writer of a CSV or xlsx file (list exports here, the write-off customs layout, ``ledger_report``,
the import error report) goes through this module:

* ``neutralise`` — the OWASP CSV-injection rule: a *text* cell starting with ``= + - @``, TAB or CR
  (or their full-width forms ``＝ ＋ － ＠``) gets a leading ``'`` so no spreadsheet evaluates it;
  numbers stay numbers (a negative Decimal is written as a number, never as text);
* ``plain`` — a value as a CSV cell: Beijing time without microseconds, HTML markup stripped from
  rendered (safe) strings, text neutralised;
* ``XlsxBook`` / ``XlsxSheet`` — xlsxwriter (constant memory) with text always written as strings
  (never formulas or links), numbers with a number format (thousands separator, the column's decimals),
  real dates in Beijing time, column widths fitted to header and content (CJK characters count double)
  and a valid sheet name.

List exports are built from the same django-tables2 table and FilterSet as the list page: the table's
columns (``value_FOO`` / ``render_FOO`` as django-tables2 defines them, so masking done there applies)
for every row of the already filtered and sorted queryset, in chunks so memory and the query count
stay flat.  The xlsx starts with the current filter and the export time, then the column headers.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import html
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator

import django_tables2 as tables
from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.translation import gettext

from zonebook.core.table_render import export_values

FORMATS = ("xlsx", "csv")
CHUNK_SIZE = 2000
CSV_BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# OWASP "CSV injection": cells starting with these are formulas (or DDE) to Excel/LibreOffice/WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MAX_DECIMALS = 9  # consumption (单耗) has 9, quantities 5, money 2
MAX_WIDTH = 60
MIN_WIDTH = 6
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# "decimals" of an integer identifier (sequence no., report no.): written as a number without separator
IDENTIFIER = -1
IDENTIFIER_SUFFIXES = ("seq_no", "_no", "_id", "number")
# rows above the column headers of a list export: the filter line and the export time
LIST_HEADER_ROWS = 2


# --- cells ----------------------------------------------------------------------------------------------


def neutralise(value):
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula; other types as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def is_number(value) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def local_naive(value: dt.datetime) -> dt.datetime:
    """A datetime in the current (Beijing) time zone, naive, without microseconds (what a sheet shows)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None, microsecond=0)


def text(value) -> str:
    """Any non-number as the text of a cell (not yet neutralised): markup of rendered cells removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return local_naive(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, SafeData):  # rendered HTML (format_html / mark_safe): keep the words only
        return html.unescape(strip_tags(str(value))).strip()
    return force_str(value)


def plain(value):
    """A value as a CSV cell: numbers as they are, everything else as neutralised text."""
    if is_number(value):
        if isinstance(value, float) and value != value:  # NaN
            return ""
        return value
    return neutralise(text(value))


def plain_row(row: Iterable) -> list:
    return [plain(v) for v in row]


def decimals_of(value) -> int:
    """Decimal places a Decimal carries (its scale), 0 for an int, 2 for a float; at most MAX_DECIMALS."""
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return min(max(-exponent, 0), MAX_DECIMALS) if isinstance(exponent, int) else 0
    if isinstance(value, float):
        return 2
    return 0


def field_decimals(field) -> int | None:
    """Decimal places of a model field's values: its ``decimal_places``, 0 for integers, ``IDENTIFIER``
    for integer identifiers (备案序号, 报核次数: no thousands separator), None for other fields."""
    from django.db import models

    if isinstance(field, models.DecimalField):
        return min(field.decimal_places, MAX_DECIMALS)
    if isinstance(field, models.IntegerField | models.AutoField):
        name = field.name
        if field.primary_key or name.endswith(IDENTIFIER_SUFFIXES) or name in ("id", "year"):
            return IDENTIFIER
        return 0
    return None


def display_width(value: str) -> int:
    """Width of text in Excel character units: East Asian wide/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title) -> str:
    """A valid worksheet name: no ``[]:*?/\\``, not starting or ending with ``'``, at most 31 characters."""
    name = _SHEET_NAME_BAD.sub(" ", force_str(title or "")).strip().strip("'").strip()
    return name[:31].strip() or "Sheet1"


# --- xlsx -----------------------------------------------------------------------------------------------


class XlsxBook:
    """An xlsxwriter workbook that never turns text into formulas or links, with cached formats."""

    def __init__(self, target=None, *, constant_memory: bool = True):
        import xlsxwriter

        self.target = target if target is not None else tempfile.TemporaryFile(suffix=".xlsx")
        self.wb = xlsxwriter.Workbook(
            self.target,
            {
                "constant_memory": constant_memory,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "remove_timezone": True,
            },
        )
        self._formats: dict[tuple, object] = {}

    def format(
        self,
        *,
        num_format: str | None = None,
        bold: bool = False,
        size: int | None = None,
        wrap: bool = False,
        align: str | None = None,
        fill: str | None = None,
    ):
        key = (num_format, bold, size, wrap, align, fill)
        if key not in self._formats:
            props: dict = {}
            if num_format:
                props["num_format"] = num_format
            if bold:
                props["bold"] = True
            if size:
                props["font_size"] = size
            if wrap:
                props["text_wrap"] = True
            if align:
                props["align"] = align
            if fill:
                props["bg_color"] = fill
                props["border"] = 1
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def number_format(self, decimals: int, *, bold: bool = False):
        if decimals == IDENTIFIER:
            return self.format(num_format="0", bold=bold)
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return self.format(num_format=pattern, bold=bold)

    def sheet(self, title) -> XlsxSheet:
        name = sheet_name(title)
        existing = {ws.get_name() for ws in self.wb.worksheets()}
        base, n = name, 2
        while name in existing:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        return XlsxSheet(self, self.wb.add_worksheet(name))

    def close(self):
        """Finish every sheet (column widths) and write the file; returns the target."""
        for ws in self.wb.worksheets():
            sheet = getattr(ws, "_zonebook_sheet", None)
            if sheet is not None:
                sheet.fit_columns()
        self.wb.close()
        return self.target

    def bytes(self) -> bytes:
        target = self.close()
        if hasattr(target, "getvalue"):
            return target.getvalue()
        target.seek(0)
        return target.read()


class XlsxSheet:
    """One worksheet written top to bottom (constant memory): ``row()`` writes the next row."""

    def __init__(self, book: XlsxBook, ws):
        self.book = book
        self.ws = ws
        ws._zonebook_sheet = self
        self.next_row = 0
        self.widths: dict[int, int] = {}
        self.decimals: list[int | None] = []

    def set_decimals(self, decimals: Iterable[int | None]):
        """Decimal places per column (None: taken from each value) for the rows written next."""
        self.decimals = list(decimals)

    def _track(self, col: int, width: int):
        if width > self.widths.get(col, 0):
            self.widths[col] = width

    def cell(
        self,
        row: int,
        col: int,
        value,
        *,
        bold: bool = False,
        decimals: int | None = None,
        fit: bool = True,
        fmt=None,
    ):
        ws = self.ws
        if value is None or value == "":
            if fmt is not None or bold:
                ws.write_blank(row, col, None, fmt or self.book.format(bold=True))
            return
        if is_number(value):
            if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
                return
            if decimals is None:
                decimals = decimals_of(value)
            ws.write_number(
                row,
                col,
                float(value) if isinstance(value, decimal.Decimal) else value,
                fmt or self.book.number_format(decimals, bold=bold),
            )
            if fit:
                shown = f"{value}" if decimals == IDENTIFIER else f"{float(value):,.{decimals}f}"
                self._track(col, len(shown) + 1)
            return
        if isinstance(value, dt.datetime):
            ws.write_datetime(
                row, col, local_naive(value), fmt or self.book.format(num_format=DATETIME_FORMAT, bold=bold)
            )
            if fit:
                self._track(col, len("2000-01-01 00:00:00") + 1)
            return
        if isinstance(value, dt.date):
            ws.write_datetime(
                row,
                col,
                dt.datetime(value.year, value.month, value.day),
                fmt or self.book.format(num_format=DATE_FORMAT, bold=bold),
            )
            if fit:
                self._track(col, len("2000-01-01") + 1)
            return
        s = neutralise(text(value))
        ws.write_string(row, col, s, fmt or (self.book.format(bold=True) if bold else None))
        if fit:
            longest = max((display_width(line) for line in s.splitlines()), default=0)
            self._track(col, longest + (3 if bold else 1))

    def row(self, values: Iterable, *, bold: bool = False, fit: bool = True, fmt=None) -> int:
        """Write ``values`` as the next row; returns its (0-based) index."""
        r = self.next_row
        decimals = self.decimals
        for c, value in enumerate(values):
            d = decimals[c] if c < len(decimals) else None
            self.cell(r, c, value, bold=bold, decimals=d, fit=fit, fmt=fmt)
        self.next_row += 1
        return r

    def header(self, titles: Iterable, *, fill: str = "#DDEBF7") -> int:
        fmt = self.book.format(bold=True, fill=fill, wrap=False)
        r = self.row(titles, fmt=fmt)
        return r

    def note(
        self,
        text_: str,
        *,
        bold: bool = False,
        size: int | None = None,
        span: int = 0,
        align: str | None = None,
    ) -> int:
        """A line of text above a table (title, filter, export time): not counted in column widths."""
        r = self.next_row
        fmt = self.book.format(bold=bold, size=size, align=align) if (bold or size or align) else None
        value = neutralise(text(text_))
        if span > 1:
            self.ws.merge_range(r, 0, r, span - 1, value, fmt or self.book.format())
        else:
            self.ws.write_string(r, 0, value, fmt)
        self.next_row += 1
        return r

    def skip(self, n: int = 1):
        self.next_row += n

    def fit_columns(self):
        for col, width in self.widths.items():
            self.ws.set_column(col, col, max(MIN_WIDTH, min(width, MAX_WIDTH)))


# --- list exports (django-tables2 tables) -------------------------------------------------------------------


def max_rows() -> int:
    return int(getattr(settings, "ZONEBOOK", {}).get("EXPORT_MAX_ROWS", 1_000_000))


def _export_columns(table) -> list:
    return [bc for bc in table.columns.iterall() if not bc.column.exclude_from_export]


def table_header(table_class, request=None) -> list[str]:
    table = table_class([], request=request)
    return [force_str(bc.header) for bc in _export_columns(table)]


def table_decimals(table_class, request=None) -> list[int | None]:
    """Decimal places per exported column from the model field behind it (None when not a field)."""
    table = table_class([], request=request)
    model = table._meta.model
    out: list[int | None] = []
    for bc in _export_columns(table):
        decimals = None
        name = bc.name
        if model is not None and not hasattr(table, f"value_{name}") and not hasattr(table, f"render_{name}"):
            field = bc.accessor.get_field(model)
            if field is not None and getattr(field, "name", None) == str(bc.accessor).split("__")[-1]:
                decimals = field_decimals(field)
        out.append(decimals)
    return out


def _raw_date_column(table, bc) -> bool:
    """A date/time column without its own value_FOO/render_FOO: exported as a real date, not as text."""
    return isinstance(bc.column, tables.DateColumn | tables.DateTimeColumn) and not (
        hasattr(table, f"value_{bc.name}") or hasattr(table, f"render_{bc.name}")
    )


def table_rows(table) -> Iterator[list]:
    """The export values of a table's rows: the column's value (never its HTML), dates as dates."""
    columns = _export_columns(table)
    raw = [_raw_date_column(table, bc) for bc in columns]
    # row.get_cell_value() of every cell, by a per-column plan built once (core.table_render)
    yield from export_values(table, columns, raw)


def iter_values(table_class, queryset, *, request=None, chunk_size: int | None = None) -> Iterator[list]:
    """The table's export values row by row, querying ``chunk_size`` rows at a time (header first)."""
    yield table_header(table_class, request)
    queryset = _stable(queryset)
    chunk_size = chunk_size or CHUNK_SIZE
    limit = max_rows()
    start = 0
    while start < limit:
        stop = min(start + chunk_size, limit)
        chunk = list(queryset[start:stop])
        if not chunk:
            break
        table = table_class(chunk, request=request, order_by=())
        yield from table_rows(table)
        if len(chunk) < stop - start:
            break
        start = stop


def _stable(queryset):
    """Add the primary key as a final sort key so chunked (OFFSET) reads never skip or repeat rows."""
    order = list(queryset.query.order_by) or list(queryset.model._meta.ordering or [])
    if not any(isinstance(o, str) and o.lstrip("-") in ("pk", "id") for o in order):
        order.append("pk")
    return queryset.order_by(*order)


def describe_filters(filterset) -> str:
    """The filter applied to a list in words: ``账册: H123; 状态: 已核扣`` (empty when unfiltered)."""
    if filterset is None:
        return ""
    from django_filters import OrderingFilter

    form = filterset.form
    if not form.is_bound:
        return ""
    form.is_valid()  # the FilterSet applies the valid fields only; so does the description
    cleaned = getattr(form, "cleaned_data", {})
    parts = []
    for name, field in form.fields.items():
        if isinstance(filterset.filters.get(name), OrderingFilter):
            continue
        value = cleaned.get(name)
        shown = _filter_value(field, value)
        if shown:
            label = force_str(field.label) if field.label else name.replace("_", " ")
            parts.append(gettext("%(label)s: %(value)s") % {"label": label, "value": shown})
    return gettext("; ").join(parts)


def _filter_value(field, value) -> str:
    if hasattr(value, "query") and hasattr(value, "model"):  # a queryset (multiple model choices)
        value = list(value)
    if value is None or value == "" or value == [] or value == ():
        return ""
    if isinstance(value, slice):
        start, stop = _filter_value(field, value.start), _filter_value(field, value.stop)
        return f"{start or '…'} – {stop or '…'}" if (start or stop) else ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list | tuple):
        return ", ".join(filter(None, (_filter_value(field, v) for v in value)))
    choices = getattr(field, "choices", None)
    if choices and not hasattr(value, "pk"):
        for key, label in _flat_choices(choices):
            if str(key) == str(value):
                return force_str(label)
    return text(value)


def _flat_choices(choices):
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield key, label


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterator[list], filename: str) -> StreamingHttpResponse:
    """CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it), streamed row by row."""
    writer = csv.writer(_Echo())
    language = translation.get_language()

    def stream():
        with translation.override(language):
            yield CSV_BOM
            for row in rows:
                yield writer.writerow(plain_row(row))

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(f"{filename}.csv")
    return response


def csv_text(rows: Iterable[Iterable]) -> str:
    """Rows (header first) as CSV text, every cell through ``plain`` (no BOM)."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    for row in rows:
        w.writerow(plain_row(row))
    return buf.getvalue()


def export_heading(filters: str) -> tuple[str, str]:
    """The two lines above a list export's headers: the filter and the export time (Beijing time)."""
    now = local_naive(timezone.now()).strftime("%Y-%m-%d %H:%M:%S")
    filter_line = gettext("Filter: %(filters)s") % {"filters": filters or gettext("none (every row)")}
    time_line = gettext("Exported at: %(time)s (Beijing time)") % {"time": now}
    return filter_line, time_line


def xlsx_response(
    rows: Iterator[list],
    filename: str,
    sheet_title: str = "",
    *,
    filters: str = "",
    decimals: list[int | None] | None = None,
) -> FileResponse:
    book = XlsxBook()
    ws = book.sheet(sheet_title or filename)
    for line in export_heading(filters):
        ws.note(line)
    header, header_row, n_cols = True, 0, 0
    for row in rows:
        if header:
            header_row = ws.header(row)
            ws.ws.freeze_panes(header_row + 1, 0)
            ws.set_decimals(decimals or [])
            n_cols = len(row)
            header = False
        else:
            ws.row(row)
    if not header and n_cols:
        ws.ws.autofilter(header_row, 0, max(ws.next_row - 1, header_row), n_cols - 1)
    tmp = book.close()
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)


def _disposition(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def export_table(
    table_class, queryset, fmt: str, *, filename: str, request=None, sheet_title: str = "", filterset=None
):
    """Export response for ``queryset`` (already scoped, filtered and sorted) in ``fmt``."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{filename}-{stamp}"
    rows = iter_values(table_class, queryset, request=request)
    if fmt == "csv":
        return csv_response(rows, name)
    if fmt == "xlsx":
        return xlsx_response(
            rows,
            name,
            sheet_title=sheet_title or filename,
            filters=describe_filters(filterset),
            decimals=table_decimals(table_class, request),
        )
    raise ValueError(f"unknown export format {fmt!r}")
