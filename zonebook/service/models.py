"""Enterprise service (企业服务): request categories and the responsibility table, requests (诉求) with
their dispatches, events and extensions, liaison assignments (定点联系) and visits (走访 / 园区巡查).

Every write goes through ``zonebook.service.services`` (audited in the same transaction).  Deadlines
and traffic lights come from ``zonebook.sla`` (``TrackedMixin``): the close clock hangs on the request,
the sign-off and first-reply clocks on each dispatch (``Assignment``), so a returned and re-dispatched
request gets fresh clocks.  Overdue, supervision (督办) and colours are overlays, never states.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zonebook.core.scoping import ScopedQuerySet
from zonebook.sla.models import TrackedMixin


class Channel(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise (online)")
    LIAISON = "liaison", _("Liaison officer")
    COUNTER = "counter", _("Service counter")
    PHONE = "phone", _("Telephone")
    VISIT = "visit", _("Visit or patrol")


class Status(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("service", "Received")
    DISPATCHED = "dispatched", pgettext_lazy("service", "Waiting for sign-off")
    IN_PROGRESS = "in_progress", pgettext_lazy("service", "In progress")
    EXTENSION_PENDING = "extension_pending", pgettext_lazy("service", "Extension pending")
    RESULT_REVIEW = "result_review", pgettext_lazy("service", "Result under review")
    REVISIT = "revisit", pgettext_lazy("service", "Waiting for revisit")
    CLOSED = "closed", pgettext_lazy("service", "Closed")


OPEN_STATUSES = [s for s in Status.values if s != Status.CLOSED]


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", pgettext_lazy("service", "Satisfied")
    BASICALLY = "basically", pgettext_lazy("service", "Basically satisfied")
    UNSATISFIED = "unsatisfied", pgettext_lazy("service", "Unsatisfied")


class EventKind(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("service", "Received")
    DISPATCHED = "dispatched", pgettext_lazy("service", "Dispatched")
    SIGNED = "signed", pgettext_lazy("service", "Signed off")
    RETURNED = "returned", pgettext_lazy("service", "Returned")
    STAGE_REPLY = "stage_reply", pgettext_lazy("service", "Stage reply")
    CO_REPLY = "co_reply", pgettext_lazy("service", "Co-handler reply")
    EXTENSION_REQUESTED = "ext_requested", pgettext_lazy("service", "Extension requested")
    EXTENSION_APPROVED = "ext_approved", pgettext_lazy("service", "Extension approved")
    EXTENSION_DENIED = "ext_denied", pgettext_lazy("service", "Extension denied")
    RESULT = "result", pgettext_lazy("service", "Result submitted")
    RESULT_REJECTED = "result_rejected", pgettext_lazy("service", "Result rejected")
    RESULT_ACCEPTED = "result_accepted", pgettext_lazy("service", "Result accepted")
    DIRECT_ANSWER = "direct_answer", pgettext_lazy("service", "Answered directly")
    REVISITED = "revisited", pgettext_lazy("service", "Revisited")
    REOPENED = "reopened", pgettext_lazy("service", "Reopened")
    CLOSED = "closed", pgettext_lazy("service", "Closed")
    NOTE = "note", pgettext_lazy("service", "Note")
    REMINDED = "reminded", pgettext_lazy("service", "Reminder sent")
    SUPERVISED = "supervised", pgettext_lazy("service", "Put under supervision")


# ------------------------------------------------------------------ categories and responsibility


class Category(models.Model):
    """诉求分类: a category or (with a parent) a subcategory; ``complex`` items get the long limit."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    complex = models.BooleanField(_("complex (long time limit)"), default=False)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    @property
    def top(self) -> Category:
        return self.parent if self.parent_id else self


class ResponsibilityQuerySet(ScopedQuerySet):
    pass


class Responsibility(models.Model):
    """职责清单: which unit handles a category (a subcategory row wins over its category's).  The
    proposal at dispatch is the first listed unit that lies within the request's zone."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="responsibilities")
    unit = models.ForeignKey("accounts.Unit", verbose_name=_("handling unit"), on_delete=models.CASCADE, related_name="+")
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)

    SCOPE_PATHS = {"province": "unit__province_code", "city": "unit__city_code", "zone": "unit__zone_id"}
    objects = ResponsibilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibility table")
        ordering = ["category__order", "category__code", "priority"]
        constraints = [models.UniqueConstraint(fields=["category", "unit"], name="service_resp_unique")]

    def __str__(self) -> str:
        return f"{self.category} → {self.unit}"

    def audit_scope(self) -> dict:
        return self.unit.audit_scope()


# ------------------------------------------------------------------ requests


class RequestQuerySet(ScopedQuerySet):
    def open(self):
        return self.exclude(status=Status.CLOSED)


class ServiceRequest(TrackedMixin, models.Model):
    """诉求 / 工单: one problem of one enterprise, from intake to close."""

    number = models.CharField(pgettext_lazy("service", "number"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="service_requests"
    )
    zone = models.ForeignKey("registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    # the zone's region, copied at intake: province and city lists sort by time on an index, without a join
    province_code = models.CharField(max_length=6, blank=True)
    city_code = models.CharField(max_length=6, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 首问负责: the first receiver owns the request until it is dispatched
    first_receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first receiver"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("lead unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "service.Visit", verbose_name=_("raised on visit"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="problems",
    )
    # the running close clock (its policy key and due time, copied from zonebook.sla for lists)
    clock_policy = models.CharField(_("time limit"), max_length=80, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    result = models.TextField(_("result"), blank=True)
    solved = models.BooleanField(_("solved"), null=True, blank=True)
    result_at = models.DateTimeField(_("result at"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    revisited_at = models.DateTimeField(_("revisited at"), null=True, blank=True)
    not_attributable = models.BooleanField(_("not attributable to the unit"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    extension_days = models.PositiveSmallIntegerField(_("approved extension (working days)"), default=0)

    SCOPE_PATHS = {
        "province": "province_code",
        "city": "city_code",
        "zone": "zone_id",
        "enterprise": "enterprise_id",
    }
    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["zone", "status"], name="service_req_zone_status"),
            models.Index(fields=["province_code", "-received_at", "-id"], name="service_req_prov_recv"),
            models.Index(fields=["city_code", "-received_at", "-id"], name="service_req_city_recv"),
            models.Index(fields=["zone", "-received_at", "-id"], name="service_req_zone_recv"),
            models.Index(fields=["enterprise", "-received_at", "-id"], name="service_req_ent_recv"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("service:request_detail", args=[self.pk])

    def audit_scope(self) -> dict:
        zone = self.zone
        return {"province": zone.province_code, "city": zone.city_code, "zone": zone.pk, "enterprise": self.enterprise_id}

    @staticmethod
    def closed_q() -> Q:
        return Q(status=Status.CLOSED)

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


class Assignment(TrackedMixin, models.Model):
    """派单: one dispatch of a request to a lead unit (plus co-handlers).  A return (退单) ends it; a
    new dispatch or a reopen (重办) starts another one with fresh sign-off and reply clocks."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("service", "Waiting for sign-off")
        SIGNED = "signed", pgettext_lazy("service", "Signed off")
        RETURNED = "returned", pgettext_lazy("service", "Returned")
        DONE = "done", pgettext_lazy("service", "Done")

    request = models.ForeignKey(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="assignments")
    lead_unit = models.ForeignKey("accounts.Unit", verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    co_units = models.ManyToManyField("accounts.Unit", verbose_name=_("co-handling units"), blank=True, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    redo = models.BooleanField(_("reopened (redo)"), default=False)
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)

    SCOPE_PATHS = {
        "province": "request__province_code",
        "city": "request__city_code",
        "zone": "request__zone_id",
        "enterprise": "request__enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["request", "dispatched_at", "id"]

    def __str__(self) -> str:
        return f"{self.request.number} → {self.lead_unit}"

    def audit_scope(self) -> dict:
        return self.request.audit_scope()

    @staticmethod
    def closed_q() -> Q:
        return Q(state__in=["returned", "done"]) | Q(request__status=Status.CLOSED)


class RequestEvent(models.Model):
    """One step of a request (time, actor, unit, text).  ``internal`` notes are never shown to the
    enterprise (pages and API)."""

    request = models.ForeignKey(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    unit = models.ForeignKey("accounts.Unit", verbose_name=pgettext_lazy("service", "unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("text"), blank=True)
    internal = models.BooleanField(_("internal note"), default=False)
    next_date = models.DateField(_("next checkpoint"), null=True, blank=True)

    SCOPE_PATHS = {
        "province": "request__province_code",
        "city": "request__city_code",
        "zone": "request__zone_id",
        "enterprise": "request__enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"

    def audit_scope(self) -> dict:
        return self.request.audit_scope()


class Extension(models.Model):
    """延期申请: asked by the lead unit before the deadline, approved centrally, capped in total."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("service", "Pending")
        APPROVED = "approved", pgettext_lazy("service", "Approved")
        DENIED = "denied", pgettext_lazy("service", "Denied")

    request = models.ForeignKey(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(pgettext_lazy("service", "reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["request", "requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=Q(state="pending"), name="service_one_pending_extension"),
            models.CheckConstraint(condition=Q(days__gte=1), name="service_extension_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} +{self.days}"

    def audit_scope(self) -> dict:
        return self.request.audit_scope()


# ------------------------------------------------------------------ liaisons and visits


class LiaisonRole(models.TextChoices):
    LEADER = "leader", _("Liaison leader")
    STAFF = "staff", _("Liaison officer")


class Liaison(models.Model):
    """定点联系: an officer assigned to an enterprise for a period (history = ended rows)."""

    enterprise = models.ForeignKey("registry.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="liaisons")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("officer"), on_delete=models.PROTECT, related_name="liaisons")
    role = models.CharField(_("role"), max_length=8, choices=LiaisonRole.choices, default=LiaisonRole.STAFF)
    valid_from = models.DateField(pgettext_lazy("period", "from"))
    valid_to = models.DateField(pgettext_lazy("period", "until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    SCOPE_PATHS = {
        "province": "enterprise__zone__province_code",
        "city": "enterprise__zone__city_code",
        "zone": "enterprise__zone_id",
        "enterprise": "enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("liaison assignment")
        verbose_name_plural = _("liaison assignments")
        ordering = ["enterprise", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "officer"], condition=Q(valid_to__isnull=True), name="service_liaison_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} – {self.officer}"

    def audit_scope(self) -> dict:
        return self.enterprise.audit_scope()


class VisitKind(models.TextChoices):
    VISIT = "visit", _("Enterprise visit")
    PATROL = "patrol", _("Park patrol")
    CALL = "call", _("Telephone contact")


class Visit(models.Model):
    """走访 / 园区巡查: who went where, when, what was discussed and found; problems become requests."""

    zone = models.ForeignKey("registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"), db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=VisitKind.choices, default=VisitKind.VISIT)
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("officers"), related_name="visits")
    enterprises = models.ManyToManyField("registry.Enterprise", verbose_name=_("enterprises"), related_name="visits", blank=True)
    topics = models.TextField(_("topics"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # visit notes are the office's own working records: enterprise users do not see them
    SCOPE_PATHS = {"province": "zone__province_code", "city": "zone__city_code", "zone": "zone_id"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("service:visit_detail", args=[self.pk])

    def audit_scope(self) -> dict:
        zone = self.zone
        return {"province": zone.province_code, "city": zone.city_code, "zone": zone.pk, "enterprise": None}


# ------------------------------------------------------------------ key enterprises (重点企业)


class TierRule(models.Model):
    """重点企业档次: an enterprise whose import + export value (USD, last 12 months or last year) reaches
    ``min_trade_usd`` belongs to this tier; dated configuration rows (thresholds are local rules)."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    min_trade_usd = models.DecimalField(_("import and export at least (USD)"), max_digits=18, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("key-enterprise tier")
        verbose_name_plural = _("key-enterprise tiers")
        ordering = ["-min_trade_usd"]
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="service_tier_rule_unique")]

    def __str__(self) -> str:
        return self.name


class TierBasis(models.TextChoices):
    COMPUTED = "computed", _("Computed from statistics")
    MANUAL = "manual", _("Set by hand")


class EnterpriseTier(models.Model):
    """One period of an enterprise's key-enterprise tier (history: ended rows); ``tier`` empty = not a
    key enterprise any more."""

    enterprise = models.ForeignKey("registry.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="tiers")
    tier = models.ForeignKey(TierRule, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    basis = models.CharField(_("basis"), max_length=10, choices=TierBasis.choices)
    trade_usd = models.DecimalField(_("import and export (USD)"), max_digits=18, decimal_places=2, null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    SCOPE_PATHS = Liaison.SCOPE_PATHS
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise tier")
        verbose_name_plural = _("enterprise tiers")
        ordering = ["enterprise", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise"], condition=Q(valid_to__isnull=True), name="service_tier_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.tier or '—'}"

    def audit_scope(self) -> dict:
        return self.enterprise.audit_scope()


# ------------------------------------------------------------------ operation reports (每日运行情况表)


class Campaign(models.Model):
    """A monitoring the office switches on for a set of enterprises and a period: the emergency daily
    report (每日运行情况表, due every day at ``due_time``) or the routine monthly one (due on ``due_day``)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        MONTHLY = "monthly", _("Monthly")

    title = models.CharField(_("title"), max_length=100)
    zone = models.ForeignKey("registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    start_date = models.DateField(pgettext_lazy("period", "from"))
    end_date = models.DateField(pgettext_lazy("period", "until"))
    due_time = models.TimeField(_("due time"), default="16:00")
    due_day = models.PositiveSmallIntegerField(_("due day of the month"), default=8)
    enterprises = models.ManyToManyField("registry.Enterprise", verbose_name=_("enterprises"), related_name="+")
    office = models.CharField(_("issuing office"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = {"province": "zone__province_code", "city": "zone__city_code", "zone": "zone_id",
                   "enterprise": "enterprises__id"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("operation report campaign")
        verbose_name_plural = _("operation report campaigns")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("service:campaign_detail", args=[self.pk])

    def audit_scope(self) -> dict:
        zone = self.zone
        return {"province": zone.province_code, "city": zone.city_code, "zone": zone.pk, "enterprise": None}


class OperatingState(models.TextChoices):
    NORMAL = "normal", _("Operating normally")
    PARTIAL = "partial", _("Partly operating")
    STOPPED = "stopped", pgettext_lazy("service", "Stopped")


class OperationReport(models.Model):
    """One enterprise's report for one day (or month) of a campaign; a second submission for the same
    period updates it (``revision``, audited) — never a duplicate.  Late reports are kept, flagged."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="reports")
    enterprise = models.ForeignKey("registry.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="operation_reports")
    date = models.DateField(_("report date"))
    state = models.CharField(_("operating state"), max_length=8, choices=OperatingState.choices)
    staff_expected = models.PositiveIntegerField(_("staff expected"), default=0)
    staff_present = models.PositiveIntegerField(_("staff at work"), default=0)
    output_value = models.DecimalField(_("output value of the day (10k CNY)"), max_digits=14, decimal_places=2, default=0)
    imports_usd = models.DecimalField(_("imports of the day (10k USD)"), max_digits=14, decimal_places=2, default=0)
    exports_usd = models.DecimalField(_("exports of the day (10k USD)"), max_digits=14, decimal_places=2, default=0)
    damage = models.TextField(_("damage"), blank=True)
    needs = models.TextField(_("needs and problems"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    late = models.BooleanField(_("late"), default=False)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)

    SCOPE_PATHS = {
        "province": "enterprise__zone__province_code",
        "city": "enterprise__zone__city_code",
        "zone": "enterprise__zone_id",
        "enterprise": "enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("operation report")
        verbose_name_plural = _("operation reports")
        ordering = ["campaign", "date", "enterprise"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "enterprise", "date"], name="service_report_once_per_day"),
            models.CheckConstraint(condition=Q(staff_present__lte=models.F("staff_expected")) | Q(staff_expected=0),
                                   name="service_report_staff_le_expected"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.date:%Y-%m-%d}"

    def audit_scope(self) -> dict:
        return self.enterprise.audit_scope()


# ------------------------------------------------------------------ joint meetings (联席会议)


class JointMeeting(models.Model):
    """联席会议 with customs, inspection, foreign exchange and other units; its decisions are tracked."""

    zone = models.ForeignKey("registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    units = models.ManyToManyField("accounts.Unit", verbose_name=_("participating units"), related_name="+")
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    SCOPE_PATHS = {"province": "zone__province_code", "city": "zone__city_code", "zone": "zone_id"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("service:meeting_detail", args=[self.pk])

    def audit_scope(self) -> dict:
        zone = self.zone
        return {"province": zone.province_code, "city": zone.city_code, "zone": zone.pk, "enterprise": None}


class MeetingDecision(models.Model):
    """A decision of a joint meeting: a task with a lead unit and a deadline, tracked until done."""

    meeting = models.ForeignKey(JointMeeting, verbose_name=_("joint meeting"), on_delete=models.CASCADE,
                                related_name="decisions")
    text = models.TextField(_("decision"))
    lead_unit = models.ForeignKey("accounts.Unit", verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("deadline"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    SCOPE_PATHS = {"province": "meeting__zone__province_code", "city": "meeting__zone__city_code",
                   "zone": "meeting__zone_id"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.text[:60]

    def audit_scope(self) -> dict:
        return self.meeting.audit_scope()
