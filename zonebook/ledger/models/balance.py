"""余额: derived balance per (book, item), kept current by posting and rebuilt by recompute."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .book import QTY, _prefixed

# (field name, verbose name, CSV/xlsx header) in report order.  The header names are documented in docs/ledger.md.
BALANCE_FIELDS = [
    ("opening", _("opening (期初)"), "opening"),
    ("imports", _("imports (进口)"), "imports"),
    ("carry_in", _("carry-over in (深加工转入)"), "carry_in"),
    ("leftover_in", _("leftover in (余料转入)"), "leftover_in"),
    ("returns_in", _("returns in (退换进口)"), "returns_in"),
    ("returns_out", _("returns out (退换出口)"), "returns_out"),
    ("reexport", _("re-export (复出)"), "reexport"),
    ("domestic_sale", _("domestic sale (内销)"), "domestic_sale"),
    ("leftover_out", _("leftover out (余料转出)"), "leftover_out"),
    ("destruction", _("destruction (销毁)"), "destruction"),
    ("adjust_plus", _("adjustment plus (核增)"), "adjust_plus"),
    ("adjust_minus", _("adjustment minus (核减)"), "adjust_minus"),
    ("consumption", _("consumption (消耗)"), "consumption"),
    ("tangible_loss", _("tangible loss / scrap generated (有形损耗)"), "tangible_loss"),
    ("intangible_loss", _("intangible loss (无形损耗)"), "intangible_loss"),
    ("scrap_out", _("scrap disposed (边角料处置)"), "scrap_out"),
    ("expected_remaining", _("expected remaining (应剩余)"), "expected_remaining"),
    ("scrap_balance", _("scrap balance (边角料余额)"), "scrap_balance"),
    ("exported", _("products exported (成品出口)"), "exported"),
    ("carry_out", _("products carried out (深加工转出)"), "carry_out"),
    ("product_returns_in", _("product returns in (成品退换进口)"), "product_returns_in"),
    ("product_returns_out", _("product returns out (成品退换出口)"), "product_returns_out"),
]
BALANCE_COLUMNS = [f[0] for f in BALANCE_FIELDS]


class Balance(models.Model):
    """Balance of one book item.  Never written directly: ``services.posting`` and ``services.recompute``."""

    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="balances"
    )
    item = models.OneToOneField(
        "ledger.BookItem", verbose_name=_("book item"), on_delete=models.PROTECT, related_name="balance"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("balance (余额)")
        verbose_name_plural = _("balances (余额)")
        ordering = ["book", "item"]
        indexes = [models.Index(fields=["book", "item"], name="ledger_balance_book_item")]

    def __str__(self):
        return f"{self.item}"

    def audit_scope(self):
        return self.book.audit_scope()


for _name, _label, _header in BALANCE_FIELDS:
    Balance.add_to_class(_name, models.DecimalField(_label, **QTY, default=0))


class BookSummary(models.Model):
    """Per-book figures of the oversight page, derived from the book's balances.

    Kept by every service that changes balances or item prices (posting, reversal, recompute,
    opening balance, item edit) with ``queries.refresh_book_summaries`` — one ``INSERT … SELECT``
    per call, in the same transaction — so the province oversight reads one row per book instead of
    every balance (docs/performance.md, "oversight").  A book without a row has only zero balances.
    """

    book = models.OneToOneField(
        "ledger.Book",
        verbose_name=_("book"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="summary",
    )
    negative = models.PositiveIntegerField(_("negative material balances"), default=0)
    near_zero = models.PositiveIntegerField(_("near-zero material balances"), default=0)
    stocked = models.PositiveIntegerField(_("materials in stock"), default=0)
    # expected remaining (5 dp) x unit price (4 dp): 9 dp keeps the product exact
    bonded_value = models.DecimalField(_("bonded value"), max_digits=30, decimal_places=9, default=0)
    near_zero_percent = models.DecimalField(_("near-zero threshold (%)"), max_digits=7, decimal_places=3)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("book summary")
        verbose_name_plural = _("book summaries")

    def __str__(self):
        return f"{self.book_id}"
