"""Imports of investment attraction: the monthly project list (项目台账) and the investor list (客商).

Both kinds use the platform's update mode (``zonebook.core.imports.updates``): on upload the user
chooses *add new only* or *add and update*.  In update mode a known project number (项目编号) updates
the project — only the fields the row gives, compared set-based, audited before/after
(``investment.project.imported``), nothing duplicated, unchanged rows write nothing; a new number
creates the project through ``services.create_project``.  An investor is found by name in the
importer's scope or created.  The signing, registration and start dates are milestones: they are
compared and previewed like the other fields (``deferred_fields``) and a changed date is recorded by
``after_update`` through ``services.record_milestone`` (a first date is recorded, a different one is
an audited correction "monthly list import").  A changed amount, rate, currency or counting kind
carries the derived RMB columns, the counted amount of a signed project and its duplicate warning
with it (computed for the batch: one query for the duplicate candidates, the counting rules once per
signing date).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError
from zonebook.core.imports import messages as msg
from zonebook.core.imports.kinds import Column, ImportKind, Row, register
from zonebook.core.imports.parsers import Boolean, Choice, Date, DecimalNumber, Text
from zonebook.registry.parsers import CodeRef

from . import calc
from . import services as svc
from .models import (
    MILESTONE_ORDER,
    TERMINAL_STAGES,
    Currency,
    Investor,
    InvestorKind,
    Milestone,
    MilestoneKind,
    Project,
    ProjectKind,
    SourceRegion,
)

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
MILESTONE_FIELDS = tuple(name for name, _kind in MILESTONE_COLUMNS)
# a change of these carries the RMB columns, the counted amount and the duplicate warning with it
MONEY_FIELDS = {"currency", "fx_rate", "contracted_investment", "funds_in_place", "kind"}
NEEDS_PARENT = (ProjectKind.CAPITAL_INCREASE, ProjectKind.UPGRADE, ProjectKind.INVESTOR_CHANGE)


def _in_scope_investors(user, names) -> dict[str, Investor]:
    """Investors of these names in the user's scope (the oldest of a name), in one query."""
    found: dict[str, Investor] = {}
    for inv in Investor.objects.for_user(user).filter(name__in=set(names)).order_by("-pk"):
        found[inv.name] = inv
    return found


@register
class ProjectImport(ImportKind):
    key = "investment_projects"
    label = gettext_lazy("Investment projects (monthly list)")
    description = gettext_lazy(
        "One row per project, found by its project number. In update mode a known number updates the "
        "project (changes are audited); a new one creates it. Amounts in 10k of the currency."
    )
    write_area = "investment"
    batch_size = 500
    model = Project
    update_mode = True
    key_fields = ("number",)
    immutable_fields = ("zone",)
    update_fields = (
        "name",
        "investor",
        "industry",
        "kind",
        "currency",
        "fx_rate",
        "contracted_investment",
        "funds_in_place",
        "source_region",
        "source_place",
        *MILESTONE_FIELDS,
    )
    deferred_fields = MILESTONE_FIELDS  # milestones, recorded through the service (after_update)

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
        Column("fx_rate", gettext_lazy("Rate to RMB"), DecimalNumber(12, 6, Decimal(0)), aliases=("汇率",)),
        Column(
            "contracted_investment",
            gettext_lazy("Contracted investment (10k)"),
            DecimalNumber(16, 2, Decimal(0)),
            aliases=("协议投资额（万元）", "协议投资额"),
        ),
        Column(
            "funds_in_place",
            gettext_lazy("Funds in place (10k)"),
            DecimalNumber(16, 2, Decimal(0)),
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
        self.zone_ids = {z.pk for z in zones}
        self.investors: dict[str, Investor] = {}  # by name: stored, or unsaved until written
        self.seen: dict[str, int] = {}
        self.row_of: dict[str, int] = {}  # project number → row (errors of after_update)
        self.today = timezone.localdate()

    # -- checks and the row's record -----------------------------------------------------------
    def validate(self, rows: list[Row]) -> list[RowError]:
        errors = []
        numbers = [r.values["number"] for r in rows]
        existing = {
            number: (kind, parent_id)
            for number, kind, parent_id in Project._base_manager.filter(number__in=numbers).values_list(
                "number", "kind", "parent_id"
            )
        }
        names = [r.values["investor"] for r in rows if r.values.get("investor")]
        unknown = [n for n in names if n not in self.investors]
        if unknown:
            self.investors.update(_in_scope_investors(self.user, unknown))
        for r in rows:
            v = r.values
            n = v["number"]
            bad = False
            zone = self.zones.get(v["zone"])
            if zone is None:
                errors.append(self.error(r, "zone", _("Unknown zone in your scope.")))
                bad = True
            if n in self.seen:
                errors.append(self.error(r, "number", msg.DUPLICATE_IN_FILE % {"row": self.seen[n]}))
                bad = True
            self.seen.setdefault(n, r.number)
            if n in existing and not self.updating:
                errors.append(
                    self.error(
                        r,
                        "number",
                        _("The project number exists already.") + " " + str(msg.UPDATE_HINT),
                    )
                )
                bad = True
            kind = v.get("kind")
            if kind in NEEDS_PARENT and (
                n not in existing or (existing[n][0] != kind and not existing[n][1])
            ):
                errors.append(
                    self.error(
                        r,
                        "kind",
                        _(
                            "A capital increase, an upgrade or a change of investor is entered on the project's "
                            "page (it names the original project)."
                        ),
                    )
                )
                bad = True
            for key, _m in MILESTONE_COLUMNS:
                if v.get(key) is not None and v[key] > self.today:
                    errors.append(self.error(r, key, _("A milestone cannot be dated in the future.")))
                    bad = True
            if not bad:
                r.obj = self._build(v, zone)
                self.row_of[n] = r.number
        return errors

    def _build(self, v: dict, zone) -> Project:
        investor = None
        name = v.get("investor")
        if name:
            investor = self.investors.get(name)
            if investor is None:  # created when written (shared by the rows that name it)
                investor = self.investors[name] = Investor(
                    name=name, province_code=zone.province_code, city_code=zone.city_code, zone=zone
                )
        p = Project(number=v["number"], zone=zone, investor=investor)
        for key in (
            "name",
            "industry",
            "kind",
            "currency",
            "fx_rate",
            "contracted_investment",
            "funds_in_place",
            "source_region",
            "source_place",
            *MILESTONE_FIELDS,
        ):
            if v.get(key) not in (None, ""):
                setattr(p, key, svc._normal(key, v[key]) if key != "industry" else v[key])
        if v.get("currency") == Currency.CNY:
            p.fx_rate = Decimal("1.000000")  # an RMB amount has the rate 1
        return p

    def given_fields(self, row: Row) -> set[str]:
        given = super().given_fields(row)
        if "currency" in given and row.values.get("currency") == Currency.CNY:
            given.add("fx_rate")
        return given

    def compare_value(self, obj, name: str):
        if name == "investor" and obj._state.adding and obj.investor_id is None:
            investor = obj.investor
            if investor is not None:  # named in the row, created when written
                return ("new", investor.name)
        return super().compare_value(obj, name)

    def refuse_update(self, row: Row, stored, new):
        if stored.zone_id not in self.zone_ids:
            return self.error(row, "number", _("The project number belongs to a project outside your scope."))
        return None

    # -- writing ---------------------------------------------------------------------------------
    def _saved_investor(self, investor: Investor | None, by) -> Investor | None:
        if investor is None:
            return None
        current = self.investors.get(investor.name, investor)
        if current.pk is None:
            current = self.investors[investor.name] = svc.create_investor(
                {
                    "name": current.name,
                    "province_code": current.province_code,
                    "city_code": current.city_code,
                    "zone": current.zone,
                },
                by=by,
            )
        return current

    def _row_error(self, number: str, exc: DomainError) -> DomainError:
        return DomainError(
            str(exc.message),
            details=[
                RowError(
                    row=self.row_of.get(number),
                    column=self.header("number"),
                    value=number,
                    reason=str(exc.message),
                )
            ],
        )

    def write(self, rows: Iterable[Row], by) -> int:
        n = 0
        for r in rows:
            p = r.obj
            data = {
                name: getattr(p, name)
                for name in (
                    "number",
                    "name",
                    "zone",
                    "industry",
                    "kind",
                    "currency",
                    "fx_rate",
                    "contracted_investment",
                    "funds_in_place",
                    "source_region",
                    "source_place",
                )
                if getattr(p, name) not in (None, "")
            }
            data["investor"] = self._saved_investor(p.investor, by)
            try:
                project = svc.create_project(data, by=by)
                for key, kind in MILESTONE_COLUMNS:
                    if getattr(p, key) is not None:
                        svc.record_milestone(
                            project, kind, getattr(p, key), by=by, evidence=_("monthly list")
                        )
            except DomainError as exc:
                raise self._row_error(p.number, exc) from exc
            n += 1
        return n

    def write_changes(self, changes: list, by) -> int:
        for c in changes:
            if "investor" in c.fields:
                before, _after = c.fields["investor"]
                c.fields["investor"] = (before, self._saved_investor(c.new.investor, by).pk)
        touched = [c for c in changes if MONEY_FIELDS & set(c.fields)]
        merged = {}
        for c in touched:
            p = copy.copy(c.obj)
            for name, (_before, after) in c.fields.items():
                setattr(p, p._meta.get_field(name).attname, after)
            p.contracted_cny = calc.to_cny(p.contracted_investment, p.fx_rate)
            p.funds_in_place_cny = calc.to_cny(p.funds_in_place, p.fx_rate)
            merged[c.obj.pk] = p
        signed = [p for p in merged.values() if p.signed_on]
        if signed:
            rules_by_day: dict = {}
            others = svc.dedup_candidates(p.investor_id for p in signed if p.investor_id)
            others = [merged.get(o.pk, o) for o in others]  # amounts changed by this batch count
            for p in signed:
                if p.signed_on not in rules_by_day:
                    rules_by_day[p.signed_on] = svc.rules_on(p.signed_on)
                rules = rules_by_day[p.signed_on]
                result = svc.evaluate_count(p, rules)
                p.counted, p.counted_amount = result.counted, result.amount
                p.count_note = "; ".join(result.notes)[:300]
                p.dedup_warning = svc.duplicate_warning(p, rules, others=others)
        for c in touched:
            p = merged[c.obj.pk]
            derived = ["contracted_cny", "funds_in_place_cny"]
            if p.signed_on:
                derived += ["counted", "counted_amount", "count_note", "dedup_warning"]
            for name in derived:
                before, after = getattr(c.obj, name), getattr(p, name)
                if before != after:
                    c.fields[name] = (before, after)
        return audit.bulk_update(changes, by=by, code="investment.project.imported")

    def after_update(self, changes: list, by) -> None:
        """A changed signing, registration or start date: recorded as a milestone through the service
        (a first date is recorded, a different one is an audited correction)."""
        for c in changes:
            for key, kind in MILESTONE_COLUMNS:
                if key not in c.fields:
                    continue
                before, after = c.fields[key]
                try:
                    if before is None:
                        svc.record_milestone(c.obj, kind, after, by=by, evidence=_("monthly list"))
                    else:
                        svc.record_milestone(
                            c.obj, kind, after, by=by, correction_reason=_("monthly list import")
                        )
                except DomainError as exc:
                    raise self._row_error(c.obj.number, exc) from exc


@register
class InvestorImport(ImportKind):
    """客商 list in update mode by name: an investor of that name in the importer's scope is updated
    (changes audited, unchanged rows write nothing), otherwise created for the importer's office."""

    key = "investment_investors"
    label = gettext_lazy("Investors (客商)")
    description = gettext_lazy("One row per investor; a name already in your scope updates that investor.")
    write_area = "investment"
    batch_size = 500
    model = Investor
    update_mode = True
    key_fields = ("name",)
    update_fields = (
        "kind",
        "country",
        "home_region",
        "parent_group",
        "contact_name",
        "products",
        "transfer_target",
        "relocation_intent",
    )
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

    def prepare(self) -> None:
        super().prepare()
        self.seen: dict[str, int] = {}

    def existing_queryset(self):
        return Investor.objects.for_user(self.user).order_by("-pk")  # the oldest of a name wins

    def write_changes(self, changes: list, by) -> int:
        return audit.bulk_update(changes, by=by, code="investment.investor.updated")

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors = []
        existing = set()
        if not self.updating:
            existing = set(
                Investor.objects.for_user(self.user)
                .filter(name__in=[r.values["name"] for r in rows])
                .values_list("name", flat=True)
            )
        for r in rows:
            name = r.values["name"]
            if name in self.seen:
                errors.append(self.error(r, "name", _("The name appears twice in the file.")))
                continue
            self.seen[name] = r.number
            if name in existing:
                errors.append(
                    self.error(
                        r,
                        "name",
                        _("An investor of this name exists in your scope.") + " " + str(msg.UPDATE_HINT),
                    )
                )
                continue
            r.obj = Investor(**{k: v for k, v in r.values.items() if v not in (None, "")})
        return errors

    def write(self, rows: Iterable[Row], by) -> int:
        n = 0
        for r in rows:
            svc.create_investor({k: v for k, v in r.values.items() if v not in (None, "")}, by=by)
            n += 1
        return n


MILESTONE_ALIASES = {
    **{f"M{i}": kind for i, kind in enumerate(MilestoneKind.values)},
    "线索": MilestoneKind.LEAD,
    "洽谈": MilestoneKind.TALKS,
    "签约": MilestoneKind.SIGNED,
    "注册": MilestoneKind.REGISTERED,
    "供地": MilestoneKind.LAND,
    "租赁": MilestoneKind.LAND,
    "开工": MilestoneKind.STARTED,
    "入统": MilestoneKind.STATISTICS,
    "竣工": MilestoneKind.COMPLETED,
    "投产": MilestoneKind.PRODUCTION,
    "入规": MilestoneKind.ABOVE_SCALE,
    "达产": MilestoneKind.CAPACITY,
}


@register
class MilestoneImport(ImportKind):
    """Project milestones (项目节点), key = project number + milestone (M0–M10).

    Every milestone goes through ``services.record_milestone`` (monotonic dates, stage-gated fields,
    the stage, the first signing counted, the post-signing clocks): a new milestone is recorded, a
    changed date (``deferred_fields``) is an audited correction with the row's reason (or "milestone
    list import"); a changed evidence text alone is written set-based with one audit entry each."""

    key = "investment_milestones"
    label = gettext_lazy("Project milestones")
    description = gettext_lazy(
        "One row per project and milestone (M0–M10 or its name, e.g. 签约). In update mode a different date "
        "of a recorded milestone is an audited correction."
    )
    write_area = "investment"
    batch_size = 500
    model = Milestone
    update_mode = True
    key_fields = ("project", "kind")
    update_fields = ("date", "evidence")
    deferred_fields = ("date",)
    columns = [
        Column("number", gettext_lazy("Project number"), Text(30), required=True, aliases=("项目编号",)),
        Column(
            "kind",
            gettext_lazy("Milestone"),
            Choice(MilestoneKind, aliases=MILESTONE_ALIASES),
            required=True,
            aliases=("节点",),
            example="签约",
        ),
        Column("date", gettext_lazy("Date"), Date(), required=True, aliases=("日期",), example="2025-03-01"),
        Column("evidence", gettext_lazy("Evidence"), Text(300), aliases=("佐证材料", "佐证")),
        Column("correction_reason", gettext_lazy("Correction reason"), Text(300), aliases=("更正原因",)),
    ]
    field_columns = {"project": "number"}

    def prepare(self) -> None:
        super().prepare()
        self.seen: dict[tuple, int] = {}
        self.reasons: dict[tuple, str] = {}
        self.row_of: dict[tuple, int] = {}
        self.today = timezone.localdate()

    def existing_queryset(self):
        return Milestone.objects.select_related("project")

    def validate(self, rows: list[Row]) -> list[RowError]:
        errors = []
        numbers = {r.values["number"] for r in rows}
        projects = {p.number: p for p in Project.objects.for_user(self.user).filter(number__in=numbers)}
        recorded = set()
        if not self.updating:
            recorded = set(
                Milestone.objects.filter(project__in=list(projects.values())).values_list(
                    "project__number", "kind"
                )
            )
        for r in rows:
            v = r.values
            key = (v["number"], v["kind"])
            project = projects.get(v["number"])
            if project is None:
                errors.append(self.error(r, "number", _("No project with this number in your scope.")))
                continue
            if key in self.seen:
                errors.append(self.error(r, "kind", msg.DUPLICATE_IN_FILE % {"row": self.seen[key]}))
                continue
            self.seen[key] = r.number
            if project.stage in TERMINAL_STAGES:
                errors.append(
                    self.error(
                        r, "number", _("The project is closed (%(s)s).") % {"s": project.get_stage_display()}
                    )
                )
                continue
            if v["date"] > self.today:
                errors.append(self.error(r, "date", _("A milestone cannot be dated in the future.")))
                continue
            if key in recorded:
                errors.append(
                    self.error(
                        r, "kind", _("This milestone is recorded already.") + " " + str(msg.UPDATE_HINT)
                    )
                )
                continue
            self.row_of[key] = r.number
            self.reasons[key] = v.get("correction_reason") or ""
            r.obj = Milestone(
                project=project,
                kind=v["kind"],
                seq=MILESTONE_ORDER.index(v["kind"]),
                date=v["date"],
                evidence=v.get("evidence") or "",
            )
        return errors

    def key_text(self, obj) -> str:
        return f"{obj.project.number} {obj.get_kind_display()}"

    def _record(self, m: Milestone, by, *, correction: bool) -> None:
        key = (m.project.number, m.kind)
        reason = self.reasons.get(key) or (_("milestone list import") if correction else "")
        try:
            svc.record_milestone(
                m.project, m.kind, m.date, by=by, evidence=m.evidence, correction_reason=reason
            )
        except DomainError as exc:
            raise DomainError(
                str(exc.message),
                details=[
                    RowError(
                        row=self.row_of.get(key),
                        column=self.header("kind"),
                        value=m.get_kind_display(),
                        reason=str(exc.message),
                    )
                ],
            ) from exc

    def write(self, rows: Iterable[Row], by) -> int:
        objs = sorted((r.obj for r in rows), key=lambda m: (m.project_id, m.seq))  # in milestone order
        for m in objs:
            self._record(m, by, correction=False)
        return len(objs)

    def write_changes(self, changes: list, by) -> int:
        return audit.bulk_update(changes, by=by, code="investment.milestone.imported")

    def after_update(self, changes: list, by) -> None:
        for c in sorted(changes, key=lambda c: (c.obj.project_id, c.obj.seq)):
            _before, after = c.fields["date"]
            c.new.date = after
            c.new.evidence = c.obj.evidence  # written already (set-based) when it changed
            self._record(c.new, by, correction=True)
