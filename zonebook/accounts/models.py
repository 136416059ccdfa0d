from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .choices import WRITE_AREAS, Role, ScopeLevel


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
        if self.is_superuser:
            return True
        return area in WRITE_AREAS.get(self.role, set())

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
