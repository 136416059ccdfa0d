import re
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

HS_TABLE = "hs"  # 商品编码 (10 digits), loaded with the ledger's reference data and the hs_codes import
UNIT_RE = re.compile(r"^\d{3}$")


class CodeTable(models.Model):
    """A versioned code table (regions, industries, countries, …) shipped as a data fixture."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(
        _("version"), max_length=40, help_text=_("Edition of the source standard, e.g. GB/T 4754-2017")
    )
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

    table = models.ForeignKey(
        CodeTable, verbose_name=_("code table"), on_delete=models.PROTECT, related_name="codes"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    extra = models.JSONField(_("extra attributes"), default=dict, blank=True)

    objects = CodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        ordering = ["table", "code"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="registry_code_unique_in_table")
        ]

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


UNIT_TABLE = "unit"  # registry code table 海关计量单位代码
_KNOWN_UNITS: ContextVar[frozenset[str] | None] = ContextVar("known_units", default=None)


def unit_codes() -> frozenset[str]:
    """Every code of the registry unit table (a few dozen rows: one query)."""
    return frozenset(Code.objects.filter(table__key=UNIT_TABLE).values_list("code", flat=True))


@contextmanager
def preloaded_units():
    """Inside the block ``validate_unit_code`` checks against one read of the unit table instead of
    one query per value (bulk item services and imports validate thousands of items)."""
    token = _KNOWN_UNITS.set(unit_codes())
    try:
        yield
    finally:
        _KNOWN_UNITS.reset(token)


def unit_problem(value: str, known: frozenset[str] | set[str] | None = None) -> str | None:
    """Why ``value`` is not a unit code of the registry unit table (None when it is, or is blank).

    The one check of unit codes: model fields (hence forms, the API and the item services), the
    item import and the HS code import all come here."""
    if not value:
        return None
    if not UNIT_RE.match(value):
        return _gettext("A unit code has 3 digits (customs unit table), got “%(value)s”.") % {"value": value}
    if known is None:
        known = _KNOWN_UNITS.get()
    if known is None:
        found = Code.objects.filter(table__key=UNIT_TABLE, code=value).exists()
    else:
        found = value in known
    if not found:
        return _gettext("Unit code “%(value)s” is not in the unit code table (海关计量单位代码).") % {
            "value": value
        }
    return None


def validate_unit_code(value: str) -> None:
    problem = unit_problem(value)
    if problem:
        raise ValidationError(problem, code="unit_code")
