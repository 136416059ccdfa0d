from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from ..choices import ZoneEvent, ZoneLevel


class ZoneQuerySet(ScopedQuerySet):
    pass


class Zone(models.Model):
    """A special customs supervision zone or development zone (one approval = one zone)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60)
    kind = models.ForeignKey(
        "registry.Code", verbose_name=_("zone type"), on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"table__key": "zone_type"},
    )
    level = models.CharField(_("level"), max_length=16, choices=ZoneLevel.choices, default=ZoneLevel.NATIONAL)
    province_code = models.CharField(_("province"), max_length=6, db_index=True)
    city_code = models.CharField(_("city"), max_length=6, db_index=True)
    planned_area_km2 = models.DecimalField(_("planned area (km²)"), max_digits=10, decimal_places=4, null=True, blank=True)
    fenced_area_km2 = models.DecimalField(_("fenced area (km²)"), max_digits=10, decimal_places=4, null=True, blank=True)
    boundaries = models.TextField(_("boundaries (四至)"), blank=True)
    approval_doc = models.CharField(_("approval document"), max_length=200, blank=True)
    approval_date = models.DateField(_("approval date"), null=True, blank=True)
    acceptance_date = models.DateField(_("acceptance date"), null=True, blank=True)
    customs_office = models.ForeignKey(
        "registry.Code", verbose_name=_("customs office"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", limit_choices_to={"table__key": "customs_office"},
    )
    status = models.CharField(_("status"), max_length=16, choices=ZoneEvent.choices, default=ZoneEvent.APPROVED)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    integrated_into = models.ForeignKey(
        "self", verbose_name=_("integrated into"), null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    is_converted = models.BooleanField(_("converted from another zone"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPE_PATHS = {
        "province": "province_code",
        "city": "city_code",
        "zone": "id",
        "enterprise": "enterprises__id",
    }
    objects = ZoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_area_km2__gte=0) | models.Q(planned_area_km2__isnull=True),
                name="registry_zone_planned_area_nonneg",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registry:zone_detail", args=[self.pk])

    def audit_scope(self):
        return {"province": self.province_code, "city": self.city_code, "zone": self.pk}


class ZoneStatusEvent(models.Model):
    """Dated, append-only status history of a zone (approved → accepted → operating → integrated/exited)."""

    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="status_events")
    event = models.CharField(_("event"), max_length=16, choices=ZoneEvent.choices)
    date = models.DateField(_("date"))
    doc_no = models.CharField(_("document number"), max_length=200, blank=True)
    successor = models.ForeignKey(
        Zone, verbose_name=_("successor zone"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_PATHS = {
        "province": "zone__province_code",
        "city": "zone__city_code",
        "zone": "zone_id",
        "enterprise": "zone__enterprises__id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("zone status event")
        verbose_name_plural = _("zone status events")
        ordering = ["zone", "date", "id"]

    def __str__(self):
        return f"{self.zone} {self.get_event_display()} {self.date}"

    def audit_scope(self):
        return self.zone.audit_scope()


class Park(models.Model):
    """A park (园区/片区) of a zone, for 一区多园; a 功能配套区 outside the fence has bonded=False."""

    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="parks")
    name = models.CharField(_("name"), max_length=200)
    bonded = models.BooleanField(_("inside the fence (bonded)"), default=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=10, decimal_places=4, null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    boundaries = models.TextField(_("boundaries (四至)"), blank=True)

    SCOPE_PATHS = {
        "province": "zone__province_code",
        "city": "zone__city_code",
        "zone": "zone_id",
        "enterprise": "enterprises__id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("park")
        verbose_name_plural = _("parks")
        ordering = ["zone", "name"]
        constraints = [models.UniqueConstraint(fields=["zone", "name"], name="registry_park_unique_name")]

    def __str__(self):
        return f"{self.zone.short_name} · {self.name}"

    def audit_scope(self):
        return self.zone.audit_scope()
