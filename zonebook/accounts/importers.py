"""Import kind for organisational units (单位/部门): one row per unit, parents named by name (an
existing unit in the importer's scope or one in an earlier row of the same file).  Every rule of
``accounts.units.check_unit`` is checked in the preview, with the row and column of each error.

Update mode (``core.imports.updates``): a unit is found by its name and parent; a row of an existing
unit changes its short name, kind, head, validity and active flag (the rules of
``accounts.units.check_unit_update``); its scope (zone, city, province) is not changed by an import."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports import messages as msg
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import Boolean, Choice, Date, Text
from zonebook.core.imports.readers import ImportRejected
from zonebook.core.imports.updates import differs

from . import units as svc
from .choices import UnitKind
from .models import Unit, User

# DomainError fields of the unit services → import column keys
_FIELD_COLUMN = {"province_code": "province_code", "city_code": "city_code", "zone": "zone", "head": "head"}


@register
class UnitImport(ImportKind):
    key = "units"
    label = gettext_lazy("Units")
    description = gettext_lazy(
        "Departments, divisions, zone office departments and outside bodies. The parent unit is named by "
        "its name: a unit already in your scope or one in an earlier row. Zone, city or province give the scope; "
        "without them a unit takes its parent's."
    )
    write_area = "accounts"
    batch_size = 500
    model = Unit
    update_mode = True
    key_fields = ("name", "parent")
    update_fields = ("short_name", "kind", "head", "valid_from", "valid_to", "is_active")
    immutable_fields = ("zone", "city_code", "province_code")
    columns = [
        Column(
            "name",
            gettext_lazy("Unit name"),
            Text(200),
            required=True,
            aliases=("单位名称", "名称"),
            example="自贸区建设处",
        ),
        Column("short_name", gettext_lazy("Short name"), Text(60), aliases=("简称",), example="自贸处"),
        Column(
            "kind",
            gettext_lazy("Kind"),
            Choice(UnitKind),
            required=True,
            aliases=("单位类型", "类型"),
            example="处室",
        ),
        Column(
            "parent", gettext_lazy("Parent unit"), Text(200), aliases=("上级单位",), example="四川省商务厅"
        ),
        Column("zone", gettext_lazy("Zone"), Text(200), aliases=("所属园区", "园区"), example=""),
        Column(
            "city_code", gettext_lazy("City code"), Text(6), aliases=("城市代码", "市级区划代码"), example=""
        ),
        Column(
            "province_code",
            gettext_lazy("Province code"),
            Text(6),
            aliases=("省级区划代码", "省份代码"),
            example="",
        ),
        Column(
            "head",
            gettext_lazy("Head (user name)"),
            Text(150),
            aliases=("负责人用户名", "负责人"),
            example="",
        ),
        Column("valid_from", gettext_lazy("Valid from"), Date(), aliases=("生效日期",), example=""),
        Column("valid_to", gettext_lazy("Valid to"), Date(), aliases=("失效日期",), example=""),
        Column("is_active", gettext_lazy("Active"), Boolean(), aliases=("启用",), example="是"),
    ]

    def prepare(self) -> None:
        super().prepare()
        from zonebook.registry.models import Zone

        self.in_file: dict[str, Unit] = {}  # name → unsaved unit of an earlier row
        self.seen: dict[tuple[str, str], int] = {}  # (parent name, name) → row number
        self.zones = {}
        for z in Zone.objects.for_user(self.user):
            self.zones.setdefault(z.name, z)
            if z.short_name:
                self.zones.setdefault(z.short_name, z)
        self.created: dict[str, Unit] = {}

    def _parent(self, row: Row, name: str, created: dict[str, Unit] | None = None):
        """(unit, error): the named parent among the units in scope, else an earlier row's."""
        if not name:
            return None, None
        if created is not None and name in created:
            return created[name], None
        found = list(Unit.objects.for_user(self.user).filter(name=name)[:2])
        if len(found) > 1:
            return None, self.error(
                row, "parent", _("Several units in your scope are named %(name)s.") % {"name": name}
            )
        if found:
            return found[0], None
        if name in self.in_file:
            return self.in_file[name], None
        return None, self.error(
            row, "parent", _("No unit named %(name)s in your scope or in an earlier row.") % {"name": name}
        )

    def _data(self, row: Row, parent) -> tuple[dict | None, list[RowError]]:
        v = row.values
        errors: list[RowError] = []
        zone = None
        if v.get("zone"):
            zone = self.zones.get(v["zone"])
            if zone is None:
                errors.append(
                    self.error(row, "zone", _("No zone named %(name)s in your scope.") % {"name": v["zone"]})
                )
        head = None
        if v.get("head"):
            head = User.objects.for_user(self.user).filter(username=v["head"], is_active=True).first()
            if head is None:
                errors.append(
                    self.error(row, "head", _("No user %(name)s in your scope.") % {"name": v["head"]})
                )
        data = {
            "name": v["name"],
            "short_name": v.get("short_name") or "",
            "kind": v["kind"],
            "parent": parent,
            "zone": zone,
            "city_code": v.get("city_code") or "",
            "province_code": v.get("province_code") or "",
            "head": head,
            "valid_from": v.get("valid_from"),
            "valid_to": v.get("valid_to"),
            "is_active": True if v.get("is_active") is None else v["is_active"],
        }
        return (None if errors else data), errors

    def _domain_error(self, row: Row, exc: DomainError) -> RowError:
        key = _FIELD_COLUMN.get(
            exc.field or "", exc.field if exc.field in {c.key for c in self.columns} else "name"
        )
        return self.error(row, key, str(exc.message))

    def _stored(self, rows: list[Row]) -> dict[tuple, Unit]:
        """Update mode: the units of the batch's names in the importer's scope, by (parent id, name)."""
        if not self.updating:
            return {}
        names = {row.values["name"] for row in rows}
        units = (
            Unit.objects.for_user(self.user).filter(name__in=names).select_related("zone", "head", "parent")
        )
        return {(u.parent_id, u.name): u for u in units}

    def _update_data(self, row: Row, stored: Unit, data: dict) -> dict:
        """The stored unit's values with the cells the row gives (a blank cell keeps the value)."""
        given = self.given_fields(row)
        out = {k: getattr(stored, k) for k in svc.UNIT_FIELDS}
        for name in given:
            out[name] = data[name]
        return out

    def existing_queryset(self):
        return Unit.objects.for_user(self.user)

    def record_key(self, obj) -> tuple:
        parent = obj.parent
        if parent is not None and parent.pk is None:
            return (obj.name, ("new", parent.name))  # under a unit created by this file: new
        return (obj.name, obj.parent_id)

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        stored_units = self._stored(rows)
        for row in rows:
            name, parent_name = row.values["name"], row.values.get("parent") or ""
            key = (parent_name, name)
            if key in self.seen:
                errors.append(
                    self.error(row, "name", _("Same unit as in row %(row)s.") % {"row": self.seen[key]})
                )
                continue
            self.seen[key] = row.number
            parent, err = self._parent(row, parent_name)
            if err:
                errors.append(err)
                continue
            data, errs = self._data(row, parent)
            if errs:
                errors += errs
                continue
            stored = stored_units.get((parent.pk if parent is not None else None, name))
            if stored is not None and (parent is None or parent.pk is not None):
                # update mode: the checks of a change to this unit; the planner compares the fields
                wanted = self._update_data(row, stored, data)
                moved = [
                    n
                    for n in self.immutable_fields
                    if n in self.given_fields(row) and differs(stored, Unit(**wanted), n)
                ]
                if moved:  # the scope first: the service would only say "outside the parent's scope"
                    errors += [self.immutable_error(row, n, stored, Unit(**wanted)) for n in moved]
                    continue
                try:
                    checked = svc.check_unit_update(stored, wanted, by=self.user)
                except DomainError as exc:
                    errors.append(self._domain_error(row, exc))
                    continue
                row.obj = Unit(**checked)
                continue
            try:
                checked = svc.check_unit(data, by=self.user)
            except DomainError as exc:
                errors.append(self._domain_error(row, exc))
                continue
            row.obj = Unit(**checked)
            self.in_file.setdefault(name, row.obj)
        return errors

    def write_changes(self, changes, by) -> int:
        return audit.bulk_update(changes, by=by, code="accounts.unit.updated", message=str(msg.UPDATED_NOTE))

    def write(self, rows: Iterable[Row], by) -> int:
        count = 0
        for row in rows:
            parent, err = self._parent(row, row.values.get("parent") or "", self.created)
            data, errs = self._data(row, parent)
            errs = [err] if err else errs
            if not errs:
                try:
                    unit = svc.create_unit(data, by=by, code="accounts.unit.imported")
                except DomainError as exc:
                    errs = [self._domain_error(row, exc)]
            if errs:
                raise ImportRejected(_("The file was refused."), code="refused", details=errs)
            self.created.setdefault(unit.name, unit)
            count += 1
        return count
