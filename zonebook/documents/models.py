"""Document numbers (文号 sequences) and the admin-editable templates of official documents.

Every write goes through ``zonebook.documents.numbering`` (numbers) and
``zonebook.documents.services`` (templates), which record audit entries in the same transaction.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentSequence(models.Model):
    """文号序列: the last number issued by one office in one series and year (川商开发〔2026〕12号)."""

    office_key = models.CharField(_("office"), max_length=80)
    series = models.CharField(_("number series"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number issued"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("document number sequence")
        verbose_name_plural = _("document number sequences")
        ordering = ["office_key", "series", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["office_key", "series", "year"], name="documents_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series}〔{self.year}〕{self.last}号"


class DocumentTemplate(models.Model):
    """公文模板: the fixed parts of one kind of document (简报, 通报, 走访情况汇总表, 催办通知书), edited by an
    administrator.  Texts may contain placeholders such as ``{period}``, ``{office}`` or ``{date}``
    (``zonebook.documents.templating.PLACEHOLDERS``)."""

    kind = models.CharField(
        _("document kind"), max_length=40, unique=True,
        validators=[RegexValidator(r"^[a-z0-9_.-]+$")],
        help_text=_("The key modules build documents with, e.g. bulletin, circular, visit_summary, reminder."),
    )
    name = models.CharField(_("name"), max_length=100)
    office = models.CharField(
        _("issuing office"), max_length=100, blank=True,
        help_text=_("Used when the document names no office of its own."),
    )
    series = models.CharField(
        _("number series"), max_length=40, blank=True,
        help_text=_("The prefix of the document number (文号), e.g. 川商开发; empty: the document's own."),
    )
    header_text = models.CharField(
        _("header text (红头)"), max_length=100, blank=True,
        help_text=_("Printed in red above the red rule, e.g. {office}文件 or 开发区工作简报."),
    )
    recipients = models.CharField(
        _("recipients (主送)"), max_length=300, blank=True,
        help_text=_("Used when the document names no recipients of its own."),
    )
    intro = models.TextField(
        _("opening paragraph"), blank=True,
        help_text=_("Printed before the first section, e.g. 现将{period}全省开发区主要经济指标情况通报如下。"),
    )
    signature = models.CharField(
        _("signature (落款)"), max_length=200, blank=True, help_text=_("Default: the issuing office."),
    )
    footer = models.TextField(
        _("closing note"), blank=True, help_text=_("Printed after the date, e.g. （此件公开发布）."),
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    TEXT_FIELDS = ("office", "series", "header_text", "recipients", "intro", "signature", "footer")

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def clean(self):
        """Every text may use only known placeholders, with balanced braces (the error names them)."""
        from django.core.exceptions import ValidationError

        from .templating import validate

        errors = {}
        for name in self.TEXT_FIELDS:
            problems = validate(getattr(self, name) or "")
            if problems:
                errors[name] = problems
        if errors:
            raise ValidationError(errors)
