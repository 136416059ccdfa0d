"""保证金台账 (legacy deposit ledger, abolished 2018-02-02): read-only historic records per handbook
(domain doc §9).  Imported from archives through ``services.deposit.import_deposits``; never edited."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .book import _prefixed


class DepositCategory(models.TextChoices):
    ALLOWED = "allowed", _("Allowed (允许类)")
    RESTRICTED = "restricted", _("Restricted (限制类)")
    PROHIBITED = "prohibited", _("Prohibited (禁止类)")


class DepositMode(models.TextChoices):
    NONE = "none", _("Not transferred (不转)")
    EMPTY = "empty", _("Ledger only (空转)")
    HALF = "half", _("Half deposit (半实转)")
    FULL = "full", _("Full deposit (实转)")


class DepositBank(models.TextChoices):
    PAPER = "0", _("Paper (纸质)")
    BOC = "1", _("Bank of China (中国银行)")
    ICBC = "2", _("ICBC (工商银行)")
    CEB = "3", _("China Everbright Bank (光大银行)")


class LegacyDeposit(models.Model):
    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="deposits"
    )
    class_scheme = models.CharField(_("classification scheme"), max_length=20, default="AA-D")
    enterprise_class = models.CharField(_("enterprise class"), max_length=4)
    category = models.CharField(_("category"), max_length=12, choices=DepositCategory.choices)
    mode = models.CharField(_("mode (台账模式)"), max_length=8, choices=DepositMode.choices)
    amount = models.DecimalField(
        _("deposit amount"), max_digits=18, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    guarantee = models.BooleanField(_("letter of guarantee (保函)"), default=False)
    bank = models.CharField(_("bank"), max_length=1, choices=DepositBank.choices)
    opened = models.DateField(_("opened"))
    released = models.DateField(_("released"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("legacy deposit (保证金台账)")
        verbose_name_plural = _("legacy deposits (保证金台账)")
        ordering = ["book", "opened", "id"]

    def __str__(self):
        return f"{self.book} {self.get_mode_display()} {self.amount}"

    def audit_scope(self):
        return self.book.audit_scope()
