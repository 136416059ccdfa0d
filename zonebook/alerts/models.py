"""Alerts (deadline register), consumption plausibility flags and thresholds.

* ``AlertSettings`` — the configurable thresholds (one row, edited in the admin through
  ``services.save_settings``, audited; defaults shipped by the data migration 0002).
* ``Alert`` — the register of open deadlines (book expiry, write-off deadline, domestic-sale tax due),
  refreshed set-based by ``services.refresh_alerts`` (daily ``send_alerts`` command, or the page's
  background job).  Days left and traffic lights are computed at query time from ``due_date``.
* ``PlausibilityFlag`` — a consumption version or write-off material whose figures deviate from the
  previous version, the provincial peer median or the stocktake (``services.refresh_flags``).

Notifications are sent through ``zonebook.notify`` (kinds registered in ``notifications.py``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .choices import AlertKind, AlertState, FlagKind, FlagState, Metric

BOOK_SCOPE = {
    "province": "book__zone__province_code",
    "city": "book__zone__city_code",
    "zone": "book__zone_id",
    "enterprise": "book__enterprise_id",
}
PCT = {"max_digits": 9, "decimal_places": 4}


def _book_scope(book) -> dict:
    return {
        "province": book.zone.province_code,
        "city": book.zone.city_code,
        "zone": book.zone_id,
        "enterprise": book.enterprise_id,
    }


class AlertSettings(models.Model):
    """Alert thresholds (one row, pk = 1).  Days are calendar days; percentages have 4 decimals."""

    writeoff_grace_days = models.PositiveSmallIntegerField(
        _("write-off grace days"),
        default=30,
        validators=[MaxValueValidator(366)],
        help_text=_(
            "Handbooks: days after the later of last export and expiry; e-books: days after the cycle end."
        ),
    )
    expiry_amber_days = models.PositiveSmallIntegerField(_("book expiry: amber at days left"), default=60)
    expiry_red_days = models.PositiveSmallIntegerField(_("book expiry: red at days left"), default=30)
    writeoff_amber_days = models.PositiveSmallIntegerField(
        _("write-off deadline: amber at days left"), default=30
    )
    writeoff_red_days = models.PositiveSmallIntegerField(_("write-off deadline: red at days left"), default=7)
    tax_amber_days = models.PositiveSmallIntegerField(_("tax due: amber at days left"), default=10)
    tax_red_days = models.PositiveSmallIntegerField(_("tax due: red at days left"), default=3)
    tax_due_day = models.PositiveSmallIntegerField(
        _("tax due day of the following month"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    domestic_sale_modes = models.CharField(
        _("domestic-sale supervision modes"),
        max_length=100,
        default="0245,0644,0844,0845",
        help_text=_("Comma-separated 监管方式 codes whose posted lists make domestic-sale tax due."),
    )
    notify_amber = models.BooleanField(
        _("notify amber alerts"), default=True, help_text=_("Otherwise only red alerts are notified.")
    )
    notify_flags = models.BooleanField(_("notify plausibility flags"), default=True)
    consumption_previous_pct = models.DecimalField(
        _("unit consumption vs previous version: threshold %"),
        **PCT,
        default=Decimal("10"),
        validators=[MinValueValidator(0)],
    )
    consumption_peer_pct = models.DecimalField(
        _("unit consumption vs peer median: threshold %"),
        **PCT,
        default=Decimal("20"),
        validators=[MinValueValidator(0)],
    )
    loss_rate_points = models.DecimalField(
        _("loss rates: threshold in percentage points"),
        **PCT,
        default=Decimal("2"),
        validators=[MinValueValidator(0)],
    )
    peer_min_count = models.PositiveSmallIntegerField(
        _("minimum peer rows for a median"), default=3, validators=[MinValueValidator(1)]
    )
    writeoff_actual_pct = models.DecimalField(
        _("write-off actual vs filed consumption: threshold %"),
        **PCT,
        default=Decimal("5"),
        validators=[MinValueValidator(0)],
    )
    carryover_match_days = models.PositiveSmallIntegerField(
        _("carry-over: days to match a half (对碰)"), default=30, validators=[MinValueValidator(1)]
    )
    carryover_amber_days = models.PositiveSmallIntegerField(_("carry-over: amber at days left"), default=10)
    carryover_red_days = models.PositiveSmallIntegerField(_("carry-over: red at days left"), default=3)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expiry_red_days__lte=models.F("expiry_amber_days"))
                & models.Q(writeoff_red_days__lte=models.F("writeoff_amber_days"))
                & models.Q(tax_red_days__lte=models.F("tax_amber_days"))
                & models.Q(carryover_red_days__lte=models.F("carryover_amber_days")),
                name="alerts_settings_red_before_amber",
            ),
        ]

    def __str__(self):
        return str(_("Alert settings"))

    @classmethod
    def current(cls) -> AlertSettings:
        """The settings row (created with the defaults if the data migration's row is gone)."""
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def modes(self) -> list[str]:
        return [m.strip() for m in self.domestic_sale_modes.split(",") if m.strip()]

    def lights(self, kind: str) -> tuple[int, int]:
        """(amber days, red days) of an alert kind."""
        return {
            AlertKind.EXPIRY: (self.expiry_amber_days, self.expiry_red_days),
            AlertKind.WRITEOFF: (self.writeoff_amber_days, self.writeoff_red_days),
            AlertKind.TAX_DUE: (self.tax_amber_days, self.tax_red_days),
            AlertKind.CARRYOVER: (self.carryover_amber_days, self.carryover_red_days),
        }[kind]


class Alert(models.Model):
    """One open (or past) deadline of a book.  ``key`` identifies it across refreshes: kind, book and
    the date or month it is about, so a changed date makes a new alert and resolves the old one."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.CASCADE, related_name="+"
    )
    carry_over = models.ForeignKey(
        "ledger.CarryOver",
        verbose_name=_("carry-over"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), db_index=True)
    basis_date = models.DateField(_("basis date"), null=True, blank=True)
    period = models.CharField(_("period"), max_length=7, blank=True)
    list_count = models.PositiveIntegerField(_("lists"), default=0)
    amount = models.DecimalField(_("declared amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    first_seen_at = models.DateTimeField(_("first seen"))
    refreshed_at = models.DateTimeField(_("last refreshed"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    SCOPE_PATHS = BOOK_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["state", "kind", "due_date"], name="alerts_alert_state_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.book_id} {self.due_date}"

    def audit_scope(self):
        return _book_scope(self.book)


class PlausibilityFlag(models.Model):
    """A consumption line (or a write-off material) whose figure deviates by more than a threshold.

    ``value`` is the flagged figure, ``reference`` what it is compared with (previous version, peer
    median, or the filed consumption), ``deviation`` = (value − reference)/reference × 100 for 单耗 and
    consumption, value − reference (percentage points) for the loss rates.
    """

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=FlagKind.choices)
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.CASCADE, related_name="+"
    )
    consumption = models.ForeignKey(
        "ledger.Consumption",
        verbose_name=_("consumption line"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    previous = models.ForeignKey(
        "ledger.Consumption",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    writeoff_line = models.ForeignKey(
        "ledger.WriteOffLine",
        verbose_name=_("write-off line"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    writeoff = models.ForeignKey(
        "ledger.WriteOff",
        verbose_name=_("write-off"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    product = models.ForeignKey(
        "ledger.BookItem",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    material = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("material"), on_delete=models.CASCADE, related_name="+"
    )
    version = models.CharField(_("consumption version"), max_length=8, blank=True)
    province_code = models.CharField(_("province code"), max_length=6, blank=True)
    product_hs = models.CharField(_("product HS code"), max_length=10, blank=True)
    material_hs = models.CharField(_("material HS code"), max_length=10, blank=True)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=10)
    reference = models.DecimalField(_("reference"), max_digits=24, decimal_places=10)
    deviation = models.DecimalField(_("deviation"), max_digits=14, decimal_places=4, null=True)
    threshold = models.DecimalField(_("threshold"), **PCT)
    peer_count = models.PositiveIntegerField(_("peer rows"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=FlagState.choices, default=FlagState.OPEN)
    first_seen_at = models.DateTimeField(_("first seen"))
    refreshed_at = models.DateTimeField(_("last refreshed"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    SCOPE_PATHS = BOOK_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("plausibility flag")
        verbose_name_plural = _("plausibility flags")
        ordering = ["book", "kind", "id"]
        indexes = [models.Index(fields=["state", "kind"], name="alerts_flag_state_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_metric_display()} {self.book_id}"

    @property
    def relative(self) -> bool:
        return self.metric in (Metric.UNIT_CONSUMPTION, Metric.CONSUMPTION)

    def audit_scope(self):
        return _book_scope(self.book)
