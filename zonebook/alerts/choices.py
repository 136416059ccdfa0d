"""Code lists of the alerts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    EXPIRY = "expiry", _("Book expiry")
    WRITEOFF = "writeoff", _("Write-off deadline")
    TAX_DUE = "tax_due", _("Domestic-sale tax due")
    CARRYOVER = "carryover", _("Carry-over half unmatched")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class Light(models.TextChoices):
    RED = "red", _("red")
    AMBER = "amber", _("amber")
    GREEN = "green", _("green")


class FlagKind(models.TextChoices):
    PREVIOUS_VERSION = "previous_version", _("Differs from the previous version")
    PEER_MEDIAN = "peer_median", _("Differs from the provincial peer median")
    WRITEOFF_ACTUAL = "writeoff_actual", _("Actual consumption differs from filed")


class Metric(models.TextChoices):
    UNIT_CONSUMPTION = "unit_consumption", _("unit consumption (单耗)")
    TANGIBLE_RATE = "tangible_rate", _("tangible loss rate % (有形损耗率)")
    INTANGIBLE_RATE = "intangible_rate", _("intangible loss rate % (无形损耗率)")
    CONSUMPTION = "consumption", _("material consumption (耗用)")


class FlagState(models.TextChoices):
    OPEN = "open", _("Open")
    CLEARED = "cleared", _("Cleared")


# Metrics whose threshold is relative (%); the loss rates use absolute percentage points.
RELATIVE_METRICS = {Metric.UNIT_CONSUMPTION, Metric.CONSUMPTION}
CONSUMPTION_METRICS = (Metric.UNIT_CONSUMPTION, Metric.TANGIBLE_RATE, Metric.INTANGIBLE_RATE)
# Book kinds written off per handbook (30 days after last export or expiry); the others per cycle.
HANDBOOK_KINDS = ("B", "C", "D")
