"""Dated reference data of the ledger: posting rules (核扣方式) and the 监管方式 ↔ book-kind table."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import COLUMN_SIGN, PRODUCT_COLUMNS, SCRAP_COLUMNS, BalanceColumn, IEMark, ItemKind


class PostingRule(models.Model):
    """核扣方式: which balance column a list line moves, keyed by (监管方式, I/E, item kind) and date.

    ``sign`` is the material effect of the domain doc §5 (+1 adds to the material balance, −1 takes
    from it) and must agree with the column's place in the §6.3(c) equation.  ``explode``: product
    lines are exploded through the consumption table into material consumption and losses.
    ``scrap``: the line moves the scrap (边角料) balance, not the material balance.
    An empty column means "no effect" (e.g. 9700 tax only).
    """

    supervision_mode = models.CharField(_("supervision mode (监管方式)"), max_length=4)
    ie_mark = models.CharField(_("I/E mark"), max_length=1, choices=IEMark.choices)
    item_kind = models.CharField(_("item kind"), max_length=8, choices=ItemKind.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    target = models.CharField(_("balance column"), max_length=24, choices=BalanceColumn.choices, blank=True)
    sign = models.SmallIntegerField(_("sign"), choices=[(1, "+1"), (-1, "−1")], default=1)
    explode = models.BooleanField(_("explode through consumption"), default=False)
    scrap = models.BooleanField(_("scrap column"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("posting rule (核扣方式)")
        verbose_name_plural = _("posting rules (核扣方式)")
        ordering = ["supervision_mode", "ie_mark", "item_kind", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervision_mode", "ie_mark", "item_kind", "valid_from"],
                name="ledger_rule_unique_start",
            ),
            models.CheckConstraint(condition=models.Q(sign__in=[1, -1]), name="ledger_rule_sign"),
        ]

    def __str__(self):
        return f"{self.supervision_mode} {self.ie_mark} {self.item_kind} {self.target or '-'} {self.sign:+d}"

    @property
    def description(self) -> str:
        """核扣方式 in words, as a page shows it: "进口 料件 → 记入“进口”，增加料件余额"."""
        from django.utils.translation import gettext

        head = f"{self.get_ie_mark_display()} {self.get_item_kind_display()}"
        if not self.target:
            return gettext("%(head)s: moves no balance") % {"head": head}
        if self.explode:
            how = gettext("exploded through the consumption table into “%(column)s”")
        elif self.sign > 0:
            how = gettext("added to “%(column)s”, the balance grows")
        else:
            how = gettext("recorded in “%(column)s”, the balance falls")
        text = f"{head} → {how % {'column': self.get_target_display()}}"
        if self.scrap:
            text += gettext(" (scrap balance)")
        return text

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "supervision_mode": self.supervision_mode,
            "ie_mark": self.ie_mark,
            "item_kind": self.item_kind,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "target": self.target,
            "sign": self.sign,
            "explode": self.explode,
            "scrap": self.scrap,
        }

    def clean(self):
        errors = {}
        if self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The rule ends before it starts.")
        if self.target:
            if COLUMN_SIGN[self.target] != self.sign:
                errors["sign"] = _("Column %(column)s moves the balance with sign %(sign)+d.") % {
                    "column": self.target,
                    "sign": COLUMN_SIGN[self.target],
                }
            if self.explode != (self.target in PRODUCT_COLUMNS):
                errors["explode"] = _(
                    "Product columns, and only they, explode through the consumption table."
                )
            if self.scrap != (self.target in SCRAP_COLUMNS):
                errors["scrap"] = _("Mark the rule as scrap exactly when it moves the scrap column.")
            if self.explode and self.item_kind != ItemKind.PRODUCT:
                errors["item_kind"] = _("Only product lines can be exploded.")
            if not self.explode and self.item_kind != ItemKind.MATERIAL:
                errors["item_kind"] = _("Product lines must explode through the consumption table.")
        elif self.explode or self.scrap:
            errors["target"] = _("Choose the column the rule moves.")
        if not errors and self.valid_from:
            overlap = PostingRule.objects.filter(
                supervision_mode=self.supervision_mode, ie_mark=self.ie_mark, item_kind=self.item_kind
            ).exclude(pk=self.pk)
            overlap = overlap.filter(
                models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=self.valid_from)
            )
            if self.valid_to:
                overlap = overlap.filter(valid_from__lte=self.valid_to)
            if overlap.exists():
                errors["valid_from"] = _("Another rule for the same key is in force in this period.")
        if errors:
            raise ValidationError(errors)


class ModeBookKind(models.Model):
    """监管方式 ↔ book letters allowed (domain doc §2.1), dated."""

    supervision_mode = models.CharField(_("supervision mode (监管方式)"), max_length=4)
    book_kinds = models.CharField(
        _("allowed book kinds"), max_length=10, help_text=_("Book letters, e.g. BE")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("supervision mode per book kind")
        verbose_name_plural = _("supervision modes per book kind")
        ordering = ["supervision_mode", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["supervision_mode", "valid_from"], name="ledger_modekind_unique")
        ]

    def __str__(self):
        return f"{self.supervision_mode} → {self.book_kinds}"
