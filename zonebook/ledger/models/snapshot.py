"""Month close (月结): verified balances of every item at the end of a month, per book.

A ``MonthClose`` row says "the balances of this book at the end of this month were computed from the
previous month's snapshot plus the month's posted lines, and found equal to a full computation from
every posted line" (``services.monthclose.close_month``).  The ``BalanceSnapshot`` rows hold those
balances — one row per (close, item) for the items with any non-zero column — so that the everyday
check (``services.monthclose.check_open``) reads the last verified snapshot plus only the lines of the
months after it.

A list posted or reversed with a declaration date in a closed month (back-dated) reopens that
month's close and every later one of the book (status ``reopened``, ``reopened_by`` = the list,
audited): the everyday check then starts from the last month still closed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .balance import BALANCE_FIELDS
from .book import QTY, _prefixed


class MonthCloseStatus(models.TextChoices):
    CLOSED = "closed", _("Month closed")
    REOPENED = "reopened", _("Reopened")


class MonthClose(models.Model):
    """The close of one month of one book (unique per book and month)."""

    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.CASCADE, related_name="month_closes"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    last_day = models.DateField(_("last day"))
    status = models.CharField(
        _("status"), max_length=10, choices=MonthCloseStatus.choices, default=MonthCloseStatus.CLOSED
    )
    closed_at = models.DateTimeField(_("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # snapshot rows stored (items with any non-zero balance) and items compared with the full computation
    items = models.PositiveIntegerField(_("items stored"), default=0)
    verified_items = models.PositiveIntegerField(_("items verified"), default=0)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by_list = models.ForeignKey(
        "ledger.InventoryList",
        verbose_name=_("reopened by list"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("month close (月结)")
        verbose_name_plural = _("month closes (月结)")
        ordering = ["-month", "book"]
        constraints = [
            models.UniqueConstraint(fields=["book", "month"], name="ledger_monthclose_book_month"),
        ]
        indexes = [
            models.Index(fields=["book", "status", "last_day"], name="ledger_monthclose_open"),
            models.Index(fields=["month", "status"], name="ledger_monthclose_month"),
        ]

    def __str__(self):
        return f"{self.book_id} {self.month:%Y-%m}"

    def audit_scope(self):
        return self.book.audit_scope()


class BalanceSnapshot(models.Model):
    """Every balance column of one item at the end of a closed month (as verified by the close)."""

    id = models.BigAutoField(primary_key=True)
    # no index of their own: the unique (close, item) index serves every read (by close)
    close = models.ForeignKey(
        MonthClose, verbose_name=_("month close"), on_delete=models.CASCADE, db_index=False, related_name="snapshots"
    )
    item = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("book item"), on_delete=models.CASCADE, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = _("balance snapshot")
        verbose_name_plural = _("balance snapshots")
        constraints = [
            models.UniqueConstraint(fields=["close", "item"], name="ledger_snapshot_close_item"),
        ]

    def __str__(self):
        return f"{self.close_id}:{self.item_id}"


for _name, _label, _header in BALANCE_FIELDS:
    BalanceSnapshot.add_to_class(_name, models.DecimalField(_label, **QTY, default=0))
