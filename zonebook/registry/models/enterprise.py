from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .. import calc
from ..choices import EnterpriseStatus, ProcessingMode

USCC_ERRORS = {
    "length": _("A unified social credit code has exactly 18 characters."),
    "characters": _("A unified social credit code uses only digits and the letters A–Y except I, O, S, V, Z."),
    "checksum": _("The check character (18th) of this unified social credit code is wrong."),
}
CUSTOMS_CODE_ERRORS = {
    "length": _("A customs registration code has exactly 10 characters."),
    "characters": _("A customs registration code uses only letters and digits."),
}


def validate_uscc(value: str) -> None:
    err = calc.uscc_error(value)
    if err:
        raise ValidationError(USCC_ERRORS[err], code=f"uscc_{err}")


def validate_customs_code(value: str) -> None:
    if not value:
        return
    err = calc.customs_code_error(value)
    if err:
        raise ValidationError(CUSTOMS_CODE_ERRORS[err], code=f"customs_code_{err}")


class EnterpriseQuerySet(ScopedQuerySet):
    def search(self, term: str):
        term = (term or "").strip()
        if not term:
            return self
        return self.filter(
            models.Q(name__icontains=term) | models.Q(uscc__icontains=calc.normalize_code(term)) | models.Q(customs_code__icontains=term)
        )


class Enterprise(models.Model):
    """A zone enterprise: the hub record every other part of Zonebook links to."""

    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc])
    customs_code = models.CharField(
        _("customs registration code"), max_length=10, blank=True, validators=[validate_customs_code], db_index=True
    )
    zone = models.ForeignKey("registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="enterprises")
    park = models.ForeignKey(
        "registry.Park", verbose_name=_("park"), null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises"
    )
    industry = models.ForeignKey(
        "registry.Code", verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"table__key": "industry"},
    )
    ownership = models.ForeignKey(
        "registry.Code", verbose_name=_("ownership type"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"table__key": "ownership"},
    )
    investor_country = models.ForeignKey(
        "registry.Code", verbose_name=_("investor country"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"table__key": "country"},
    )
    fortune500 = models.BooleanField(_("Fortune Global 500 investor"), default=False)
    credit_class = models.ForeignKey(
        "registry.Code", verbose_name=_("customs credit class"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"table__key": "credit_class"},
    )
    processing_trade = models.BooleanField(_("processing trade"), default=False)
    processing_mode = models.CharField(_("processing mode"), max_length=16, choices=ProcessingMode.choices, blank=True)
    registered_capital = models.DecimalField(_("registered capital"), max_digits=18, decimal_places=2, null=True, blank=True)
    capital_currency = models.ForeignKey(
        "registry.Code", verbose_name=_("capital currency"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"table__key": "currency"},
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    established = models.DateField(_("established"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=EnterpriseStatus.choices, default=EnterpriseStatus.PREPARING)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPE_PATHS = {
        "province": "zone__province_code",
        "city": "zone__city_code",
        "zone": "zone_id",
        "enterprise": "id",
    }
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registered_capital__gte=0) | models.Q(registered_capital__isnull=True),
                name="registry_enterprise_capital_nonneg",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registry:enterprise_detail", args=[self.pk])

    def clean(self):
        if self.uscc:
            self.uscc = calc.normalize_code(self.uscc)
        if self.customs_code:
            self.customs_code = calc.normalize_code(self.customs_code)
        if self.park_id and self.zone_id and self.park.zone_id != self.zone_id:
            raise ValidationError({"park": _("The park belongs to another zone.")})
        if self.processing_mode and not self.processing_trade:
            raise ValidationError({"processing_mode": _("Set a processing mode only for processing-trade enterprises.")})

    def audit_scope(self):
        zone = self.zone
        return {"province": zone.province_code, "city": zone.city_code, "zone": zone.pk, "enterprise": self.pk}


class EnterpriseStatusEvent(models.Model):
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField(_("status"), max_length=16, choices=EnterpriseStatus.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    SCOPE_PATHS = {
        "province": "enterprise__zone__province_code",
        "city": "enterprise__zone__city_code",
        "zone": "enterprise__zone_id",
        "enterprise": "enterprise_id",
    }
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise status event")
        verbose_name_plural = _("enterprise status events")
        ordering = ["enterprise", "date", "id"]

    def __str__(self):
        return f"{self.enterprise} {self.get_status_display()} {self.date}"

    def audit_scope(self):
        return self.enterprise.audit_scope()


class EnterpriseContact(models.Model):
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_customs_contact = models.BooleanField(_("customs affairs contact"), default=False)

    SCOPE_PATHS = EnterpriseStatusEvent.SCOPE_PATHS
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["enterprise", "name"]

    def __str__(self):
        return f"{self.name} ({self.enterprise})"

    @property
    def masked_phone(self) -> str:
        return calc.mask_phone(self.phone)

    def audit_scope(self):
        return self.enterprise.audit_scope()
