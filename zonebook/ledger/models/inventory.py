"""保税核注清单 (inventory list, INV101): header and lines."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from ..choices import IEMark, ItemKind, ListSource, ListState
from .book import QTY, _prefixed, validate_hs_format

QTY_SCALE = 10**5  # quantities have five decimals
# qty < 9 × 10¹³: qty × 10⁵ < 9 × 10¹⁸ < 2⁶³ (the column holds 20 digits, 15 before the point)
QTY_I_LIMIT = 90_000_000_000_000
LIST_NUMBER_RE = re.compile(r"^QD[0-9A-Z]{4}\d{2}[IE]\d{9}$")


def validate_list_number(value: str) -> None:
    """bondInvtNo: "QD" + customs code 4 + year 2 + I|E + serial 9 = 18 characters."""
    if len(value or "") != 18 or not LIST_NUMBER_RE.match(value):
        raise ValidationError(
            _(
                "A list number has 18 characters: QD, a 4-character customs code, a 2-digit year, I or E and a 9-digit serial (got “%(value)s”)."
            ),
            code="list_number",
            params={"value": value},
        )


class InventoryListQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Lists in scope; lists still being imported (``ListState.IMPORTING``) are never shown."""
        return super().for_user(user).exclude(state=ListState.IMPORTING)


class InventoryListLineQuerySet(ScopedQuerySet):
    def for_user(self, user):
        return super().for_user(user).exclude(inventory_list__state=ListState.IMPORTING)


class InventoryList(models.Model):
    """核注清单 header.  States: draft → submitted → posted (approved) ; draft/submitted → cancelled.

    A posted list is immutable; a correction is a reversing list (``reverses`` → the original,
    ``direction`` = −1) created by ``services.posting.reverse_inventory_list``.
    """

    number = models.CharField(
        _("list number (清单编号)"), max_length=18, unique=True, validators=[validate_list_number]
    )
    internal_number = models.CharField(_("enterprise internal number"), max_length=64)
    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="inventory_lists"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    ie_mark = models.CharField(_("I/E mark"), max_length=1, choices=IEMark.choices)
    supervision_mode = models.CharField(_("supervision mode (监管方式)"), max_length=4)
    item_kind = models.CharField(
        _("material/product mark (料件成品标记)"), max_length=8, choices=ItemKind.choices
    )
    declaration_date = models.DateField(_("declaration date"))
    customs_declaration_no = models.CharField(_("customs declaration no."), max_length=18, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=ListState.choices, default=ListState.DRAFT)
    rule = models.ForeignKey(
        "ledger.PostingRule",
        verbose_name=_("posting rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    direction = models.SmallIntegerField(_("direction"), default=1, editable=False)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    # Customs approves (审核) and writes off (核扣) the list; the enterprise (or the zone office)
    # records customs' approval receipt (回执) here when it posts the list (docs/ledger.md).
    receipt_number = models.CharField(_("customs receipt number (回执编号)"), max_length=64, blank=True)
    receipt_date = models.DateField(_("customs receipt date (回执日期)"), null=True, blank=True)
    # Set by the customs message import (app ``customs``): such a list is posted by customs' receipt.
    source = models.CharField(
        _("source"), max_length=8, choices=ListSource.choices, default=ListSource.MANUAL, editable=False
    )
    # Kept by the services whenever the lines are written (create, replace, reverse), so list pages
    # and the oversight totals read the header instead of aggregating the lines.
    line_count = models.PositiveIntegerField(_("lines"), default=0, editable=False)
    total_amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, default=0, editable=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = _prefixed("book")
    objects = InventoryListQuerySet.as_manager()

    class Meta:
        verbose_name = _("inventory list (核注清单)")
        verbose_name_plural = _("inventory lists (核注清单)")
        ordering = ["-declaration_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "internal_number"], name="ledger_list_unique_internal"
            ),
            models.CheckConstraint(condition=models.Q(direction__in=[1, -1]), name="ledger_list_direction"),
        ]
        indexes = [
            models.Index(fields=["book", "state", "declaration_date"], name="ledger_list_book_state"),
            # the list page and API order by the newest first: a scope-wide page walks this index
            # and stops after 50 rows instead of sorting every list of the province
            # (docs/performance.md, "web at province scale")
            models.Index(fields=["-declaration_date", "-id"], name="ledger_list_newest"),
            models.Index(fields=["posted_at"], name="ledger_list_posted_at"),  # "posted this month"
        ]

    def __str__(self):
        return self.number

    def audit_scope(self):
        return self.book.audit_scope()


class InventoryListLine(models.Model):
    """表体 line: quantities are always positive; the list's direction and rule give the effect."""

    inventory_list = models.ForeignKey(
        InventoryList, verbose_name=_("inventory list"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("line no."))
    item = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("book item"), on_delete=models.PROTECT, related_name="list_lines"
    )
    item_seq_no = models.PositiveIntegerField(_("item sequence no. (备案序号)"))
    part_no = models.CharField(_("part no. (料号)"), max_length=40, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=10, validators=[validate_hs_format])
    name = models.CharField(_("name"), max_length=200, blank=True)
    qty = models.DecimalField(_("declared quantity"), **QTY, validators=[MinValueValidator(0)])
    legal_qty = models.DecimalField(_("legal quantity"), **QTY, null=True, blank=True)
    legal_qty2 = models.DecimalField(_("second legal quantity"), **QTY, null=True, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=4, default=0)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    country = models.CharField(_("country"), max_length=3, blank=True)
    consumption_version = models.CharField(_("consumption version (单耗版本号)"), max_length=8, blank=True)
    resolved_version = models.CharField(
        _("consumption version used"), max_length=8, blank=True, editable=False
    )
    # The quantity × 10⁵ as an exact 64-bit integer (the integer recompute engine, ``ledger.engine``);
    # NULL past QTY_I_LIMIT, where the engine falls back to the numeric SQL.
    qty_i = models.GeneratedField(
        expression=Case(
            When(qty__lt=Value(QTY_I_LIMIT), then=Cast(Round(F("qty") * Value(QTY_SCALE)), models.BigIntegerField())),
            default=None,
        ),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
        verbose_name=_("quantity × 10⁵"),
    )

    SCOPE_PATHS = _prefixed("inventory_list__book")
    objects = InventoryListLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("inventory list line")
        verbose_name_plural = _("inventory list lines")
        ordering = ["inventory_list", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["inventory_list", "line_no"], name="ledger_line_unique_no"),
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="ledger_line_qty_positive"),
        ]

    def __str__(self):
        return f"{self.inventory_list_id}#{self.line_no}"

    def audit_scope(self):
        return self.inventory_list.audit_scope()
