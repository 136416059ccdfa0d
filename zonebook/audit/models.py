from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs):  # pragma: no cover - guarded path
        raise PermissionDenied("Audit entries are append-only.")

    def delete(self):
        raise PermissionDenied("Audit entries are append-only.")


class AuditEntry(models.Model):
    """One write to a domain row: who, when, what, before/after, from which request.

    Written by ``audit.services.record`` inside the same transaction as the change.
    Append-only: the model refuses updates and deletes.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        ACTION = "action", _("Action")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    code = models.CharField(_("action code"), max_length=80, db_index=True)  # e.g. registry.enterprise.updated
    object_type = models.CharField(_("object type"), max_length=80, db_index=True)  # app_label.model
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=300)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [before, after]}
    message = models.CharField(_("message"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, blank=True)  # web / api / command / job / system
    # Scope columns copied from the object so the audit log itself can be scoped.
    province_code = models.CharField(max_length=6, blank=True, db_index=True)
    city_code = models.CharField(max_length=6, blank=True)
    zone_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    enterprise_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # A second scope for rows that belong to two parties (a carry-over between two enterprises, possibly
    # in two zones): the entry is visible in the scope of either party (``SCOPE_PATHS`` ORs the pair).
    other_province_code = models.CharField(max_length=6, blank=True)
    other_city_code = models.CharField(max_length=6, blank=True)
    other_zone_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    other_enterprise_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    SCOPE_PATHS = {
        "province": ("province_code", "other_province_code"),
        "city": ("city_code", "other_city_code"),
        "zone": ("zone_id", "other_zone_id"),
        "enterprise": ("enterprise_id", "other_enterprise_id"),
    }
    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.code} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries are append-only.")
