from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .choices import GRANTABLE_AREAS, WRITE_AREAS, MemberRole, Role, ScopeLevel, UnitKind


class UserQuerySet(ScopedQuerySet):
    pass


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True


class User(AbstractUser):
    """A person using Zonebook, with one role and one scope."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.ENTERPRISE)
    scope_level = models.CharField(_("scope level"), max_length=16, choices=ScopeLevel.choices)
    province_code = models.CharField(_("province code"), max_length=6, blank=True)
    city_code = models.CharField(_("city code"), max_length=6, blank=True)
    zone = models.ForeignKey(
        "registry.Zone",
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    can_manage_users = models.BooleanField(
        _("user administrator"),
        default=False,
        help_text=_("May create and edit users, reset passwords and unlock accounts inside the own scope."),
    )
    granted_areas = models.JSONField(
        _("granted write areas"),
        default=list,
        blank=True,
        help_text=_("Write areas granted on top of the role's own (e.g. statistics for a zone office)."),
    )

    # Users are scoped like everything else: a city admin sees users of the city.
    SCOPE_PATHS = {
        "province": "province_code",
        "city": "city_code",
        "zone": "zone_id",
        "enterprise": "enterprise_id",
    }

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def scope_values(self) -> dict:
        return {
            "province": self.province_code,
            "city": self.city_code,
            "zone": self.zone_id,
            "enterprise": self.enterprise_id,
        }

    def audit_scope(self) -> dict:
        return {
            "province": self.province_code,
            "city": self.city_code,
            "zone": self.zone_id,
            "enterprise": self.enterprise_id,
        }

    @property
    def is_user_admin(self) -> bool:
        """System administrators and scope administrators (``can_manage_users``) manage accounts."""
        if not self.is_active:
            return False
        return self.is_superuser or self.role == Role.SYSTEM_ADMIN or self.can_manage_users

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.CUSTOMS

    def can_write(self, area: str) -> bool:
        """Whether the user may write ``area``: the role's own areas plus the granted ones the role
        may receive (``choices.GRANTABLE_AREAS``).  Use ``accounts.permissions`` in views and APIs."""
        if self.is_superuser:
            return True
        if area in WRITE_AREAS.get(self.role, set()):
            return True
        return area in (self.granted_areas or ()) and area in GRANTABLE_AREAS.get(self.role, set())

    @property
    def is_machine(self) -> bool:
        return self.role == Role.MACHINE

    def scope_label(self) -> str:
        if self.scope_level == ScopeLevel.ENTERPRISE and self.enterprise_id:
            return str(self.enterprise)
        if self.scope_level == ScopeLevel.ZONE and self.zone_id:
            return str(self.zone)
        if self.scope_level in (ScopeLevel.CITY, ScopeLevel.PROVINCE):
            from zonebook.registry.names import region_name

            code = self.city_code if self.scope_level == ScopeLevel.CITY else self.province_code
            return region_name(code)
        return str(ScopeLevel(self.scope_level).label) if self.scope_level else ""


class LoginEvent(models.Model):
    """Login history (等保: security audit of authentication events)."""

    class Kind(models.TextChoices):
        SUCCESS = "success", _("Login")
        FAILURE = "failure", _("Failed login")
        LOGOUT = "logout", _("Logout")
        LOCKED = "locked", _("Locked out")

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_events"
    )
    username = models.CharField(_("username"), max_length=150)
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    SCOPE_PATHS = {
        "province": "user__province_code",
        "city": "user__city_code",
        "zone": "user__zone_id",
        "enterprise": "user__enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("login event")
        verbose_name_plural = _("login events")
        ordering = ["-at"]


class UnitQuerySet(ScopedQuerySet):
    def current(self, on=None):
        """Units active and valid on ``on`` (default today)."""
        import datetime as dt

        from django.db.models import Q
        from django.utils import timezone

        day = on or timezone.localdate()
        assert isinstance(day, dt.date)
        return self.filter(is_active=True).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class Unit(models.Model):
    """单位/部门/科室: a commerce department or one of its divisions, a zone office department, or an
    outside body (customs, inspection, foreign exchange, tax …) that receives tasks (牵头单位/责任单位)."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    scope_level = models.CharField(_("scope level"), max_length=16, choices=ScopeLevel.choices)
    province_code = models.CharField(_("province code"), max_length=6, blank=True)
    city_code = models.CharField(_("city code"), max_length=6, blank=True)
    zone = models.ForeignKey(
        "registry.Zone", verbose_name=_("zone"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    head = models.ForeignKey(
        User, verbose_name=_("head"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    SCOPE_PATHS = {"province": "province_code", "city": "city_code", "zone": "zone_id"}
    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="accounts_unit_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> dict:
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id, "enterprise": None}


class UnitMembership(models.Model):
    """A user's place in a unit (head, leader in charge, member …) for a period."""

    unit = models.ForeignKey(Unit, verbose_name=_("organisational unit"), on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="unit_memberships")
    role_in_unit = models.CharField(
        _("role in unit"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    title = models.CharField(_("position"), max_length=60, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    SCOPE_PATHS = {"province": "unit__province_code", "city": "unit__city_code", "zone": "unit__zone_id"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        ordering = ["unit_id", "role_in_unit", "user__username"]

    def __str__(self) -> str:
        return f"{self.unit} · {self.user}"

    def audit_scope(self) -> dict:
        return self.unit.audit_scope()


class MachineToken(models.Model):
    """A machine client's API token (a gate system posting passages, an enterprise's customs
    client dropping its messages).  Only a SHA-256 hash of the secret is stored; the secret is shown
    once when issued.  Scoped to one zone, or to one enterprise of that zone; the token's user (role
    ``machine_client``) carries that scope and the granted write areas."""

    name = models.CharField(_("name"), max_length=100)
    user = models.OneToOneField(User, verbose_name=_("client account"), on_delete=models.PROTECT, related_name="machine_token")
    zone = models.ForeignKey("registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole zone. Set: the client sees and writes only this enterprise's data."),
    )
    areas = models.JSONField(_("write areas"), default=list, blank=True)
    key_prefix = models.CharField(_("token prefix"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("issued by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    SCOPE_PATHS = {"province": "zone__province_code", "city": "zone__city_code", "zone": "zone_id"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("machine token")
        verbose_name_plural = _("machine tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def audit_scope(self) -> dict:
        return {
            "province": self.zone.province_code,
            "city": self.zone.city_code,
            "zone": self.zone_id,
            "enterprise": self.enterprise_id,
        }

    def area_labels(self) -> str:
        from .choices import AREA_LABELS

        return "、".join(str(AREA_LABELS.get(a, a)) for a in self.areas or ())

    def is_usable(self, now=None) -> bool:
        from django.utils import timezone

        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
