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
    # A system-to-system API client (a gate system posting passages): it authenticates with a machine
    # token only, never with a session, and may write only the areas granted to its token.
    MACHINE = "machine_client", _("Machine client (API token)")


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
    Role.MACHINE: set(),
}

# Write areas an administrator may grant to a user on top of the role's own (``User.granted_areas``):
# a zone office reports statistics, an enterprise submits business applications (ops) and its
# statistics forms.  A machine client gets exactly the areas its token grants.
GRANTABLE_AREAS = {
    Role.ZONE_STAFF: {"stats"},
    Role.ZONE_LEADER: {"stats"},
    Role.ENTERPRISE: {"ops", "stats"},
    Role.MACHINE: {"ops", "ledger", "stats"},
}
AREA_LABELS = {
    "registry": _("Zone and enterprise registry"),
    "reference": _("Reference data"),
    "ledger": _("Bonded ledgers"),
    "ledger_oversight": _("Ledger oversight"),
    "accounts": _("User accounts"),
    "stats": _("Statistics reporting"),
    "ops": _("Zone operations and applications"),
    "enterprise_profile": _("Enterprise profile"),
}


class UnitKind(models.TextChoices):
    """单位/部门/科室: who a task can be given to."""

    COMMERCE_DEPT = "commerce_dept", _("Commerce department")
    DIVISION = "division", _("Division")
    ZONE_OFFICE = "zone_office", _("Zone administrative office")
    ZONE_DEPT = "zone_dept", _("Zone office department")
    CUSTOMS = "customs", _("Customs")
    INSPECTION = "inspection", _("Inspection and quarantine")
    FOREIGN_EXCHANGE = "foreign_exchange", _("Foreign exchange administration")
    TAX = "tax", _("Tax authority")
    OTHER_BODY = "other_body", _("Other outside body")


OUTSIDE_KINDS = {UnitKind.CUSTOMS, UnitKind.INSPECTION, UnitKind.FOREIGN_EXCHANGE, UnitKind.TAX, UnitKind.OTHER_BODY}


class MemberRole(models.TextChoices):
    HEAD = "head", _("Head")
    LEADER = "leader", _("Leader in charge")
    DEPUTY = "deputy", _("Deputy head")
    MEMBER = "member", _("Member")
    LIAISON = "liaison", _("Liaison")

# Investment attraction and policy tasks (zonebook.investment): the offices write projects,
# investors, events, policy tasks and scorecards.
for _role in (Role.SYSTEM_ADMIN, Role.PROVINCE, Role.CITY, Role.ZONE_STAFF, Role.ZONE_LEADER):
    WRITE_AREAS[_role].add("investment")
AREA_LABELS["investment"] = _("Investment attraction and policy tasks")
