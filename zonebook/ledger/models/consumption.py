"""单损耗: versioned consumption lines (product, material, version)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Floor
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from ..choices import DeclarationStatus
from .book import _prefixed

RATE = {"max_digits": 9, "decimal_places": 5}


def _factor(rate: str, label):
    """单耗 × ``rate`` × 0.01 as a stored generated column (exact: 9 + 5 + 2 = 16 decimal places)."""
    return models.GeneratedField(
        expression=F("unit_consumption") * F(rate) * Value(Decimal("0.01")),
        output_field=models.DecimalField(max_digits=32, decimal_places=16),
        db_persist=True,
        verbose_name=label,
    )


# Exact scaled-integer copies of the factors for the integer recompute engine (``ledger.engine``):
# factor × 10¹⁶ (an exact integer: 16 decimal places) = hi × 10⁸ + lo with 0 ≤ lo < 10⁸, so that
# hi = ⌊factor × 10⁸⌋ = ⌊单耗 × rate × 10⁶⌋ (< 10¹⁷ for 单耗 < 10⁹, rate ≤ 100) and lo both fit 64 bits.
FACTOR_SPLIT = 10**8


def _factor_hi(rate: str, label):
    return models.GeneratedField(
        expression=Floor(F("unit_consumption") * F(rate) * Value(Decimal(10**6))),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=label,
    )


def _factor_lo(rate: str, label):
    whole = F("unit_consumption") * F(rate) * Value(Decimal(10**14))
    return models.GeneratedField(
        expression=whole - Floor(F("unit_consumption") * F(rate) * Value(Decimal(10**6))) * Value(FACTOR_SPLIT),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=label,
    )


class Consumption(models.Model):
    """One BOM line of a product version (单损耗).

    ``unit_consumption`` (单耗) = net / (1 − (tangible + intangible)/100), rounded to 9 dp; it is
    stored by the service (``services.consumption``), never typed.  A confirmed (已确定) row is never
    edited in place: ``services.consumption.revise_consumption`` creates a new version.
    """

    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="consumptions"
    )
    product = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("product"), on_delete=models.PROTECT, related_name="bom_lines"
    )
    material = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("material"), on_delete=models.PROTECT, related_name="used_in"
    )
    version = models.CharField(_("consumption version (单耗版本号)"), max_length=8, default="0")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    net = models.DecimalField(
        _("net consumption (净耗)"), max_digits=18, decimal_places=9, validators=[MinValueValidator(0)]
    )
    tangible_rate = models.DecimalField(
        _("tangible loss rate % (有形损耗率)"),
        **RATE,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    intangible_rate = models.DecimalField(
        _("intangible loss rate % (无形损耗率)"),
        **RATE,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    bonded_share = models.DecimalField(
        _("bonded share % (保税料件比例)"),
        **RATE,
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    unit_consumption = models.DecimalField(
        _("unit consumption (单耗)"), max_digits=18, decimal_places=9, editable=False
    )
    # Per-unit factors of the explosion (exact numeric products; the database keeps them current on
    # every write).  Posting, recompute and the balance drill-down multiply each line's quantity by
    # them instead of multiplying three columns again for every exploded (line, material) row.
    k_cons = _factor("bonded_share", _("consumption factor"))
    k_tang = _factor("tangible_rate", _("tangible loss factor"))
    k_intang = _factor("intangible_rate", _("intangible loss factor"))
    kc_hi = _factor_hi("bonded_share", _("consumption factor × 10⁸ (integer part)"))
    kc_lo = _factor_lo("bonded_share", _("consumption factor × 10¹⁶ (last 8 digits)"))
    kt_hi = _factor_hi("tangible_rate", _("tangible loss factor × 10⁸ (integer part)"))
    kt_lo = _factor_lo("tangible_rate", _("tangible loss factor × 10¹⁶ (last 8 digits)"))
    ki_hi = _factor_hi("intangible_rate", _("intangible loss factor × 10⁸ (integer part)"))
    ki_lo = _factor_lo("intangible_rate", _("intangible loss factor × 10¹⁶ (last 8 digits)"))
    declaration_status = models.CharField(
        _("declaration status"),
        max_length=1,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.DECLARED,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("consumption line (单损耗)")
        verbose_name_plural = _("consumption lines (单损耗)")
        ordering = ["book", "product", "version", "material"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "material", "version"], name="ledger_consumption_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(tangible_rate__gte=0, intangible_rate__gte=0),
                name="ledger_consumption_rates_nonneg",
            ),
        ]
        indexes = [models.Index(fields=["product", "version"], name="ledger_cons_product_ver")]

    def __str__(self):
        return f"{self.product_id}→{self.material_id} v{self.version}"

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The version ends before it starts.")})

    def audit_scope(self):
        return self.book.audit_scope()
