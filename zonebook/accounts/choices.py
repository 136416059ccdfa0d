from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    PROVINCE = "province_commerce", _("Provincial commerce department")
    CITY = "city_commerce", _("City commerce bureau")
    ZONE_STAFF = "zone_staff", _("Zone office staff")
    ZONE_LEADER = "zone_leader", _("Zone office leader")
    ENTERPRISE = "enterprise", _("Enterprise user")
    CUSTOMS = "customs_liaison", _("Customs liaison (read-only)")


class ScopeLevel(models.TextChoices):
    ALL = "all", _("Whole installation")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    ZONE = "zone", _("Zone")
    ENTERPRISE = "enterprise", _("Enterprise")


# Which roles may write which kinds of data.  Read access is governed by scope alone.
WRITE_AREAS = {
    Role.SYSTEM_ADMIN: {"registry", "reference", "ledger", "accounts", "stats", "ops"},
    # "reference": installation-wide reference data (HS codes, tax rates) — the provincial
    # department maintains the tables its installation uses (docs/development/imports-and-jobs.md)
    Role.PROVINCE: {"registry", "stats", "reference"},
    Role.CITY: {"registry", "stats"},
    Role.ZONE_STAFF: {"registry", "ops", "ledger_oversight"},
    Role.ZONE_LEADER: {"registry", "ops", "ledger_oversight"},
    Role.ENTERPRISE: {"ledger", "enterprise_profile"},
    Role.CUSTOMS: set(),
}
