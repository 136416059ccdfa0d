"""Import kinds of zone operations: the zone's vehicle filing (车辆备案) from a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import RowError
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import DecimalNumber, Text

from .models import Vehicle


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
