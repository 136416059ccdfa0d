"""Import of the monthly project list (项目台账): projects, their investors and milestones.

Update mode by the project number (项目编号): a city re-sends its monthly list; a known number updates
the project through ``services.update_project`` (each change audited, nothing duplicated), a new number
creates it; an investor is found by name in the importer's scope or created; the signing, registration
and start dates are recorded as milestones (a changed date is an audited correction "import").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import Boolean, Choice, Date, DecimalNumber, Text
from zonebook.registry.parsers import CodeRef

from . import services as svc
from .models import Currency, Investor, InvestorKind, MilestoneKind, Project, ProjectKind, SourceRegion

CURRENCY_NAMES = {
    "人民币": "CNY",
    "元": "CNY",
    "美元": "USD",
    "欧元": "EUR",
    "港元": "HKD",
    "港币": "HKD",
    "日元": "JPY",
}
MILESTONE_COLUMNS = (
    ("signed_on", MilestoneKind.SIGNED),
    ("registered_on", MilestoneKind.REGISTERED),
    ("started_on", MilestoneKind.STARTED),
)


@register
class ProjectImport(ImportKind):
    key = "investment_projects"
    label = gettext_lazy("Investment projects (monthly list)")
    description = gettext_lazy(
        "One row per project. A known project number updates the project (changes are audited); a new one "
        "creates it. Amounts in 10k of the currency."
    )
    write_area = "investment"
    batch_size = 500

    columns = [
        Column("number", gettext_lazy("Project number"), Text(30), required=True, aliases=("项目编号",)),
        Column("name", gettext_lazy("Project name"), Text(40), required=True, aliases=("项目名称",)),
        Column("zone", gettext_lazy("Zone"), Text(200), required=True, aliases=("落地园区", "开发区")),
        Column("investor", gettext_lazy("Investor"), Text(200), aliases=("投资主体", "客商")),
        Column("industry", gettext_lazy("Industry"), CodeRef("industry"), aliases=("行业",)),
        Column("kind", gettext_lazy("Counting kind"), Choice(ProjectKind), aliases=("认定类型",)),
        Column(
            "currency", gettext_lazy("Currency"), Choice(Currency, aliases=CURRENCY_NAMES), aliases=("币种",)
        ),
        Column("fx_rate", gettext_lazy("Rate to RMB"), DecimalNumber(12, 6), aliases=("汇率",)),
        Column(
            "contracted_investment",
            gettext_lazy("Contracted investment (10k)"),
            DecimalNumber(16, 2),
            aliases=("协议投资额（万元）", "协议投资额"),
        ),
        Column(
            "funds_in_place",
            gettext_lazy("Funds in place (10k)"),
            DecimalNumber(16, 2),
            aliases=("实际到位资金（万元）", "实际到位资金"),
        ),
        Column("source_region", gettext_lazy("Source region"), Choice(SourceRegion), aliases=("来源地类别",)),
        Column("source_place", gettext_lazy("Source country or province"), Text(60), aliases=("来源地",)),
        Column("signed_on", gettext_lazy("Signed on"), Date(), aliases=("签约日期",)),
        Column("registered_on", gettext_lazy("Registered on"), Date(), aliases=("注册日期",)),
        Column("started_on", gettext_lazy("Started on"), Date(), aliases=("开工日期",)),
    ]

    def prepare(self) -> None:
        super().prepare()
        from zonebook.registry.models import Zone

        zones = list(
            Zone.objects.for_user(self.user).only("id", "name", "short_name", "province_code", "city_code")
        )
        self.zones = {**{z.short_name: z for z in zones}, **{z.name: z for z in zones}}
        self.investors = {}

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors, seen = [], set()
        numbers = [r.values["number"] for r in rows]
        existing = {p.number: p for p in Project.objects.filter(number__in=numbers).only("number", "zone_id")}
        visible = set(
            Project.objects.for_user(self.user).filter(number__in=numbers).values_list("number", flat=True)
        )
        for r in rows:
            n = r.values["number"]
            zone = self.zones.get(r.values["zone"])
            if zone is None:
                errors.append(self.error(r, "zone", _("Unknown zone in your scope.")))
            if n in seen:
                errors.append(self.error(r, "number", _("The project number appears twice in the file.")))
            seen.add(n)
            if n in existing and n not in visible:
                errors.append(
                    self.error(r, "number", _("The project number belongs to a project outside your scope."))
                )
            elif n in existing and zone is not None and existing[n].zone_id != zone.pk:
                errors.append(self.error(r, "zone", _("The project is registered in another zone.")))
        return errors

    def _investor(self, name: str, zone):
        if not name:
            return None
        key = (name, zone.pk)
        if key not in self.investors:
            inv = Investor.objects.for_user(self.user).filter(name=name).first()
            if inv is None:
                inv = svc.create_investor(
                    {
                        "name": name,
                        "province_code": zone.province_code,
                        "city_code": zone.city_code,
                        "zone": zone,
                    },
                    by=self.user,
                )
            self.investors[key] = inv
        return self.investors[key]

    def write(self, rows: Iterable[Row], by) -> int:
        n = 0
        for r in rows:
            v = dict(r.values)
            zone = self.zones[v.pop("zone")]
            dates = {k: v.pop(k, None) for k, _m in MILESTONE_COLUMNS}
            data = {k: val for k, val in v.items() if val not in (None, "")}
            data["zone"] = zone
            data["investor"] = self._investor(data.pop("investor", ""), zone)
            if data.get("currency", "CNY") == "CNY":
                data["fx_rate"] = 1
            project = Project.objects.filter(number=v["number"]).first()
            try:
                if project is None:
                    project = svc.create_project(data, by=by)
                else:
                    svc.update_project(project, data, by=by, code="investment.project.imported")
                for key, kind in MILESTONE_COLUMNS:
                    day = dates.get(key)
                    if day is None:
                        continue
                    current = project.milestones.filter(kind=kind).first()
                    if current is None:
                        svc.record_milestone(project, kind, day, by=by, evidence=_("monthly list"))
                    elif current.date != day:
                        svc.record_milestone(
                            project, kind, day, by=by, correction_reason=_("monthly list import")
                        )
            except DomainError as exc:
                raise DomainError(
                    str(exc.message), details=[self.error(r, "number", str(exc.message))]
                ) from exc
            n += 1
        return n


@register
class InvestorImport(ImportKind):
    """客商 list in update mode by name: an investor of that name in the importer's scope is updated
    (changes audited), otherwise created for the importer's office."""

    key = "investment_investors"
    label = gettext_lazy("Investors (客商)")
    description = gettext_lazy("One row per investor; a name already in your scope updates that investor.")
    write_area = "investment"
    batch_size = 500
    columns = [
        Column("name", gettext_lazy("Name"), Text(200), required=True, aliases=("客商名称", "名称")),
        Column("kind", gettext_lazy("Kind"), Choice(InvestorKind), aliases=("类型",)),
        Column("country", gettext_lazy("Country or region"), Text(60), aliases=("国家或地区",)),
        Column("home_region", gettext_lazy("Home province or city"), Text(60), aliases=("所在省市",)),
        Column("parent_group", gettext_lazy("Parent group"), Text(200), aliases=("母公司/集团", "母公司")),
        Column("contact_name", gettext_lazy("Contact person"), Text(60), aliases=("联系人",)),
        Column("products", gettext_lazy("Main products"), Text(300), aliases=("主要产品",)),
        Column("transfer_target", gettext_lazy("Transfer target"), Boolean(), aliases=("目标转移企业",)),
        Column("relocation_intent", gettext_lazy("Relocation intent"), Text(300), aliases=("转移意向",)),
    ]

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors, seen = [], set()
        for r in rows:
            if r.values["name"] in seen:
                errors.append(self.error(r, "name", _("The name appears twice in the file.")))
            seen.add(r.values["name"])
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        names = [r.values["name"] for r in rows]
        existing = {i.name: i for i in Investor.objects.for_user(by).filter(name__in=names)}
        n = 0
        for r in rows:
            data = {k: v for k, v in r.values.items() if v not in (None, "")}
            inv = existing.get(r.values["name"])
            if inv is None:
                svc.create_investor(data, by=by)
            else:
                svc.update_investor(inv, data, by=by)
            n += 1
        return n
