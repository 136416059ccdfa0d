"""Write-off exports: CSV (documented header names) and the customs layout (料件/成品核销核算表) as xlsx.

The rows come from ``sql_writeoff.report_rows`` (or the stored ``WriteOffLine`` rows, same columns).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from .models import WRITEOFF_MATERIAL_FIELDS, WRITEOFF_PRODUCT_FIELDS, BookItem, InventoryList, WriteOff

ITEM_HEADERS = ["seq_no", "part_no", "hs_code", "name", "unit"]
ITEM_TITLES = ["备案序号", "料号", "商品编码", "商品名称", "计量单位"]
MATERIAL_HEADERS = ITEM_HEADERS + [h for _, _, h, _ in WRITEOFF_MATERIAL_FIELDS]
PRODUCT_HEADERS = ITEM_HEADERS + [h for _, _, h, _ in WRITEOFF_PRODUCT_FIELDS]


def _items(book_id: int) -> dict[int, dict]:
    return {
        r["id"]: r
        for r in BookItem.objects.filter(book_id=book_id).values(
            "id", "seq_no", "part_no", "hs_code", "name", "unit"
        )
    }


def _row(item: dict, row: dict, fields) -> list:
    return [item.get(k, "") for k in ITEM_HEADERS] + [row.get(f[0]) for f in fields]


def material_table(book_id: int, rows: list[dict]) -> list[list]:
    items = _items(book_id)
    return [_row(items[r["item_id"]], r, WRITEOFF_MATERIAL_FIELDS) for r in rows if r["kind"] == "material"]


def product_table(book_id: int, rows: list[dict]) -> list[list]:
    items = _items(book_id)
    return [_row(items[r["item_id"]], r, WRITEOFF_PRODUCT_FIELDS) for r in rows if r["kind"] == "product"]


def _cell(v):
    return "" if v is None else v


def material_csv(book_id: int, rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(MATERIAL_HEADERS)
    for r in material_table(book_id, rows):
        w.writerow([_cell(v) for v in r])
    return buf.getvalue()


def stored_rows(wo: WriteOff) -> list[dict]:
    cols = (
        ["item_id", "kind", "seq_no"]
        + [f[0] for f in WRITEOFF_MATERIAL_FIELDS]
        + [f[0] for f in WRITEOFF_PRODUCT_FIELDS]
    )
    return list(wo.lines.order_by("kind", "seq_no").values(*cols))


def _num(v):
    if v is None:
        return None
    return float(v) if isinstance(v, Decimal) else v


def workbook(wo: WriteOff) -> bytes:
    """The customs layout: sheet 料件核销核算表, 成品核销核算表, 报核清单 and 差异 (cases)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    book = wo.book
    rows = stored_rows(wo)
    wb = openpyxl.Workbook()
    bold = Font(bold=True)

    def header(ws, title, n_cols):
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(n_cols, 1))
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append(["账册编号", book.number, "经营企业", book.enterprise.name, "报核次数", wo.report_no])
        ws.append(
            [
                "报核开始时间",
                wo.start.isoformat(),
                "报核截止时间",
                wo.end.isoformat(),
                "状态",
                wo.get_state_display(),
            ]
        )
        ws.append(
            [
                "清单数",
                wo.list_count,
                "清单表体数",
                wo.line_count,
                "料件数",
                wo.material_count,
                "成品数",
                wo.product_count,
            ]
        )
        ws.append(
            [
                "进口金额",
                _num(wo.import_amount),
                "出口金额",
                _num(wo.export_amount),
                "短少金额",
                _num(wo.shortage_amount),
                "盈余金额",
                _num(wo.surplus_amount),
            ]
        )
        ws.append([])

    ws = wb.active
    ws.title = "料件核销核算表"
    titles = ITEM_TITLES + [t for *_x, t in WRITEOFF_MATERIAL_FIELDS]
    header(ws, "料件核销核算表", len(titles))
    ws.append(titles)
    for c in ws[ws.max_row]:
        c.font = bold
    for r in material_table(book.pk, rows):
        ws.append([_num(v) for v in r])
    ws.freeze_panes = ws.cell(row=8, column=3)

    ws = wb.create_sheet("成品核销核算表")
    titles = ITEM_TITLES + [t for *_x, t in WRITEOFF_PRODUCT_FIELDS]
    header(ws, "成品核销核算表", len(titles))
    ws.append(titles)
    for c in ws[ws.max_row]:
        c.font = bold
    for r in product_table(book.pk, rows):
        ws.append([_num(v) for v in r])

    ws = wb.create_sheet("报核清单")
    ws.append(["清单编号", "进出口标记", "监管方式", "料件成品标记", "申报日期", "方向"])
    for c in ws[1]:
        c.font = bold
    lists = (
        InventoryList.objects.filter(writeoff_link__writeoff=wo)
        .order_by("declaration_date", "number")
        .values_list("number", "ie_mark", "supervision_mode", "item_kind", "declaration_date", "direction")
    )
    for n, ie, mode, kind, d, direction in lists.iterator():
        ws.append([n, ie, mode, kind, d.isoformat(), direction])

    ws = wb.create_sheet("差异")
    ws.append(
        [
            "备案序号",
            "差异数量",
            "差异率%",
            "差异金额",
            "应剩余",
            "实际剩余",
            "差异原因",
            "建议处理",
            "状态",
            "处理结果",
        ]
    )
    for c in ws[1]:
        c.font = bold
    for case in wo.cases.order_by("seq_no", "id"):
        ws.append(
            [
                case.seq_no,
                _num(case.difference_qty),
                _num(case.difference_rate),
                _num(case.difference_amount),
                _num(case.expected_remaining),
                _num(case.actual_remaining),
                case.get_reason_code_display(),
                case.get_proposed_kind_display(),
                case.get_status_display(),
                case.resolution,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pdf(wo: WriteOff) -> bytes:
    """The customs layout as a print-ready PDF (A3 landscape, Noto CJK fonts) through WeasyPrint."""
    try:
        import weasyprint
    except ImportError:  # pragma: no cover - optional system dependency
        from django.utils.translation import gettext as _

        from zonebook.core.errors import DomainError

        raise DomainError(
            _("PDF export needs WeasyPrint, which is not installed."), code="pdf_unavailable"
        ) from None
    from django.template.loader import render_to_string

    rows = stored_rows(wo)
    mats = material_table(wo.book_id, rows)
    diff_col = len(ITEM_HEADERS) + [f[0] for f in WRITEOFF_MATERIAL_FIELDS].index("difference_qty")
    html = render_to_string(
        "ledger/writeoff/print.html",
        {
            "wo": wo,
            "mat_titles": ITEM_TITLES + [t for *_x, t in WRITEOFF_MATERIAL_FIELDS],
            "prod_titles": ITEM_TITLES + [t for *_x, t in WRITEOFF_PRODUCT_FIELDS],
            "mat_rows": [{"values": r, "short": (r[diff_col] or 0) < 0} for r in mats],
            "prod_rows": product_table(wo.book_id, rows),
            "text_cols": {1, 2, 3, 4},
        },
    )
    return weasyprint.HTML(string=html).write_pdf()
