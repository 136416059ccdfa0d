"""Attachments (附件): files attached to any registered record (a licence, visit photos, minutes)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import scope_q

from . import attachable
from .sniffing import KINDS


def attachment_storage():
    """``STORAGES["attachments"]`` (an S3-compatible backend in production, see docs/attachments.md),
    else the default storage."""
    alias = "attachments" if "attachments" in settings.STORAGES else "default"
    return storages[alias]


class AttachmentQuerySet(models.QuerySet):
    def for_user(self, user):
        """The attachments whose parent row the user sees (its model's ``SCOPE_PATHS``), as one query:
        per registered parent model, ``object_id IN (scoped parent ids)``."""
        either = None
        for entry in attachable.all_registered():
            q = scope_q(entry.model.SCOPE_PATHS, user)
            if q is None:
                continue
            ct = ContentType.objects.get_for_model(entry.model)
            if q:
                part = Q(content_type=ct, object_id__in=entry.model._base_manager.filter(q).values("pk"))
            else:
                part = Q(content_type=ct)
            either = part if either is None else either | part
        return self.filter(either) if either is not None else self.none()

    def of(self, parent):
        return self.filter(content_type=ContentType.objects.get_for_model(parent), object_id=parent.pk)


class Attachment(models.Model):
    content_type = models.ForeignKey(ContentType, verbose_name=_("record type"), on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField(_("record id"))
    parent = GenericForeignKey("content_type", "object_id")
    original_name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("file"), storage=attachment_storage, max_length=255)
    thumbnail = models.FileField(_("thumbnail"), storage=attachment_storage, max_length=255, blank=True)
    kind = models.CharField(_("file type"), max_length=8, choices=[(k.key, k.label) for k in KINDS.values()])
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_parent_idx")]
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.original_name

    @property
    def mime(self) -> str:
        return KINDS[self.kind].mime

    @property
    def is_image(self) -> bool:
        return KINDS[self.kind].image

    @property
    def target(self) -> str:
        """``app_label.model.pk`` of the parent: how URLs and the API name the record."""
        return f"{self.content_type.app_label}.{self.content_type.model}.{self.object_id}"

    def audit_scope(self) -> dict:
        parent = self.parent
        fn = getattr(parent, "audit_scope", None)
        return fn() if callable(fn) else {}
