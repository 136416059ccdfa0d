"""Statistics and targets (统计与目标): indicator catalogue, statistical entities, observations with
provenance, derived figures, targets, reporting forms, periods and submissions.

Values are stored in the indicator's unit (亿美元, 万元 …) as Decimals; RMB and USD figures are
different indicators (``currency``) linked by ``currency_twin`` and never mixed (see ``calc``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zonebook.core.scoping import ScopedQuerySet


def ym_of(period) -> int:
    """The month index of a date (year * 12 + month − 1)."""
    return period.year * 12 + period.month - 1


def period_of(ym: int):
    import datetime as dt

    return dt.date(ym // 12, ym % 12 + 1, 1)


class Currency(models.TextChoices):
    NONE = "", _("not money")
    CNY = "CNY", _("RMB")
    USD = "USD", _("US dollars")


class Source(models.TextChoices):
    CUSTOMS = "customs", _("customs")
    COMMERCE = "commerce", _("commerce department")
    STATISTICS = "statistics", _("statistics bureau")
    TAX = "tax", _("tax bureau")
    ZONE = "zone", _("zone self-report")
    COMPUTED = "computed", _("computed")


class Periodicity(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    HALF = "half", _("half-yearly")
    YEAR = "year", _("yearly")


class Basis(models.TextChoices):
    MONTH = "month", _("month")
    CUM = "cum", _("year to date")


class Provenance(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    IMPORTED = "imported", _("imported")
    DERIVED = "derived", _("derived")


OFFICIAL = (Provenance.SUBMITTED, Provenance.IMPORTED)


class Level(models.TextChoices):
    NATION = "nation", _("nation")
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    ZONE = "zone", _("zone")
    ENTERPRISE = "enterprise", _("enterprise")


class Region(models.TextChoices):
    EAST = "east", _("east")
    CENTRAL = "central", _("central")
    WEST = "west", _("west")
    NORTHEAST = "northeast", _("northeast")


class Indicator(models.Model):
    """指标: one statistical series definition (data, not code)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    unit = models.CharField(pgettext_lazy("stats", "unit"), max_length=20, help_text=_("e.g. 亿元, 亿美元, 万美元, 人, 家, %, km²"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True, default="")
    currency_twin = models.ForeignKey(
        "self", verbose_name=_("same figure in the other currency"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    periodicity = models.CharField(_("periodicity"), max_length=8, choices=Periodicity.choices, default=Periodicity.MONTH)
    cumulative_only = models.BooleanField(_("published year-to-date only"), default=False)
    additive = models.BooleanField(
        _("additive"), default=True, help_text=_("Months add up to the year and zones to their province.")
    )
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    # Computed indicators: {"op": "ratio"|"sum"|"diff", "args": [codes], "scale": "100"}
    formula = models.JSONField(_("formula"), null=True, blank=True)
    min_value = models.DecimalField(_("minimum"), max_digits=20, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=20, decimal_places=4, null=True, blank=True)
    jump_pct = models.DecimalField(
        _("jump needing an explanation (%)"), max_digits=8, decimal_places=2, default=50,
        help_text=_("A change against the same period of last year larger than this needs an explanation."),
    )
    # Consistency rule: this indicator = sum of the parts (e.g. total = imports + exports)
    parts = models.ManyToManyField("self", verbose_name=_("parts"), symmetrical=False, blank=True, related_name="whole_of")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.name} ({self.unit})"

    @property
    def is_computed(self) -> bool:
        return bool(self.formula)


class IndicatorDefinition(models.Model):
    """口径: the definition of an indicator valid from a date; ``is_break`` marks a new definition not
    comparable with the previous one (comparisons across it are flagged)."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="definitions")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    text = models.TextField(_("definition"))
    notes = models.TextField(_("notes on coverage (口径)"), blank=True)
    source_doc = models.CharField(_("source document"), max_length=200, blank=True)
    is_break = models.BooleanField(_("breaks the series"), default=False)

    class Meta:
        verbose_name = _("indicator definition")
        verbose_name_plural = _("indicator definitions")
        ordering = ["indicator", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["indicator", "valid_from"], name="stats_definition_unique")]

    def __str__(self):
        return f"{self.indicator.code} {self.valid_from}"


class ExchangeRate(models.Model):
    """A published rate for one month (e.g. the PBoC monthly average): units of ``to_currency`` per unit
    of ``from_currency``.  Used only to derive a missing currency twin, stored with the derived value."""

    ym = models.IntegerField(_("month index"))
    from_currency = models.CharField(_("from currency"), max_length=3, choices=Currency.choices)
    to_currency = models.CharField(_("to currency"), max_length=3, choices=Currency.choices)
    rate = models.DecimalField(_("rate"), max_digits=12, decimal_places=6)
    source = models.CharField(_("rate source"), max_length=200)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["ym", "from_currency", "to_currency"], name="stats_rate_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="stats_rate_positive"),
        ]

    def __str__(self):
        return f"{self.from_currency}/{self.to_currency} {self.ym // 12}-{self.ym % 12 + 1:02d} {self.rate}"


class EntityQuerySet(ScopedQuerySet):
    pass


class Entity(models.Model):
    """A statistical entity: the nation, a province, a city, a zone (of the registry or a peer
    elsewhere, for shares and ranks) or an enterprise."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    zone = models.OneToOneField(
        "registry.Zone", verbose_name=_("zone"), null=True, blank=True, on_delete=models.PROTECT, related_name="stats_entity"
    )
    enterprise = models.OneToOneField(
        "registry.Enterprise", verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="stats_entity",
    )
    province_code = models.CharField(_("province"), max_length=6, blank=True, db_index=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True)
    region = models.CharField(_("region"), max_length=10, choices=Region.choices, blank=True)
    zone_type = models.CharField(_("zone type"), max_length=20, blank=True)

    SCOPE_PATHS = {"province": "province_code", "city": "city_code", "zone": "zone_id", "enterprise": "enterprise_id"}
    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistical entity")
        verbose_name_plural = _("statistical entities")
        ordering = ["level", "name"]

    def __str__(self):
        return self.name

    def audit_scope(self):
        return {"province": self.province_code, "city": self.city_code, "zone": self.zone_id,
                "enterprise": self.enterprise_id}


class Observation(models.Model):
    """One value of an indicator for an entity and month (``period`` = first day of the month), either
    the month's own value or the year-to-date cumulative (``basis``), with its provenance."""

    entity = models.ForeignKey(Entity, verbose_name=_("entity"), on_delete=models.CASCADE, related_name="observations")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("period"))
    # year * 12 + month − 1: the month as one integer, so set-based SQL joins "the month before" and
    # "the same month last year" portably (ym − 1, ym − 12)
    ym = models.IntegerField(_("month index"), editable=False)
    basis = models.CharField(pgettext_lazy("stats", "basis"), max_length=5, choices=Basis.choices)
    value = models.DecimalField(pgettext_lazy("stats", "value"), max_digits=20, decimal_places=4)
    provenance = models.CharField(pgettext_lazy("stats", "provenance"), max_length=10, choices=Provenance.choices)
    source_ref = models.CharField(_("source"), max_length=200, blank=True)
    fx_rate = models.DecimalField(_("exchange rate used"), max_digits=12, decimal_places=6, null=True, blank=True)
    fx_note = models.CharField(_("rate source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPE_PATHS = {k: f"entity__{v}" for k, v in Entity.SCOPE_PATHS.items()}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(fields=["entity", "indicator", "ym", "basis"], name="stats_observation_unique"),
            models.CheckConstraint(
                condition=Q(fx_rate__isnull=True) | Q(provenance="derived"), name="stats_observation_rate_only_derived"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "ym", "basis"], name="stats_obs_ind_period")]

    def __str__(self):
        return f"{self.entity} {self.indicator.code} {self.period:%Y-%m} {self.basis}"

    def save(self, *args, **kwargs):
        self.ym = ym_of(self.period)
        super().save(*args, **kwargs)

    def audit_scope(self):
        return self.entity.audit_scope()


class Figure(models.Model):
    """Derived figures for one (entity, indicator, month, basis), recomputed set-based by
    ``sql.recompute`` from the observations: YoY, share of the parent and its change, ranks."""

    # A derived table rebuilt wholesale from the observations by ``sql.recompute``: no FK constraint
    # (a per-row trigger on 600k inserts) and no single-column indexes; the two composite ones serve reads.
    entity = models.ForeignKey(Entity, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                                  db_constraint=False)
    period = models.DateField()
    ym = models.IntegerField()
    basis = models.CharField(max_length=5, choices=Basis.choices)
    value = models.DecimalField(max_digits=20, decimal_places=4)
    prior = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    yoy_pct = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    share_pct = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    share_pp = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    rank_nation = models.IntegerField(null=True)
    n_nation = models.IntegerField(null=True)
    rank_region = models.IntegerField(null=True)
    n_region = models.IntegerField(null=True)
    rank_province = models.IntegerField(null=True)
    n_province = models.IntegerField(null=True)
    rank_type = models.IntegerField(null=True)
    n_type = models.IntegerField(null=True)

    SCOPE_PATHS = Observation.SCOPE_PATHS
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("derived figure")
        verbose_name_plural = _("derived figures")
        constraints = [models.UniqueConstraint(fields=["entity", "indicator", "ym", "basis"], name="stats_figure_unique")]
        indexes = [models.Index(fields=["indicator", "ym", "basis"], name="stats_fig_ind_period")]


class FigureBlock(models.Model):
    """The digest of one block of ``Figure`` rows — every figure of one indicator and month, both bases
    — as the engine last wrote it (``engine.block_digests``: BLAKE2b over every column of the block's
    rows).  A recomputation computes every figure, compares the blocks' digests with these and rewrites
    only the blocks that changed.  Written only with the figures (``sql.recompute``); the SQL path
    (SQLite) leaves the table empty."""

    indicator = models.ForeignKey(Indicator, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                                  db_constraint=False)
    ym = models.IntegerField()
    rows = models.IntegerField()
    digest = models.BinaryField(max_length=16)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("figure block digest")
        verbose_name_plural = _("figure block digests")
        constraints = [models.UniqueConstraint(fields=["indicator", "ym"], name="stats_figureblock_unique")]


class Target(models.Model):
    """目标: an annual or multi-year goal for an entity and indicator (year-to-date value of the last
    year against ``value``); ``amber_pp``/``red_pp``: how far behind time progress turns the light."""

    entity = models.ForeignKey(Entity, verbose_name=_("entity"), on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    start_year = models.PositiveSmallIntegerField(_("from year"))
    end_year = models.PositiveSmallIntegerField(_("target year"))
    value = models.DecimalField(pgettext_lazy("stats", "target"), max_digits=20, decimal_places=4)
    doc = models.CharField(_("source document"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    amber_pp = models.DecimalField(_("amber at or below (pp ahead of schedule)"), max_digits=6, decimal_places=2, default=-5)
    red_pp = models.DecimalField(_("red at or below (pp ahead of schedule)"), max_digits=6, decimal_places=2, default=-15)

    SCOPE_PATHS = Observation.SCOPE_PATHS
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistical target")
        verbose_name_plural = _("statistical targets")
        ordering = ["entity", "indicator", "end_year"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "indicator", "start_year", "end_year"], name="stats_target_unique"),
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="stats_target_years"),
        ]

    def __str__(self):
        return f"{self.entity} {self.indicator.code} {self.end_year}"

    def audit_scope(self):
        return self.entity.audit_scope()

    @property
    def is_multi_year(self) -> bool:
        return self.end_year > self.start_year


class ReportForm(models.Model):
    """报表: the set of indicators an entity level reports per period, and its due rule."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    level = models.CharField(_("reported by"), max_length=12, choices=Level.choices, default=Level.ZONE)
    periodicity = models.CharField(_("periodicity"), max_length=8, choices=Periodicity.choices, default=Periodicity.MONTH)
    due_working_days = models.PositiveSmallIntegerField(
        _("due (working days after the period)"), default=5,
    )
    version = models.CharField(_("version"), max_length=20, default="1")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("report form")
        verbose_name_plural = _("report forms")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ReportFormLine(models.Model):
    form = models.ForeignKey(ReportForm, verbose_name=_("report form"), on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(pgettext_lazy("stats", "basis"), max_length=5, choices=Basis.choices, default=Basis.CUM)
    required = models.BooleanField(_("required"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("report form line")
        verbose_name_plural = _("report form lines")
        ordering = ["form", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "indicator", "basis"], name="stats_formline_unique")]


class ReportPeriod(models.Model):
    """One reporting round of a form (e.g. the 2026-03 monthly return) with its deadline."""

    form = models.ForeignKey(ReportForm, verbose_name=_("report form"), on_delete=models.CASCADE, related_name="periods")
    period = models.DateField(_("period"))
    due_date = models.DateField(_("due date"))
    due_provisional = models.BooleanField(_("due date provisional"), default=False)

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["-period", "form"]
        constraints = [models.UniqueConstraint(fields=["form", "period"], name="stats_period_unique")]

    def __str__(self):
        return f"{self.form} {self.period:%Y-%m}"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted, awaiting city review")
    CITY_APPROVED = "city_approved", _("approved by the city, awaiting province review")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned for correction")


class SubmissionQuerySet(ScopedQuerySet):
    pass


class Submission(models.Model):
    """填报: one entity's return for one reporting period."""

    report_period = models.ForeignKey(ReportPeriod, verbose_name=_("reporting period"), on_delete=models.PROTECT, related_name="submissions")
    entity = models.ForeignKey(Entity, verbose_name=_("entity"), on_delete=models.PROTECT, related_name="submissions")
    status = models.CharField(_("status"), max_length=14, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    submitted_at = models.DateTimeField(pgettext_lazy("stats", "submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField(_("late"), default=False)
    return_reason = models.TextField(_("reason for return"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = Observation.SCOPE_PATHS
    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-report_period__period", "entity__name"]
        constraints = [models.UniqueConstraint(fields=["report_period", "entity"], name="stats_submission_unique")]

    def __str__(self):
        return f"{self.entity} {self.report_period}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("stats:submission", args=[self.pk])

    def audit_scope(self):
        return self.entity.audit_scope()


class SubmissionValue(models.Model):
    submission = models.ForeignKey(Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(pgettext_lazy("stats", "basis"), max_length=5, choices=Basis.choices)
    value = models.DecimalField(pgettext_lazy("stats", "value"), max_digits=20, decimal_places=4, null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    unit_confirmed = models.BooleanField(_("unit confirmed"), default=False)

    class Meta:
        verbose_name = _("submitted value")
        verbose_name_plural = _("submitted values")
        constraints = [models.UniqueConstraint(fields=["submission", "indicator", "basis"], name="stats_subvalue_unique")]

    def audit_scope(self):
        return self.submission.entity.audit_scope()
