"""In-app notifications (one message for one user).

``kind`` is the code of a kind registered by its module (``registry.register_kind``); ``params`` hold
the facts and the text is rendered when read, in the reader's language.  ``dedupe_key`` makes sending
idempotent per recipient.  The table replaced ``alerts_notification`` (rows copied by the alerts
migration 0004).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import registry


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Notifications are personal: every user (administrators too) sees only their own."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=registry.MAX_CODE, db_index=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=120)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notify_notification_dedupe"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notify_notif_unread")]

    def __str__(self):
        return f"{self.recipient_id}:{self.dedupe_key}"

    @property
    def kind_label(self) -> str:
        return registry.label(self.kind)

    def get_kind_display(self) -> str:
        return self.kind_label

    @property
    def title(self) -> str:
        kind = registry.find_kind(self.kind)
        return kind.render_title(self.params or {}) if kind else self.kind

    @property
    def body(self) -> str:
        kind = registry.find_kind(self.kind)
        return kind.render_body(self.params or {}) if kind else ""
