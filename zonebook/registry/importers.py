"""Import kinds for the registry: zones and enterprises (see ``core.imports``).

Rows are validated with the model's ``full_clean`` (foreign keys are resolved here from preloaded
lookups, uniqueness is checked set-based per batch, so no query runs per row) and written with
``bulk_create`` together with one audit entry per created row, inside the pipeline's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry
from zonebook.audit.services import diff, snapshot
from zonebook.core.errors import RowError
from zonebook.core.imports import messages as msg
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import (
    Boolean,
    CellError,
    Choice,
    Date,
    DecimalNumber,
    Parser,
    Text,
    clean_text,
    display,
)
from zonebook.registry.parsers import CodeRef

from . import calc, services
from .choices import CODE_TABLES, EnterpriseStatus, ZoneEvent, ZoneLevel
from .models import Code, CodeTable, Enterprise, EnterpriseStatusEvent, Park, Zone, ZoneStatusEvent
from .models.codes import HS_TABLE, UNIT_TABLE, unit_codes, unit_problem
from .models.enterprise import USCC_ERRORS


def _label(model, name):
    return model._meta.get_field(name).verbose_name


def audit_entries(objs: Iterable, *, by, code: str, message: str = "") -> list[AuditEntry]:
    """Unsaved AuditEntry rows for freshly created objects (same content as ``audit.services.create``)."""
    return [
        audit.entry(
            obj,
            code=code,
            by=by,
            action=AuditEntry.Action.CREATE,
            changes=diff({}, snapshot(obj)),
            message=message,
        )
        for obj in objs
    ]


class RegistryImport(ImportKind):
    model = None
    fk_fields: tuple[str, ...] = ()

    def model_errors(self, row: Row, obj) -> list[RowError]:
        try:
            obj.full_clean(exclude=list(self.fk_fields), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = []
            for field, messages in exc.message_dict.items():
                key = field if any(c.key == field for c in self.columns) else None
                for m in messages:
                    if key:
                        errors.append(self.error(row, key, m))
                    else:
                        errors.append(RowError(row=row.number, column="", value="", reason=str(m)))
            return errors
        return []

    def exists_message(self, field: str) -> str:
        text = msg.ALREADY_EXISTS % {
            "model": self.model._meta.verbose_name,
            "field": self.model._meta.get_field(field).verbose_name,
        }
        if self.update_mode and field in self.key_fields:
            text = f"{text} {msg.UPDATE_HINT}"
        return text

    def duplicates(
        self, rows: list[Row], key: str, seen: dict, existing: set, message_db: str
    ) -> list[RowError]:
        errors = []
        for row in rows:
            value = row.values.get(key)
            if not value:
                continue
            norm = value.lower() if isinstance(value, str) else value
            if norm in seen:
                errors.append(self.error(row, key, msg.DUPLICATE_IN_FILE % {"row": seen[norm]}))
                continue
            seen[norm] = row.number
            if value in existing:
                errors.append(self.error(row, key, message_db))
        return errors


@register
class ZoneImport(RegistryImport):
    key = "zones"
    label = Zone._meta.verbose_name_plural
    model = Zone
    fk_fields = ("kind", "customs_office", "integrated_into")
    columns = [
        Column(
            "name",
            _label(Zone, "name"),
            Text(200),
            required=True,
            aliases=("区域名称", "名称", "zone name"),
            example="成都高新综合保税区",
        ),
        Column(
            "short_name",
            _label(Zone, "short_name"),
            Text(60),
            required=True,
            aliases=("简称", "short name"),
            example="成都高新综保区",
        ),
        Column(
            "kind",
            _label(Zone, "kind"),
            CodeRef("zone_type"),
            required=True,
            aliases=("区域类型", "类型", "类型代码", "type", "type code"),
            example="综合保税区",
        ),
        Column(
            "level",
            _label(Zone, "level"),
            Choice(
                ZoneLevel,
                {"国家级": ZoneLevel.NATIONAL, "省级": ZoneLevel.PROVINCIAL, "市级": ZoneLevel.CITY},
            ),
            aliases=("级别", "level"),
            example="国家级",
        ),
        Column(
            "province_code",
            _label(Zone, "province_code"),
            CodeRef("region"),
            required=True,
            aliases=("省份", "省", "省级行政区划代码", "province"),
            example="510000",
        ),
        Column(
            "city_code",
            _label(Zone, "city_code"),
            CodeRef("region"),
            required=True,
            aliases=("城市", "市", "地市", "city"),
            example="510100",
        ),
        Column(
            "planned_area_km2",
            _label(Zone, "planned_area_km2"),
            DecimalNumber(10, 4, min_value=0),
            aliases=("规划面积", "规划面积平方公里", "planned area"),
            example="4.68",
        ),
        Column(
            "fenced_area_km2",
            _label(Zone, "fenced_area_km2"),
            DecimalNumber(10, 4, min_value=0),
            aliases=("围网面积", "围网面积平方公里", "fenced area"),
            example="4.68",
        ),
        Column(
            "approval_doc",
            _label(Zone, "approval_doc"),
            Text(200),
            aliases=("批复文件", "批复文号", "批准文号", "approval document"),
            example="国函〔2010〕126号",
        ),
        Column(
            "approval_date",
            _label(Zone, "approval_date"),
            Date(),
            aliases=("批复日期", "批准日期", "approval date"),
            example="2010-10-18",
        ),
        Column(
            "customs_office",
            _label(Zone, "customs_office"),
            CodeRef("customs_office"),
            aliases=("主管海关", "海关", "customs office"),
            example="7901",
        ),
    ]

    def prepare(self):
        super().prepare()
        self.seen: dict = {}

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        names = [r.values["name"] for r in rows]
        existing = set(Zone.objects.filter(name__in=names).values_list("name", flat=True))
        errors += self.duplicates(rows, "name", self.seen, existing, self.exists_message("name"))
        user = self.user
        for row in rows:
            v = row.values
            province, city = v["province_code"], v["city_code"]
            if province.code[2:] != "0000":
                errors.append(self.error(row, "province_code", msg.NOT_A_PROVINCE))
                continue
            if city.code[:2] != province.code[:2] or city.code == province.code:
                errors.append(self.error(row, "city_code", msg.CITY_NOT_IN_PROVINCE))
                continue
            # the same scope rule as the zone form and API (registry.services.region_error)
            err = services.region_error(user, province.code, city.code)
            if err:
                errors.append(self.error(row, err[0], msg.OUTSIDE_SCOPE))
                continue
            row.obj = self._build(v)
            errors += self.model_errors(row, row.obj)
        return errors

    def _build(self, v) -> Zone:
        return Zone(
            name=v["name"],
            short_name=v["short_name"],
            kind=v["kind"],
            level=v["level"] or ZoneLevel.NATIONAL,
            province_code=v["province_code"].code,
            city_code=v["city_code"].code,
            planned_area_km2=v["planned_area_km2"],
            fenced_area_km2=v["fenced_area_km2"],
            approval_doc=v["approval_doc"] or "",
            approval_date=v["approval_date"],
            customs_office=v["customs_office"],
            status=ZoneEvent.APPROVED,
            status_date=v["approval_date"],
        )

    def write(self, rows: Iterable[Row], by) -> int:
        zones = Zone.objects.bulk_create([r.obj for r in rows])
        ZoneStatusEvent.objects.bulk_create(
            [
                ZoneStatusEvent(zone=z, event=ZoneEvent.APPROVED, date=z.approval_date, doc_no=z.approval_doc)
                for z in zones
                if z.approval_date
            ]
        )
        AuditEntry.objects.bulk_create(audit_entries(zones, by=by, code="registry.zone.imported"))
        return len(zones)


_STATUS_ALIASES = {
    "筹建": EnterpriseStatus.PREPARING,
    "投产": EnterpriseStatus.OPERATING,
    "在产": EnterpriseStatus.OPERATING,
    "运营": EnterpriseStatus.OPERATING,
    "停产": EnterpriseStatus.SUSPENDED,
    "注销": EnterpriseStatus.DEREGISTERED,
}


@register
class EnterpriseImport(RegistryImport):
    """Enterprises, one row each; in update mode the USCC finds the enterprise to update.

    The zone of an existing enterprise cannot be changed by an import (its books, lists and
    users hang off the zone); a customs code that belongs to another enterprise is refused; a new
    status is recorded in the status history as on the status page."""

    key = "enterprises"
    label = Enterprise._meta.verbose_name_plural
    model = Enterprise
    update_mode = True
    key_fields = ("uscc",)
    immutable_fields = ("zone",)
    update_fields = (
        "name",
        "customs_code",
        "park",
        "industry",
        "ownership",
        "investor_country",
        "credit_class",
        "processing_trade",
        "registered_capital",
        "capital_currency",
        "established",
        "status",
    )
    fk_fields = (
        "zone",
        "park",
        "industry",
        "ownership",
        "investor_country",
        "credit_class",
        "capital_currency",
    )
    columns = [
        Column(
            "name",
            _label(Enterprise, "name"),
            Text(200),
            required=True,
            aliases=("企业名称", "名称", "enterprise name"),
            example="成都甲电子有限公司",
        ),
        Column(
            "uscc",
            _label(Enterprise, "uscc"),
            Text(18, upper=True, ascii_only=True),
            required=True,
            aliases=("统一社会信用代码", "信用代码", "社会信用代码", "uscc"),
            example=calc.make_uscc("9", "1", "510100", "MA6100001"),
        ),
        Column(
            "customs_code",
            _label(Enterprise, "customs_code"),
            Text(10, upper=True, ascii_only=True),
            aliases=("海关编码", "海关注册编码", "海关代码", "customs code"),
            example="5101230001",
        ),
        Column(
            "zone",
            _label(Enterprise, "zone"),
            Text(200),
            required=True,
            aliases=("所在区域", "所属区域", "区域", "所在园区", "zone"),
            example="成都高新综保区",
        ),
        Column(
            "park", _label(Enterprise, "park"), Text(200), aliases=("片区", "所在片区", "park"), example=""
        ),
        Column(
            "industry",
            _label(Enterprise, "industry"),
            CodeRef("industry"),
            aliases=("行业", "行业代码", "所属行业", "industry code"),
            example="3971",
        ),
        Column(
            "ownership",
            _label(Enterprise, "ownership"),
            CodeRef("ownership"),
            aliases=("企业性质", "所有制", "所有制类型", "ownership"),
            example="外商独资",
        ),
        Column(
            "investor_country",
            _label(Enterprise, "investor_country"),
            CodeRef("country"),
            aliases=("投资方国别", "投资国别", "国别", "investor country"),
            example="USA",
        ),
        Column(
            "credit_class",
            _label(Enterprise, "credit_class"),
            CodeRef("credit_class"),
            aliases=("海关信用等级", "信用等级", "credit class"),
            example="高级认证企业",
        ),
        Column(
            "processing_trade",
            _label(Enterprise, "processing_trade"),
            Boolean(),
            aliases=("加工贸易", "是否加工贸易", "processing trade"),
            example="是",
        ),
        Column(
            "registered_capital",
            _label(Enterprise, "registered_capital"),
            DecimalNumber(18, 2, min_value=0),
            aliases=("注册资本", "capital", "registered capital"),
            example="1,000,000.00",
        ),
        Column(
            "capital_currency",
            _label(Enterprise, "capital_currency"),
            CodeRef("currency"),
            aliases=("币种", "币制", "资本币种", "currency"),
            example="CNY",
        ),
        Column(
            "status",
            _label(Enterprise, "status"),
            Choice(EnterpriseStatus, _STATUS_ALIASES),
            aliases=("状态", "企业状态", "status"),
            example="投产",
        ),
        Column(
            "established",
            _label(Enterprise, "established"),
            Date(),
            aliases=("成立日期", "成立时间", "established"),
            example="2020-05-01",
        ),
    ]

    def prepare(self):
        super().prepare()
        self.seen_uscc: dict = {}
        self.seen_customs: dict = {}
        zones = Zone.objects.all() if self.user is None else Zone.objects.for_user(self.user)
        self.zones: dict[str, Zone] = {}
        zone_list = list(zones.distinct())
        self.zone_ids = {z.pk for z in zone_list}
        for z in zone_list:
            self.zones.setdefault(clean_text(z.short_name).lower(), z)
        for z in zone_list:
            self.zones[clean_text(z.name).lower()] = z
        self.parks = {
            (p.zone_id, clean_text(p.name).lower()): p
            for p in Park.objects.filter(zone__in=[z.pk for z in zone_list])
        }

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        usccs = [calc.normalize_code(r.values["uscc"]) for r in rows]
        for r, u in zip(rows, usccs, strict=True):
            r.values["uscc"] = u
        # update mode: an existing USCC is the record to update, not an error
        existing = (
            set()
            if self.updating
            else set(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", flat=True))
        )
        errors += self.duplicates(rows, "uscc", self.seen_uscc, existing, self.exists_message("uscc"))
        customs = [r.values["customs_code"] for r in rows if r.values.get("customs_code")]
        owners = dict(
            Enterprise.objects.filter(customs_code__in=customs).values_list("customs_code", "uscc")
        )
        if self.updating:
            # a customs code is unique: it may stay with its enterprise, never move to another one
            for row in rows:
                code, uscc = row.values.get("customs_code"), row.values["uscc"]
                if code and code in owners and owners[code] != uscc:
                    errors.append(
                        self.error(
                            row,
                            "customs_code",
                            _(
                                "This customs code belongs to another enterprise (USCC %(uscc)s); an import "
                                "cannot give it to the enterprise of this row."
                            )
                            % {"uscc": owners[code]},
                        )
                    )
            existing_customs = set()
        else:
            existing_customs = set(owners)
        errors += self.duplicates(
            rows, "customs_code", self.seen_customs, existing_customs, self.exists_message("customs_code")
        )
        for row in rows:
            v = row.values
            err = calc.uscc_error(v["uscc"])
            if err:
                errors.append(self.error(row, "uscc", USCC_ERRORS[err]))
                continue
            zone = self.zones.get(clean_text(v["zone"]).lower())
            if zone is None:
                errors.append(
                    self.error(
                        row,
                        "zone",
                        msg.NOT_FOUND_IN_SCOPE % {"model": Zone._meta.verbose_name, "value": v["zone"]},
                    )
                )
                continue
            park = None
            if v.get("park"):
                park = self.parks.get((zone.pk, clean_text(v["park"]).lower()))
                if park is None:
                    errors.append(
                        self.error(
                            row,
                            "park",
                            msg.NOT_FOUND_IN_PARENT
                            % {
                                "model": Park._meta.verbose_name,
                                "value": v["park"],
                                "parent": Zone._meta.verbose_name,
                            },
                        )
                    )
                    continue
            row.obj = self._build(v, zone, park)
            errors += self.model_errors(row, row.obj)
        return errors

    def _build(self, v, zone, park) -> Enterprise:
        status = v.get("status") or Enterprise._meta.get_field("status").default
        return Enterprise(
            name=v["name"],
            uscc=v["uscc"],
            customs_code=v.get("customs_code") or "",
            zone=zone,
            park=park,
            industry=v.get("industry"),
            ownership=v.get("ownership"),
            investor_country=v.get("investor_country"),
            credit_class=v.get("credit_class"),
            processing_trade=bool(v.get("processing_trade")),
            registered_capital=v.get("registered_capital"),
            capital_currency=v.get("capital_currency"),
            established=v.get("established"),
            status=status,
            status_date=v.get("established"),
        )

    def write(self, rows: Iterable[Row], by) -> int:
        objs = Enterprise.objects.bulk_create([r.obj for r in rows])
        today = dt.date.today()
        EnterpriseStatusEvent.objects.bulk_create(
            [
                EnterpriseStatusEvent(
                    enterprise=e, status=e.status, date=e.status_date or today, note=str(msg.IMPORTED_NOTE)
                )
                for e in objs
            ]
        )
        AuditEntry.objects.bulk_create(audit_entries(objs, by=by, code="registry.enterprise.imported"))
        return len(objs)

    def refuse_update(self, row: Row, stored, new):
        if stored.zone_id not in self.zone_ids:
            return self.error(
                row,
                "uscc",
                _("An enterprise with this USCC exists outside your scope; you cannot update it."),
            )
        return None

    def write_changes(self, changes, by) -> int:
        today = dt.date.today()
        events = []
        for change in changes:
            if "status" in change.fields:
                # a new status goes into the history, as on the status page (change_enterprise_status)
                change.fields["status_date"] = (change.obj.status_date, today)
                events.append(
                    EnterpriseStatusEvent(
                        enterprise=change.obj,
                        status=change.fields["status"][1],
                        date=today,
                        note=str(msg.IMPORTED_NOTE),
                    )
                )
        n = audit.bulk_update(
            changes, by=by, code="registry.enterprise.updated", message=str(msg.UPDATED_NOTE)
        )
        EnterpriseStatusEvent.objects.bulk_create(events)
        return n


# ------------------------------------------------------------------ code tables: HS codes (商品编码)

_HS_SEPARATORS = str.maketrans("", "", ". -")


class HsCode(Parser):
    """商品编码 as 8 digits (税则号列, a tariff line) or 10 digits (商品编码).

    Full-width digits, dots, blanks and hyphens (``8542.31.90.00``) are normalised.  A number cell
    that lost its leading zero in Excel (``402210000`` for 0402210000, chapters 01–09) gets it back;
    a text cell must have the digits as written.  What an 8-digit code means is up to the kind."""

    type_label = gettext_lazy("HS code")

    def parse(self, raw) -> str:
        if isinstance(raw, bool):
            raise CellError(_("Not an HS code."))
        numeric = isinstance(raw, int | float)
        if isinstance(raw, float) and not raw.is_integer():
            raise CellError(
                _("An HS code has only digits (8 or 10), got “%(value)s”.") % {"value": display(raw)}
            )
        text = clean_text(raw).translate(_HS_SEPARATORS)
        if not text.isdigit():
            raise CellError(
                _("An HS code has only digits (8 or 10), got “%(value)s”.") % {"value": display(raw)}
            )
        if numeric and len(text) in (7, 9):
            text = "0" + text
        if len(text) not in (8, 10):
            raise CellError(
                _("An HS code has 8 digits (tariff line) or 10 digits, got %(n)d: “%(value)s”.")
                % {"n": len(text), "value": display(raw)}
            )
        return text


class UnitCodes:
    """The unit table read once per import: a unit is given by its code (``035``) or its name (千克)."""

    def __init__(self):
        self.known = unit_codes()
        self.by_name: dict[str, str] = {}
        for code, name, name_en in Code.objects.filter(table__key=UNIT_TABLE).values_list(
            "code", "name", "name_en"
        ):
            for key in (name, name_en):
                if key:
                    self.by_name.setdefault(clean_text(key).lower(), code)

    def resolve(self, value: str) -> tuple[str, str | None]:
        """(code, problem): the code for a code or a name, and why it is not a unit (None if it is)."""
        value = clean_text(value)
        code = self.by_name.get(value.lower(), value)
        return code, unit_problem(code, self.known)


@register
class HsCodeImport(RegistryImport):
    """The HS code table (registry code table ``hs``) as published: 商品编码, name, legal units.

    Installation-wide reference data: importing needs the ``reference`` write area (system
    administrators and the provincial commerce department).  In the default mode codes only get
    added and a code already in the table is an error; in update mode a code already in the table
    gets the file's name, validity and legal units (a new edition of the table re-imported)."""

    key = "hs_codes"
    label = CODE_TABLES["hs"]
    description = gettext_lazy(
        "One row per HS code (商品编码, 10 digits; an 8-digit tariff line is stored with 00 appended) with its "
        "Chinese name and legal units of measure (code or name from the unit table)."
    )
    write_area = "reference"
    model = Code
    update_mode = True
    key_fields = ("code",)
    update_fields = ("name", "valid_from", "valid_to", "extra")
    field_columns = {"extra": "legal_unit1"}
    columns = [
        Column(
            "code",
            gettext_lazy("HS code"),
            HsCode(),
            required=True,
            aliases=("商品编码", "HS编码", "海关商品编码", "hs code"),
            example="8542319000",
        ),
        Column(
            "name",
            _label(Code, "name"),
            Text(200),
            required=True,
            aliases=("商品名称", "名称", "品名"),
            example="其他处理器及控制器",
        ),
        Column(
            "legal_unit1",
            gettext_lazy("legal unit 1"),
            Text(20),
            aliases=("法定第一计量单位", "第一法定计量单位", "法定计量单位", "第一计量单位"),
            example="007",
        ),
        Column(
            "legal_unit2",
            gettext_lazy("legal unit 2"),
            Text(20),
            aliases=("法定第二计量单位", "第二法定计量单位", "第二计量单位"),
            example="千克",
        ),
        Column(
            "valid_from",
            _label(Code, "valid_from"),
            Date(),
            aliases=("生效日期", "开始有效日期", "启用日期"),
            example="2024-01-01",
        ),
        Column(
            "valid_to",
            _label(Code, "valid_to"),
            Date(),
            aliases=("失效日期", "结束有效日期", "停用日期"),
        ),
    ]

    def prepare(self):
        super().prepare()
        self.seen: dict[str, int] = {}
        self.units = UnitCodes()

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors: list[RowError] = []
        for row in rows:
            code = row.values["code"]
            row.values["code"] = code + "00" if len(code) == 8 else code
        existing = (
            set()  # update mode: a code in the table is the record to update
            if self.updating
            else set(
                Code.objects.filter(
                    table__key=HS_TABLE, code__in=[r.values["code"] for r in rows]
                ).values_list("code", flat=True)
            )
        )
        for row in rows:
            v = row.values
            bad = False
            if v["code"] in self.seen:
                errors.append(self.error(row, "code", msg.DUPLICATE_IN_FILE % {"row": self.seen[v["code"]]}))
                bad = True
            else:
                self.seen[v["code"]] = row.number
                if v["code"] in existing:
                    errors.append(
                        self.error(
                            row,
                            "code",
                            _("HS code %(code)s is already in the HS code table.") % {"code": v["code"]},
                        )
                    )
                    bad = True
            units = {}
            for key in ("legal_unit1", "legal_unit2"):
                if not v.get(key):
                    units[key] = ""
                    continue
                units[key], problem = self.units.resolve(v[key])
                if problem:
                    errors.append(self.error(row, key, problem))
                    bad = True
            if v.get("valid_from") and v.get("valid_to") and v["valid_to"] < v["valid_from"]:
                errors.append(self.error(row, "valid_to", _("The code ends before it starts.")))
                bad = True
            if bad:
                continue
            row.obj = Code(
                code=v["code"],
                name=v["name"],
                level=1,
                valid_from=v.get("valid_from"),
                valid_to=v.get("valid_to"),
                extra={"legal_unit1": units["legal_unit1"], "legal_unit2": units["legal_unit2"]},
            )
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        table, _created = CodeTable.objects.get_or_create(
            key=HS_TABLE,
            defaults={"name": "HS codes (商品编码)", "version": "imported", "source": "import"},
        )
        objs = []
        for r in rows:
            r.obj.table = table
            objs.append(r.obj)
        codes = Code.objects.bulk_create(objs)
        AuditEntry.objects.bulk_create(audit_entries(codes, by=by, code="registry.code.imported"))
        return len(codes)

    def existing_queryset(self):
        return Code.objects.filter(table__key=HS_TABLE)

    def given_fields(self, row: Row) -> set[str]:
        given = super().given_fields(row) - {"extra"}
        # the legal units are compared when the file has both unit columns (as the official file)
        if "legal_unit1" in self.headers and "legal_unit2" in self.headers:
            given.add("extra")
        return given

    def field_label(self, name: str) -> str:
        if name == "extra":
            return str(_("Legal units"))
        return super().field_label(name)

    def merge(self, stored, new) -> None:
        new.extra = {**(stored.extra or {}), **(new.extra or {})}  # other keys of extra stay

    def write_changes(self, changes, by) -> int:
        return audit.bulk_update(changes, by=by, code="registry.code.updated", message=str(msg.UPDATED_NOTE))
