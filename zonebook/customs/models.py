"""Customs messages received (INV101) and customs receipts (INV201/INV202) with their queue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet


def _book_paths(prefix: str) -> dict:
    from zonebook.ledger.models.book import _prefixed

    return _prefixed(prefix)


class MessageSource(models.TextChoices):
    UPLOAD = "upload", _("Import page")
    API = "api", _("Customs client (API)")
    FOLDER = "folder", _("Watched folder")
    DEMO = "demo", _("Demo data")


class InventoryMessage(models.Model):
    """One INV101 message imported into a list (核注清单报文).  ``content_hash`` identifies the
    content: the same message again changes nothing; another content under the same enterprise
    internal number (etpsInnerInvtNo) is refused, naming both."""

    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    inventory_list = models.OneToOneField(
        "ledger.InventoryList",
        verbose_name=_("inventory list"),
        on_delete=models.CASCADE,
        related_name="customs_message",
    )
    internal_number = models.CharField(_("enterprise internal number (etpsInnerInvtNo)"), max_length=64)
    list_number = models.CharField(_("list number (bondInvtNo)"), max_length=18)
    message_id = models.CharField(_("message id"), max_length=80, blank=True)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    source = models.CharField(_("received through"), max_length=8, choices=MessageSource.choices)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    SCOPE_PATHS = _book_paths("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("INV101 message")
        verbose_name_plural = _("INV101 messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "internal_number"], name="customs_msg_unique_internal"
            ),
        ]

    def __str__(self):
        return self.internal_number

    def audit_scope(self):
        return self.book.audit_scope()


class ReceiptState(models.TextChoices):
    WAITING = "waiting", _("Waiting for its list")
    HELD = "held", _("Held")
    APPLIED = "applied", _("Applied")


class ReceiptEffect(models.TextChoices):
    NONE = "", _("—")
    SUBMITTED = "submitted", _("List declared")
    APPROVED = "approved", _("Approved, not yet deducted")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")
    REVERSED = "reversed", _("Reversed")
    UNCHANGED = "unchanged", _("Nothing to change")


class Receipt(models.Model):
    """A customs processing receipt (回执) for a list.  Matched to the list by bondInvtNo or by the
    enterprise internal number; one that finds no list waits (``WAITING``) and is matched when the
    list arrives; one whose effect is refused (a balance would go negative) is ``HELD`` with the
    reason.  ``message_id`` is unique: the same receipt again changes nothing."""

    message_id = models.CharField(_("receipt number"), max_length=80, unique=True)
    message_type = models.CharField(_("message type"), max_length=8)
    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="+"
    )
    list_number = models.CharField(_("list number (bondInvtNo)"), max_length=18, blank=True)
    internal_number = models.CharField(
        _("enterprise internal number (etpsInnerInvtNo)"), max_length=64, blank=True
    )
    status = models.CharField(_("list status (invtStucd)"), max_length=2)
    deduction = models.CharField(_("deduction mark (vrfdedMarkcd)"), max_length=2, blank=True)
    manage_result = models.CharField(_("processing result (manageResult)"), max_length=8, blank=True)
    note = models.CharField(_("customs note"), max_length=500, blank=True)
    receipt_time = models.DateTimeField(_("receipt time"))
    filename = models.CharField(_("file"), max_length=255, blank=True)
    source = models.CharField(_("received through"), max_length=8, choices=MessageSource.choices)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=8, choices=ReceiptState.choices, default=ReceiptState.WAITING
    )
    effect = models.CharField(_("effect"), max_length=10, choices=ReceiptEffect.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    inventory_list = models.ForeignKey(
        "ledger.InventoryList",
        verbose_name=_("inventory list"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customs_receipts",
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    SCOPE_PATHS = _book_paths("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customs receipt")
        verbose_name_plural = _("customs receipts")
        ordering = ["receipt_time", "id"]
        indexes = [
            models.Index(fields=["state", "book"], name="customs_receipt_queue"),
            models.Index(fields=["book", "list_number"], name="customs_receipt_list"),
            models.Index(fields=["book", "internal_number"], name="customs_receipt_internal"),
        ]

    def __str__(self):
        return self.message_id

    def audit_scope(self):
        return self.book.audit_scope()
