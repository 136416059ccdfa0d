"""Downloadable xlsx template per import kind: Chinese headers, required ones marked, one example row."""

from __future__ import annotations

import io

from django.utils import translation

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
