"""SLA engine models: calendar overrides, policies with escalation steps, deadlines (clocks), pause
intervals and escalations.  Every write goes through ``zonebook.sla.services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet


class Unit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


class CalendarOverride(models.Model):
    """本地调整: a local day off or working day that wins over the State Council arrangement."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}"


class CalendarYear(models.Model):
    """A year the package does not cover whose arrangement the administrator has entered as overrides
    and confirmed: deadlines in it are no longer provisional."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class SlaPolicy(models.Model):
    """时限规则: the limits of one item type (法定时限 legal, 承诺时限 promised) and its warning threshold."""

    key = models.CharField(
        _("item type"), max_length=80, unique=True,
        validators=[RegexValidator(r"^[a-z0-9_.-]+$")], help_text=_("e.g. service.request"),
    )
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("time unit"), max_length=16, choices=Unit.choices, default=Unit.WORKING_DAYS)
    legal_limit = models.PositiveIntegerField(_("legal limit"))
    promised_limit = models.PositiveIntegerField(_("promised limit"), null=True, blank=True)
    warn_pct = models.PositiveSmallIntegerField(_("warning threshold (%)"), default=50)
    red_pct = models.PositiveSmallIntegerField(_("red threshold (%)"), default=90)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    @property
    def limit(self) -> int:
        """The limit the clock runs against: the promised one when set, else the legal one."""
        return self.promised_limit if self.promised_limit is not None else self.legal_limit


class EscalationStep(models.Model):
    """An escalation step: ``delay`` policy units after the deadline (negative: before it), notify the
    target role (handler → unit head → leader)."""

    class Target(models.TextChoices):
        HANDLER = "handler", _("handler")
        UNIT_HEAD = "unit_head", _("unit head")
        LEADER = "leader", _("leader")

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("SLA policy"))
    order = models.PositiveSmallIntegerField(_("order"))
    delay = models.IntegerField(_("delay after the deadline"), default=0)
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["policy", "order"]
        constraints = [models.UniqueConstraint(fields=["policy", "order"], name="sla_step_unique_order")]

    def __str__(self) -> str:
        return f"{self.policy.key}#{self.order} {self.target}"


class DeadlineQuerySet(ScopedQuerySet):
    pass


class Deadline(models.Model):
    """时限/计时: the clock of one tracked item (any model, through a generic relation)."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        STOPPED = "stopped", _("stopped")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("item type"))
    object_id = models.PositiveBigIntegerField(_("item id"))
    item = GenericForeignKey("content_type", "object_id")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, verbose_name=_("SLA policy"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("handler"),
    )
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    legal_due_at = models.DateTimeField(_("legal due at"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RUNNING, db_index=True)
    provisional = models.BooleanField(_("provisional"), default=False)
    supervised = models.BooleanField(_("supervised"), default=False)  # 督办: an overlay, not a state
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_reason = models.CharField(_("stop reason"), max_length=200, blank=True)
    # scope of the tracked item, copied at start (audit and scoped lists without a join)
    province_code = models.CharField(max_length=6, blank=True)
    city_code = models.CharField(max_length=6, blank=True)
    zone_id = models.BigIntegerField(null=True, blank=True)
    enterprise_id = models.BigIntegerField(null=True, blank=True)

    objects = DeadlineQuerySet.as_manager()
    SCOPE_PATHS = {"province": "province_code", "city": "city_code", "zone": "zone_id", "enterprise": "enterprise_id"}

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "policy"], name="sla_deadline_one_per_item")
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="sla_deadline_item_idx")]

    def __str__(self) -> str:
        return f"{self.policy.key} {self.content_type_id}:{self.object_id}"

    def audit_scope(self) -> dict:
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id,
                "enterprise": self.enterprise_id}


class PauseInterval(models.Model):
    """补正/中止: the clock stands still from ``paused_at`` until ``resumed_at``."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("deadline"))
    paused_at = models.DateTimeField(_("paused at"))
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["deadline", "paused_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline"], condition=models.Q(resumed_at__isnull=True), name="sla_one_open_pause"
            )
        ]


class Escalation(models.Model):
    """One escalation step of one deadline: scheduled (``pending``) at start, then ``fired``,
    ``skipped`` (the item was closed meanwhile) or ``cancelled`` (the clock stopped)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        FIRED = "fired", _("escalated")
        SKIPPED = "skipped", _("skipped (item closed)")
        CANCELLED = "cancelled", _("cancelled")

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("deadline"))
    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="+", verbose_name=_("escalation step"))
    target = models.CharField(_("target"), max_length=16, choices=EscalationStep.Target.choices)
    fire_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    run = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["deadline", "fire_at"]
        constraints = [models.UniqueConstraint(fields=["deadline", "step"], name="sla_escalation_once_per_step")]
        indexes = [models.Index(fields=["state", "fire_at"], name="sla_escalation_due_idx")]

    def __str__(self) -> str:
        return f"{self.deadline_id} → {self.target}"

    def audit_scope(self) -> dict:
        return self.deadline.audit_scope()


class TrackedMixin(models.Model):
    """Mixin for a model whose rows get deadlines: ``obj.deadlines`` is the generic relation."""

    deadlines = GenericRelation(Deadline)

    class Meta:
        abstract = True
