from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeTable(models.Model):
    """A versioned code table (regions, industries, countries, …) shipped as a data fixture."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(_("version"), max_length=40, help_text=_("Edition of the source standard, e.g. GB/T 4754-2017"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        verbose_name = _("code table")
        verbose_name_plural = _("code tables")
        ordering = ["key"]

    def __str__(self):
        return f"{self.name} ({self.version})"


class CodeQuerySet(models.QuerySet):
    def of(self, table: str):
        return self.filter(table__key=table)


class Code(models.Model):
    """One entry of a code table; hierarchical tables (regions, industries) use ``parent``."""

    table = models.ForeignKey(CodeTable, verbose_name=_("code table"), on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    extra = models.JSONField(_("extra attributes"), default=dict, blank=True)

    objects = CodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["table", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="registry_code_unique_in_table")]

    def __str__(self):
        # Pages and dropdowns show names, not codes ("综合保税区", not "FTZ 综合保税区"); where the code
        # is what an official reads (HS codes, 关区代码) the template shows ``code`` beside it.
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name
