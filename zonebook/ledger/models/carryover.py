"""深加工结转 (deep-processing carry-over): the application between a transferring and a receiving book,
the posted inventory-list lines linked to it (shipments on the transfer-out side, receipts on the
transfer-in side) and the pairings (对碰) of those halves.

Rows are written only by ``services.carryover``.  See docs/ledger-carryover.md.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .book import BOOK_SCOPE, QTY


class CarryOverState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved (已备案)")
    CLOSED = "closed", _("Closed (结案)")
    CANCELLED = "cancelled", _("Cancelled")


# state → states it may move to
CARRYOVER_TRANSITIONS = {
    CarryOverState.DRAFT: {CarryOverState.APPROVED, CarryOverState.CANCELLED},
    CarryOverState.APPROVED: {CarryOverState.CLOSED, CarryOverState.CANCELLED},
    CarryOverState.CLOSED: set(),
    CarryOverState.CANCELLED: set(),
}


class CarryOverSide(models.TextChoices):
    SHIPMENT = "shipment", _("Shipment (转出, E)")
    RECEIPT = "receipt", _("Receipt (转入, I)")


class QueueStatus(models.TextChoices):
    """Why a half is in the matching queue (对碰队列)."""

    UNMATCHED = "unmatched", _("Unmatched (未对碰)")
    PARTIAL = "partial", _("Residue of a partial pairing (部分对碰)")
    OVER_PLAN = "over_plan", _("Over the planned quantity (超计划)")


def carryover_scope(prefix: str = "") -> dict:
    """Scope paths of a carry-over (or of rows under ``prefix``): either side's book is enough."""
    p = f"{prefix}__" if prefix else ""
    return {
        level: (f"{p}transferor_book__{path}", f"{p}transferee_book__{path}")
        for level, path in BOOK_SCOPE.items()
    }


class CarryOver(models.Model):
    """结转申报表: the transfer-out book's product (转出方, E side) goes to the transfer-in book's material
    (转入方, I side) up to ``planned_qty`` within ``valid_from`` … ``valid_to``.

    ``unit`` is the unit every quantity of the application is counted in: the declared unit when both
    items are filed in the same unit, otherwise their common first legal unit (``compare_legal``: the
    halves are then counted and matched in legal quantity, §7 rule 2).
    """

    number = models.CharField(_("application number (申报表编号)"), max_length=20, unique=True)
    transferor_book = models.ForeignKey(
        "ledger.Book",
        verbose_name=_("transfer-out book (转出方账册)"),
        on_delete=models.PROTECT,
        related_name="carryovers_out",
    )
    transferor_item = models.ForeignKey(
        "ledger.BookItem",
        verbose_name=_("transfer-out product (转出成品)"),
        on_delete=models.PROTECT,
        related_name="carryovers_out",
    )
    transferee_book = models.ForeignKey(
        "ledger.Book",
        verbose_name=_("transfer-in book (转入方账册)"),
        on_delete=models.PROTECT,
        related_name="carryovers_in",
    )
    transferee_item = models.ForeignKey(
        "ledger.BookItem",
        verbose_name=_("transfer-in material (转入料件)"),
        on_delete=models.PROTECT,
        related_name="carryovers_in",
    )
    planned_qty = models.DecimalField(_("planned quantity (申报数量)"), **QTY)
    unit = models.CharField(_("unit"), max_length=3)
    compare_legal = models.BooleanField(_("counted in legal quantity"), default=False)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    state = models.CharField(
        _("state"), max_length=16, choices=CarryOverState.choices, default=CarryOverState.DRAFT
    )
    # totals kept by the services (one UPDATE after every link / pairing change)
    shipped_qty = models.DecimalField(_("shipped (已转出)"), **QTY, default=0)
    received_qty = models.DecimalField(_("received (已转入)"), **QTY, default=0)
    matched_shipped_qty = models.DecimalField(_("shipped and matched"), **QTY, default=0)
    matched_received_qty = models.DecimalField(_("received and matched"), **QTY, default=0)
    over_plan_qty = models.DecimalField(_("over plan (超计划)"), **QTY, default=0)
    open_halves = models.PositiveIntegerField(_("halves in the queue"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    SCOPE_PATHS = carryover_scope()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("carry-over (深加工结转)")
        verbose_name_plural = _("carry-overs (深加工结转)")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(transferor_book=models.F("transferee_book")),
                name="ledger_carryover_two_books",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="ledger_carryover_period"
            ),
            models.CheckConstraint(condition=models.Q(planned_qty__gt=0), name="ledger_carryover_planned"),
        ]
        indexes = [models.Index(fields=["state", "valid_to"], name="ledger_co_state_to")]

    def __str__(self):
        return self.number

    @property
    def unmatched_shipped_qty(self):
        return self.shipped_qty - self.matched_shipped_qty

    @property
    def unmatched_received_qty(self):
        return self.received_qty - self.matched_received_qty

    @property
    def remaining_qty(self):
        """Planned quantity not yet received (the receipts' headroom)."""
        return self.planned_qty - self.received_qty

    def audit_scope(self):
        """Audit entries belong to both parties: the transfer-out side's scope, and the transfer-in side's
        as the second (``other``) scope, so either side's zone office (and the parties) see them."""
        return {**self.transferor_book.audit_scope(), "other": self.transferee_book.audit_scope()}


class CarryOverMatch(models.Model):
    """对碰: one pairing of shipments and receipts of one application (one period, one calendar year)."""

    carry_over = models.ForeignKey(
        CarryOver, verbose_name=_("carry-over"), on_delete=models.CASCADE, related_name="matches"
    )
    period = models.DateField(_("period (month)"))
    shipped_qty = models.DecimalField(_("shipped"), **QTY)
    received_qty = models.DecimalField(_("received"), **QTY)
    difference = models.DecimalField(_("difference (shipped − received)"), **QTY, default=0)
    shipment_lists = models.PositiveIntegerField(_("shipment lists"), default=0)
    receipt_lists = models.PositiveIntegerField(_("receipt lists"), default=0)
    first_date = models.DateField(_("first declaration"))
    last_date = models.DateField(_("last declaration"))
    auto = models.BooleanField(_("matched automatically"), default=False)
    run = models.CharField(_("matching run"), max_length=32, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("matched by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("matched at"), auto_now_add=True)

    SCOPE_PATHS = carryover_scope("carry_over")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("carry-over pairing (对碰)")
        verbose_name_plural = _("carry-over pairings (对碰)")
        ordering = ["carry_over", "period", "id"]
        indexes = [models.Index(fields=["carry_over", "period"], name="ledger_com_co_period")]

    def __str__(self):
        return f"{self.carry_over_id} {self.period:%Y-%m} #{self.pk}"

    def audit_scope(self):
        return self.carry_over.audit_scope()


class CarryOverLink(models.Model):
    """One half: a posted list line on the application's item (shipment: transfer-out book, E list,
    product; receipt: transfer-in book, I list, material), counted in the application's unit."""

    carry_over = models.ForeignKey(
        CarryOver, verbose_name=_("carry-over"), on_delete=models.CASCADE, related_name="links"
    )
    side = models.CharField(_("side"), max_length=8, choices=CarryOverSide.choices)
    inventory_list = models.ForeignKey(
        "ledger.InventoryList", verbose_name=_("inventory list"), on_delete=models.PROTECT, related_name="+"
    )
    line = models.OneToOneField(
        "ledger.InventoryListLine",
        verbose_name=_("list line"),
        on_delete=models.PROTECT,
        related_name="carryover_link",
    )
    declaration_date = models.DateField(_("declaration date"))
    period = models.DateField(_("period (month)"))
    declared_qty = models.DecimalField(_("declared quantity"), **QTY)
    qty = models.DecimalField(_("quantity (application unit)"), **QTY)
    over_plan_qty = models.DecimalField(_("over plan (超计划)"), **QTY, default=0)
    open_qty = models.DecimalField(_("open quantity"), **QTY, default=0)
    match = models.ForeignKey(
        CarryOverMatch,
        verbose_name=_("pairing"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="links",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    SCOPE_PATHS = carryover_scope("carry_over")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("carry-over half")
        verbose_name_plural = _("carry-over halves")
        ordering = ["carry_over", "declaration_date", "id"]
        indexes = [
            models.Index(fields=["carry_over", "side", "period"], name="ledger_col_co_side"),
            models.Index(fields=["declaration_date"], name="ledger_col_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="ledger_col_qty_positive"),
        ]

    def __str__(self):
        return f"{self.carry_over_id} {self.side} {self.line_id}"

    def audit_scope(self):
        return self.carry_over.audit_scope()
