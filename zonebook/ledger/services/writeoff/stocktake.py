"""Write-off stocktake (盘点): reading the file, validating every row (all or nothing) and
recomputing the write-off with the actual remaining (实际剩余).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from ...calc import q5
from ...choices import ItemKind
from ...models import Book, BookItem, Consumption, StocktakeRow, WriteOff
from ...models.writeoff import WriteOffState
from .cycle import _compute, _lock, _require_state

MAX_STOCKTAKE_ERRORS = 50


# ------------------------------------------------------------------ stocktake

STOCK_COLUMNS = ("stock", "in_transit", "wip", "finished", "defective")
MATERIAL_STOCK = ("stock", "in_transit")
PRODUCT_STOCK = ("wip", "finished", "defective")
HEADER_ALIASES = {
    "kind": "kind",
    "类型": "kind",
    "料件成品标记": "kind",
    "seq_no": "seq_no",
    "备案序号": "seq_no",
    "序号": "seq_no",
    "part_no": "part_no",
    "料号": "part_no",
    "stock": "stock",
    "库存": "stock",
    "料件库存": "stock",
    "in_transit": "in_transit",
    "在途": "in_transit",
    "wip": "wip",
    "在制品": "wip",
    "finished": "finished",
    "成品库存": "finished",
    "成品": "finished",
    "defective": "defective",
    "残次品": "defective",
    "version": "version",
    "单耗版本号": "version",
}
KIND_ALIASES = {
    "material": ItemKind.MATERIAL,
    "料件": ItemKind.MATERIAL,
    "i": ItemKind.MATERIAL,
    "product": ItemKind.PRODUCT,
    "成品": ItemKind.PRODUCT,
    "e": ItemKind.PRODUCT,
}


def read_stocktake_file(path: Path | str, filename: str | None = None) -> list[dict]:
    """Rows of a stocktake file (xlsx/xls/csv; header row with the names of ``HEADER_ALIASES``)."""
    from zonebook.core.imports.readers import open_rows

    rows, header = [], None
    for n, cells in open_rows(path, filename):
        values = ["" if c is None else str(c).strip() for c in cells]
        if header is None:
            if not any(values):
                continue
            header = [HEADER_ALIASES.get(v.lower() if v.isascii() else v, "") for v in values]
            unknown = [values[i] for i, h in enumerate(header) if not h and values[i]]
            missing = {"kind", "seq_no"} - set(header)
            if missing or unknown:
                raise DomainError(
                    _("Row %(row)d (header): unknown column(s) %(unknown)s; missing column(s) %(missing)s.")
                    % {
                        "row": n,
                        "unknown": ", ".join(unknown) or "-",
                        "missing": ", ".join(sorted(missing)) or "-",
                    },
                    code="stocktake_header",
                )
            continue
        if not any(values):
            continue
        rows.append({"row": n, **{h: v for h, v in zip(header, values, strict=False) if h}})
    return rows


def _parse_stock(rows: list[Mapping], book: Book) -> tuple[list[dict], list[RowError]]:
    errors: list[RowError] = []
    parsed = []
    keys = set()
    for n, raw in enumerate(rows, start=1):
        row = raw.get("row", n)
        kind = KIND_ALIASES.get(str(raw.get("kind", "")).strip().lower())
        if kind is None:
            errors.append(
                RowError(
                    row, "kind", str(raw.get("kind", "")), _("kind must be material (料件) or product (成品)")
                )
            )
            continue
        seq = str(raw.get("seq_no", "")).strip()
        if seq.endswith(".0"):
            seq = seq[:-2]
        if not seq.isdigit():
            errors.append(RowError(row, "seq_no", seq, _("the sequence number must be a whole number")))
            continue
        values = {}
        n_errors = len(errors)
        for col in STOCK_COLUMNS:
            text = str(raw.get(col, "") or "").strip().replace(",", "")
            if text == "":
                values[col] = Decimal(0)
                continue
            try:
                v = Decimal(text)
            except InvalidOperation:
                errors.append(RowError(row, col, text, _("not a number")))
                continue
            if not v.is_finite():
                errors.append(RowError(row, col, text, _("not a number")))
                continue
            if v < 0:
                errors.append(RowError(row, col, text, _("stock cannot be negative")))
                continue
            if v != q5(v):
                errors.append(RowError(row, col, text, _("at most 5 decimal places")))
                continue
            wrong = PRODUCT_STOCK if kind == ItemKind.MATERIAL else MATERIAL_STOCK
            if col in wrong and v != 0:
                errors.append(
                    RowError(
                        row,
                        col,
                        text,
                        _("this column is not used for a %(kind)s row") % {"kind": ItemKind(kind).label},
                    )
                )
                continue
            values[col] = v
        if len(errors) > n_errors:
            continue
        key = (kind, int(seq))
        if key in keys:
            errors.append(RowError(row, "seq_no", seq, _("the item appears twice in the stocktake")))
            continue
        keys.add(key)
        parsed.append(
            {
                "row": row,
                "kind": kind,
                "seq_no": int(seq),
                "part_no": str(raw.get("part_no", "") or "").strip(),
                "version": str(raw.get("version", "") or "").strip(),
                **values,
            }
        )
    return parsed, errors


@transaction.atomic
def import_stocktake(wo: WriteOff, rows: list[Mapping], *, source: str = "", by=None) -> WriteOff:
    """Replace the write-off's stocktake (盘点) by ``rows`` and recompute; all or nothing.

    Each row: ``kind`` (material/product), ``seq_no``, optional ``part_no`` (checked), materials
    ``stock`` and ``in_transit``, products ``wip``, ``finished``, ``defective`` and optional
    ``version`` (else the only consumption version in force on the cycle end).  Refused with one
    error per row/column: items not on the book, part numbers that differ, negative or non-numeric
    quantities, quantities in the other kind's columns, duplicates, products without a usable version.
    """
    wo = _lock(wo)
    _require_state(wo, WriteOffState.DRAFT, action=_("given a new stocktake"))
    parsed, errors = _parse_stock(rows, wo.book)
    items = {
        (i.kind, i.seq_no): i
        for i in BookItem.objects.filter(book=wo.book, seq_no__in={p["seq_no"] for p in parsed}).only(
            "id", "kind", "seq_no", "part_no"
        )
    }
    in_force = _versions_in_force(wo.book, wo.end)
    known_versions = set(
        Consumption.objects.filter(book=wo.book).order_by().values_list("product_id", "version").distinct()
    )
    objs = []
    for p in parsed:
        item = items.get((p["kind"], p["seq_no"]))
        if item is None:
            errors.append(
                RowError(
                    p["row"],
                    "seq_no",
                    str(p["seq_no"]),
                    _("no %(kind)s with this sequence number on book %(book)s")
                    % {"kind": ItemKind(p["kind"]).label, "book": wo.book.number},
                )
            )
            continue
        if p["part_no"] and p["part_no"] != item.part_no:
            errors.append(
                RowError(
                    p["row"],
                    "part_no",
                    p["part_no"],
                    _("item %(seq)s has part no. %(part)s") % {"seq": item.seq_no, "part": item.part_no},
                )
            )
            continue
        version = ""
        if p["kind"] == ItemKind.PRODUCT and any(p[c] for c in PRODUCT_STOCK):
            version = p["version"]
            if version:
                if (item.pk, version) not in known_versions:
                    errors.append(
                        RowError(
                            p["row"],
                            "version",
                            version,
                            _("the product has no consumption version %(v)s") % {"v": version},
                        )
                    )
                    continue
            else:
                versions = in_force.get(item.pk, [])
                if len(versions) != 1:
                    errors.append(
                        RowError(
                            p["row"],
                            "version",
                            "",
                            _("%(n)d consumption versions are in force on %(d)s; name the version")
                            % {"n": len(versions), "d": wo.end},
                        )
                    )
                    continue
                version = versions[0]
        objs.append(
            StocktakeRow(
                writeoff=wo,
                row_no=p["row"],
                item=item,
                version=version,
                source=source[:200],
                **{c: p[c] for c in STOCK_COLUMNS},
            )
        )
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column))
        raise DomainError(
            _(
                "The stocktake has %(n)d error(s); nothing was imported. First: row %(row)s, column %(col)s: %(reason)s."
            )
            % {"n": len(errors), "row": errors[0].row, "col": errors[0].column, "reason": errors[0].reason},
            code="stocktake_invalid",
            field="file",
            details=errors[:MAX_STOCKTAKE_ERRORS],
        )
    if not objs:
        raise DomainError(_("The stocktake has no rows."), code="stocktake_empty", field="file")
    StocktakeRow.objects.filter(writeoff=wo).delete()
    StocktakeRow.objects.bulk_create(objs, batch_size=2000)
    _compute(wo)
    audit.record(
        wo,
        code="ledger.writeoff.stocktake_imported",
        by=by,
        changes={"rows": len(objs), "source": source, "over_threshold": wo.over_threshold},
    )
    return wo


def _versions_in_force(book: Book, on: dt.date) -> dict[int, list[str]]:
    qs = (
        Consumption.objects.filter(book=book)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )
        .order_by()
        .values_list("product_id", "version")
        .distinct()
    )
    out: dict[int, list[str]] = {}
    for pid, v in qs:
        out.setdefault(pid, []).append(v)
    return out
