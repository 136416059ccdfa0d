"""Import kinds of zone operations: the zone's vehicle filing (车辆备案), stock notes (出入库单) and
gate passes (核放单) from a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports.kinds import Column, ImportKind, Row, normalize_header, register
from zonebook.core.imports.parsers import CellError, Choice, DecimalNumber, Integer, Text, display, is_blank

from . import calc
from .choices import BindType, Direction, PassStatus, PassType, RelatedKind
from .models import (
    Container,
    ContainerSize,
    GatePass,
    GatePassDocument,
    GatePassLine,
    StockNote,
    StockNoteLine,
    Vehicle,
)


@register
class VehicleImport(ImportKind):
    key = "vehicles"
    label = gettext_lazy("Vehicles (车辆备案)")
    description = gettext_lazy("Vehicles of your zone: plate, tare and frame weight, owner, e-plate and IC card.")
    write_area = "ops"
    columns = [
        Column("plate", gettext_lazy("plate"), Text(12, upper=True), required=True, aliases=("车牌号",),
               example="川A61000"),
        Column("tare_weight", gettext_lazy("tare weight (kg)"), DecimalNumber(14, 3, min_value=Decimal(0)),
               required=True, aliases=("车辆自重",), example="15000"),
        Column("frame_weight", gettext_lazy("frame weight (kg)"), DecimalNumber(14, 3, min_value=Decimal(0)),
               aliases=("车架重",), example="7000"),
        Column("owner", gettext_lazy("owner"), Text(200), required=True, aliases=("车辆所有人",),
               example="成都综保物流运输有限公司"),
        Column("e_plate", gettext_lazy("electronic plate"), Text(40), aliases=("电子车牌",)),
        Column("ic_card", gettext_lazy("IC card"), Text(40), aliases=("IC卡号",)),
    ]

    def prepare(self):
        super().prepare()
        self.zone = getattr(self.user, "zone", None) if getattr(self.user, "scope_level", "") == "zone" else None
        self.existing = set(Vehicle.objects.filter(zone=self.zone).values_list("plate", flat=True)) if self.zone else set()
        self.seen: set[str] = set()

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors = []
        for row in rows:
            plate = row.values["plate"]
            if self.zone is None:
                errors.append(self.error(row, "plate", _("Vehicles are filed by a zone account.")))
            elif plate in self.existing:
                errors.append(self.error(row, "plate", _("The vehicle %(p)s is already filed.") % {"p": plate}))
            elif plate in self.seen:
                errors.append(self.error(row, "plate", _("The plate appears twice in the file.")))
            self.seen.add(plate)
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        objs = Vehicle.objects.bulk_create(
            Vehicle(zone=self.zone, plate=r.values["plate"], tare_weight=r.values["tare_weight"],
                    frame_weight=r.values.get("frame_weight") or 0, owner=r.values["owner"],
                    e_plate=r.values.get("e_plate") or "", ic_card=r.values.get("ic_card") or "")
            for r in rows
        )
        AuditEntry.objects.bulk_create(
            audit.entry(v, code="operations.vehicle.imported", by=by, action=AuditEntry.Action.CREATE,
                        changes=audit.diff({}, audit.snapshot(v)))
            for v in objs
        )
        return len(objs)


@register
class ContainerImport(ImportKind):
    """集装箱备案: create, or in update mode change size/type, tare and owner of filed numbers."""

    key = "containers"
    label = gettext_lazy("Containers (集装箱备案)")
    description = gettext_lazy("Containers of your zone: ISO 6346 number (check digit verified), size/type, tare "
                               "weight and owner/operator.  In update mode a filed number gets the new values.")
    write_area = "ops"
    model = Container
    update_mode = True
    key_fields = ("number",)
    update_fields = ("size_type", "tare_weight", "owner")
    columns = [
        Column("number", gettext_lazy("container no."), Text(11, upper=True), required=True, aliases=("集装箱号",),
               example="CSQU3054383"),
        Column("size_type", gettext_lazy("size/type"), Choice(ContainerSize), required=True,
               aliases=("箱型", "尺寸类型"), example="40HQ"),
        Column("tare_weight", gettext_lazy("container tare (kg)"), DecimalNumber(14, 3, min_value=Decimal(0)),
               required=True, aliases=("箱皮重", "自重"), example="3800"),
        Column("owner", gettext_lazy("owner/operator"), Text(200), required=True, aliases=("箱主", "经营人"),
               example="中远海运集装箱运输有限公司"),
    ]

    def prepare(self):
        super().prepare()
        self.zone = getattr(self.user, "zone", None) if getattr(self.user, "scope_level", "") == "zone" else None
        self.seen: set[str] = set()

    def existing_queryset(self):
        return Container.objects.filter(zone=self.zone)

    def validate(self, rows: list[Row]) -> list[RowError]:
        from .gate import container_number_error

        errors = []
        numbers = [r.values["number"] for r in rows]
        existing = set(Container.objects.filter(zone=self.zone, number__in=numbers).values_list("number", flat=True)) \
            if self.zone else set()
        for row in rows:
            number = row.values["number"]
            row.obj = None
            if self.zone is None:
                errors.append(self.error(row, "number", _("Containers are filed by a zone account.")))
                continue
            problem = container_number_error(number)
            if problem:
                errors.append(self.error(row, "number", problem))
            elif number in self.seen:
                errors.append(self.error(row, "number", _("The container number appears twice in the file.")))
            elif number in existing and not self.updating:
                errors.append(self.error(row, "number", _("The container %(n)s is already filed.") % {"n": number}))
            self.seen.add(number)
            row.obj = Container(zone=self.zone, number=number, size_type=row.values["size_type"],
                                tare_weight=row.values["tare_weight"], owner=row.values["owner"])
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        objs = Container.objects.bulk_create([r.obj for r in rows if getattr(r, "obj", None) is not None])
        AuditEntry.objects.bulk_create(
            audit.entry(c, code="operations.container.imported", by=by, action=AuditEntry.Action.CREATE,
                        changes=audit.diff({}, audit.snapshot(c)))
            for c in objs
        )
        if objs:  # passes that named these numbers as text get linked (one UPDATE per zone)
            from django.db.models import OuterRef, Subquery

            match = Container.objects.filter(zone_id=OuterRef("zone_id"), number=OuterRef("container_no"))
            GatePass.objects.filter(zone=self.zone, container__isnull=True,
                                    container_no__in=[c.number for c in objs]).update(
                container=Subquery(match.values("pk")[:1]))
        return len(objs)

    def write_changes(self, changes, by) -> int:
        return audit.bulk_update(changes, by=by, code="operations.container.updated")


# ------------------------------------------------------------------ stock notes and gate passes
#
# One row per goods line; the header columns (number, enterprise, direction, …) are given on the
# first row of a document and may be left blank on its following rows (they must not contradict it).
# The rows of one document follow each other (a batch never splits a document: ``batch_key``).


def _chinese(choices) -> dict[str, str]:
    """Aliases from the Chinese names in the labels, e.g. "二线进出区" → "3", "进区" → "I"."""
    import re

    out = {}
    for value, label in choices.choices:
        with translation.override("en"):
            text = str(label)
        m = re.search(r"\(([^)]*[\u4e00-\u9fff][^)]*)\)", text)
        if m:
            out[m.group(1).lower()] = value
    return out


def _direction_parser():
    return Choice(Direction, aliases={**_chinese(Direction), "进": "I", "出": "E", "入区": "I"})


class _DocumentImport(ImportKind):
    """Header + lines in one sheet, or in two: the first sheet holds the documents (one row each) and a
    second sheet of an xlsx workbook their lines (the document number on every line).  All-or-nothing
    through the pipeline; zone accounts only."""

    write_area = "ops"
    header_keys: tuple[str, ...] = ()
    line_keys: tuple[str, ...] = ()
    batch_size = 500

    def lines_sheet(self) -> tuple[dict[str, list[Row]], list[RowError]]:
        """The rows of the workbook's second sheet by document number, and their cell errors (read
        once, on the first batch: the pipeline has checked the archive by then)."""
        if getattr(self, "_sheet2", None) is not None:
            return self._sheet2, []
        self._sheet2, self._sheet2_left, errors = {}, set(), []
        path, filename = self.source_file or (None, "")
        if not path or not str(filename).lower().endswith(".xlsx"):
            return self._sheet2, errors
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if len(wb.worksheets) < 2:
                return self._sheet2, errors
            ws = wb.worksheets[1]
            title = ws.title
            rows = ws.iter_rows(values_only=True)
            head = next(rows, None) or ()
            names = {key: self.column(key).header_names() for key in ("number", *self.line_keys)}
            mapping: dict[int, tuple[str, str]] = {}
            for j, cell in enumerate(head):
                text = normalize_header(cell)
                for key, accepted in names.items():
                    if text and text in accepted and all(k != key for k, _t in mapping.values()):
                        mapping[j] = (key, str(cell))
            if all(k != "number" for k, _t in mapping.values()):
                errors.append(RowError(row=1, column=title, value="", reason=_(
                    "The second sheet holds the lines: its first row needs the document number column (%(c)s).")
                    % {"c": self.column("number").template_header()}))
                return self._sheet2, errors
            for i, cells in enumerate(rows, start=2):
                if all(is_blank(c) for c in cells):
                    continue
                values, raw = {}, {}
                for j, (key, text) in mapping.items():
                    cell = cells[j] if j < len(cells) else None
                    raw[key] = cell
                    if is_blank(cell):
                        values[key] = None
                        continue
                    try:
                        values[key] = self.column(key).parser.parse(cell)
                    except CellError as exc:
                        errors.append(RowError(row=i, column=f"{title}: {text}", value=display(cell),
                                               reason=str(exc.reason)))
                        values[key] = None
                row = Row(i, values, raw)
                row.sheet, row.sheet_headers = title, {k: t for k, t in mapping.values()}
                if not values.get("number"):
                    if "number" in raw and is_blank(raw.get("number")):
                        errors.append(self.error(row, "number", _("This field is required.")))
                    continue
                self._sheet2.setdefault(values["number"], []).append(row)
            first = self._first_sheet_numbers(wb.worksheets[0])
            for number in sorted(set(self._sheet2) - first):
                for r in self._sheet2.pop(number):
                    errors.append(self.error(r, "number", _("No document %(n)s on the first sheet.") % {"n": number}))
        finally:
            wb.close()
        return self._sheet2, errors

    def _first_sheet_numbers(self, ws) -> set[str]:
        """The document numbers of the first sheet (its number column, below its header row)."""
        accepted, col, out = self.column("number").header_names(), None, set()
        for i, cells in enumerate(ws.iter_rows(values_only=True)):
            if col is None:
                col = next((j for j, c in enumerate(cells) if normalize_header(c) in accepted), None)
                if col is None and i > 20:
                    break
                continue
            if col < len(cells) and not is_blank(cells[col]):
                try:
                    out.add(self.column("number").parser.parse(cells[col]))
                except CellError:
                    pass
        return out

    def error(self, row: Row, key: str, reason: str) -> RowError:
        sheet = getattr(row, "sheet", None)
        if sheet is None:
            return super().error(row, key, reason)
        header = row.sheet_headers.get(key) or self.column(key).template_header()
        return RowError(row=row.number, column=f"{sheet}: {header}", value=display(row.raw.get(key)),
                        reason=str(reason))

    def prepare(self):
        super().prepare()
        user = self.user
        self.zone = getattr(user, "zone", None) if getattr(user, "scope_level", "") == "zone" else None
        self.seen: dict[str, int] = {}  # document number -> its first row (across batches)
        self.last_number = None
        self.enterprises = {}
        if self.zone is not None:
            from zonebook.registry.models import Enterprise

            for e in Enterprise.objects.filter(zone=self.zone).only("pk", "name", "uscc", "customs_code"):
                for k in (e.name, e.uscc, e.customs_code):
                    if k:
                        self.enterprises[str(k).strip().upper()] = e

    def batch_key(self, row: Row):
        return row.values.get("number")

    def enterprise(self, row: Row, errors: list, required: bool):
        raw = (row.values.get("enterprise") or "").strip().upper()
        if not raw:
            if required:
                errors.append(self.error(row, "enterprise", _("This field is required.")))
            return None
        ent = self.enterprises.get(raw)
        if ent is None:
            errors.append(self.error(row, "enterprise", _("No enterprise of your zone has this name, USCC or customs "
                                                          "code.")))
        return ent

    def groups(self, rows: list[Row], errors: list) -> list[list[Row]]:
        """The rows by document number, in file order; header cells of following rows inherit from
        the first row and must not contradict it; a document's rows must follow each other."""
        out: list[list[Row]] = []
        for row in rows:
            number = row.values["number"]
            if self.zone is None:
                errors.append(self.error(row, "number", _("Stock notes and gate passes are imported by a zone "
                                                          "account.")))
                continue
            if out and out[-1][0].values["number"] == number:
                head = out[-1][0]
                for key in self.header_keys:
                    given = row.values.get(key)
                    if given in (None, ""):
                        row.values[key] = head.values.get(key)
                    elif head.values.get(key) in (None, "") or given != head.values.get(key):
                        errors.append(self.error(row, key, _("Differs from row %(r)d of the same document.")
                                                 % {"r": head.number}))
                out[-1].append(row)
                continue
            if number in self.seen:
                errors.append(self.error(row, "number", _("The rows of %(n)s must follow each other (it began on row "
                                                          "%(r)d).") % {"n": number, "r": self.seen[number]}))
                continue
            self.seen[number] = row.number
            out.append([row])
        lines, sheet_errors = self.lines_sheet()
        errors.extend(sheet_errors)
        for g in out:  # the document's lines from the second sheet follow its own rows
            extra = lines.get(g[0].values["number"], [])
            for r in extra:
                for key in self.header_keys:
                    r.values.setdefault(key, g[0].values.get(key))
            g.extend(extra)
        return out

    def write_checked(self, rows: list[Row], by):
        errors = self.validate(rows)
        if errors:
            return errors
        self.write(rows, by)
        return []


@register
class StockNoteImport(_DocumentImport):
    """出入库单 (SAS111): one row per line, the note's columns on its first row."""

    key = "stock_notes"
    label = gettext_lazy("Stock notes (出入库单)")
    description = gettext_lazy("Stock notes of your zone with their lines: one row per line; the note's number, "
                               "enterprise and direction on its first row.")
    header_keys = ("enterprise", "direction")
    line_keys = ("name", "hs_code", "qty", "unit", "gross_weight")
    columns = [
        Column("number", gettext_lazy("stock note number"), Text(24, upper=True), required=True,
               aliases=("出入库单编号", "出入库单号"), example="RK2026000001"),
        Column("enterprise", gettext_lazy("enterprise (name, USCC or customs code)"), Text(200),
               aliases=("企业",), example="成都高新电子有限公司"),
        Column("direction", gettext_lazy("direction"), _direction_parser(), aliases=("进出标志",), example="进区"),
        Column("name", gettext_lazy("goods name"), Text(200), aliases=("商品名称",), example="集成电路"),
        Column("hs_code", gettext_lazy("HS code"), Text(10, ascii_only=True), aliases=("商品编码",),
               example="8542319000"),
        Column("qty", gettext_lazy("quantity"), DecimalNumber(20, 5, min_value=Decimal(0)), aliases=("数量",),
               example="150"),
        Column("unit", gettext_lazy("unit"), Text(10), aliases=("计量单位",), example="个"),
        Column("gross_weight", gettext_lazy("gross weight (kg)"), DecimalNumber(14, 3, min_value=Decimal(0)),
               aliases=("毛重",), example="20000"),
    ]

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        groups = self.groups(rows, errors)
        numbers = [g[0].values["number"] for g in groups]
        existing = set(StockNote.objects.filter(number__in=numbers).values_list("number", flat=True))
        for g in groups:
            head = g[0]
            if head.values["number"] in existing:
                errors.append(self.error(head, "number", _("The stock note %(n)s exists already.")
                                         % {"n": head.values["number"]}))
            head.enterprise = self.enterprise(head, errors, required=True)
            if not head.values.get("direction"):
                errors.append(self.error(head, "direction", _("This field is required.")))
            head.lines = []
            for r in g:
                if all(is_blank(r.values.get(k)) for k in self.line_keys):
                    continue  # the note's own row in the two-sheet layout
                missing = [k for k in ("name", "qty", "unit") if is_blank(r.values.get(k))]
                for k in missing:
                    errors.append(self.error(r, k, _("This field is required.")))
                if not missing:
                    head.lines.append(r)
            if not any(not all(is_blank(r.values.get(k)) for k in self.line_keys) for r in g):
                errors.append(self.error(head, "name", _("A stock note needs at least one line.")))
        self.valid_groups = groups
        return errors

    def write(self, rows, by) -> int:
        groups = self.valid_groups
        notes = StockNote.objects.bulk_create(
            StockNote(zone=self.zone, enterprise=g[0].enterprise, number=g[0].values["number"],
                      direction=g[0].values["direction"]) for g in groups)
        StockNoteLine.objects.bulk_create(
            StockNoteLine(note=note, seq=i, name=r.values["name"], hs_code=r.values.get("hs_code") or "",
                          qty=r.values["qty"], unit=r.values["unit"], gross_weight=r.values.get("gross_weight") or 0)
            for note, g in zip(notes, groups, strict=True) for i, r in enumerate(g[0].lines, start=1))
        AuditEntry.objects.bulk_create(
            audit.entry(n, code="operations.stocknote.imported", by=by, action=AuditEntry.Action.CREATE,
                        changes=audit.diff({}, audit.snapshot(n)), message=f"{len(g[0].lines)} lines")
            for n, g in zip(notes, groups, strict=True))
        return len(rows)


PASS_HEADER = ("direction", "pass_type", "bind_type", "vehicle", "enterprise", "container_no", "container_weight",
               "goods_weight", "goods_kind")


@register
class GatePassImport(_DocumentImport):
    """核放单 (SAS121): one row per goods line (an empty-vehicle pass: one row without line cells).

    Update mode: a re-sent pass replaces a stored one that has not been used (已申请 / 已审批: header,
    documents and lines; an approved pass goes back to 已申请 for a new approval); a pass that has
    passed a gate or was cancelled is refused."""

    key = "gate_passes"
    label = gettext_lazy("Gate passes (核放单)")
    description = gettext_lazy("Gate passes of your zone with their goods lines: one row per line, the pass's "
                               "columns on its first row; each line names its document (stock note or inventory "
                               "list) and the document's line number.")
    header_keys = PASS_HEADER
    line_keys = ("doc_kind", "doc_number", "related_seq", "qty", "name", "unit", "gross_weight")
    model = GatePass
    update_mode = True
    key_fields = ("number",)
    update_fields = ("direction", "pass_type", "bind_type", "vehicle", "enterprise", "container_no",
                     "container_weight", "goods_weight", "goods_kind")
    columns = [
        Column("number", gettext_lazy("pass number"), Text(24, upper=True), required=True, aliases=("核放单编号",),
               example="P510120260000000000001"),
        Column("direction", gettext_lazy("direction"), _direction_parser(), aliases=("进出标志",), example="进区"),
        Column("pass_type", gettext_lazy("pass type"), Choice(PassType, aliases=_chinese(PassType)),
               aliases=("核放单类型",), example="二线进出区"),
        Column("bind_type", gettext_lazy("binding"), Choice(BindType, aliases=_chinese(BindType)),
               aliases=("绑定类型",), example="一车一票"),
        Column("vehicle", gettext_lazy("plate"), Text(12, upper=True), aliases=("车牌号",), example="川A12345"),
        Column("enterprise", gettext_lazy("enterprise (name, USCC or customs code)"), Text(200), aliases=("企业",)),
        Column("container_no", gettext_lazy("container no."), Text(20, upper=True), aliases=("集装箱号",)),
        Column("container_weight", gettext_lazy("container weight (kg)"), DecimalNumber(14, 3, min_value=Decimal(0)),
               aliases=("集装箱重",), example="3800"),
        Column("goods_weight", gettext_lazy("declared goods gross weight (kg)"),
               DecimalNumber(14, 3, min_value=Decimal(0)), aliases=("货物毛重",), example="20000"),
        Column("goods_kind", gettext_lazy("goods kind"), Text(24), aliases=("货物类别",)),
        Column("doc_kind", gettext_lazy("document kind"), Choice(RelatedKind, aliases=_chinese(RelatedKind)),
               aliases=("关联单证类型",), example="出入库单"),
        Column("doc_number", gettext_lazy("document number"), Text(64, upper=True), aliases=("关联单证编号",),
               example="RK2026000001"),
        Column("related_seq", gettext_lazy("line of the related document"), Integer(min_value=1),
               aliases=("关联商品序号",), example="1"),
        Column("qty", gettext_lazy("quantity"), DecimalNumber(20, 5, min_value=Decimal(0)), aliases=("数量",),
               example="100"),
        Column("name", gettext_lazy("goods name"), Text(200), aliases=("商品名称",)),
        Column("unit", gettext_lazy("unit"), Text(10), aliases=("计量单位",)),
        Column("gross_weight", gettext_lazy("gross weight (kg)"), DecimalNumber(14, 3, min_value=Decimal(0)),
               aliases=("毛重",)),
    ]

    def prepare(self):
        super().prepare()
        self.vehicles = ({v.plate: v for v in Vehicle.objects.filter(zone=self.zone)} if self.zone else {})

    def records(self, row: Row) -> list:
        obj = getattr(row, "obj", None)
        return [] if obj is None else [obj]

    def refuse_update(self, row: Row, stored, new):
        if stored.zone_id != getattr(self.zone, "pk", None):
            return self.error(row, "number", _("The pass number is taken by a pass outside your zone."))
        if stored.status not in (PassStatus.APPLIED, PassStatus.APPROVED):
            return self.error(row, "number", _("The pass %(n)s has passed the gate or was cancelled (%(s)s); it "
                                               "cannot be replaced.") % {"n": stored.number,
                                                                          "s": stored.get_status_display()})
        return None

    def validate(self, rows: list[Row]) -> list[RowError]:
        from zonebook.ledger.models import InventoryList

        errors: list[RowError] = []
        groups = self.groups(rows, errors)
        numbers = [g[0].values["number"] for g in groups]
        stored = {p.number: p for p in GatePass.objects.filter(number__in=numbers)}
        notes_wanted, lists_wanted = set(), set()
        for g in groups:
            for r in g:
                kind, num = r.values.get("doc_kind"), r.values.get("doc_number")
                if kind == RelatedKind.STOCK_NOTE and num:
                    notes_wanted.add(num)
                elif kind == RelatedKind.INVENTORY_LIST and num:
                    lists_wanted.add(num)
        notes = {n.number: n for n in StockNote.objects.filter(zone=self.zone, number__in=notes_wanted)}
        lists = {x.number: x for x in InventoryList.objects.filter(book__zone=self.zone, number__in=lists_wanted)}
        for g in groups:
            head = g[0]
            number = head.values["number"]
            old = stored.get(number)
            if old is not None:
                if not self.updating:
                    errors.append(self.error(head, "number", _("The pass %(n)s exists already.") % {"n": number}))
                elif old.zone_id != self.zone.pk:
                    errors.append(self.error(head, "number", _("The pass number is taken by a pass outside your "
                                                               "zone.")))
                elif old.status not in (PassStatus.APPLIED, PassStatus.APPROVED):
                    errors.append(self.error(head, "number", _(
                        "The pass %(n)s has passed the gate or was cancelled (%(s)s); it cannot be replaced.")
                        % {"n": number, "s": old.get_status_display()}))
            for key in ("direction", "pass_type", "vehicle"):
                if not head.values.get(key):
                    errors.append(self.error(head, key, _("This field is required.")))
            vehicle = self.vehicles.get(head.values.get("vehicle") or "")
            if head.values.get("vehicle") and vehicle is None:
                errors.append(self.error(head, "vehicle", _("No vehicle with this plate is filed in your zone.")))
            ent = self.enterprise(head, errors, required=False)
            empty = head.values.get("pass_type") == PassType.EMPTY
            docs: dict[tuple, int] = {}
            lines, line_rows = [], 0
            for r in g:
                has_line = any(r.values.get(k) not in (None, "") for k in ("doc_kind", "doc_number", "related_seq",
                                                                            "qty"))
                if not has_line:
                    continue
                line_rows += 1
                if empty:
                    errors.append(self.error(r, "doc_number", _("An empty-vehicle pass carries no goods.")))
                    continue
                missing = [k for k in ("doc_kind", "doc_number", "related_seq", "qty") if r.values.get(k) in (None, "")]
                for k in missing:
                    errors.append(self.error(r, k, _("This field is required.")))
                if missing:
                    continue
                kind, num = r.values["doc_kind"], r.values["doc_number"]
                if kind == RelatedKind.STOCK_NOTE and num not in notes:
                    errors.append(self.error(r, "doc_number", _("No stock note %(n)s in this zone.") % {"n": num}))
                    continue
                if kind == RelatedKind.INVENTORY_LIST and num not in lists:
                    errors.append(self.error(r, "doc_number", _("No inventory list %(n)s in this zone.") % {"n": num}))
                    continue
                docs.setdefault((kind, num), len(docs))
                lines.append(r)
            if not empty and head.values.get("pass_type") != PassType.GATE_REGISTERED and not line_rows \
                    and head.values.get("pass_type"):
                errors.append(self.error(head, "doc_number", _("The pass needs goods lines.")))
            if vehicle is not None and head.values.get("pass_type"):
                head.obj = GatePass(
                    zone=self.zone, enterprise=ent, number=number, direction=head.values["direction"],
                    pass_type=head.values["pass_type"], bind_type=head.values.get("bind_type") or BindType.ONE_TO_ONE,
                    vehicle=vehicle, container_no=head.values.get("container_no") or "",
                    container_weight=head.values.get("container_weight") or Decimal(0),
                    goods_weight=head.values.get("goods_weight") or Decimal(0),
                    goods_kind=head.values.get("goods_kind") or "general")
                head.obj.total_weight = calc.expected_weight(vehicle.tare_weight, vehicle.frame_weight,
                                                             head.obj.container_weight, head.obj.goods_weight)
            head.docs, head.lines, head.old = docs, lines, old
        self.notes, self.lists, self.valid_groups = notes, lists, groups
        return errors

    def write(self, rows, by) -> int:
        groups = self.valid_groups
        heads = [g[0] for g in groups]
        replaced = [h.old for h in heads if h.old is not None]
        if replaced:
            locked = {p.pk: p for p in GatePass.objects.select_for_update().filter(pk__in=[p.pk for p in replaced])}
            for p in locked.values():  # re-checked under the lock: used since the preview?
                if p.status not in (PassStatus.APPLIED, PassStatus.APPROVED):
                    raise DomainError(_("The pass %(n)s has passed the gate or was cancelled (%(s)s); it cannot be "
                                        "replaced.") % {"n": p.number, "s": p.get_status_display()}, code="used")
            GatePassLine.objects.filter(gate_pass_id__in=locked).delete()
            GatePassDocument.objects.filter(gate_pass_id__in=locked).delete()
        entries, changed = [], []
        fields = list(self.update_fields) + ["total_weight", "status", "approved_at"]
        for h in heads:
            if h.old is None:
                continue
            before = audit.snapshot(h.old)
            for f in self.update_fields + ("total_weight",):
                setattr(h.old, f, getattr(h.obj, f))
            h.old.status, h.old.approved_at = PassStatus.APPLIED, None  # a replaced pass is approved again
            changed.append(h.old)
            entries.append(audit.entry(h.old, code="operations.gatepass.replaced", by=by,
                                       action=AuditEntry.Action.UPDATE,
                                       changes=audit.diff(before, audit.snapshot(h.old)),
                                       message=f"{len(h.lines)} lines"))
            h.obj = h.old
        if changed:
            GatePass.objects.bulk_update(changed, fields)
        new = GatePass.objects.bulk_create([h.obj for h in heads if h.old is None])
        entries += [audit.entry(p, code="operations.gatepass.imported", by=by, action=AuditEntry.Action.CREATE,
                                changes=audit.diff({}, audit.snapshot(p))) for p in new]
        documents = []
        for h in heads:
            for (kind, num) in h.docs:
                note = self.notes.get(num) if kind == RelatedKind.STOCK_NOTE else None
                lst = self.lists.get(num) if kind == RelatedKind.INVENTORY_LIST else None
                documents.append(GatePassDocument(gate_pass=h.obj, kind=kind, number=num, stock_note=note,
                                                  inventory_list=lst))
        documents = GatePassDocument.objects.bulk_create(documents)
        by_key = {(d.gate_pass_id, d.kind, d.number): d for d in documents}
        GatePassLine.objects.bulk_create(
            GatePassLine(gate_pass=h.obj, seq=i, document=by_key[(h.obj.pk, r.values["doc_kind"], r.values["doc_number"])],
                         related_seq=r.values["related_seq"], qty=r.values["qty"], name=r.values.get("name") or "",
                         unit=r.values.get("unit") or "", gross_weight=r.values.get("gross_weight") or 0)
            for h in heads for i, r in enumerate(h.lines, start=1))
        AuditEntry.objects.bulk_create(entries)
        return len(rows)
