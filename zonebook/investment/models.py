"""Investment attraction (招商引资) and policy tasks (政策任务分解 / 目标责任考评).

Investors (客商) with their contact history; projects (招商项目) with dated milestones M0–M10 from
which the stage is derived; configurable counting rules (认定口径) and screening (甄别) by city and
province; annual targets; receptions, trips and promotion events; policy documents decomposed into
tasks with lead and responsible units, progress reports and a yearly scorecard per unit.

Every write goes through ``zonebook.investment.services`` (audited in the same transaction).
Amounts are 万元 in the amount's own currency, with the rate to CNY stored beside them; statistics
use the ``*_cny`` columns the services keep (万元 RMB).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet
from zonebook.sla.models import TrackedMixin

from . import calc

ZONE_SCOPE = {"province": "province_code", "city": "city_code", "zone": "zone_id"}
WAN = {"max_digits": 16, "decimal_places": 2}  # 万元: up to 10^14 万元


class Currency(models.TextChoices):
    CNY = "CNY", _("RMB")
    USD = "USD", _("US dollar")
    EUR = "EUR", _("euro")
    HKD = "HKD", _("Hong Kong dollar")
    JPY = "JPY", _("yen")


class SourceRegion(models.TextChoices):
    """来源地 split of the circulars: 境外 / 国内省外 / 省内市外 / 市内."""

    FOREIGN = "foreign", _("Abroad (foreign capital)")
    OUT_OF_PROVINCE = "out_of_province", _("Other provinces")
    OUT_OF_CITY = "out_of_city", _("Other cities of the province")
    LOCAL = "local", _("Same city")


class InvestorKind(models.TextChoices):
    COMPANY = "company", _("Company")
    CHAMBER = "chamber", _("Chamber of commerce")
    ASSOCIATION = "association", _("Industry association")
    INTERMEDIARY = "intermediary", _("Intermediary")
    PERSON = "person", _("Individual")


class Investor(models.Model):
    """客商: a company, chamber, association, intermediary or person the office is in contact with.

    Investors with ``transfer_target`` form the 目标转移企业库 (firms in source regions that may relocate
    or expand); all of them the 客商资源库."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=InvestorKind.choices, default=InvestorKind.COMPANY
    )
    country = models.CharField(_("country or region"), max_length=60, blank=True, default="中国")
    home_region = models.CharField(_("home province or city"), max_length=60, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    industry = models.ForeignKey(
        "registry.Code",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"table__key": "industry"},
    )
    parent_group = models.CharField(_("parent group"), max_length=200, blank=True)
    fortune500 = models.BooleanField(_("Fortune Global 500"), default=False)
    china500 = models.BooleanField(_("China top 500"), default=False)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    products = models.CharField(_("main products"), max_length=300, blank=True)
    # 目标转移企业库
    transfer_target = models.BooleanField(_("transfer target (目标转移企业)"), default=False)
    relocation_intent = models.CharField(_("relocation intent"), max_length=300, blank=True)
    processing_trade_share = models.DecimalField(
        _("processing-trade share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    workforce = models.PositiveIntegerField(_("workforce"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority (1 = highest)"), null=True, blank=True)
    consent = models.BooleanField(_("consent to keep contact data"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # the office keeping the record
    province_code = models.CharField(_("province"), max_length=6, blank=True, db_index=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True, db_index=True)
    zone = models.ForeignKey(
        "registry.Zone",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = ZONE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("investor")
        verbose_name_plural = _("investors")
        ordering = ["name"]
        indexes = [models.Index(fields=["province_code", "name"], name="inv_investor_prov_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("investment:investor_detail", args=[self.pk])

    def audit_scope(self) -> dict:
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id}


class ContactChannel(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Site visit")
    EVENT = "event", _("Event")
    ONLINE = "online", _("Online")


class InvestorContact(models.Model):
    """One contact with an investor (the interaction log of the 客商资源库)."""

    investor = models.ForeignKey(
        Investor, verbose_name=_("investor"), on_delete=models.CASCADE, related_name="contacts"
    )
    date = models.DateField(_("date"))
    channel = models.CharField(
        _("channel"), max_length=16, choices=ContactChannel.choices, default=ContactChannel.MEETING
    )
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    SCOPE_PATHS = {
        "province": "investor__province_code",
        "city": "investor__city_code",
        "zone": "investor__zone_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("investor contact")
        verbose_name_plural = _("investor contacts")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.investor} {self.date}"

    def audit_scope(self) -> dict:
        return self.investor.audit_scope()


class EventKind(models.TextChoices):
    RECEPTION = "reception", _("Reception of a delegation (接待)")
    INSPECTION = "inspection", _("Investor inspection visit (考察)")
    TRIP = "trip", _("Outbound investment trip (出访招商)")
    PROMOTION = "promotion", _("Promotion event (招商推介会)")
    ONLINE = "online", _("Online event (云招商)")


class InvestmentEvent(models.Model):
    """接待 / 考察 / 出访 / 招商活动 / 云招商: who took part, the leads and the projects signed at it."""

    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    participants = models.TextField(_("participants"), blank=True)
    leads = models.PositiveIntegerField(_("leads gathered"), default=0)
    investors = models.ManyToManyField(
        Investor, verbose_name=_("investors"), blank=True, related_name="events"
    )
    note = models.TextField(_("note"), blank=True)
    province_code = models.CharField(_("province"), max_length=6, blank=True, db_index=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True, db_index=True)
    zone = models.ForeignKey(
        "registry.Zone",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    SCOPE_PATHS = ZONE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("investment event")
        verbose_name_plural = _("investment events")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title

    def audit_scope(self) -> dict:
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id}


class MilestoneKind(models.TextChoices):
    """M0–M10 in their order (the value's position in ``MILESTONE_ORDER`` is the milestone number)."""

    LEAD = "lead", _("M0 lead recorded (线索录入)")
    TALKS = "talks", _("M1 negotiating (洽谈)")
    SIGNED = "signed", _("M2 signed (签约)")
    REGISTERED = "registered", _("M3 registered (注册)")
    LAND = "land", _("M4 land or premises (供地/租赁)")
    STARTED = "started", _("M5 works started (开工)")
    STATISTICS = "statistics", _("M6 in FAI statistics (入统)")
    COMPLETED = "completed", _("M7 completed (竣工)")
    PRODUCTION = "production", _("M8 in production (投产)")
    ABOVE_SCALE = "above_scale", _("M9 above designated size (入规)")
    CAPACITY = "capacity", _("M10 design capacity (达产)")


MILESTONE_ORDER = [m.value for m in MilestoneKind]
assert MILESTONE_ORDER == calc.MILESTONE_ORDER, "models.MilestoneKind and calc.MILESTONE_ORDER differ"


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead (线索)")
    TALKS = "talks", _("Negotiating (洽谈)")
    SIGNED = "signed", _("Signed (签约)")
    REGISTERED = "registered", _("Registered (注册)")
    STARTED = "started", _("Started (开工)")
    BUILDING = "building", _("Under construction (在建)")
    COMPLETED = "completed", _("Completed (竣工)")
    PRODUCING = "producing", _("Producing (投产)")
    CAPACITY = "capacity", _("At capacity (达产)")
    # terminal (approved)
    STALLED = "stalled", _("Stalled (中止)")
    WITHDRAWN = "withdrawn", _("Talks ended (终止)")
    LOST = "lost", _("Removed (退出)")


TERMINAL_STAGES = (Stage.STALLED, Stage.WITHDRAWN, Stage.LOST)
# the stage reached with each milestone (the latest milestone decides): ``calc.STAGE_OF_MILESTONE``
PIPELINE_STAGES = [s for s in Stage.values if s not in TERMINAL_STAGES]


class ProjectKind(models.TextChoices):
    """How a signing counts (认定口径: first signing only; a capital increase counts only the increase)."""

    NEW = "new", _("New project")
    CAPITAL_INCREASE = "capital_increase", _("Capital increase (增资)")
    UPGRADE = "upgrade", _("Upgrade of a signed project (升级)")
    INVESTOR_CHANGE = "investor_change", _("Change of investor")


class BuildKind(models.TextChoices):
    NEW = "new", _("New construction (新建)")
    EXPANSION = "expansion", _("Expansion (扩建)")
    CONTINUING = "continuing", _("Continuing (续建)")


class ExclusionCategory(models.TextChoices):
    """Categories an exclusion rule may list (one city's 不予认定 list)."""

    NONE = "", _("none")
    LOCAL_ONLY = "local_only", _("Purely local investment")
    FISCAL = "fiscal", _("Fiscally funded (infrastructure, PPP)")
    VERTICAL = "vertical", _("Vertical agencies, telecom, oil, gas, power")
    RESOURCES = "resources", _("Local resources (mines, sand)")
    PLANTING = "planting", _("Traditional planting")
    REAL_ESTATE = "real_estate", _("Real estate")
    LEISURE = "leisure", _("Entertainment, catering, supermarkets")
    PHASE2 = "phase2", _("Phase 2+ of a contracted project")
    RELOCATION = "relocation", _("Relocation or new line in an old plant")


class TransferMode(models.TextChoices):
    NONE = "", _("not a transfer")
    RELOCATION = "relocation", _("Whole relocation (整体搬迁)")
    EXPANSION = "expansion", _("Capacity expansion (扩产)")
    NEW_ENTITY = "new_entity", _("New entity (新设)")


class ScreeningStatus(models.TextChoices):
    NONE = "", _("not submitted")
    SUBMITTED = "submitted", _("Submitted")
    RECOGNISED = "recognised", _("Recognised")
    REJECTED = "rejected", _("Rejected")


class ProjectQuerySet(ScopedQuerySet):
    def signed(self):
        return self.filter(signed_on__isnull=False)


class Project(TrackedMixin, models.Model):
    """招商项目: one project with its money, origin, classification, people and lifecycle."""

    number = models.CharField(_("project number"), max_length=30, unique=True)
    name = models.CharField(_("project name"), max_length=40)
    kind = models.CharField(
        _("counting kind"), max_length=20, choices=ProjectKind.choices, default=ProjectKind.NEW
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("original project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        help_text=_("For a capital increase, an upgrade or a change of investor."),
    )
    investor = models.ForeignKey(
        Investor,
        verbose_name=_("investor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    industry = models.ForeignKey(
        "registry.Code",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"table__key": "industry"},
    )
    build_kind = models.CharField(
        _("construction type"), max_length=12, choices=BuildKind.choices, default=BuildKind.NEW
    )
    description = models.TextField(_("description"), blank=True)
    # money (万元 in ``currency``; ``fx_rate`` CNY per unit)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    fx_rate = models.DecimalField(_("rate to RMB"), max_digits=12, decimal_places=6, default=Decimal(1))
    planned_investment = models.DecimalField(_("planned investment (10k)"), null=True, blank=True, **WAN)
    contracted_investment = models.DecimalField(
        _("contracted investment (10k)"), null=True, blank=True, **WAN
    )
    funds_in_place = models.DecimalField(_("funds in place (10k)"), default=Decimal(0), **WAN)
    contracted_cny = models.DecimalField(_("contracted investment (10k RMB)"), default=Decimal(0), **WAN)
    funds_in_place_cny = models.DecimalField(_("funds in place (10k RMB)"), default=Decimal(0), **WAN)
    # origin
    source_region = models.CharField(
        _("source region"), max_length=16, choices=SourceRegion.choices, blank=True
    )
    source_place = models.CharField(_("source country or province"), max_length=60, blank=True)
    fortune500 = models.BooleanField(_("Fortune Global 500"), default=False)
    china500 = models.BooleanField(_("China top 500"), default=False)
    # site
    zone = models.ForeignKey(
        "registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+"
    )
    park = models.ForeignKey(
        "registry.Park",
        verbose_name=_("park"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("registered enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    land_area_mu = models.DecimalField(_("land (mu)"), max_digits=10, decimal_places=2, null=True, blank=True)
    jobs = models.PositiveIntegerField(_("expected jobs"), null=True, blank=True)
    # people
    lead_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event = models.ForeignKey(
        InvestmentEvent,
        verbose_name=_("signed at event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    # transfer (重大转移项目库)
    transfer_mode = models.CharField(
        _("transfer mode"), max_length=12, choices=TransferMode.choices, blank=True
    )
    transfer_from = models.CharField(_("transferred from"), max_length=60, blank=True)
    enclave = models.BooleanField(_("enclave or co-built park (飞地)"), default=False)
    processing_trade = models.BooleanField(_("processing trade"), default=False)
    # counting
    exclusion_category = models.CharField(
        _("exclusion category"), max_length=16, choices=ExclusionCategory.choices, blank=True
    )
    in_monthly_ledger = models.BooleanField(_("in the monthly ledger"), default=True)
    counted = models.BooleanField(_("counts as a new project"), default=False)
    counted_amount = models.DecimalField(_("counted amount (10k RMB)"), default=Decimal(0), **WAN)
    count_note = models.CharField(_("counting note"), max_length=300, blank=True)
    dedup_warning = models.CharField(_("duplicate warning"), max_length=300, blank=True)
    # lifecycle (derived from the milestones)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.LEAD, db_index=True
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True, db_index=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    terminal_state = models.CharField(
        _("requested terminal state"),
        max_length=12,
        blank=True,
        choices=[(s.value, s.label) for s in TERMINAL_STAGES],
    )
    terminal_reason = models.CharField(_("reason"), max_length=300, blank=True)
    terminal_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terminal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terminal_approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    city_screening = models.CharField(
        _("city screening"), max_length=12, choices=ScreeningStatus.choices, blank=True
    )
    province_screening = models.CharField(
        _("province screening"), max_length=12, choices=ScreeningStatus.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPE_PATHS = {
        "province": "zone__province_code",
        "city": "zone__city_code",
        "zone": "zone_id",
        "enterprise": "enterprise_id",
    }
    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")
        ordering = ["-signed_on", "number"]
        indexes = [models.Index(fields=["zone", "signed_on"], name="inv_project_zone_signed")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("investment:project_detail", args=[self.pk])

    def audit_scope(self) -> dict:
        zone = self.zone
        return {
            "province": zone.province_code,
            "city": zone.city_code,
            "zone": zone.pk,
            "enterprise": self.enterprise_id,
        }

    @property
    def is_terminal(self) -> bool:
        return self.stage in TERMINAL_STAGES

    @staticmethod
    def closed_q() -> Q:
        return Q(stage__in=TERMINAL_STAGES)


class Milestone(models.Model):
    """A dated milestone of a project with its evidence; at most one per kind."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(_("milestone"), max_length=12, choices=MilestoneKind.choices)
    seq = models.PositiveSmallIntegerField(_("milestone number"))
    date = models.DateField(_("date"))
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    correction_reason = models.CharField(_("correction reason"), max_length=300, blank=True)

    SCOPE_PATHS = {
        "province": "project__zone__province_code",
        "city": "project__zone__city_code",
        "zone": "project__zone_id",
        "enterprise": "project__enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="inv_milestone_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.project.number} {self.get_kind_display()} {self.date}"

    def audit_scope(self) -> dict:
        return self.project.audit_scope()


class RuleKind(models.TextChoices):
    MINIMUM_SIZE = "minimum_size", _("Minimum size")
    EXCLUSION = "exclusion", _("Exclusions list")
    DEDUP = "dedup", _("Duplicate check (same investor, site and amount)")
    INCREASE_ONLY = "increase_only", _("Capital increase counts the increase only")
    UPGRADE = "upgrade", _("An upgrade is not recounted")
    LEDGER = "ledger", _("Only projects in the monthly ledger count")
    MAJOR = "major", _("Major-project threshold")


class CountingRule(models.Model):
    """认定口径 as dated configuration: a rule of one kind with its parameters (``threshold`` 万元 RMB,
    ``tolerance_pct`` for the duplicate check, ``categories`` for an exclusions list)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    threshold = models.DecimalField(_("threshold (10k RMB)"), null=True, blank=True, **WAN)
    tolerance_pct = models.DecimalField(
        _("tolerance (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    categories = models.JSONField(_("categories"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("counting rule")
        verbose_name_plural = _("counting rules")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectScreening(models.Model):
    """甄别 / 认定 by the city or the province: submitted / recognised / rejected, with date and reference."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        PROVINCE = "province", _("Province")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="screenings"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    status = models.CharField(_("status"), max_length=12, choices=ScreeningStatus.choices)
    date = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    SCOPE_PATHS = Milestone.SCOPE_PATHS
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["project", "date", "id"]

    def audit_scope(self) -> dict:
        return self.project.audit_scope()


class InvestmentTarget(models.Model):
    """An annual target of a zone, a city or the province (万元 RMB and project counts)."""

    year = models.PositiveSmallIntegerField(_("year"))
    province_code = models.CharField(_("province"), max_length=6, blank=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True)
    zone = models.ForeignKey(
        "registry.Zone",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_count = models.PositiveIntegerField(_("signed projects"), default=0)
    signed_amount = models.DecimalField(_("signed amount (10k RMB)"), default=Decimal(0), **WAN)
    funds_in_place = models.DecimalField(_("funds in place (10k RMB)"), default=Decimal(0), **WAN)

    SCOPE_PATHS = ZONE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("investment target")
        verbose_name_plural = _("investment targets")
        ordering = ["-year"]

    def audit_scope(self) -> dict:
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id}


# --------------------------------------------------------------------------- policy tasks


class PolicyDocument(models.Model):
    """A policy document (政策文件) to be decomposed into tasks."""

    title = models.CharField(_("title"), max_length=300)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    issuer = models.CharField(_("issuer"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    full_text = models.TextField(_("full text"), blank=True)
    valid = models.BooleanField(_("in force"), default=True)
    province_code = models.CharField(_("province"), max_length=6, blank=True, db_index=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True, db_index=True)
    zone = models.ForeignKey(
        "registry.Zone",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    SCOPE_PATHS = ZONE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        ordering = ["-issued_on", "title"]

    def __str__(self) -> str:
        return self.title

    def audit_scope(self) -> dict:
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id}


class Recurrence(models.TextChoices):
    NONE = "", _("once (by the deadline)")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")


DOC_SCOPE = {
    "province": "document__province_code",
    "city": "document__city_code",
    "zone": "document__zone_id",
}


class PolicyTask(models.Model):
    """政策任务: one task of a document with its lead and responsible units (``TaskUnit``)."""

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("policy document"), on_delete=models.CASCADE, related_name="tasks"
    )
    number = models.CharField(_("task number"), max_length=20)
    section = models.CharField(_("section"), max_length=200, blank=True)
    text = models.TextField(_("task"))
    goal = models.CharField(_("goal"), max_length=300, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    recurrence = models.CharField(_("reporting"), max_length=10, choices=Recurrence.choices, blank=True)
    units = models.ManyToManyField(
        "accounts.Unit", through="TaskUnit", related_name="policy_tasks", verbose_name=_("units")
    )
    done = models.BooleanField(_("completed"), default=False)

    SCOPE_PATHS = DOC_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy task")
        verbose_name_plural = _("policy tasks")
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:40]}"

    def audit_scope(self) -> dict:
        return self.document.audit_scope()


class TaskUnit(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit (牵头单位)")
        RESPONSIBLE = "responsible", _("Responsible unit (责任单位)")

    task = models.ForeignKey(PolicyTask, on_delete=models.CASCADE, related_name="task_units")
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["task", "order"]
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="inv_taskunit_once")]


class TaskIndicator(models.Model):
    """An indicator of a task with its target (reported in the progress reports)."""

    task = models.ForeignKey(PolicyTask, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4)
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)

    class Meta:
        ordering = ["task", "code"]
        constraints = [models.UniqueConstraint(fields=["task", "code"], name="inv_indicator_code_once")]

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class ProgressReport(models.Model):
    """A unit's progress report on a task for a period (text, figures, attachments)."""

    task = models.ForeignKey(
        PolicyTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="reports"
    )
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("period (month)"))
    text = models.TextField(_("progress"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    on_time = models.BooleanField(_("on time"), default=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    SCOPE_PATHS = {k: "task__" + v for k, v in DOC_SCOPE.items()}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period", "-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "period"], name="inv_report_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.task.number} {self.unit} {self.period:%Y-%m}"

    def audit_scope(self) -> dict:
        return self.task.audit_scope()


class ReportFigure(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="figures")
    indicator = models.ForeignKey(TaskIndicator, on_delete=models.CASCADE, related_name="figures")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="inv_figure_once")]


class ScoringRuleKind(models.TextChoices):
    ON_TIME = "on_time", _("On-time reports")
    INDICATOR = "indicator", _("Indicator completion")
    COMPLETED_TASKS = "completed_tasks", _("Completed tasks")
    ADJUSTMENT = "adjustment", _("Deduction or bonus")


class ScoringRule(models.Model):
    """目标责任考评 rule of a year: ``max_score`` × the share achieved; an indicator rule names the
    indicator ``indicator_code``; when a unit has no such indicator the rule gives ``default_score``."""

    year = models.PositiveSmallIntegerField(_("year"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ScoringRuleKind.choices)
    max_score = models.DecimalField(_("maximum score"), max_digits=7, decimal_places=2)
    indicator_code = models.CharField(_("indicator code"), max_length=40, blank=True)
    default_score = models.DecimalField(
        _("default score"), max_digits=7, decimal_places=2, default=Decimal(0)
    )
    province_code = models.CharField(_("province"), max_length=6, blank=True)

    SCOPE_PATHS = {"province": "province_code"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["year", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "province_code", "code"], name="inv_scoring_rule_code")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed")
    PUBLISHED = "published", _("Published")


class Scorecard(models.Model):
    """目标责任考评: one unit's score for a year, its lines, rank and review state."""

    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    province_code = models.CharField(_("province"), max_length=6, blank=True)
    total = models.DecimalField(_("total score"), max_digits=8, decimal_places=2, default=Decimal(0))
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT
    )

    SCOPE_PATHS = {"province": "province_code"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-year", "rank", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="inv_scorecard_once")]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"

    def audit_scope(self) -> dict:
        return {"province": self.province_code}


class ScoreLine(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="lines")
    rule = models.ForeignKey(ScoringRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(_("item"), max_length=200)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    manual = models.BooleanField(_("manual deduction or bonus"), default=False)

    class Meta:
        ordering = ["scorecard", "manual", "id"]
