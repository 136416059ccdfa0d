"""Evaluation (考核评价): versioned weighted schemes as data, runs over a set of statistical entities,
their results per entity (raw value, normalised score and weighted contribution of each indicator,
total, national and group ranks, grades, change against the previous run), and the adjustment
records (bonus, deduction, veto) the runs read.

A scheme version that has runs is never edited: a change is a new version (``services``).  A run keeps
the data it used (``inputs``) so it can be reproduced exactly; what-if computations start from that
copy and never write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet


class SchemeKind(models.TextChoices):
    FTZ = "ftz", _("customs special supervision zones (综保区)")
    ETDZ = "etdz", _("national economic and technological development zones")
    PROVINCIAL = "provincial", _("provincial assessment")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class Measure(models.TextChoices):
    VALUE = "value", _("value of the data year")
    YOY = "yoy", _("growth against the year before (%)")


class MissingRule(models.TextChoices):
    ZERO = "zero", _("counted as zero")
    MEDIAN = "median", _("peer-group median")
    EXCLUDE = "exclude", _("excluded, weights rescaled")


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", _("bonus")
    DEDUCTION = "deduction", _("deduction")
    VETO = "veto", _("disqualification (veto)")


def normaliser_choices():
    from .normalisers import choices

    return choices()


class Scheme(models.Model):
    """考评方案: a family of versions (e.g. the customs 综保区 performance evaluation)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=SchemeKind.choices)
    zone_types = models.JSONField(_("zone types evaluated"), default=list, blank=True,
                                  help_text=_("Zone type codes of the entities a run takes by default."))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["code"]

    def __str__(self):
        return self.name


class SchemeVersion(models.Model):
    """One version of a scheme: categories, indicators, weights, peer groups, grade rules."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField(_("version"))
    label = models.CharField(_("label"), max_length=120)
    doc_no = models.CharField(_("document"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    notes = models.TextField(_("notes and assumptions"), blank=True,
                             help_text=_("What the published rules leave open and what this version assumes."))
    weights_sum_100 = models.BooleanField(_("weights must sum to 100"), default=True)
    decimals = models.PositiveSmallIntegerField(_("decimals of the total"), default=2)
    # region (stats.Entity.region) -> peer group label, e.g. {"east": "东部", "central": "中西部", …}
    groups = models.JSONField(_("peer groups"), default=dict, blank=True)
    # [[grade, top %], …] cumulative cut-offs on the national rank; a null cut-off = not configured
    grade_rules = models.JSONField(_("grade rules"), default=list, blank=True)
    based_on = models.ForeignKey("self", verbose_name=_("based on"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-version"]
        constraints = [models.UniqueConstraint(fields=["scheme", "version"], name="evaluation_version_unique")]

    def __str__(self):
        return f"{self.scheme.name} · {self.label}"

    @property
    def is_used(self) -> bool:
        return self.runs.exists()

    def audit_scope(self):
        return {}


class Category(models.Model):
    """一级指标 (e.g. 规模效益 50)."""

    version = models.ForeignKey(SchemeVersion, verbose_name=_("scheme version"), on_delete=models.CASCADE,
                                related_name="categories")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=3)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("scheme category")
        verbose_name_plural = _("scheme categories")
        ordering = ["version", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="evaluation_category_unique")]

    def __str__(self):
        return f"{self.name} ({self.weight})"


class SchemeIndicator(models.Model):
    """An indicator of a scheme version: a statistics indicator with its weight (points of 100),
    direction, normaliser, missing-value rule and per-group weights."""

    version = models.ForeignKey(SchemeVersion, verbose_name=_("scheme version"), on_delete=models.CASCADE,
                                related_name="indicators")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="indicators")
    indicator = models.ForeignKey("stats.Indicator", verbose_name=_("indicator"), on_delete=models.PROTECT,
                                  related_name="+")
    measure = models.CharField(_("measure"), max_length=8, choices=Measure.choices, default=Measure.VALUE)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=3)
    group_weights = models.JSONField(_("weights by peer group"), default=dict, blank=True)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    normaliser = models.CharField(_("normaliser"), max_length=20, choices=normaliser_choices, default="minmax")
    benchmark = models.DecimalField(_("benchmark"), max_digits=20, decimal_places=4, null=True, blank=True)
    missing_rule = models.CharField(_("missing value"), max_length=8, choices=MissingRule.choices,
                                    default=MissingRule.ZERO)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("scheme indicator")
        verbose_name_plural = _("scheme indicators")
        ordering = ["version", "category__order", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "indicator", "measure"], name="evaluation_indicator_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="evaluation_indicator_weight_nonneg"),
        ]

    def __str__(self):
        return f"{self.indicator.name} ({self.weight})"

    @property
    def key(self) -> str:
        """The column key of the run's data: indicator code, with ``@yoy`` for a growth rate."""
        return self.indicator.code if self.measure == Measure.VALUE else f"{self.indicator.code}@{self.measure}"


class Adjustment(models.Model):
    """加分 / 扣分 / 否决 item of a version: ``points`` per recorded occurrence, capped at ``cap``."""

    version = models.ForeignKey(SchemeVersion, verbose_name=_("scheme version"), on_delete=models.CASCADE,
                                related_name="adjustments")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AdjustmentKind.choices)
    points = models.DecimalField(_("points per occurrence"), max_digits=7, decimal_places=3, default=0)
    cap = models.DecimalField(_("at most (points)"), max_digits=7, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = _("bonus, deduction or veto")
        verbose_name_plural = _("bonuses, deductions and vetoes")
        ordering = ["version", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="evaluation_adjustment_unique")]

    def __str__(self):
        return self.name


class AdjustmentRecord(models.Model):
    """An occurrence of an adjustment item for an entity in a data year (e.g. two provincial
    environmental findings in 2025), read by every run of that data year."""

    entity = models.ForeignKey("stats.Entity", verbose_name=_("entity"), on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("item"), max_length=40)
    data_year = models.PositiveSmallIntegerField(_("data year"))
    count = models.PositiveSmallIntegerField(_("occurrences"), default=1)
    note = models.CharField(_("note"), max_length=300, blank=True)

    SCOPE_PATHS = {k: f"entity__{v}" for k, v in
                   {"province": "province_code", "city": "city_code", "zone": "zone_id",
                    "enterprise": "enterprise_id"}.items()}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("adjustment record")
        verbose_name_plural = _("adjustment records")
        ordering = ["data_year", "entity", "code"]
        constraints = [models.UniqueConstraint(fields=["entity", "code", "data_year"], name="evaluation_adjrec_unique")]

    def audit_scope(self):
        return self.entity.audit_scope()


class EvaluationRun(models.Model):
    """考评: a scheme version applied to an entity set with the values of ``data_year`` for the
    exercise ``exercise_year`` (kept apart: MOFCOM's 2023 exercise scores 2022 data)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    version = models.ForeignKey(SchemeVersion, verbose_name=_("scheme version"), on_delete=models.PROTECT,
                                related_name="runs")
    exercise_year = models.PositiveSmallIntegerField(_("exercise year"))
    data_year = models.PositiveSmallIntegerField(_("data year"))
    entity_set = models.CharField(_("entity set"), max_length=300, blank=True)
    # the data used: entities (id, code, name, group), column keys, values (strings or null), reasons,
    # adjustments — everything the engine needs to reproduce the results
    inputs = models.JSONField(_("data used"), default=dict)
    inputs_hash = models.CharField(_("fingerprint of the data"), max_length=64)
    previous = models.ForeignKey("self", verbose_name=_("previous run"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    n_entities = models.PositiveIntegerField(_("entities"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-exercise_year", "-created_at"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("evaluation:run", args=[self.code])

    def audit_scope(self):
        return {}


class EntityResult(models.Model):
    """The result of one entity in a run; ``details`` holds, per scheme indicator in the run's column
    order, the raw value, the value used, the normalised score and the points, and the missing-value
    rule applied with the reason (``indicator_rows()`` reads them)."""

    run = models.ForeignKey(EvaluationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="results")
    entity = models.ForeignKey("stats.Entity", verbose_name=_("entity"), on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("peer group"), max_length=40, blank=True)
    base_score = models.DecimalField(_("score before adjustments"), max_digits=12, decimal_places=4)
    adjustment = models.DecimalField(_("adjustments"), max_digits=12, decimal_places=4, default=0)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=4)
    disqualified = models.BooleanField(_("disqualified"), default=False)
    rank_nation = models.PositiveIntegerField(_("national rank"), null=True)
    n_nation = models.PositiveIntegerField(_("ranked nationally"), null=True)
    rank_group = models.PositiveIntegerField(_("rank in group"), null=True)
    n_group = models.PositiveIntegerField(_("ranked in group"), null=True)
    grade = models.CharField(_("grade"), max_length=4, blank=True)
    grade_group = models.CharField(_("grade in group"), max_length=4, blank=True)
    prev_total = models.DecimalField(_("previous total"), max_digits=12, decimal_places=4, null=True)
    prev_rank = models.PositiveIntegerField(_("previous national rank"), null=True)
    categories = models.JSONField(_("category subtotals"), default=dict)
    details = models.JSONField(_("indicator results"), default=list)
    rules_applied = models.CharField(_("missing-value rules applied"), max_length=200, blank=True)

    SCOPE_PATHS = AdjustmentRecord.SCOPE_PATHS
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        ordering = ["run", "rank_nation", "entity_id"]
        constraints = [models.UniqueConstraint(fields=["run", "entity"], name="evaluation_result_unique")]

    def __str__(self):
        return f"{self.run} · {self.entity_id}"

    def indicator_rows(self) -> list[dict]:
        """Per indicator, in the run's column order: raw value, value used, normalised score, points
        (Decimals at 4 places or None), the missing-value rule applied and the reason."""
        from decimal import Decimal

        d = self.details or {}

        def q(v):
            return None if v is None else Decimal(repr(v)).quantize(Decimal("0.0001"))

        rules, reasons = d.get("rules", {}), d.get("reasons", {})
        return [{"raw": q(raw), "used": q(used), "score": q(score), "points": q(pts),
                 "rule": rules.get(str(j), ""), "reason": reasons.get(str(j), "")}
                for j, (raw, used, score, pts) in enumerate(zip(d.get("raw", []), d.get("used", []),
                                                                 d.get("score", []), d.get("points", []),
                                                                 strict=True))]

    @property
    def rank_change(self) -> int | None:
        """Places gained against the previous run (positive = moved up)."""
        if self.prev_rank is None or self.rank_nation is None:
            return None
        return self.prev_rank - self.rank_nation

    def audit_scope(self):
        return self.entity.audit_scope()

