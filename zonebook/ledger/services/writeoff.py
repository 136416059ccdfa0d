"""Write-off (报核/核销) services: create a cycle, freeze its lists, compute, import the stocktake,
move through the states, open difference cases and resolve them.  Every write records an audit entry.

States: draft → pre_check (预报核) → submitted → accepted → closed; pre_check → draft withdraws
(open cases are superseded).  The computation is ``sql_writeoff.store`` (one INSERT … SELECT);
it runs while the write-off is a draft, and once more when it moves to pre-check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from .. import calc_settlement
from ..calc import q5
from ..choices import ItemKind, ListState
from ..models import (
    Book,
    BookItem,
    Consumption,
    DifferenceCase,
    InventoryList,
    InventoryListLine,
    StocktakeRow,
    WriteOff,
    WriteOffLine,
    WriteOffList,
)
from ..models.writeoff import (
    WRITEOFF_TRANSITIONS,
    CaseStatus,
    ReasonCode,
    SettlementKind,
    WriteOffState,
)
from ..sql import writeoff as sql_writeoff

MAX_STOCKTAKE_ERRORS = 50
PROVENANCE_LISTS = 20


def default_threshold() -> Decimal:
    return Decimal(
        str(settings.ZONEBOOK.get("LEDGER_WRITEOFF_DIFF_THRESHOLD", calc_settlement.DEFAULT_THRESHOLD))
    )


def _lock(wo: WriteOff) -> WriteOff:
    return WriteOff.objects.select_for_update(of=("self",)).select_related("book", "book__zone").get(pk=wo.pk)


def _require_state(wo: WriteOff, *states: str, action: str) -> None:
    if wo.state not in states:
        raise DomainError(
            _("Write-off %(wo)s is %(state)s: it cannot be %(action)s.")
            % {"wo": wo, "state": WriteOffState(wo.state).label, "action": action},
            code="bad_state",
        )


# ------------------------------------------------------------------ the closed-cycle lock


def closed_cycle_on(book_id: int, on: dt.date) -> WriteOff | None:
    """The closed (or accepted/submitted) write-off of the book whose cycle contains ``on``."""
    return (
        WriteOff.objects.filter(book_id=book_id, start__lte=on, end__gte=on)
        .exclude(state__in=[WriteOffState.DRAFT, WriteOffState.PRE_CHECK])
        .first()
    )


def locked_writeoffs(book_id: int) -> list[WriteOff]:
    """The book's submitted/accepted/closed write-offs (their cycles are locked), for a batch."""
    return list(
        WriteOff.objects.filter(book_id=book_id).exclude(
            state__in=[WriteOffState.DRAFT, WriteOffState.PRE_CHECK]
        )
    )


def check_cycle_open(book: Book, on: dt.date, locked: Sequence[WriteOff] | None = None) -> None:
    """Lists dated inside a submitted/accepted/closed write-off cycle are refused (the cycle is locked).
    ``locked``: ``locked_writeoffs(book)`` preloaded by a batch; else one query."""
    if locked is None:
        wo = closed_cycle_on(book.pk, on)
    else:
        wo = next((w for w in locked if w.start <= on <= w.end), None)
    if wo is not None:
        raise DomainError(
            _("The date %(on)s lies in write-off %(wo)s, which is %(state)s: its lists are locked.")
            % {"on": on, "wo": wo, "state": WriteOffState(wo.state).label},
            code="writeoff_locked",
            field="declaration_date",
        )


def check_list_unlocked(lst: InventoryList) -> None:
    """A list frozen in a submitted/accepted/closed write-off cannot be reversed."""
    link = WriteOffList.objects.filter(inventory_list=lst).select_related("writeoff").first()
    if link is not None and link.writeoff.state not in (WriteOffState.DRAFT, WriteOffState.PRE_CHECK):
        raise DomainError(
            _("List %(n)s belongs to write-off %(wo)s, which is %(state)s: it is locked.")
            % {"n": lst.number, "wo": link.writeoff, "state": WriteOffState(link.writeoff.state).label},
            code="writeoff_locked",
        )


# ------------------------------------------------------------------ create


def _previous(book: Book, start: dt.date) -> WriteOff | None:
    return WriteOff.objects.filter(book=book, end__lt=start).order_by("-end").first()


@transaction.atomic
def create_writeoff(
    book: Book,
    start: dt.date,
    end: dt.date,
    *,
    list_numbers: Iterable[str] | None = None,
    threshold_percent=None,
    note: str = "",
    by=None,
) -> WriteOff:
    """Open a write-off (draft) for a cycle of the book, freeze its lists and compute it.

    Refused: end before start; a cycle overlapping another write-off of the book (names it); a
    previous write-off not closed yet; a gap between the previous cycle's end and ``start`` (the
    next cycle's opening is the previous closing); ``list_numbers`` naming lists that are not
    posted lists of the book or are declared outside the cycle (one error per list).
    Without ``list_numbers`` every posted list of the book declared in the cycle is included.
    """
    book = Book.objects.select_for_update().get(pk=book.pk)
    if end < start:
        raise DomainError(
            _("The cycle ends (%(end)s) before it starts (%(start)s).") % {"start": start, "end": end},
            code="cycle_order",
            field="end",
        )
    overlap = WriteOff.objects.filter(book=book, start__lte=end, end__gte=start).order_by("start").first()
    if overlap is not None:
        raise DomainError(
            _("The cycle %(start)s…%(end)s overlaps write-off %(wo)s (%(state)s).")
            % {"start": start, "end": end, "wo": overlap, "state": WriteOffState(overlap.state).label},
            code="cycle_overlap",
            field="start",
        )
    previous = _previous(book, start)
    if previous is not None:
        if previous.state != WriteOffState.CLOSED:
            raise DomainError(
                _(
                    "The previous write-off %(wo)s is %(state)s; close it first: its closing is this cycle's opening."
                )
                % {"wo": previous, "state": WriteOffState(previous.state).label},
                code="previous_open",
                field="start",
            )
        if start != previous.end + dt.timedelta(days=1):
            raise DomainError(
                _("The cycle must start on %(day)s, the day after write-off %(wo)s ended.")
                % {"day": previous.end + dt.timedelta(days=1), "wo": previous},
                code="cycle_gap",
                field="start",
            )
    elif WriteOff.objects.filter(book=book, start__gt=end).exists():
        raise DomainError(
            _("A later write-off of this book already exists."), code="cycle_overlap", field="start"
        )
    threshold = default_threshold() if threshold_percent in (None, "") else Decimal(str(threshold_percent))
    if threshold < 0:
        raise DomainError(
            _("The difference threshold cannot be negative."), code="threshold", field="threshold_percent"
        )
    list_ids = None
    if list_numbers is not None:
        list_ids = _check_lists(book, start, end, list_numbers)
    report_no = (WriteOff.objects.filter(book=book).aggregate(n=Max("report_no"))["n"] or 0) + 1
    wo = WriteOff.objects.create(
        book=book,
        report_no=report_no,
        start=start,
        end=end,
        previous=previous,
        threshold_percent=threshold,
        note=note,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit.record(
        wo,
        code="ledger.writeoff.created",
        by=by,
        action="create",
        changes={
            "start": start,
            "end": end,
            "report_no": report_no,
            "threshold_percent": threshold,
            "previous": previous.pk if previous else None,
        },
    )
    _freeze(wo, list_ids)
    _compute(wo)
    return wo


def _check_lists(book: Book, start, end, numbers) -> list[int]:
    numbers = [str(n).strip().upper() for n in numbers if str(n).strip()]
    found = {
        lst.number: lst
        for lst in InventoryList.objects.filter(number__in=numbers).only(
            "id", "number", "book_id", "state", "declaration_date"
        )
    }
    errors = []
    for n, number in enumerate(numbers, start=1):
        lst = found.get(number)
        if lst is None or lst.book_id != book.pk:
            reason = _("list %(n)s is not a list of book %(book)s") % {"n": number, "book": book.number}
        elif lst.state != ListState.POSTED:
            reason = _("list %(n)s is not posted") % {"n": number}
        elif not (start <= lst.declaration_date <= end):
            reason = _("list %(n)s is declared on %(d)s, outside the cycle %(start)s…%(end)s") % {
                "n": number,
                "d": lst.declaration_date,
                "start": start,
                "end": end,
            }
        else:
            continue
        errors.append(RowError(row=n, column="list", value=number, reason=reason))
    if errors:
        raise DomainError(
            _("%(count)d list(s) cannot be included: %(first)s.")
            % {"count": len(errors), "first": errors[0].reason},
            code="lists_outside_cycle",
            field="lists",
            details=errors,
        )
    return [found[n].pk for n in numbers]


def _freeze(wo: WriteOff, list_ids: list[int] | None = None) -> None:
    """(Re)build the write-off's list set: the given lists, else every posted list declared in the
    cycle that no other write-off holds (one DELETE, one INSERT … SELECT)."""
    t_wol, t_list = WriteOffList._meta.db_table, InventoryList._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {t_wol} WHERE writeoff_id = %s", [wo.pk])
        if list_ids is not None:
            WriteOffList.objects.bulk_create(
                [WriteOffList(writeoff=wo, inventory_list_id=i) for i in list_ids]
            )
            return
        cur.execute(
            f"""INSERT INTO {t_wol} (writeoff_id, inventory_list_id)
                SELECT %s, lst.id FROM {t_list} lst
                 WHERE lst.book_id = %s AND lst.state = 'posted'
                   AND lst.declaration_date >= %s AND lst.declaration_date <= %s
                   AND NOT EXISTS (SELECT 1 FROM {t_wol} w WHERE w.inventory_list_id = lst.id)""",
            [wo.pk, wo.book_id, wo.start, wo.end],
        )


def _missing_lists(wo: WriteOff):
    """Posted lists of the book declared in the cycle that no write-off holds: lists posted after
    the figures were computed (or left out of an explicit choice)."""
    return InventoryList.objects.filter(
        book_id=wo.book_id,
        state=ListState.POSTED,
        declaration_date__gte=wo.start,
        declaration_date__lte=wo.end,
        writeoff_link__isnull=True,
    )


def lists_posted_since(wo: WriteOff) -> int:
    """How many posted lists of the cycle the figures leave out (0 once submitted: the cycle is
    locked then, no list can be posted into it)."""
    if wo.state not in (WriteOffState.DRAFT, WriteOffState.PRE_CHECK):
        return 0
    return _missing_lists(wo).count()


def _include_missing_lists(wo: WriteOff) -> int:
    """Add the cycle's posted lists no write-off holds (one INSERT … SELECT); returns how many."""
    t_wol, t_list = WriteOffList._meta.db_table, InventoryList._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {t_wol} (writeoff_id, inventory_list_id)
                SELECT %s, lst.id FROM {t_list} lst
                 WHERE lst.book_id = %s AND lst.state = 'posted'
                   AND lst.declaration_date >= %s AND lst.declaration_date <= %s
                   AND NOT EXISTS (SELECT 1 FROM {t_wol} w WHERE w.inventory_list_id = lst.id)""",
            [wo.pk, wo.book_id, wo.start, wo.end],
        )
        return max(cur.rowcount, 0)


def _compute(wo: WriteOff) -> None:
    """Write the lines (one INSERT … SELECT) and the header totals."""
    lists = sql_writeoff.frozen_lists(wo.pk)
    has_stock = StocktakeRow.objects.filter(writeoff=wo).exists()
    sql_writeoff.store(
        wo.pk,
        wo.book_id,
        lists,
        method=wo.book.writeoff_method,
        previous_id=wo.previous_id,
        stocktake_id=wo.pk if has_stock else None,
    )
    t = sql_writeoff.totals(wo.pk, lists)
    wo.import_amount, wo.export_amount = sql_writeoff.amounts(lists)
    for k, v in t.items():
        setattr(wo, k, v)
    wo.has_stocktake = has_stock
    wo.over_threshold = len(_flagged(wo)) if has_stock else 0
    wo.computed_at = timezone.now()
    wo.save()


@transaction.atomic
def compute_writeoff(wo: WriteOff, *, refresh_lists: bool = True, by=None) -> WriteOff:
    """Recompute a draft: with ``refresh_lists`` re-collect every posted list of the cycle (lists
    posted since are included; an explicit list choice is replaced), then the lines and totals."""
    wo = _lock(wo)
    _require_state(wo, WriteOffState.DRAFT, action=_("recomputed"))
    before = wo.list_count
    if refresh_lists:
        _freeze(wo, None)
    _compute(wo)
    audit.record(
        wo,
        code="ledger.writeoff.computed",
        by=by,
        changes={"list_count": [before, wo.list_count], "over_threshold": wo.over_threshold},
    )
    return wo


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


# ------------------------------------------------------------------ difference cases


def _flagged(wo: WriteOff):
    """Material lines whose difference exceeds the threshold (|rate| > t, or 应剩余 = 0 and 差异 ≠ 0)."""
    t = wo.threshold_percent
    return (
        WriteOffLine.objects.filter(writeoff=wo, kind=ItemKind.MATERIAL, difference_qty__isnull=False)
        .exclude(difference_qty=0)
        .filter(Q(difference_rate__isnull=True) | Q(difference_rate__gt=t) | Q(difference_rate__lt=-t))
        .order_by("seq_no")
    )


def _provenance(wo: WriteOff, item_ids: list[int]) -> dict[int, dict]:
    """Per flagged material: the lists that moved it (directly or through products), the consumption
    versions used and the stocktake rows that make up its actual remaining (four queries)."""
    out = {i: {"lists": [], "list_count": 0, "versions": [], "stocktake_rows": []} for i in item_ids}
    if not item_ids:
        return out
    t_line, t_cons, t_wol, t_list = (
        InventoryListLine._meta.db_table,
        Consumption._meta.db_table,
        WriteOffList._meta.db_table,
        InventoryList._meta.db_table,
    )
    # Plain joins from the write-off's frozen lists and stocktake (no filter on the flagged items in SQL:
    # just-written rows have stale planner statistics); the flagged items are picked in Python.
    t_stock = StocktakeRow._meta.db_table
    products = f"""SELECT DISTINCT l.inventory_list_id AS list_id, l.item_id AS product_id, l.resolved_version AS version
                     FROM {t_wol} w JOIN {t_line} l ON l.inventory_list_id = w.inventory_list_id
                    WHERE w.writeoff_id = %s AND l.resolved_version <> ''"""
    pairs = f"""
        SELECT DISTINCT l.item_id AS material_id, l.inventory_list_id AS list_id
          FROM {t_wol} w JOIN {t_line} l ON l.inventory_list_id = w.inventory_list_id
         WHERE w.writeoff_id = %s AND l.resolved_version = ''
        UNION
        SELECT c.material_id, p.list_id FROM ({products}) p
          JOIN {t_cons} c ON c.product_id = p.product_id AND c.version = p.version
    """
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT lst.id, lst.declaration_date, lst.number FROM {t_wol} w JOIN {t_list} lst ON lst.id = w.inventory_list_id"
            " WHERE w.writeoff_id = %s",
            [wo.pk],
        )
        lists = {i: (d, n) for i, d, n in cur.fetchall()}
        cur.execute(pairs, [wo.pk, wo.pk])
        found: dict[int, list] = {}
        for mid, list_id in cur.fetchall():
            if mid in out:
                found.setdefault(mid, []).append(lists[list_id])
        for mid, entries in found.items():
            entries.sort()
            out[mid]["list_count"] = len(entries)
            out[mid]["lists"] = [n for _d, n in entries[:PROVENANCE_LISTS]]
        cur.execute(
            f"""SELECT DISTINCT c.material_id, c.product_id, c.version
                  FROM (SELECT DISTINCT p.product_id, p.version FROM ({products}) p) q
                  JOIN {t_cons} c ON c.product_id = q.product_id AND c.version = q.version
                 ORDER BY c.material_id, c.product_id, c.version""",
            [wo.pk],
        )
        seqs = dict(BookItem.objects.filter(book=wo.book, kind=ItemKind.PRODUCT).values_list("id", "seq_no"))
        for mid, pid, version in cur.fetchall():
            if mid in out:
                out[mid]["versions"].append({"product_seq_no": seqs.get(pid), "version": version})
        cur.execute(
            f"""SELECT s.row_no, s.item_id FROM {t_stock} s WHERE s.writeoff_id = %s
                UNION
                SELECT s.row_no, c.material_id FROM {t_stock} s
                  JOIN {t_cons} c ON c.product_id = s.item_id AND c.version = s.version
                 WHERE s.writeoff_id = %s
                ORDER BY 1""",
            [wo.pk, wo.pk],
        )
        for row_no, mid in cur.fetchall():
            if mid in out:
                out[mid]["stocktake_rows"].append(row_no)
    return out


def _recompute_cases(wo: WriteOff, by=None) -> dict:
    """After a recomputation of a pre-checked write-off: open cases are superseded and opened again
    from the new figures; a material whose case was resolved keeps it when its difference did not
    change (else it gets a new case: the resolution answered another difference)."""
    superseded = DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.OPEN).update(
        status=CaseStatus.SUPERSEDED
    )
    resolved = set(
        DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.RESOLVED).values_list(
            "item_id", "difference_qty"
        )
    )
    keep = {
        item_id
        for item_id, qty in WriteOffLine.objects.filter(writeoff=wo, kind=ItemKind.MATERIAL).values_list(
            "item_id", "difference_qty"
        )
        if (item_id, qty) in resolved
    }
    return {"cases_superseded": superseded, "cases_opened": _open_cases(wo, by=by, skip=keep)}


def _open_cases(wo: WriteOff, by=None, skip: set[int] | frozenset = frozenset()) -> int:
    """One case per flagged material line, with provenance and a proposed settlement (§6.4);
    ``skip``: materials that keep the case they have."""
    lines = list(
        _flagged(wo)
        .exclude(item_id__in=skip)
        .values(
            "item_id",
            "seq_no",
            "difference_qty",
            "difference_rate",
            "difference_amount",
            "expected_remaining",
            "actual_remaining",
        )
    )
    prov = _provenance(wo, [ln["item_id"] for ln in lines])
    cases = []
    for ln in lines:
        diff = calc_settlement.Difference(
            ln["difference_qty"], ln["difference_rate"], ln["difference_amount"] or 0
        )
        p = calc_settlement.propose(diff)
        cases.append(
            DifferenceCase(
                writeoff=wo,
                item_id=ln["item_id"],
                seq_no=ln["seq_no"],
                difference_qty=ln["difference_qty"],
                difference_rate=ln["difference_rate"],
                difference_amount=ln["difference_amount"] or 0,
                expected_remaining=ln["expected_remaining"],
                actual_remaining=ln["actual_remaining"],
                reason_code=p.reason,
                proposed_kind=p.kind,
                proposed_qty=p.qty,
                proposed_amount=p.amount,
                provenance=prov.get(ln["item_id"], {}),
            )
        )
    DifferenceCase.objects.bulk_create(cases)
    if cases:
        audit.record(
            wo,
            code="ledger.writeoff.cases_opened",
            by=by,
            changes={"cases": len(cases), "seq_nos": [c.seq_no for c in cases][:100]},
        )
    return len(cases)


def open_case_numbers(wo: WriteOff) -> list[int]:
    return list(
        DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.OPEN)
        .order_by("seq_no")
        .values_list("seq_no", flat=True)
    )


@transaction.atomic
def resolve_case(
    case: DifferenceCase, *, reason_code: str, settlement_kind: str, resolution: str, by=None
) -> DifferenceCase:
    """Record how a difference was settled (reason, settlement, text); audit-trailed.  Only open cases
    of a write-off that is not closed."""
    case = (
        DifferenceCase.objects.select_for_update(of=("self",))
        .select_related("writeoff", "writeoff__book", "writeoff__book__zone")
        .get(pk=case.pk)
    )
    if case.status != CaseStatus.OPEN:
        raise DomainError(
            _("Case %(c)s is %(s)s; only open cases can be resolved.")
            % {"c": case.pk, "s": CaseStatus(case.status).label},
            code="bad_state",
        )
    if reason_code not in ReasonCode.values:
        raise DomainError(_("Choose a reason code."), code="reason_code", field="reason_code")
    if settlement_kind not in SettlementKind.values:
        raise DomainError(
            _("Choose how the difference is settled."), code="settlement_kind", field="settlement_kind"
        )
    if not (resolution or "").strip():
        raise DomainError(
            _("Describe the resolution (what was filed or decided)."), code="resolution", field="resolution"
        )
    before = audit.snapshot(case, ["status", "reason_code", "settlement_kind", "resolution"])
    case.status = CaseStatus.RESOLVED
    case.reason_code = reason_code
    case.settlement_kind = settlement_kind
    case.resolution = resolution.strip()
    case.resolved_by = by if getattr(by, "is_authenticated", False) else None
    case.resolved_at = timezone.now()
    case.save()
    after = audit.snapshot(case, ["status", "reason_code", "settlement_kind", "resolution"])
    audit.record(
        case,
        code="ledger.difference_case.resolved",
        by=by,
        action="update",
        changes=audit.diff(before, after),
    )
    return case


# ------------------------------------------------------------------ states


@transaction.atomic
def change_writeoff_state(wo: WriteOff, target: str, *, by=None, note: str = "") -> WriteOff:
    """Move a write-off to ``target``.

    * → pre_check: needs a stocktake; recomputes and opens a case per material over the threshold;
    * pre_check → draft: withdraws; open cases become superseded;
    * → closed: refused while cases are open (the error lists their sequence numbers); stamps the
      closing, which becomes the next cycle's opening.  Submitted/accepted/closed cycles lock their lists.
    """
    wo = _lock(wo)
    if target not in WRITEOFF_TRANSITIONS.get(wo.state, set()):
        allowed = ", ".join(str(WriteOffState(s).label) for s in WRITEOFF_TRANSITIONS.get(wo.state, ()))
        raise DomainError(
            _("Write-off %(wo)s cannot move from %(from)s to %(to)s (allowed: %(allowed)s).")
            % {
                "wo": wo,
                "from": WriteOffState(wo.state).label,
                "to": WriteOffState(target).label if target in WriteOffState.values else target,
                "allowed": allowed or "-",
            },
            code="bad_transition",
            field="state",
        )
    previous_state = wo.state
    extra = {}
    if target == WriteOffState.PRE_CHECK:
        if not StocktakeRow.objects.filter(writeoff=wo).exists():
            raise DomainError(
                _("Import the stocktake first: the actual remaining (实际剩余) is mandatory."),
                code="no_stocktake",
                field="state",
            )
        # the figures are computed from the ledger as it stands now: lists posted since the
        # last computation are taken in first
        extra["lists_added"] = _include_missing_lists(wo)
        _compute(wo)
        extra["cases_opened"] = _open_cases(wo, by=by)
    elif target == WriteOffState.SUBMITTED:
        # 正式报核 submits figures computed from the ledger as it stands at this moment: lists
        # posted since the pre-check are taken in and everything is recomputed in this transaction;
        # the cases of the pre-check follow the new figures (see _recompute_cases).
        added = _include_missing_lists(wo)
        if added:
            computed_before = wo.computed_at
            _compute(wo)
            extra.update(_recompute_cases(wo, by=by))
            extra["lists_added"] = added
            extra["figures_computed_before"] = computed_before.isoformat() if computed_before else None
    elif target == WriteOffState.DRAFT:
        extra["cases_superseded"] = DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.OPEN).update(
            status=CaseStatus.SUPERSEDED
        )
    elif target == WriteOffState.CLOSED:
        open_seq = open_case_numbers(wo)
        if open_seq:
            raise DomainError(
                _(
                    "Write-off %(wo)s has %(n)d open difference case(s) (materials %(list)s); resolve them before closing."
                )
                % {"wo": wo, "n": len(open_seq), "list": ", ".join(str(s) for s in open_seq[:30])},
                code="open_cases",
                field="state",
                details=[RowError(None, "seq_no", str(s), _("open difference case")) for s in open_seq],
            )
        wo.closed_at = timezone.now()
    wo.state = target
    wo.save()
    wo.lists_added = extra.get("lists_added", 0)  # for the caller's message
    audit.record(
        wo,
        code=f"ledger.writeoff.{target}",
        by=by,
        action="update",
        changes={"state": [previous_state, target], **extra},
        message=note,
    )
    return wo


def report_for_cycle(book: Book, start: dt.date, end: dt.date) -> tuple[WriteOff | None, list[dict]]:
    """The report of a cycle: the write-off with exactly that cycle (its frozen lists and stocktake),
    else computed on the fly from the posted lists declared in the cycle (nothing is stored)."""
    wo = WriteOff.objects.filter(book=book, start=start, end=end).first()
    if wo is not None:
        has_stock = StocktakeRow.objects.filter(writeoff=wo).exists()
        rows = sql_writeoff.report_rows(
            book.pk,
            sql_writeoff.frozen_lists(wo.pk),
            method=book.writeoff_method,
            previous_id=wo.previous_id,
            stocktake_id=wo.pk if has_stock else None,
        )
        return wo, rows
    if end < start:
        raise DomainError(
            _("The cycle ends (%(end)s) before it starts (%(start)s).") % {"start": start, "end": end},
            code="cycle_order",
        )
    prev = (
        WriteOff.objects.filter(book=book, end__lt=start, state=WriteOffState.CLOSED).order_by("-end").first()
    )
    rows = sql_writeoff.report_rows(
        book.pk,
        sql_writeoff.posted_in_window(book.pk, start, end),
        method=book.writeoff_method,
        previous_id=prev.pk if prev else None,
    )
    return None, rows
