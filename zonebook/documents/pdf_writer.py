"""The PDF writer: an HTML rendering of the prepared document (``render.prepare``) through WeasyPrint.

The same layout as the .docx (GB/T 9704-2012): CSS paged media for the A4 text block, page numbers
"— 1 —" in the bottom margin, landscape pages (``@page wide``) for wide tables, table headers
repeated on every page (``thead``), footnotes at the foot of their page (``float: footnote``).
Every text goes through Django's autoescaping: a label with HTML stays text.
"""

from __future__ import annotations

import threading
from functools import lru_cache

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
                "font_pt": f"{item.font_pt:g}pt", "width": f"{sum(widths):.1f}mm"}
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


# The user-agent stylesheet of the few elements the document template uses (WeasyPrint's own HTML5
# stylesheet has ~250 rules, matched against every one of the ~2,000 cells of a 200-row table: about
# a tenth of the PDF's time).  Everything visible is set by the template's own CSS; this only gives
# the elements their display roles and the footnote counters.  ``test_render`` compares the PDF
# with WeasyPrint's stylesheet against this one, page by page, as images.
UA_CSS = """
head, meta, title, style, script { display: none }
html, body, div, section, p, h1 { display: block }
table { display: table; box-sizing: border-box; border-spacing: 2px; border-collapse: separate; text-indent: initial }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group; vertical-align: middle }
tbody { display: table-row-group; vertical-align: middle }
tr { display: table-row; vertical-align: inherit }
td, th { display: table-cell; vertical-align: inherit; padding: 1px }
th { font-weight: bold }
h1 { font-size: 2em; font-weight: bold; bookmark-level: 1; bookmark-label: content(text); break-after: avoid; break-inside: avoid }
img { overflow: hidden }
::footnote-call { content: counter(footnote); vertical-align: super; font-size: smaller; line-height: inherit }
::footnote-marker { content: counter(footnote) ". " }
@page {
  @footnote { margin-top: 1em }
  @bottom-left { text-align: left; vertical-align: middle }
  @bottom-right { text-align: right; vertical-align: middle }
}
"""
_ua_lock = threading.Lock()
_ua: list = []


def _ua_stylesheets() -> list:
    """The parsed ``UA_CSS`` (parsed once a process; WeasyPrint only reads it)."""
    with _ua_lock:
        if not _ua:
            import weasyprint

            _ua.append(weasyprint.CSS(string=UA_CSS))
        return list(_ua)


@lru_cache(maxsize=1)
def _html_class():
    import weasyprint

    class DocumentHTML(weasyprint.HTML):
        """WeasyPrint's HTML with the document's own user-agent stylesheet (no presentational
        hints: the template has no presentational attributes)."""

        def _ua_stylesheets(self, forms=False):
            return _ua_stylesheets()

        def _ph_stylesheets(self):
            return []

    return DocumentHTML


def write_pdf(prep: R.Prepared, *, full_ua: bool = False) -> bytes:
    """The PDF bytes; ``full_ua`` uses WeasyPrint's full HTML5 stylesheet (tests compare the two)."""
    try:
        import weasyprint
    except ImportError:  # pragma: no cover - a system dependency
        raise DocumentError(_("PDF documents need WeasyPrint, which is not installed."), code="pdf_unavailable")
    cls = weasyprint.HTML if full_ua else _html_class()
    document = cls(string=html(prep)).render()
    prep.pdf_pages = len(document.pages)
    return document.write_pdf()
