"""Write-off exports: CSV and the customs layout (料件/成品核销核算表) as xlsx.

The rows come from ``sql_writeoff.report_rows`` (or the stored ``WriteOffLine`` rows, same columns).
Every cell goes through ``core.exports`` (text neutralised against formula injection, numbers as
numbers with the column's decimals, real dates).  The page's CSV has headers in the user's language;
``ledger_report writeoff`` keeps the documented machine header names (docs/ledger-writeoff.md).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zonebook.core import exports

from ..models import (
    WRITEOFF_MATERIAL_FIELDS,
    WRITEOFF_PRODUCT_FIELDS,
    BookItem,
    DifferenceCase,
    InventoryList,
    WriteOff,
    WriteOffLine,
)

ITEM_HEADERS = ["seq_no", "part_no", "hs_code", "name", "unit"]
ITEM_TITLES = ["备案序号", "料号", "商品编码", "商品名称", "计量单位"]
ITEM_LABELS = [_("sequence no."), _("part no."), _("HS code"), _("name"), _("unit")]
MATERIAL_HEADERS = ITEM_HEADERS + [h for _x, _y, h, _z in WRITEOFF_MATERIAL_FIELDS]
PRODUCT_HEADERS = ITEM_HEADERS + [h for _x, _y, h, _z in WRITEOFF_PRODUCT_FIELDS]


def material_labels() -> list[str]:
    """The material table's column headers in the active language."""
    return [str(label) for label in ITEM_LABELS] + [
        str(label) for _f, label, _h, _t in WRITEOFF_MATERIAL_FIELDS
    ]


def _field_decimals(model, names) -> list[int | None]:
    return [exports.field_decimals(model._meta.get_field(n)) for n in names]


def material_decimals() -> list[int | None]:
    return [exports.IDENTIFIER, None, None, None, None] + _field_decimals(
        WriteOffLine, [f[0] for f in WRITEOFF_MATERIAL_FIELDS]
    )


def product_decimals() -> list[int | None]:
    return [exports.IDENTIFIER, None, None, None, None] + _field_decimals(
        WriteOffLine, [f[0] for f in WRITEOFF_PRODUCT_FIELDS]
    )


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


def material_csv(book_id: int, rows: list[dict], *, labels: bool = False) -> str:
    """The material table as CSV: documented machine headers, or (``labels``) the user's language."""
    header = material_labels() if labels else MATERIAL_HEADERS
    return exports.csv_text([header, *material_table(book_id, rows)])


def material_xlsx(book_id: int, rows: list[dict], target, *, sheet_title: str) -> None:
    """The material table as a plain xlsx (``ledger_report writeoff --format xlsx``)."""
    book = exports.XlsxBook(target)
    ws = book.sheet(sheet_title)
    ws.header(MATERIAL_HEADERS)
    ws.ws.freeze_panes(1, 0)
    ws.set_decimals(material_decimals())
    for r in material_table(book_id, rows):
        ws.row(r)
    book.close()


def stored_rows(wo: WriteOff) -> list[dict]:
    cols = (
        ["item_id", "kind", "seq_no"]
        + [f[0] for f in WRITEOFF_MATERIAL_FIELDS]
        + [f[0] for f in WRITEOFF_PRODUCT_FIELDS]
    )
    return list(wo.lines.order_by("kind", "seq_no").values(*cols))


def workbook(wo: WriteOff) -> bytes:
    """The customs layout: sheet 料件核销核算表, 成品核销核算表, 报核清单 and 差异 (cases)."""
    import io

    book = wo.book
    rows = stored_rows(wo)
    xb = exports.XlsxBook(io.BytesIO(), constant_memory=False)
    money = exports.field_decimals(WriteOff._meta.get_field("import_amount"))

    def header(ws, title, n_cols):
        ws.note(title, bold=True, size=14, span=max(n_cols, 1), align="center")
        ws.row(["账册编号", book.number, "经营企业", book.enterprise.name, "报核次数", wo.report_no])
        ws.row(["报核开始时间", wo.start, "报核截止时间", wo.end, "状态", wo.get_state_display()])
        ws.row(
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
        ws.set_decimals([None, money, None, money, None, money, None, money])
        ws.row(
            [
                "进口金额",
                wo.import_amount,
                "出口金额",
                wo.export_amount,
                "短少金额",
                wo.shortage_amount,
                "盈余金额",
                wo.surplus_amount,
            ]
        )
        ws.set_decimals([])
        ws.skip()

    ws = xb.sheet("料件核销核算表")
    titles = ITEM_TITLES + [t for *_x, t in WRITEOFF_MATERIAL_FIELDS]
    header(ws, "料件核销核算表", len(titles))
    ws.header(titles)
    ws.set_decimals(material_decimals())
    for r in material_table(book.pk, rows):
        ws.row(r)
    ws.ws.freeze_panes(7, 2)

    ws = xb.sheet("成品核销核算表")
    titles = ITEM_TITLES + [t for *_x, t in WRITEOFF_PRODUCT_FIELDS]
    header(ws, "成品核销核算表", len(titles))
    ws.header(titles)
    ws.set_decimals(product_decimals())
    for r in product_table(book.pk, rows):
        ws.row(r)
    ws.ws.freeze_panes(7, 2)

    ws = xb.sheet("报核清单")
    ws.header(["清单编号", "进出口标记", "监管方式", "料件成品标记", "申报日期", "方向"])
    ws.ws.freeze_panes(1, 0)
    lists = (
        InventoryList.objects.filter(writeoff_link__writeoff=wo)
        .order_by("declaration_date", "number")
        .values_list("number", "ie_mark", "supervision_mode", "item_kind", "declaration_date", "direction")
    )
    for values in lists.iterator():
        ws.row(values)

    ws = xb.sheet("差异")
    ws.header(
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
    ws.ws.freeze_panes(1, 0)
    ws.set_decimals(
        [exports.IDENTIFIER]
        + _field_decimals(
            DifferenceCase,
            [
                "difference_qty",
                "difference_rate",
                "difference_amount",
                "expected_remaining",
                "actual_remaining",
            ],
        )
    )
    for case in wo.cases.order_by("seq_no", "id"):
        ws.row(
            [
                case.seq_no,
                case.difference_qty,
                case.difference_rate,
                case.difference_amount,
                case.expected_remaining,
                case.actual_remaining,
                case.get_reason_code_display(),
                case.get_proposed_kind_display(),
                case.get_status_display(),
                case.resolution,
            ]
        )
    return xb.bytes()


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
