"""The document builder: one ``content.Document`` → .docx (python-docx) and PDF (WeasyPrint).

    from zonebook.documents.render import render, document_response
    data = render(doc, "docx")                     # bytes
    return document_response(doc, "pdf", "2026年11月简报")   # attachment, Chinese file name

Both formats are built from the same prepared layout (``prepare``): the admin-edited template of
``doc.kind`` applied (placeholders filled, a missing one is a ``DocumentError`` naming it), sections
numbered by depth (一、 /（一）/ 1. /（1）), footnotes numbered, every table measured (more than
``WIDE_COLUMNS`` columns or wider than the portrait text block → a landscape section; wider than the
landscape block too → the columns wrap with a smaller font), every chart drawn once as a PNG.

The layout follows GB/T 9704-2012 (党政机关公文格式): A4, text block 156 × 225 mm, 红头 in red,
文号 under it, the red rule, 2号 title, 3号 仿宋 body, the date in Chinese with the 落款, page
numbers "— 1 —".  Fonts: 仿宋/宋体/黑体/楷体 named in the .docx (Word on Windows has them; other
readers substitute), Noto CJK in the PDF (Debian's fonts-noto-cjk).
"""

from __future__ import annotations

import base64
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from . import charts as charts_mod
from .content import Chart, Column, Document, PageBreak, Paragraph, Section, Table
from .errors import DocumentError
from .formatting import EMPTY, cell_text, chinese_date, is_number, section_number
from .templating import fill

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

# GB/T 9704: A4 with a 156 × 225 mm text block (top 37, bottom 35, left 28, right 26 mm)
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37.0, 35.0, 28.0, 26.0
PORTRAIT_TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 156 mm
LANDSCAPE_TEXT_W = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM  # 225 mm: the text block turned (landscape pages)
WIDE_COLUMNS = 8
TABLE_PT = 10.5  # 五号
MIN_TABLE_PT = 7.5  # 六号: the smallest table font; wider tables continue in a second part (续表)
CELL_PAD_MM = 2.4
MIN_COL_MM = 10.0
MAX_TEXT_COL_MM = 48.0
CHART_W_CM = 15.0
CHART_H_CM = 8.5

RED = "C00000"


# --- the prepared layout ------------------------------------------------------------------------------


@dataclass
class Heading:
    depth: int
    number: str
    title: str


@dataclass
class Para:
    text: str
    notes: list[int] = field(default_factory=list)  # footnote numbers
    bold: bool = False
    indent: bool = True


@dataclass
class TableItem:
    caption: str
    note: str
    headers: list[str]
    rows: list[list[str]]
    total: list[str] | None
    aligns: list[str]
    widths_mm: list[float]  # natural widths
    orientation: str  # "portrait" or "landscape"
    wrap: bool  # wider than the text block at the normal size: a smaller font, or split into parts
    font_pt: float = 10.5

    @property
    def text_width(self) -> float:
        return LANDSCAPE_TEXT_W if self.orientation == "landscape" else PORTRAIT_TEXT_W

    def fitted_widths(self) -> list[float]:
        """Column widths in mm that fill at most the text block (scaled down when wrapping)."""
        total = sum(self.widths_mm) or 1.0
        avail = self.text_width
        if total <= avail:
            return list(self.widths_mm)
        return [w * avail / total for w in self.widths_mm]


@dataclass
class ChartItem:
    chart: Chart
    png: bytes

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class BreakItem:
    pass


@dataclass
class Prepared:
    doc: Document
    header: str
    office: str
    number: str
    title: str
    subtitle: str
    recipients: str
    date_text: str
    signature: str
    footer: str
    cc: str
    items: list[Any]
    footnotes: list[str]  # numbered paragraph footnotes, in order (number = index + 1)
    notes: list[str]  # the document's own notes (注：…), printed after the body
    landscape: bool  # the whole document landscape

    @property
    def any_landscape(self) -> bool:
        return self.landscape or any(isinstance(i, TableItem) and i.orientation == "landscape" for i in self.items)


def _template_for(kind: str):
    from .models import DocumentTemplate

    return DocumentTemplate.objects.filter(kind=kind, active=True).first()


def _values(doc: Document, office: str, recipients: str) -> dict[str, str]:
    values = {
        "office": office,
        "title": doc.title,
        "number": doc.number,
        "date": chinese_date(doc.date) if doc.date else "",
        "year": str(doc.date.year) if doc.date else "",
        "recipients": recipients,
    }
    for k, v in (doc.context or {}).items():
        if v is not None and v != "":
            values[str(k)] = str(v)
    return values


def prepare(doc: Document, *, template=None, draw_charts: bool = True) -> Prepared:
    """Apply the template, number everything, measure tables and draw charts (once for both formats)."""
    if not isinstance(doc, Document):
        raise DocumentError(_("Not a document."), code="not_a_document")
    tpl = template if template is not None else _template_for(doc.kind)
    office = doc.office
    header = office
    recipients = doc.recipients
    intro = signature = footer = ""
    if tpl is not None:
        label = f"“{tpl.name}”"
        office_values = _values(doc, "", "")  # placeholders of the office text cannot refer to the office
        office = office or fill(tpl.office, office_values, where=f"{label} ({_('issuing office')})")
        recipients = recipients or fill(tpl.recipients, _values(doc, office, ""), where=f"{label} ({_('recipients')})")
        values = _values(doc, office, recipients)
        header = fill(tpl.header_text, values, where=f"{label} ({_('header text')})") or office
        intro = fill(tpl.intro, values, where=f"{label} ({_('opening paragraph')})")
        signature = fill(tpl.signature, values, where=f"{label} ({_('signature')})")
        footer = fill(tpl.footer, values, where=f"{label} ({_('closing note')})")
    signature = doc.signature or signature or office

    footnotes: list[str] = []
    items: list[Any] = []
    portrait_only = doc.landscape is False
    whole_landscape = doc.landscape is True

    def add_blocks(blocks, depth: int, counter: list[int]) -> None:
        for block in blocks:
            if isinstance(block, Section):
                counter[0] += 1
                add_section(block, depth, counter[0])
            else:
                add_block(block, depth)

    def add_block(block, depth: int) -> None:
        if isinstance(block, Paragraph):
            notes = []
            for note in block.footnotes:
                footnotes.append(str(note))
                notes.append(len(footnotes))
            items.append(Para(str(block.text), notes, block.bold))
        elif isinstance(block, Table):
            items.extend(_table_items(block, portrait_only=portrait_only, landscape=whole_landscape))
        elif isinstance(block, Chart):
            png = charts_mod.png(block, width_cm=CHART_W_CM, height_cm=CHART_H_CM) if draw_charts else b""
            items.append(ChartItem(block, png))
        elif isinstance(block, PageBreak):
            items.append(BreakItem())
        elif isinstance(block, str):
            items.append(Para(block))
        else:
            raise DocumentError(_("A document block of an unknown type: %(type)s.") % {"type": type(block).__name__},
                                code="block_type")

    def add_section(section: Section, depth: int, n: int) -> None:
        items.append(Heading(depth, section_number(depth, n), str(section.title)))
        counter = [0]
        add_blocks(section.blocks, depth + 1, counter)
        for sub in section.subsections:
            counter[0] += 1
            add_section(sub, depth + 1, counter[0])

    if intro:
        items.append(Para(intro))
    top = [0]
    add_blocks(doc.blocks, 0, top)
    for section in doc.sections:
        top[0] += 1
        add_section(section, 0, top[0])

    return Prepared(
        doc=doc,
        header=header,
        office=office,
        number=doc.number,
        title=doc.title,
        subtitle=doc.subtitle,
        recipients=recipients,
        date_text=chinese_date(doc.date) if doc.date else "",
        signature=signature,
        footer=footer,
        cc=doc.cc,
        items=items,
        footnotes=footnotes,
        notes=[str(n) for n in doc.footnotes],
        landscape=whole_landscape,
    )


def _text_mm(text: str, pt: float) -> float:
    """Printed width of ``text`` in mm at ``pt`` (full-width characters 1 em, others ~0.55 em)."""
    em = pt * 25.4 / 72
    width = 0.0
    for ch in text:
        width += em if unicodedata.east_asian_width(ch) in ("W", "F") else em * 0.55
    return width


def note_text(index: int, note: str) -> str:
    """The document's notes under the body: the first one opens with 注：."""
    return f"注：{note}" if index == 0 and not note.startswith("注") else note


def header_text(col: Column) -> str:
    return f"{col.title}（{col.unit}）" if col.unit else str(col.title)


def _table_items(table: Table, *, portrait_only: bool, landscape: bool) -> list[TableItem]:
    ncols = len(table.columns)
    if ncols == 0:
        raise DocumentError(_("A table without columns."), code="table_columns")
    for i, row in enumerate(table.rows, start=1):
        if len(row) != ncols:
            raise DocumentError(
                _("Row %(row)s of the table “%(caption)s” has %(cells)s cells for %(cols)s columns.")
                % {"row": i, "caption": table.caption, "cells": len(row), "cols": ncols},
                code="table_row",
            )
    if table.total is not None and len(table.total) != ncols:
        raise DocumentError(_("The total row of the table “%(caption)s” has %(cells)s cells for %(cols)s columns.")
                            % {"caption": table.caption, "cells": len(table.total), "cols": ncols}, code="table_row")
    headers = [header_text(c) for c in table.columns]

    def fmt(row):
        return [cell_text(v, c.decimals) for v, c in zip(row, table.columns, strict=True)]

    rows = [fmt(r) for r in table.rows]
    total = fmt(table.total) if table.total is not None else None
    aligns = []
    for j, col in enumerate(table.columns):
        align = col.align
        # a text column in a table of numbers stays left unless said otherwise
        if align == "right" and table.rows and not any(is_number(r[j]) for r in table.rows):
            align = "left"
        aligns.append(align)
    widths = _widths(headers, rows + ([total] if total else []), aligns, TABLE_PT)
    natural = sum(widths)
    if landscape:
        orientation = "landscape"
    elif portrait_only:
        orientation = "portrait"
    elif ncols > WIDE_COLUMNS or natural > PORTRAIT_TEXT_W:
        orientation = "landscape"
    else:
        orientation = "portrait"
    avail = LANDSCAPE_TEXT_W if orientation == "landscape" else PORTRAIT_TEXT_W
    pt = TABLE_PT
    if natural <= avail:
        return [TableItem(table.caption, table.note, headers, rows, total, aligns, widths, orientation, False, pt)]
    # wider than the page even so: a smaller font (down to MIN_TABLE_PT) ...
    all_rows = rows + ([total] if total else [])
    pt = max(MIN_TABLE_PT, math.floor(TABLE_PT * avail / natural * 2) / 2)
    widths = _widths(headers, all_rows, aligns, pt)
    if sum(widths) <= avail:
        return [TableItem(table.caption, table.note, headers, rows, total, aligns, widths, orientation, True, pt)]
    # ... and still too wide: the columns continue in a second table under the first (续表), each
    # part repeating the row labels (a first text column)
    keys = [0] if aligns[0] == "left" else []
    key_w = sum(widths[k] for k in keys)
    groups: list[list[int]] = []
    current: list[int] = []
    for j in range(len(headers)):
        if j in keys:
            continue
        if current and key_w + sum(widths[i] for i in current) + widths[j] > avail:
            groups.append(current)
            current = []
        current.append(j)
    groups.append(current)
    items = []
    for n, group in enumerate(groups):
        cols = keys + group

        def pick(values, cols=cols):
            return [values[i] for i in cols]

        # the document's own language (Chinese), not the interface's
        caption = table.caption if n == 0 else (f"{table.caption}（续）" if table.caption else "（续表）")
        items.append(TableItem(caption, table.note if n == len(groups) - 1 else "", pick(headers),
                               [pick(r) for r in rows], pick(total) if total else None, pick(aligns),
                               pick(widths), orientation, True, pt))
    return items


def _widths(headers: list[str], rows: list[list[str]], aligns: list[str], pt: float) -> list[float]:
    """Natural column widths in mm: the widest cell (numbers never wrap; text columns at most
    ``MAX_TEXT_COL_MM``), headers allowed onto two lines."""
    widths = []
    for j, head in enumerate(headers):
        w_head = _text_mm(head, pt) / (2 if len(head) > 6 else 1)
        w_cells = max((_text_mm(r[j], pt) for r in rows), default=0.0)
        if aligns[j] == "left":
            w_cells = min(w_cells, MAX_TEXT_COL_MM)
        widths.append(max(MIN_COL_MM * pt / TABLE_PT, w_head, w_cells) + CELL_PAD_MM)
    return widths


# --- entry points ---------------------------------------------------------------------------------------


def render(doc: Document, fmt: str) -> bytes:
    """The document as ``fmt`` ("docx" or "pdf") bytes.  Raises ``DocumentError`` (translated, naming
    the cause) for a template placeholder the document does not provide or malformed content."""
    if fmt not in FORMATS:
        raise DocumentError(_("Unknown document format “%(fmt)s”: use docx or pdf.") % {"fmt": fmt}, code="format")
    return render_prepared(prepare(doc), fmt)


def render_prepared(prep: Prepared, fmt: str) -> bytes:
    if fmt == "docx":
        from .docx_writer import write_docx

        return write_docx(prep)
    if fmt == "pdf":
        from .pdf_writer import write_pdf

        return write_pdf(prep)
    raise DocumentError(_("Unknown document format “%(fmt)s”: use docx or pdf.") % {"fmt": fmt}, code="format")


def render_all(doc: Document, formats=("docx", "pdf")) -> dict[str, bytes]:
    """Several formats from one preparation (charts drawn once)."""
    prep = prepare(doc)
    return {fmt: render_prepared(prep, fmt) for fmt in formats}


def filename_for(name: str, fmt: str) -> str:
    name = (name or "document").strip().replace("/", "-").replace("\\", "-")
    return name if name.lower().endswith(f".{fmt}") else f"{name}.{fmt}"


def document_response(doc: Document, fmt: str, filename: str) -> HttpResponse:
    """The document as a download: attachment, the format's content type, the Chinese file name in
    RFC 5987 form (``filename*=utf-8''…``) with an ASCII fallback.  Raises ``DocumentError``: use
    ``document_download`` in a view to show it as a message instead."""
    data = render(doc, fmt)
    resp = HttpResponse(data, content_type=FORMATS[fmt])
    resp["Content-Disposition"] = content_disposition_header(True, filename_for(filename, fmt))
    resp["Content-Length"] = str(len(data))
    return resp


def document_download(request, build, fmt: str, filename: str, *, back: str | None = None) -> HttpResponse:
    """For views: ``build()`` returns the ``Document``; a ``DocumentError`` (e.g. a placeholder an
    administrator added to the template that this document does not provide) becomes an error message
    and a redirect to ``back`` (default: the referring page) — never a 500 or a broken file."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme

    try:
        return document_response(build() if callable(build) else build, fmt, filename)
    except DocumentError as exc:
        messages.error(request, _("The document could not be built: %(reason)s") % {"reason": exc})
        target = back or request.headers.get("referer") or "/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = "/"
        return redirect(target)


__all__ = [
    "EMPTY",
    "FORMATS",
    "DocumentError",
    "document_download",
    "document_response",
    "prepare",
    "render",
    "render_all",
]
