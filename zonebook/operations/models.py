"""Zone operations (区内业务): business applications (业务申报) on the SLA engine, the gate (卡口:
vehicles, stock notes SAS111, gate passes SAS121, gate events and exceptions) and the zone rule lists
(环保负面清单, 安全生产责任清单).  Every write goes through ``zonebook.operations.services`` /
``zonebook.operations.gate``."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet
from zonebook.sla.models import TrackedMixin

from .choices import (
    BindType,
    Channel,
    Direction,
    EventResult,
    ExceptionKind,
    ExceptionState,
    FieldKind,
    GateStage,
    LedgerLink,
    PassStatus,
    PassType,
    RelatedKind,
    Status,
    TypeCategory,
)

QTY = {"max_digits": 20, "decimal_places": 5}
WEIGHT = {"max_digits": 14, "decimal_places": 3}
MONEY = {"max_digits": 18, "decimal_places": 2}

ZONE_SCOPE = {"province": "zone__province_code", "city": "zone__city_code", "zone": "zone_id"}
ENTERPRISE_SCOPE = {**ZONE_SCOPE, "enterprise": "enterprise_id"}


def _prefixed(prefix: str, paths: dict) -> dict:
    return {k: f"{prefix}__{v}" for k, v in paths.items()}


def zone_audit_scope(zone, enterprise_id=None) -> dict:
    return {"province": zone.province_code, "city": zone.city_code, "zone": zone.pk, "enterprise": enterprise_id}


# ================================================================ application types (catalogue)


class ApplicationType(models.Model):
    """业务类型: one kind of business application; its fields, attachments, SLA policy and route live
    in versions (``ApplicationTypeVersion``) so that an application keeps the version it was filed
    under."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=32, choices=TypeCategory.choices)
    ledger_link = models.CharField(_("ledger link"), max_length=16, choices=LedgerLink.choices, blank=True)
    check_negative_list = models.BooleanField(_("checked against the negative list"), default=False)
    unit_word = models.CharField(_("counting word"), max_length=8, default="单次", help_text=_("e.g. 单次, 份"))
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("application type")
        verbose_name_plural = _("application types")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    @property
    def current(self) -> ApplicationTypeVersion | None:
        return self.versions.order_by("-version").first()


class ApplicationTypeVersion(models.Model):
    """One version of a type: the field schema, required attachments, SLA policy and route.

    ``fields``: ``[{"name": "goods", "label": "货物名称", "kind": "text", "required": true,
    "choices": [...]}, …]`` (kinds: ``choices.FieldKind``).  ``attachments``: the names of the
    required attachments (an attachment counts when its description starts with the name)."""

    type = models.ForeignKey(ApplicationType, on_delete=models.CASCADE, related_name="versions", verbose_name=_("type"))
    version = models.PositiveIntegerField(_("version"))
    fields = models.JSONField(_("form fields"), default=list, blank=True)
    attachments = models.JSONField(_("required attachments"), default=list, blank=True)
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy", on_delete=models.PROTECT, related_name="+", verbose_name=_("SLA policy")
    )
    needs_review = models.BooleanField(_("with a second review (复核)"), default=True)
    note = models.CharField(_("change note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("application type version")
        verbose_name_plural = _("application type versions")
        ordering = ["type", "-version"]
        constraints = [models.UniqueConstraint(fields=["type", "version"], name="ops_type_version_unique")]

    def __str__(self):
        return f"{self.type.name} v{self.version}"

    def field_kinds(self) -> set[str]:
        return {f.get("kind") for f in self.fields}

    @property
    def has_lines(self) -> bool:
        return FieldKind.LINES in self.field_kinds()


# ================================================================ applications


class ApplicationQuerySet(ScopedQuerySet):
    pass


class Application(TrackedMixin, models.Model):
    """业务申报: one business application of an enterprise to the zone office."""

    number = models.CharField(_("application number"), max_length=20, unique=True, null=True, blank=True)
    type = models.ForeignKey(ApplicationType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"))
    type_version = models.ForeignKey(
        ApplicationTypeVersion, on_delete=models.PROTECT, related_name="applications", verbose_name=_("type version")
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    data = models.JSONField(_("form data"), default=dict, blank=True)
    # links to ledger objects (never copies)
    book = models.ForeignKey(
        "ledger.Book", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("book")
    )
    carry_over = models.ForeignKey(
        "ledger.CarryOver", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("carry-over application"),
    )
    domestic_sale_calc = models.JSONField(_("domestic-sale calculation"), null=True, blank=True)
    # negative list (项目入区审核 / 企业入区准入)
    matched_rule = models.ForeignKey(
        "NegativeListRule", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("matching negative-list rule"),
    )
    rule_exception = models.CharField(_("negative-list exception (reason)"), max_length=300, blank=True)
    # handling
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("handler"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # figures written when the clock stops (statistics read them set-based)
    handling_days = models.IntegerField(_("handling time (working days)"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()
    SCOPE_PATHS = ENTERPRISE_SCOPE

    class Meta:
        verbose_name = _("business application")
        verbose_name_plural = _("business applications")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["zone", "status"], name="ops_app_zone_status"),
            models.Index(fields=["type", "submitted_at"], name="ops_app_type_submitted"),
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"

    def audit_scope(self) -> dict:
        return zone_audit_scope(self.zone, self.enterprise_id)

    @property
    def is_editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.RETURNED)


class ApplicationLine(models.Model):
    """A goods line of an application (HS code, quantity, unit, value)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField(_("line no."))
    hs_code = models.CharField(_("HS code"), max_length=10)
    name = models.CharField(_("goods name"), max_length=200)
    qty = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10)
    value = models.DecimalField(_("value"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", blank=True)

    SCOPE_PATHS = _prefixed("application", ENTERPRISE_SCOPE)

    class Meta:
        verbose_name = _("goods line")
        verbose_name_plural = _("goods lines")
        ordering = ["application", "seq"]
        constraints = [models.UniqueConstraint(fields=["application", "seq"], name="ops_app_line_unique")]


class ApplicationStep(models.Model):
    """The application's timeline: one row per action (who, when, from → to, note)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=12)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    SCOPE_PATHS = _prefixed("application", ENTERPRISE_SCOPE)

    class Meta:
        verbose_name = _("application step")
        verbose_name_plural = _("application steps")
        ordering = ["application", "id"]

    def get_action_display(self):
        from .choices import Action

        return Action(self.action).label if self.action in Action.values else self.action


# ================================================================ zone rule lists (004_*)


class RuleKind(models.TextChoices):
    INDUSTRY = "industry", _("industry (code prefix)")
    HS_CHAPTER = "hs", _("HS chapter / heading (prefix)")
    PROCESS = "process", _("process (keyword)")


class NegativeListRule(models.Model):
    """环保负面清单: an industry, HS chapter or process the zone does not admit, with its source."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.CASCADE, related_name="+", verbose_name=_("zone"))
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    pattern = models.CharField(_("code or keyword"), max_length=60)
    description = models.CharField(_("rule"), max_length=300)
    source = models.CharField(_("source document"), max_length=300)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ZONE_SCOPE

    class Meta:
        verbose_name = _("negative-list rule")
        verbose_name_plural = _("negative-list rules")
        ordering = ["zone", "kind", "pattern"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pattern}: {self.description}"

    def audit_scope(self):
        return zone_audit_scope(self.zone)


class ResponsibilityEntry(models.Model):
    """安全生产责任清单: who (unit, position, person) is responsible for what."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.CASCADE, related_name="+", verbose_name=_("zone"))
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    unit_name = models.CharField(_("unit name"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=100)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("person"),
    )
    person_name = models.CharField(_("person name"), max_length=100, blank=True)
    duty = models.TextField(_("responsibility"))
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ZONE_SCOPE

    class Meta:
        verbose_name = _("safety responsibility")
        verbose_name_plural = _("safety responsibility list")
        ordering = ["zone", "order", "id"]

    def __str__(self):
        return f"{self.unit_label} · {self.position}"

    @property
    def unit_label(self) -> str:
        return self.unit.name if self.unit_id else self.unit_name

    @property
    def person_label(self) -> str:
        if self.person_name:
            return self.person_name
        return (self.person.get_full_name() or self.person.get_username()) if self.person_id else ""

    def audit_scope(self):
        return zone_audit_scope(self.zone)


# ================================================================ gate (卡口)


class Vehicle(models.Model):
    """车辆备案: plate, electronic plate / IC card, tare and frame weight, owner."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    plate = models.CharField(_("plate"), max_length=12)
    e_plate = models.CharField(_("electronic plate"), max_length=40, blank=True)
    ic_card = models.CharField(_("IC card"), max_length=40, blank=True)
    tare_weight = models.DecimalField(_("tare weight (kg)"), **WEIGHT, validators=[MinValueValidator(0)])
    frame_weight = models.DecimalField(_("frame weight (kg)"), **WEIGHT, default=0, validators=[MinValueValidator(0)])
    owner = models.CharField(_("owner"), max_length=200)
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("in-zone enterprise"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ZONE_SCOPE

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["zone", "plate"]
        constraints = [models.UniqueConstraint(fields=["zone", "plate"], name="ops_vehicle_plate_unique")]

    def __str__(self):
        return self.plate

    def audit_scope(self):
        return zone_audit_scope(self.zone, self.enterprise_id)


class ContainerSize(models.TextChoices):
    GP20 = "20GP", _("20GP (20 ft general purpose)")
    GP40 = "40GP", _("40GP (40 ft general purpose)")
    HQ40 = "40HQ", _("40HQ (40 ft high cube)")
    HQ45 = "45HQ", _("45HQ (45 ft high cube)")
    RF20 = "20RF", _("20RF (20 ft reefer)")
    RF40 = "40RF", _("40RF (40 ft reefer)")
    OT20 = "20OT", _("20OT (20 ft open top)")
    FR40 = "40FR", _("40FR (40 ft flat rack)")
    TK20 = "20TK", _("20TK (20 ft tank)")


class Container(models.Model):
    """集装箱备案: an ISO 6346 container number (check digit validated), size/type, tare, owner/operator."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    number = models.CharField(_("container no."), max_length=11)
    size_type = models.CharField(_("size/type"), max_length=4, choices=ContainerSize.choices)
    tare_weight = models.DecimalField(_("container tare (kg)"), **WEIGHT, validators=[MinValueValidator(0)])
    owner = models.CharField(_("owner/operator"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ZONE_SCOPE

    class Meta:
        verbose_name = _("container")
        verbose_name_plural = _("containers")
        ordering = ["zone", "number"]
        constraints = [models.UniqueConstraint(fields=["zone", "number"], name="ops_container_number_unique")]

    def __str__(self):
        return self.number

    def audit_scope(self):
        return zone_audit_scope(self.zone)


class StockNote(models.Model):
    """出入库单 (SAS111): goods in/out of an enterprise's warehouse, the document a pass may carry."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    number = models.CharField(_("number"), max_length=24, unique=True)
    direction = models.CharField(_("direction"), max_length=1, choices=Direction.choices)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="stock_notes",
        verbose_name=_("business application (申报表)"),
    )
    inventory_list = models.ForeignKey(
        "ledger.InventoryList", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("related inventory list"),
    )
    collective = models.BooleanField(_("collective declaration (集报)"), default=False)
    levy_amount = models.DecimalField(_("levied amount"), **MONEY, default=0)
    passed = models.BooleanField(_("all goods passed the gate"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ENTERPRISE_SCOPE

    class Meta:
        verbose_name = _("stock note (出入库单)")
        verbose_name_plural = _("stock notes (出入库单)")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number

    def audit_scope(self):
        return zone_audit_scope(self.zone, self.enterprise_id)


class StockNoteLine(models.Model):
    note = models.ForeignKey(StockNote, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField(_("line no."))
    name = models.CharField(_("goods name"), max_length=200)
    hs_code = models.CharField(_("HS code"), max_length=10, blank=True)
    qty = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10)
    gross_weight = models.DecimalField(_("gross weight (kg)"), **WEIGHT, default=0)

    SCOPE_PATHS = _prefixed("note", ENTERPRISE_SCOPE)

    class Meta:
        verbose_name = _("stock note line")
        verbose_name_plural = _("stock note lines")
        ordering = ["note", "seq"]
        constraints = [models.UniqueConstraint(fields=["note", "seq"], name="ops_note_line_unique")]


class GatePassQuerySet(ScopedQuerySet):
    pass


class GatePass(models.Model):
    """核放单 (SAS121): a vehicle's permit to pass the gate with the documents and goods it carries."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("enterprise"),
    )
    number = models.CharField(_("pass number"), max_length=24, unique=True)
    direction = models.CharField(_("direction"), max_length=1, choices=Direction.choices)
    pass_type = models.CharField(_("pass type"), max_length=1, choices=PassType.choices)
    bind_type = models.CharField(_("binding"), max_length=1, choices=BindType.choices, default=BindType.ONE_TO_ONE)
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="passes", verbose_name=_("vehicle"))
    container = models.ForeignKey(Container, null=True, blank=True, on_delete=models.PROTECT, related_name="passes",
                                  verbose_name=_("container"))
    container_no = models.CharField(_("container no."), max_length=20, blank=True)
    container_weight = models.DecimalField(_("container weight (kg)"), **WEIGHT, default=0)
    goods_weight = models.DecimalField(_("declared goods gross weight (kg)"), **WEIGHT, default=0)
    total_weight = models.DecimalField(_("declared total weight (kg)"), **WEIGHT, default=0)
    goods_kind = models.CharField(_("goods kind"), max_length=24, blank=True, default="general")
    status = models.CharField(_("status"), max_length=1, choices=PassStatus.choices, default=PassStatus.APPLIED,
                              db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    first_gate_at = models.DateTimeField(_("passed the first gate at"), null=True, blank=True)
    passed_at = models.DateTimeField(_("passed at"), null=True, blank=True)
    weighed = models.DecimalField(_("weighbridge weight (kg)"), **WEIGHT, null=True, blank=True)

    objects = GatePassQuerySet.as_manager()
    SCOPE_PATHS = ENTERPRISE_SCOPE

    class Meta:
        verbose_name = _("gate pass (核放单)")
        verbose_name_plural = _("gate passes (核放单)")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["zone", "status", "created_at"], name="ops_pass_zone_status")]

    def __str__(self):
        return self.number

    def audit_scope(self):
        return zone_audit_scope(self.zone, self.enterprise_id)


class GatePassDocument(models.Model):
    """A document the pass carries (rltTbTypecd / rltNo): an inventory list, a stock note or a bill."""

    gate_pass = models.ForeignKey(GatePass, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document kind"), max_length=1, choices=RelatedKind.choices)
    number = models.CharField(_("document number"), max_length=64)
    stock_note = models.ForeignKey(StockNote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    inventory_list = models.ForeignKey(
        "ledger.InventoryList", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    SCOPE_PATHS = _prefixed("gate_pass", ENTERPRISE_SCOPE)

    class Meta:
        verbose_name = _("related document")
        verbose_name_plural = _("related documents")


class GatePassLine(models.Model):
    """A goods line of a pass, citing the line of its related document (rltGdsSeqno)."""

    gate_pass = models.ForeignKey(GatePass, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField(_("line no."))
    document = models.ForeignKey(GatePassDocument, on_delete=models.CASCADE, related_name="lines")
    related_seq = models.PositiveIntegerField(_("line of the related document"))
    name = models.CharField(_("goods name"), max_length=200, blank=True)
    qty = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    gross_weight = models.DecimalField(_("gross weight (kg)"), **WEIGHT, default=0)

    SCOPE_PATHS = _prefixed("gate_pass", ENTERPRISE_SCOPE)

    class Meta:
        verbose_name = _("gate pass line")
        verbose_name_plural = _("gate pass lines")
        ordering = ["gate_pass", "seq"]


class ZoneGate(models.Model):
    """卡口: a gate of the zone as the gate system names it (``code`` = the events' gate id).  A zone
    with gates of stage ``first`` and ``second`` runs two-gate passage (已过一卡 → 已过二卡); a zone
    without configured gates treats every gate id as a single gate with a weighbridge."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.CASCADE, related_name="+", verbose_name=_("zone"))
    code = models.CharField(_("gate id"), max_length=20)
    name = models.CharField(_("name"), max_length=100, blank=True)
    stage = models.CharField(_("stage"), max_length=6, choices=GateStage.choices, default=GateStage.SINGLE)
    weighbridge = models.BooleanField(_("weighbridge (weight checked here)"), default=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ZONE_SCOPE

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["zone", "stage", "code"]
        constraints = [models.UniqueConstraint(fields=["zone", "code"], name="ops_gate_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}".strip()

    def audit_scope(self):
        return zone_audit_scope(self.zone)


class WeightTolerance(models.Model):
    """Weighbridge tolerance per zone and goods kind: the larger of ``pct`` % and ``min_kg``."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.CASCADE, related_name="+", verbose_name=_("zone"))
    goods_kind = models.CharField(_("goods kind"), max_length=24, default="general")
    pct = models.DecimalField(_("tolerance (%)"), max_digits=5, decimal_places=2)
    min_kg = models.DecimalField(_("minimum tolerance (kg)"), **WEIGHT, default=0)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ZONE_SCOPE

    class Meta:
        verbose_name = _("weight tolerance")
        verbose_name_plural = _("weight tolerances")
        constraints = [models.UniqueConstraint(fields=["zone", "goods_kind"], name="ops_tolerance_unique")]

    def audit_scope(self):
        return zone_audit_scope(self.zone)


class GateEvent(models.Model):
    """过卡: one passage reported by the gate system or entered by the gate officer.  Idempotent by
    (zone, event id): the gate system's retry gets the stored answer."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    event_id = models.CharField(_("event id"), max_length=64)
    pass_number = models.CharField(_("pass number"), max_length=24)
    gate_pass = models.ForeignKey(
        GatePass, null=True, blank=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("gate pass")
    )
    gate_id = models.CharField(_("gate"), max_length=20)
    stage = models.CharField(_("stage"), max_length=6, choices=GateStage.choices, blank=True)
    direction = models.CharField(_("direction"), max_length=1, choices=Direction.choices)
    at = models.DateTimeField(_("time"), db_index=True)
    weight = models.DecimalField(_("weighbridge weight (kg)"), **WEIGHT, null=True, blank=True)
    photo_ref = models.CharField(_("photo reference"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=EventResult.choices)
    reason_code = models.CharField(_("reason code"), max_length=32, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = {**ZONE_SCOPE, "enterprise": "gate_pass__enterprise_id"}

    class Meta:
        verbose_name = _("gate event")
        verbose_name_plural = _("gate events")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["zone", "event_id"], name="ops_event_unique")]
        indexes = [models.Index(fields=["zone", "at"], name="ops_event_zone_at")]

    def __str__(self):
        return f"{self.pass_number} @ {self.gate_id}"

    def audit_scope(self):
        return zone_audit_scope(self.zone, self.gate_pass.enterprise_id if self.gate_pass_id else None)


class GateException(models.Model):
    """卡口异常: a failed weight or quantity check; the vehicle waits until an officer decides."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    event = models.ForeignKey(GateEvent, on_delete=models.PROTECT, related_name="exceptions", verbose_name=_("event"))
    gate_pass = models.ForeignKey(GatePass, on_delete=models.PROTECT, related_name="exceptions",
                                  verbose_name=_("gate pass"))
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices)
    detail = models.CharField(_("reason"), max_length=300)
    expected = models.DecimalField(_("expected"), **QTY, null=True, blank=True)
    measured = models.DecimalField(_("measured"), **QTY, null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=ExceptionState.choices, default=ExceptionState.OPEN,
                             db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision = models.CharField(_("decision reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = {**ZONE_SCOPE, "enterprise": "gate_pass__enterprise_id"}

    class Meta:
        verbose_name = _("gate exception")
        verbose_name_plural = _("gate exceptions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.gate_pass.number}: {self.detail}"

    def audit_scope(self):
        return zone_audit_scope(self.zone, self.gate_pass.enterprise_id)


# ================================================================ bonded goods flows (保税货物流转)


class FlowKind(models.TextChoices):
    INTRA = "intra", _("within the zone (区内流转)")
    INTER = "inter", _("between zones (区间流转)")


class FlowState(models.TextChoices):
    UNPAIRED = "unpaired", _("unpaired (未配对)")
    PAIRED = "paired", _("paired (已配对)")
    MISMATCH = "mismatch", _("mismatched (不一致)")


class FlowDeclaration(models.Model):
    """One side of a bonded goods flow: the transferor's (out) or the transferee's (in) list, naming
    its counterpart's list number.  Paired when both sides name each other and meet the ledger's
    carry-over pairing rule (HS-8, unit, quantity, window, year); otherwise it waits in the queue."""

    kind = models.CharField(_("kind"), max_length=5, choices=FlowKind.choices)
    side = models.CharField(_("side"), max_length=1, choices=Direction.choices)  # E = transferor, I = transferee
    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("enterprise"))
    list_number = models.CharField(_("list number"), max_length=64)
    counterpart_list = models.CharField(_("counterpart list number"), max_length=64)
    counterpart_zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("counterpart zone"))
    hs_code = models.CharField(_("HS code"), max_length=10)
    qty = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10)
    declared_on = models.DateField(_("declared on"))
    state = models.CharField(_("state"), max_length=10, choices=FlowState.choices, default=FlowState.UNPAIRED,
                             db_index=True)
    partner = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("paired with"))
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = {"province": ("zone__province_code", "counterpart_zone__province_code"),
                   "city": ("zone__city_code", "counterpart_zone__city_code"),
                   "zone": ("zone_id", "counterpart_zone_id"), "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = _("flow declaration")
        verbose_name_plural = _("flow declarations")
        ordering = ["declared_on", "id"]
        constraints = [models.UniqueConstraint(fields=["side", "list_number"], name="ops_flow_side_list_unique")]

    def __str__(self):
        return self.list_number

    def audit_scope(self):
        return {**zone_audit_scope(self.zone, self.enterprise_id), "other": {"zone": self.counterpart_zone_id}}


class EntryBatch(models.Model):
    """入区一次检验、出区分批核销: goods inspected once at entry, released in several partial exits."""

    zone = models.ForeignKey("registry.Zone", on_delete=models.PROTECT, related_name="+", verbose_name=_("zone"))
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("enterprise"))
    number = models.CharField(_("batch number"), max_length=40, unique=True)
    inspection_no = models.CharField(_("inspection record no."), max_length=40)
    inspected_on = models.DateField(_("inspected on"))
    inspection_result = models.CharField(_("inspection result"), max_length=200)
    goods = models.CharField(_("goods name"), max_length=200)
    hs_code = models.CharField(_("HS code"), max_length=10)
    qty = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10)
    remaining = models.DecimalField(_("remaining"), **QTY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    SCOPE_PATHS = ENTERPRISE_SCOPE

    class Meta:
        verbose_name = _("entry batch")
        verbose_name_plural = _("entry batches")
        ordering = ["-inspected_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(remaining__gte=0), name="ops_batch_remaining_not_negative"),
            models.CheckConstraint(condition=models.Q(remaining__lte=models.F("qty")), name="ops_batch_remaining_le_qty"),
        ]

    def __str__(self):
        return self.number

    def audit_scope(self):
        return zone_audit_scope(self.zone, self.enterprise_id)


class BatchRelease(models.Model):
    """出区分批核销: one partial exit of an entry batch."""

    batch = models.ForeignKey(EntryBatch, on_delete=models.PROTECT, related_name="releases", verbose_name=_("batch"))
    qty = models.DecimalField(_("quantity"), **QTY, validators=[MinValueValidator(0)])
    gate_pass = models.ForeignKey(GatePass, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("gate pass"))
    at = models.DateTimeField(_("released at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    remaining_after = models.DecimalField(_("remaining after"), **QTY)

    SCOPE_PATHS = _prefixed("batch", ENTERPRISE_SCOPE)

    class Meta:
        verbose_name = _("batch release")
        verbose_name_plural = _("batch releases")
        ordering = ["batch", "at", "id"]
