"""通报: the monthly and quarterly bulletins of the province, a city or a zone, their versions (the
.docx and PDF files of every build are kept) and the publication record.

Writes go through ``zonebook.bulletins.services`` (audited in the same transaction).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ALL, CITY, PROVINCE, ZONE


def bulletin_storage():
    """The attachments storage (files never served by URL, only through the scoped download view)."""
    alias = "attachments" if "attachments" in settings.STORAGES else "default"
    return storages[alias]


class Frequency(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")


class BulletinQuerySet(models.QuerySet):
    def for_user(self, user):
        """Who sees which bulletin (docs/bulletins.md): the province (and system administrators) every
        bulletin of its province; a city its own bulletins and those of its zones, plus the province's
        *published* bulletins; a zone office its own zone's bulletins only; enterprises none."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        level = getattr(user, "scope_level", None)
        if getattr(user, "is_superuser", False) or level == ALL:
            return self
        if level == PROVINCE and user.province_code:
            return self.filter(entity__province_code=user.province_code)
        if level == CITY and user.city_code:
            province = user.province_code or user.city_code[:2] + "0000"
            return self.filter(
                Q(entity__city_code=user.city_code, entity__level__in=("city", "zone"))
                | Q(entity__level="province", entity__province_code=province, published_version__isnull=False)
            )
        if level == ZONE and user.zone_id:
            return self.filter(entity__zone_id=user.zone_id)
        return self.none()


class Bulletin(models.Model):
    """通报: one scope (a statistical entity: the province, a city or a zone) and one period (a month,
    or a quarter given by its last month)."""

    entity = models.ForeignKey("stats.Entity", verbose_name=_("scope"), on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    period = models.DateField(_("period"), help_text=_("The month, or the last month of the quarter."))
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("document number (文号)"), max_length=60, blank=True)
    published_version = models.ForeignKey(
        "BulletinVersion", verbose_name=_("published version"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-period", "frequency", "entity__code"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "frequency", "period"], name="bulletins_bulletin_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("bulletins:detail", args=[self.pk])

    def audit_scope(self):
        return {"province": self.entity.province_code, "city": self.entity.city_code, "zone": self.entity.zone_id}

    @property
    def period_label(self) -> str:
        if self.frequency == Frequency.QUARTER:
            return f"{self.period.year}-Q{(self.period.month - 1) // 3 + 1}"
        return f"{self.period:%Y-%m}"


class BulletinVersion(models.Model):
    """One build of a bulletin: both files as built, whether its data had been reviewed (a version
    built from unreviewed data is a draft with a watermark and cannot be published), and who
    published it when (the publication record; earlier versions stay downloadable)."""

    bulletin = models.ForeignKey(Bulletin, verbose_name=_("bulletin"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    docx = models.FileField(_(".docx file"), storage=bulletin_storage, upload_to="bulletins/%Y/", max_length=255)
    pdf = models.FileField(_("PDF file"), storage=bulletin_storage, upload_to="bulletins/%Y/", max_length=255)
    docx_size = models.PositiveIntegerField(_(".docx size (bytes)"), default=0)
    pdf_size = models.PositiveIntegerField(_("PDF size (bytes)"), default=0)
    reviewed = models.BooleanField(_("data reviewed"), default=False)
    draft = models.BooleanField(_("draft (watermarked)"), default=False)
    review_note = models.CharField(_("review state"), max_length=300, blank=True)
    built_at = models.DateTimeField(_("built at"), auto_now_add=True)
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("built by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("bulletin version")
        verbose_name_plural = _("bulletin versions")
        ordering = ["bulletin", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "version"], name="bulletins_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin} v{self.version}"

    def audit_scope(self):
        return self.bulletin.audit_scope()
