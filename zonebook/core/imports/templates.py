"""Downloadable xlsx template per import kind: Chinese headers, required ones marked, one example row."""

from __future__ import annotations

import io

from django.utils import translation

from zonebook.core.exports import neutralise

from .kinds import ImportKind


def build_template(kind_cls: type[ImportKind]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(str(kind_cls.key)[:31])
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    head_req = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    text = wb.add_format({"num_format": "@"})
    with translation.override("zh-hans"):
        for j, col in enumerate(kind_cls.columns):
            ws.write_string(0, j, col.template_header(), head_req if col.required else head)
            ws.set_column(j, j, max(12, len(col.template_header()) * 2 + 4), text)
            if col.help_text:
                ws.write_comment(0, j, str(col.help_text))
            ws.write_string(1, j, str(col.example))
    ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()


def build_error_report(errors) -> bytes:
    """The errors of a checked file as a workbook (row, column, value, problem)."""
    import xlsxwriter
    from django.utils.translation import gettext as _

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("errors")
    head = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    for j, title in enumerate([_("Row"), _("Column"), _("Value"), _("Problem")]):
        ws.write_string(0, j, str(title), head)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 2, 24)
    ws.set_column(3, 3, 80)
    for i, e in enumerate(errors, start=1):
        if e.row is not None:
            ws.write_number(i, 0, e.row)
        # the rejected values come from the uploaded file: neutralised like every exported text cell
        ws.write_string(i, 1, neutralise(str(e.column or "")))
        ws.write_string(i, 2, neutralise(str(e.value if e.value is not None else "")))
        ws.write_string(i, 3, neutralise(str(e.reason)))
    ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()
