"""Dated tax and interest rate tables for domestic sales (内销) — data, never constants (domain doc §8, §14)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .book import validate_hs_format


class TaxKind(models.TextChoices):
    TARIFF = "tariff", _("Import tariff (关税)")
    CONSUMPTION = "consumption", _("Consumption tax (消费税)")
    VAT = "vat", _("Import VAT (增值税)")


class InterestBasis(models.TextChoices):
    LOAN = "loan", _("PBOC one-year loan benchmark")
    DEMAND_DEPOSIT = "demand_deposit", _("PBOC demand-deposit rate (活期存款利率)")
    WAIVER = "waiver", _("Waiver (减免, overrides the rate)")


class TaxRate(models.Model):
    """Ad valorem rate (%) of one tax for one HS code, valid from … to (inclusive); the rate in force on
    the date customs accepts the declaration applies."""

    hs_code = models.CharField(_("HS code"), max_length=10, validators=[validate_hs_format])
    kind = models.CharField(_("tax"), max_length=12, choices=TaxKind.choices)
    rate = models.DecimalField(_("rate %"), max_digits=9, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["hs_code", "kind", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["hs_code", "kind", "valid_from"], name="ledger_taxrate_unique"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lt=100), name="ledger_taxrate_range"
            ),
        ]

    def __str__(self):
        return f"{self.hs_code} {self.kind} {self.rate}% {self.valid_from}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The rate ends before it starts.")})
        if self.valid_from and self.hs_code and self.kind:
            overlap = TaxRate.objects.filter(hs_code=self.hs_code, kind=self.kind).exclude(pk=self.pk)
            overlap = overlap.filter(
                models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=self.valid_from)
            )
            if self.valid_to:
                overlap = overlap.filter(valid_from__lte=self.valid_to)
            if overlap.exists():
                raise ValidationError(
                    {"valid_from": _("Another rate of this tax and HS code is in force in this period.")}
                )


class InterestRate(models.Model):
    """缓税利息 rate (% p.a.) by date; a waiver row overrides the rate in its period (2020-04-15 → 2020-12-31)."""

    basis = models.CharField(_("basis"), max_length=16, choices=InterestBasis.choices)
    rate = models.DecimalField(_("rate % p.a."), max_digits=7, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("deferred-tax interest rate")
        verbose_name_plural = _("deferred-tax interest rates")
        ordering = ["valid_from", "basis"]
        constraints = [
            models.UniqueConstraint(fields=["basis", "valid_from"], name="ledger_interest_unique"),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="ledger_interest_nonneg"),
        ]

    def __str__(self):
        return f"{self.get_basis_display()} {self.rate}% {self.valid_from}…{self.valid_to or ''}"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The rate ends before it starts.")})
        if self.valid_from:
            same = InterestRate.objects.exclude(pk=self.pk)
            same = (
                same.filter(basis=self.basis)
                if self.basis == InterestBasis.WAIVER
                else same.exclude(basis=InterestBasis.WAIVER)
            )
            same = same.filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=self.valid_from))
            if self.valid_to:
                same = same.filter(valid_from__lte=self.valid_to)
            if same.exists():
                raise ValidationError({"valid_from": _("Another interest rate is in force in this period.")})
