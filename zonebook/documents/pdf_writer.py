"""The PDF writer: an HTML rendering of the prepared document (``render.prepare``) through WeasyPrint.

The same layout as the .docx (GB/T 9704-2012): CSS paged media for the A4 text block, page numbers
"— 1 —" in the bottom margin, landscape pages (``@page wide``) for wide tables, table headers
repeated on every page (``thead``), footnotes at the foot of their page (``float: footnote``).
Every text goes through Django's autoescaping: a label with HTML stays text.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import render as R
from .errors import DocumentError


def _groups(prep: R.Prepared) -> list[dict]:
    """Runs of items with one orientation: each landscape run is printed on its own landscape pages."""
    groups: list[dict] = []
    for item in prep.items:
        landscape = not prep.landscape and isinstance(item, R.TableItem) and item.orientation == "landscape"
        entry = _entry(item)
        if groups and groups[-1]["landscape"] == landscape:
            groups[-1]["items"].append(entry)
        else:
            groups.append({"landscape": landscape, "items": [entry]})
    return groups


def _entry(item) -> dict:
    if isinstance(item, R.Heading):
        return {"type": "heading", "depth": min(item.depth, 3), "number": item.number, "title": item.title}
    if isinstance(item, R.Para):
        return {"type": "para", "text": item.text, "notes": item.notes, "bold": item.bold}
    if isinstance(item, R.TableItem):
        widths = item.fitted_widths()
        columns = [{"title": h, "align": a, "width": f"{w:.1f}mm"}
                   for h, a, w in zip(item.headers, item.aligns, widths, strict=True)]
        rows = [list(zip(r, item.aligns, strict=True)) for r in item.rows]
        total = list(zip(item.total, item.aligns, strict=True)) if item.total else None
        return {"type": "table", "caption": item.caption, "note": item.note, "columns": columns,
                "rows": rows, "total": total, "wrap": item.wrap, "orientation": item.orientation,
                "font_pt": f"{item.font_pt:g}pt"}
    if isinstance(item, R.ChartItem):
        return {"type": "chart", "src": item.data_uri(), "title": item.chart.title}
    return {"type": "break"}


def html(prep: R.Prepared, footnotes_inline: bool = True) -> str:
    notes = {i + 1: text for i, text in enumerate(prep.footnotes)}
    return render_to_string(
        "documents/pdf/document.html",
        {
            "p": prep,
            "groups": _groups(prep),
            "footnotes": notes,
            "notes": [R.note_text(i, n) for i, n in enumerate(prep.notes)],
            "landscape": prep.landscape,
        },
    )


def write_pdf(prep: R.Prepared) -> bytes:
    try:
        import weasyprint
    except ImportError:  # pragma: no cover - a system dependency
        raise DocumentError(_("PDF documents need WeasyPrint, which is not installed."), code="pdf_unavailable")
    return weasyprint.HTML(string=html(prep)).write_pdf()
