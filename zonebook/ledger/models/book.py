"""Books (账册/手册), their status history and their items (料件/成品)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet
from zonebook.registry.models.codes import (  # noqa: F401  (unit checks live with the unit table)
    UNIT_TABLE,
    preloaded_units,
    unit_problem,
    validate_unit_code,
)

from ..choices import BookKind, BookStatus, ItemKind, ItemStatus, WriteOffMethod

BOOK_NUMBER_RE = re.compile(r"^[A-Z][A-Z0-9]{11}$")
HS_RE = re.compile(r"^\d{10}$")

QTY = {"max_digits": 20, "decimal_places": 5}


def validate_book_number(value: str) -> None:
    """备案号: 12 characters, letters/digits, first letter one of the book kinds (B C D E H T L)."""
    if len(value or "") != 12:
        raise ValidationError(
            _("A book number has exactly 12 characters (got %(n)d)."),
            code="book_number_length",
            params={"n": len(value or "")},
        )
    if not BOOK_NUMBER_RE.match(value):
        raise ValidationError(
            _("A book number uses only capital letters and digits."), code="book_number_characters"
        )
    if value[0] not in BookKind.values:
        raise ValidationError(
            _("The first letter of a book number must be one of %(kinds)s (got %(letter)s)."),
            code="book_number_kind",
            params={"kinds": " ".join(BookKind.values), "letter": value[0]},
        )


def validate_hs_format(value: str) -> None:
    if not HS_RE.match(value or ""):
        raise ValidationError(
            _("An HS code has exactly 10 digits (got “%(value)s”)."),
            code="hs_length",
            params={"value": value},
        )


BOOK_SCOPE = {
    "province": "zone__province_code",
    "city": "zone__city_code",
    "zone": "zone_id",
    "enterprise": "enterprise_id",
}


def _prefixed(prefix: str) -> dict:
    return {k: f"{prefix}__{v}" for k, v in BOOK_SCOPE.items()}


class BookQuerySet(ScopedQuerySet):
    pass


class Book(models.Model):
    """账册/手册: a bonded book of one enterprise; postings only through inventory lists (核注清单)."""

    number = models.CharField(
        _("book number (备案号)"), max_length=12, unique=True, validators=[validate_book_number]
    )
    kind = models.CharField(_("kind"), max_length=1, choices=BookKind.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("operating enterprise"),
        on_delete=models.PROTECT,
        related_name="books",
    )
    zone = models.ForeignKey(
        "registry.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="books"
    )
    customs_office = models.CharField(_("customs office (主管关区)"), max_length=4, blank=True)
    trade_mode = models.CharField(_("supervision mode (监管方式)"), max_length=4, blank=True)
    cycle_start = models.DateField(_("write-off cycle start"), null=True, blank=True)
    cycle_end = models.DateField(_("write-off cycle end"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    max_import_value = models.DecimalField(
        _("maximum import value (最大周转金额)"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="USD")
    writeoff_method = models.CharField(
        _("write-off method"), max_length=16, choices=WriteOffMethod.choices, default=WriteOffMethod.BOM
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BookStatus.choices, default=BookStatus.DRAFT
    )
    change_count = models.PositiveIntegerField(_("change count (变更次数)"), default=0)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPE_PATHS = BOOK_SCOPE
    objects = BookQuerySet.as_manager()

    class Meta:
        verbose_name = _("book (账册)")
        verbose_name_plural = _("books (账册)")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cycle_end__isnull=True)
                | models.Q(cycle_start__isnull=True)
                | models.Q(cycle_end__gte=models.F("cycle_start")),
                name="ledger_book_cycle_order",
            ),
        ]

    def __str__(self):
        return self.number

    def clean(self):
        if self.number:
            self.number = self.number.strip().upper()
            if self.number[:1] in BookKind.values:
                if not self.kind:
                    self.kind = self.number[0]
                elif self.kind != self.number[0]:
                    raise ValidationError(
                        {
                            "number": _(
                                "The first letter of the book number (%(letter)s) does not match the book kind (%(kind)s)."
                            )
                            % {"letter": self.number[0], "kind": self.kind}
                        }
                    )
        if self.enterprise_id and self.zone_id and self.enterprise.zone_id != self.zone_id:
            raise ValidationError({"zone": _("The enterprise belongs to another zone.")})
        if self.cycle_start and self.cycle_end and self.cycle_end < self.cycle_start:
            raise ValidationError({"cycle_end": _("The write-off cycle ends before it starts.")})

    def audit_scope(self):
        return {
            "province": self.zone.province_code,
            "city": self.zone.city_code,
            "zone": self.zone_id,
            "enterprise": self.enterprise_id,
        }


class BookStatusEvent(models.Model):
    """Append-only status history of a book."""

    book = models.ForeignKey(
        Book, verbose_name=_("book"), on_delete=models.CASCADE, related_name="status_events"
    )
    status = models.CharField(_("status"), max_length=16, choices=BookStatus.choices)
    previous = models.CharField(_("previous status"), max_length=16, choices=BookStatus.choices, blank=True)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("book status event")
        verbose_name_plural = _("book status events")
        ordering = ["book", "created_at", "id"]

    def __str__(self):
        return f"{self.book} {self.get_status_display()} {self.date}"

    def audit_scope(self):
        return self.book.audit_scope()


class BookItem(models.Model):
    """料件 (material) or 成品 (product) of a book, keyed by 备案序号 (seq_no) within (book, kind)."""

    book = models.ForeignKey(Book, verbose_name=_("book"), on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(_("item kind"), max_length=8, choices=ItemKind.choices)
    seq_no = models.PositiveIntegerField(_("sequence no. (备案序号)"), validators=[MinValueValidator(1)])
    part_no = models.CharField(_("part no. (料号)"), max_length=40)
    hs_code = models.CharField(_("HS code"), max_length=10, validators=[validate_hs_format])
    name = models.CharField(_("name"), max_length=200)
    spec = models.CharField(_("specification / model"), max_length=300, blank=True)
    unit = models.CharField(_("declared unit"), max_length=3, validators=[validate_unit_code])
    legal_unit1 = models.CharField(
        _("legal unit 1"), max_length=3, blank=True, validators=[validate_unit_code]
    )
    legal_unit2 = models.CharField(
        _("legal unit 2"), max_length=3, blank=True, validators=[validate_unit_code]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=18, decimal_places=4, default=0, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="USD")
    country = models.CharField(_("country of origin"), max_length=3, blank=True)
    filed_qty = models.DecimalField(
        _("filed quantity (备案数量)"), **QTY, default=0, validators=[MinValueValidator(0)]
    )
    opening_qty = models.DecimalField(_("opening quantity (核销周期初始数量)"), **QTY, default=0)
    opening_amount = models.DecimalField(_("opening amount"), max_digits=18, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.ACTIVE
    )

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("book item")
        verbose_name_plural = _("book items")
        ordering = ["book", "kind", "seq_no"]
        constraints = [
            models.UniqueConstraint(fields=["book", "kind", "seq_no"], name="ledger_item_unique_seq"),
            models.UniqueConstraint(fields=["book", "kind", "part_no"], name="ledger_item_unique_part"),
        ]

    def __str__(self):
        return f"{self.book} {self.get_kind_display()} #{self.seq_no} {self.part_no}"

    def audit_scope(self):
        return self.book.audit_scope()
