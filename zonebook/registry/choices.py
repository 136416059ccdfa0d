from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneEvent(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    AREA_CHANGED = "area_changed", _("Area changed")
    PRE_ACCEPTED = "pre_accepted", _("Pre-accepted")
    ACCEPTED = "accepted", _("Accepted")
    OPERATING = "operating", _("Operating")
    INTEGRATED = "integrated", _("Integrated into another zone")
    RECTIFICATION = "rectification", _("Rectification ordered")
    EXITED = "exited", _("Exited / abolished")


# Events that set the zone's current status (AREA_CHANGED and RECTIFICATION do not end a status).
STATUS_EVENTS = {
    ZoneEvent.PROPOSED,
    ZoneEvent.APPROVED,
    ZoneEvent.PRE_ACCEPTED,
    ZoneEvent.ACCEPTED,
    ZoneEvent.OPERATING,
    ZoneEvent.INTEGRATED,
    ZoneEvent.EXITED,
}


class ZoneLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")


class EnterpriseStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    OPERATING = "operating", _("In production")
    SUSPENDED = "suspended", _("Suspended")
    DEREGISTERED = "deregistered", _("Deregistered")


class ProcessingMode(models.TextChoices):
    NONE = "", _("None")
    INBOUND = "inbound", _("Processing with supplied materials")  # 来料加工
    IMPORTED = "imported", _("Processing with imported materials")  # 进料加工
    BOTH = "both", _("Both")


# The code tables shipped as fixtures; admins may add more.
CODE_TABLES = {
    "region": _("Administrative regions (GB/T 2260)"),
    "industry": _("Industries (GB/T 4754-2017)"),
    "country": _("Countries and regions"),
    "currency": _("Currencies"),
    "unit": _("Units of measure"),
    "customs_office": _("Customs offices"),
    "zone_type": _("Zone types"),
    "ownership": _("Ownership types"),
    "credit_class": _("Customs credit classes"),
    "hs": _("HS codes (商品编码)"),
}
