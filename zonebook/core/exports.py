"""List exports (xlsx/csv) built from the same django-tables2 table and FilterSet as the list page.

The table class declares the columns once; ``export_table`` writes its values (``value_FOO`` /
``render_FOO`` as django-tables2 defines them, so masking done there applies) for every row of the
already filtered and sorted queryset, in chunks so memory stays flat.

* csv streams (UTF-8 with BOM so Excel opens Chinese text correctly);
* xlsx is written with openpyxl's write-only workbook into a temporary file and then streamed.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.encoding import force_str

FORMATS = ("xlsx", "csv")
CHUNK_SIZE = 2000
CSV_BOM = "\ufeff"


def max_rows() -> int:
    return int(getattr(settings, "ZONEBOOK", {}).get("EXPORT_MAX_ROWS", 1_000_000))


def table_header(table_class, request=None) -> list[str]:
    return next(iter(table_class([], request=request).as_values()))


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
        rows = table.as_values()
        next(rows)  # header
        yield from rows
        if len(chunk) < stop - start:
            break
        start = stop


def _stable(queryset):
    """Add the primary key as a final sort key so chunked (OFFSET) reads never skip or repeat rows."""
    order = list(queryset.query.order_by) or list(queryset.model._meta.ordering or [])
    if not any(isinstance(o, str) and o.lstrip("-") in ("pk", "id") for o in order):
        order.append("pk")
    return queryset.order_by(*order)


def _cell(value):
    if isinstance(value, decimal.Decimal | int | float | dt.date | dt.datetime):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if value is None:
        return ""
    return force_str(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterator[list], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    language = translation.get_language()

    def stream():
        with translation.override(language):
            yield CSV_BOM
            for row in rows:
                yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(f"{filename}.csv")
    return response


def xlsx_response(rows: Iterator[list], filename: str, sheet_title: str = "") -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(sheet_title or filename)[:31])
    bold = Font(bold=True)
    header = True
    for row in rows:
        if header:
            cells = []
            for v in row:
                c = WriteOnlyCell(ws, value=_cell(v))
                c.font = bold
                cells.append(c)
            ws.append(cells)
            ws.freeze_panes = "A2"
            header = False
        else:
            ws.append([_cell(v) for v in row])
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(tmp)
    tmp.seek(0)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _disposition(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def export_table(table_class, queryset, fmt: str, *, filename: str, request=None):
    """Export response for ``queryset`` (already scoped, filtered and sorted) in ``fmt``."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{filename}-{stamp}"
    rows = iter_values(table_class, queryset, request=request)
    if fmt == "csv":
        return csv_response(rows, name)
    if fmt == "xlsx":
        return xlsx_response(rows, name, sheet_title=filename)
    raise ValueError(f"unknown export format {fmt!r}")
